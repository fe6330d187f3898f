#!/usr/bin/env bash
# The by-hand baseline of `prodlike up --provider kind` (issue #7): the same job with the plain tools,
# each phase timed, so `npm run bench:kind` can check that prodlike costs at most 1.15x of it.
#
#   kind create cluster   (the same rendered cluster config and node image)
#   kubectl wait nodes Ready
#   kind load docker-image (the same locally built images)
#   kubectl apply metrics-server (the manifest the node image preloads) and the NetworkPolicy agent's objects
#   kubectl apply --server-side -k <overlay> (the same manifests and image mapping) + the same secrets
#   kubectl rollout status / kubectl wait (every Deployment, StatefulSet and Job)
#
# Inputs (environment):
#   NAME            kind cluster name                      (default prodlike-baseline)
#   CLUSTER_CONFIG  rendered kind config (must name NAME)   (default: written here from the values below)
#   ENTRY_PORT      127.0.0.1 port of the frontend entry    (default 18680; backend entry = +1)
#   NODE_IMAGE      kind node image                         (default prodlike.local/kind-node:v1.34.4)
#   IMAGES          images to load, space separated         (default: the offline topology images)
#   OVERLAY         kustomize directory                     (default kind/manifests/overlays/kind-offline)
#   KEEP=1          keep the cluster (default: delete it at the end)
# Output: one `phase <name> <seconds>` line per phase, then `total <seconds>`; with TIMINGS=<file> also
# a JSON object there. Loopback only; deletes only the cluster it created.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${PRODLIKE_CACHE:-$HOME/.cache/prodlike}/bin"
tool() { if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; else command -v "$1"; fi; }
KIND="$(tool kind)"
KUBECTL="$(tool kubectl)"
NAME="${NAME:-prodlike-baseline}"
ENTRY_PORT="${ENTRY_PORT:-18680}"
NODE_IMAGE="${NODE_IMAGE:-prodlike.local/kind-node:v1.34.4}"
IMAGES="${IMAGES:-prodlike.local/app:0.1.0 prodlike.local/frontend:0.1.0 prodlike.local/postgres:15-bookworm prodlike.local/redis:7.0-bookworm prodlike.local/minio:DEVELOPMENT.2026-02-12T20-18-48Z}"
OVERLAY="${OVERLAY:-$ROOT/kind/manifests/overlays/kind-offline}"
WORK="$(mktemp -d /tmp/prodlike-baseline.XXXXXX)"
KUBECONFIG_FILE="$WORK/kubeconfig"
K=("$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" --context "kind-$NAME")

case "$NAME" in prodlike|prodlike-*) ;; *) echo "NAME must be prodlike or prodlike-<x> (got $NAME)" >&2; exit 2 ;; esac
if "$KIND" get clusters 2>/dev/null | grep -qx "$NAME"; then echo "kind cluster $NAME already exists: refusing to time over it" >&2; exit 2; fi

cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then "$KIND" delete cluster --name "$NAME" --kubeconfig "$KUBECONFIG_FILE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
declare -A T
ORDER=()
phase() { # phase <name> <command...>
  local name="$1" start end; shift
  start="$(now)"
  "$@"
  end="$(now)"
  T[$name]="$(echo "$end - $start" | bc)"
  ORDER+=("$name")
  printf 'phase %s %.1f\n' "$name" "${T[$name]}"
}

if [ -z "${CLUSTER_CONFIG:-}" ]; then
  CLUSTER_CONFIG="$WORK/cluster.yaml"
  cat >"$CLUSTER_CONFIG" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: $NAME
networking:
  apiServerAddress: "127.0.0.1"
nodes:
  - role: control-plane
    labels: { ingress-ready: "true" }
    image: $NODE_IMAGE
    extraPortMappings:
      - { containerPort: 30080, hostPort: $ENTRY_PORT, listenAddress: "127.0.0.1", protocol: TCP }
      - { containerPort: 30500, hostPort: $((ENTRY_PORT + 1)), listenAddress: "127.0.0.1", protocol: TCP }
  - { role: worker, labels: { workload: execution }, image: $NODE_IMAGE }
  - { role: worker, labels: { workload: execution }, image: $NODE_IMAGE }
