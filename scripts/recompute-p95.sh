#!/usr/bin/env bash
# Recompute a distributed load run's merged numbers from its raw samples, independently of prodlike's TypeScript:
# jq + sort + awk over runs/<id>-load/runner-*.jsonl (every runner's http_req_duration / http_req_failed / http_reqs
# Points as `prodlike load --parallelism N` wrote them). p95 by k6's rule (TrendSink.P): sorted values, rank
# 0.95 x (n - 1), linear interpolation between the two values around it.
#   scripts/recompute-p95.sh runs/<id>-load [request-name]     # e.g. get, list, health; none: all requests
# Compare with the run's k6-summary.json (http_req_duration{name:<name>} p(95), http_req_failed rate).
set -euo pipefail
dir="${1:?usage: $0 <run directory> [request name]}"; name="${2:-}"
shopt -s nullglob; files=("$dir"/runner-*.jsonl); (( ${#files[@]} )) || { echo "no runner-*.jsonl in $dir" >&2; exit 2; }
sel='.metric == "http_req_duration"'; [[ -n "$name" ]] && sel="$sel and .tags.name == \"$name\""
jq -r "select($sel) | .value" "${files[@]}" | sort -g | awk -v label="${name:-all requests}" '
  { v[NR] = $1 }
  END {
    if (NR == 0) { print label ": no samples"; exit 1 }
    r = 0.95 * (NR - 1); lo = int(r); f = r - lo
    a = v[lo + 1]; b = (f > 0) ? v[lo + 2] : a
    printf "%s: %d durations, p95 %.6f ms (rank %.2f between %.6f and %.6f)\n", label, NR, a + (b - a) * f, r, a, b
  }'
jq -r 'select(.metric == "http_req_failed") | .value' "${files[@]}" | awk '{ n++; if ($1 != 0) s++ } END { printf "http_req_failed: %d of %d = %.6f\n", s, n, (n ? s / n : 0) }'
for f in "${files[@]}"; do
  jq -r 'select(.metric == "http_req_duration") | .value' "$f" | sort -g | awk -v f="$(basename "$f")" '{ v[NR] = $1 } END { r = 0.95 * (NR - 1); lo = int(r); fr = r - lo; a = v[lo + 1]; b = (fr > 0) ? v[lo + 2] : a; printf "  %s alone: %d durations, p95 %.3f ms\n", f, NR, a + (b - a) * fr }'
done
