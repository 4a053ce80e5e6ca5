#!/bin/bash
# What the profiles' seccomp filters cost (docs/performance.md, "seccomp filter cost").
#
#   sudo bash bench/seccomp_cost.sh       (after `make check` or `make bench/seccomp_cost`)
#
# 1. bench/seccomp_cost: build and load time of each filter, its BPF size, and the cost of a
#    getpid(2) and of a 1-byte read(2) of /dev/zero, ITERATIONS times in a tight loop, with no
#    filter, balanced's denylist and strict's allowlist (each as libseccomp builds it, linear
#    and binary tree, and as cellrun compiles it).  Medians of ROUNDS children.
# 2. With root and hyperfine: `run` of /bin/true under no profile, balanced and strict
#    (busybox bundle, no cgroups), the whole cost of a create with each filter.
# Env: CELLRUN (binary), ITERATIONS (default 1000000), ROUNDS (default 7), BENCH_RUNS
#      (default 30), BENCH_WARMUP (default 5), SKIP_RUN=1 skips part 2.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CELLRUN=$(readlink -f "${CELLRUN:-$here/../cellrun}")
COST=$here/seccomp_cost
[ -x "$COST" ] || make -C "$here/.." bench/seccomp_cost >/dev/null
[ -x "$COST" ] || { echo "seccomp_cost.sh: build bench/seccomp_cost first (make check)" >&2; exit 1; }

echo "### filter build, load and per-syscall cost (median of ${ROUNDS:-7}, ${ITERATIONS:-1000000} calls each)"
echo '```'
"$COST" "${ITERATIONS:-1000000}" "${ROUNDS:-7}"
echo '```'

[ "${SKIP_RUN:-0}" = 1 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v hyperfine >/dev/null || [ ! -x "$CELLRUN" ]; then
  echo "seccomp_cost.sh: part 2 needs root, hyperfine and a built cellrun; skipped" >&2
  exit 0
fi
W=$(mktemp -d /tmp/cellrun-seccomp-bench.XXXXXX)
cleanup () {
  for id in $(cd "$W/state" 2>/dev/null && ls); do
    "$CELLRUN" --root "$W/state" delete -f "$id" >/dev/null 2>&1 || true
  done
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
mkdir -p "$W/rootfs"/{bin,dev,proc,sys,tmp,etc} "$W/bundle"
cp /bin/busybox "$W/rootfs/bin/busybox"
for a in sh true; do ln -s busybox "$W/rootfs/bin/$a"; done
(cd "$W/bundle" && "$CELLRUN" spec)
python3 - "$W/bundle/config.json" "$W/rootfs" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
cfg = json.load(open(path))
cfg["root"] = {"path": rootfs, "readonly": True}
cfg["process"]["terminal"] = False
cfg["process"]["args"] = ["/bin/true"]
json.dump(cfg, open(path, "w"), indent=2)
PY
cmd () { # PROFILE
  local g="$CELLRUN --root $W/state --cgroup-manager=disabled"
  [ "$1" = none ] || g="$g --profile $1"
  echo "sh -c '$g run -b $W/bundle c\$\$ </dev/null; $g delete -f c\$\$ 2>/dev/null; true'"
}
for p in none balanced strict; do # one real run each, or the timings are of failures
  g=("$CELLRUN" --root "$W/state" --cgroup-manager=disabled)
  [ "$p" = none ] || g+=(--profile "$p")
  "${g[@]}" run -b "$W/bundle" check </dev/null || { echo "seccomp_cost.sh: run under $p fails" >&2; exit 1; }
  "${g[@]}" delete -f check >/dev/null 2>&1 || true
done
hyperfine -N --warmup "${BENCH_WARMUP:-5}" --runs "${BENCH_RUNS:-30}" --export-markdown "$W/run.md" \
  -n "run, no profile" "$(cmd none)" -n "run, balanced" "$(cmd balanced)" -n "run, strict" "$(cmd strict)" >&2
echo
echo "### run /bin/true (busybox bundle, --cgroup-manager=disabled)"
cat "$W/run.md"