EOF
fi

create_cluster() { "$KIND" create cluster --name "$NAME" --config "$CLUSTER_CONFIG" --kubeconfig "$KUBECONFIG_FILE" --wait 0s; }
nodes_ready() { "${K[@]}" wait --for=condition=Ready nodes --all --timeout=180s >/dev/null; }
# shellcheck disable=SC2086 # IMAGES is a list
load_images() { "$KIND" load docker-image --name "$NAME" $IMAGES; }
addons() {
  local image
  image="$(docker exec "$NAME-control-plane" cat /kind/metrics-server-image 2>/dev/null || echo prodlike.local/metrics-server:v0.8.0)"
  sed "s|__METRICS_SERVER_IMAGE__|$image|g" "$ROOT/kind/node-image/manifests/metrics-server.yaml" | "${K[@]}" apply -f - >/dev/null
  # The NetworkPolicy agent prodlike's `up` installs (networkPolicies.enforce, default true): the same objects,
  # applied by hand, and its DaemonSet waited for on every node.
  (cd "$ROOT" && npx --no-install tsx -e "import('./src/providers/kind/network-policy-addon.ts').then(async (m) => { const c = await import('./src/setup/image-catalog.ts'); const image = (await c.loadImageCatalog()).kindAddons['kube-network-policies'].offline; process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: m.networkPolicyObjects({ image }) })); })") \
    | "${K[@]}" apply -f - >/dev/null
  "${K[@]}" -n prodlike-network-policy rollout status daemonset/kube-network-policies --timeout=300s >/dev/null
}
apply() {
  local pw rpw mk ms key
  pw="$(openssl rand -hex 16)"; rpw="$(openssl rand -hex 16)"; mk="$(openssl rand -hex 10)"; ms="$(openssl rand -hex 20)"; key="$(openssl rand -base64 24)"
  for ns in app-backend saasit-executions; do
    "${K[@]}" create namespace "$ns" >/dev/null
    "${K[@]}" -n "$ns" create secret generic backend-secrets --from-literal=POSTGRES_PASSWORD="$pw" --from-literal=REDIS_PASSWORD="$rpw" \
      --from-literal=SECRET_KEY="$key" --from-literal=JWT_SECRET_KEY="$key" >/dev/null
    "${K[@]}" -n "$ns" create secret generic minio-secret --from-literal=MINIO_ROOT_USER="$mk" --from-literal=MINIO_ROOT_PASSWORD="$ms" >/dev/null
  done
  "${K[@]}" apply --server-side --force-conflicts -k "$OVERLAY" >/dev/null
}
ready() {
  local ns obj
  for ns in app-backend app-frontend saasit-executions; do
    for obj in $("${K[@]}" -n "$ns" get deployments,statefulsets -o name); do
      "${K[@]}" -n "$ns" rollout status "$obj" --timeout=600s >/dev/null
    done
    for obj in $("${K[@]}" -n "$ns" get jobs -o name); do
      "${K[@]}" -n "$ns" wait --for=condition=complete "$obj" --timeout=600s >/dev/null
    done
  done
}

START="$(now)"
phase cluster create_cluster
phase nodes nodes_ready
phase images load_images
phase addons addons
phase apply apply
phase ready ready
TOTAL="$(echo "$(now) - $START" | bc)"
printf 'total %.1f\n' "$TOTAL"
if [ -n "${TIMINGS:-}" ]; then
  {
    printf '{"total": %.2f, "phases": {' "$TOTAL"
    sep=''
    for p in "${ORDER[@]}"; do printf '%s"%s": %.2f' "$sep" "$p" "${T[$p]}"; sep=', '; done
    printf '}}\n'
  } >"$TIMINGS"
fi
