#!/bin/bash
# cgroup v2 only: delegate every controller to /kubelet and /kubelet.slice (kubelet needs all of them,
# hugetlb included). Runs after systemd moved itself to /init.scope, so the root cgroup has no processes.
set -euo pipefail
[[ -f /sys/fs/cgroup/cgroup.controllers ]] || { echo "not a cgroup v2 host" >&2; exit 1; }
delegate() { sed -e 's/ / +/g' -e 's/^/+/' <"/sys/fs/cgroup/$1/cgroup.controllers" >"/sys/fs/cgroup/$1/cgroup.subtree_control"; }
delegate /
for g in kubelet kubelet.slice; do mkdir -p "/sys/fs/cgroup/$g"; delegate "/$g"; done
