#!/usr/bin/env bash
# Validate the rendered manifests against a REAL kube-apiserver (no cluster, no Docker): start a
# throwaway etcd + kube-apiserver on 127.0.0.1, apply each render with server-side apply and strict
# field validation (twice: the second apply must be a no-op), then create every workload's pod template
# as a Pod in server dry-run so Pod Security admission ("restricted" on app-backend) judges it.
# Needs: the kube-apiserver/kubectl of the offline build and an etcd binary (paths below, overridable).
# Usage: kind/scripts/validate-with-apiserver.sh [base|overlays/kind|overlays/kind-offline ...]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${PRODLIKE_CACHE:=$HOME/.cache/prodlike}"
: "${KUBE_BIN:=$PRODLIKE_CACHE/kubernetes/v1.34.4}"
: "${ETCD:=$PRODLIKE_CACHE/kind-node/gobin/etcd}"
: "${PORT:=26443}"
: "${ETCD_PORT:=23790}"
for b in "$KUBE_BIN/kube-apiserver" "$KUBE_BIN/kubectl" "$ETCD"; do
  [[ -x "$b" ]] || { echo "error: $b not found; run \`prodlike setup\` (or set KUBE_BIN / ETCD)" >&2; exit 1; }
done
command -v openssl >/dev/null || { echo "error: openssl is required (apt-get install -y openssl)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is required (apt-get install -y python3-yaml)" >&2; exit 1; }
python3 -c 'import yaml' 2>/dev/null || { echo "error: python3-yaml is required (apt-get install -y python3-yaml)" >&2; exit 1; }
(( $# > 0 )) || set -- base overlays/kind overlays/kind-offline

WORK="$(mktemp -d)"
ETCD_PID=""; API_PID=""
stop() { # a throwaway apiserver holds nothing worth a graceful shutdown: SIGKILL, then reap
  for p in $API_PID $ETCD_PID; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  API_PID=""; ETCD_PID=""
}
trap 'stop; rm -rf "$WORK"' EXIT
openssl genrsa -out "$WORK/sa.key" 2048 2>/dev/null
openssl rsa -in "$WORK/sa.key" -pubout -out "$WORK/sa.pub" 2>/dev/null
echo 'validate-token,validator,1,"system:masters"' > "$WORK/tokens.csv"
K=("$KUBE_BIN/kubectl" --server "https://127.0.0.1:$PORT" --insecure-skip-tls-verify --token validate-token)

start() {
  stop; rm -rf "$WORK/etcd"
  "$ETCD" --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls http://127.0.0.1:$((ETCD_PORT + 10)) --initial-advertise-peer-urls http://127.0.0.1:$((ETCD_PORT + 10)) \
    --initial-cluster default=http://127.0.0.1:$((ETCD_PORT + 10)) >"$WORK/etcd.log" 2>&1 & ETCD_PID=$!
  "$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 --secure-port "$PORT" \
    --cert-dir "$WORK/certs" --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$WORK/sa.pub" \
    --service-account-signing-key-file "$WORK/sa.key" --authorization-mode AlwaysAllow --token-auth-file "$WORK/tokens.csv" \
    --service-cluster-ip-range 10.96.0.0/12 >"$WORK/apiserver.log" 2>&1 & API_PID=$!
  for _ in $(seq 1 120); do "${K[@]}" get --raw /readyz >/dev/null 2>&1 && return 0; sleep 0.5; done
  tail -20 "$WORK/apiserver.log" >&2; echo "error: kube-apiserver did not become ready (log above)" >&2; exit 1
}

rc=0
for dir in "$@"; do
  echo "== $dir"
  "$KUBE_BIN/kubectl" kustomize "$HERE/manifests/$dir" > "$WORK/render.yaml"
  start
  python3 - "$WORK" <<'PY'
import copy, sys, yaml
work = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(f"{work}/render.yaml")) if d]
yaml.safe_dump_all([d for d in docs if d["kind"] == "Namespace"], open(f"{work}/ns.yaml", "w"))
sas = {d["metadata"]["namespace"] for d in docs if d.get("metadata", {}).get("namespace")}
yaml.safe_dump_all([{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": n}} for n in sorted(sas)], open(f"{work}/default-sa.yaml", "w"))
pods = []
for d in docs:
    k = d["kind"]
    t = d["spec"]["jobTemplate"]["spec"]["template"] if k == "CronJob" else d["spec"].get("template") if k in ("Deployment", "StatefulSet", "Job") else None
    if not t: continue
    spec = copy.deepcopy(t["spec"])
    for v in spec.get("volumes", []):
        if "persistentVolumeClaim" in v: del v["persistentVolumeClaim"]; v["emptyDir"] = {}
    if k == "StatefulSet":
        spec.setdefault("volumes", []).extend({"name": c["metadata"]["name"], "emptyDir": {}} for c in d["spec"].get("volumeClaimTemplates", []))
    pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "psa-" + d["metadata"]["name"], "namespace": d["metadata"]["namespace"]}, "spec": spec})
yaml.safe_dump_all(pods, open(f"{work}/pods.yaml", "w"))
PY
  "${K[@]}" apply --server-side --field-manager=prodlike-validate --validate=strict -f "$WORK/ns.yaml" >/dev/null
  "${K[@]}" apply --server-side --field-manager=prodlike-validate -f "$WORK/default-sa.yaml" >/dev/null
  if "${K[@]}" apply --server-side --field-manager=prodlike-validate --validate=strict -f "$WORK/render.yaml" >"$WORK/apply.log" 2>&1; then
    echo "  apply: $(grep -c serverside-applied "$WORK/apply.log") objects accepted (strict validation)"
    grep -v 'serverside-applied$' "$WORK/apply.log" | sed 's/^/  warning: /' || true
  else
    rc=1; sed 's/^/  /' "$WORK/apply.log"
  fi
  if "${K[@]}" apply --server-side --field-manager=prodlike-validate --validate=strict -f "$WORK/render.yaml" >"$WORK/reapply.log" 2>&1; then
    echo "  re-apply: ok"
  else
    rc=1; sed 's/^/  /' "$WORK/reapply.log"
  fi
  if "${K[@]}" create --dry-run=server -f "$WORK/pods.yaml" >"$WORK/pods.log" 2>&1; then
    echo "  pod security: $(grep -c 'created (server dry run)' "$WORK/pods.log") pod templates admitted"
  else
    rc=1; sed 's/^/  /' "$WORK/pods.log"
  fi
done
exit "$rc"
