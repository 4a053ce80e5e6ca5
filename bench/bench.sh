#!/bin/bash
# Start-up benchmark: `run` of /bin/true with cellrun, runc and crun on one busybox bundle,
# then `exec /bin/true` into a running container (cellrun vs crun).  Prints markdown tables.
#
#   sudo bash bench/bench.sh            (after building; uses ./cellrun)
#
# Fairness: every command is "run ID; delete ID" in one shell, with an id unique per
# iteration ($$ of that shell).  Two groups, compared only within a group:
#   with cgroups:     cellrun vs runc (both create cgroups on this host)
#   without cgroups:  cellrun $CELLRUN_BENCH_FLAGS vs crun --cgroup-manager=disabled; both run
#                     inside one `unshare -m` where cgroup2's cgroup.controllers is hidden,
#                     because Debian's crun refuses hybrid cgroup hosts otherwise.
# Env: CELLRUN (binary), BENCH_RUNS (default 50), BENCH_WARMUP (default 5),
#      CELLRUN_BENCH_FLAGS (default --cgroup-manager=disabled, like crun's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CELLRUN=${CELLRUN:-$here/../cellrun}
CELLRUN=$(readlink -f "$CELLRUN")
RUNS=${BENCH_RUNS:-50}
WARMUP=${BENCH_WARMUP:-5}
CELLRUN_BENCH_FLAGS=${CELLRUN_BENCH_FLAGS:---cgroup-manager=disabled}
export CELLRUN RUNS WARMUP CELLRUN_BENCH_FLAGS

[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }
for tool in hyperfine runc crun unshare; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool not installed" >&2; exit 1; }
done
[ -x "$CELLRUN" ] || { echo "bench.sh: no cellrun binary at $CELLRUN (run make)" >&2; exit 1; }

# check_works "RUNTIME --root ..." ID: one real run must succeed, or the timings are of failures
check_works () {
  if ! $1 run -b "$W/bundle" "$2" </dev/null; then
    echo "bench.sh: '$1 run' fails on the bench bundle; fix that first" >&2
    exit 1
  fi
  $1 delete -f "$2" >/dev/null 2>&1 || true
}

# ---- inner part: runs inside `unshare -m` (see the header)
if [ "${1:-}" = --inner-no-cgroups ]; then
  W=$2
  mount --bind "$W/empty" /sys/fs/cgroup/unified/cgroup.controllers
  CR="$CELLRUN --root $W/cellrun-state $CELLRUN_BENCH_FLAGS"
  CRUN="crun --root $W/crun-state --cgroup-manager=disabled"
  check_works "$CR" c-check
  check_works "$CRUN" c-check
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-markdown "$W/run-nocg.md" --export-json "$W/run-nocg.json" \
    -n "cellrun run ${CELLRUN_BENCH_FLAGS:-(default)}" \
    "sh -c '$CR run -b $W/bundle c\$\$ </dev/null; $CR delete -f c\$\$ 2>/dev/null; true'" \
    -n "crun run (--cgroup-manager=disabled)" \
    "sh -c '$CRUN run -b $W/bundle c\$\$ </dev/null; $CRUN delete -f c\$\$ 2>/dev/null; true'" >&2

  # exec into a running container; cellrun's exec may not exist yet: try once first
  $CRUN run -d -b "$W/bundle-sleep" crun-target </dev/null >/dev/null
  $CRUN exec crun-target /bin/true </dev/null
  local_cmds=(-n "crun exec" "$CRUN exec crun-target /bin/true")
  if $CR run -d -b "$W/bundle-sleep" cellrun-target </dev/null >/dev/null 2>&1 &&
     $CR exec cellrun-target /bin/true </dev/null >/dev/null 2>&1; then
    local_cmds=(-n "cellrun exec" "$CR exec cellrun-target /bin/true" "${local_cmds[@]}")
  else
    echo "bench.sh: cellrun exec does not work yet; benchmarking crun exec alone" >&2
  fi
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-markdown "$W/exec.md" --export-json "$W/exec.json" \
    "${local_cmds[@]}" >&2 || true
  $CR delete -f cellrun-target >/dev/null 2>&1 || true
  $CRUN delete -f crun-target >/dev/null 2>&1 || true
  exit 0
fi

W=$(mktemp -d /tmp/cellrun-bench.XXXXXX)
cleanup () {
  for id in $(cd "$W/cellrun-state" 2>/dev/null && ls); do
    "$CELLRUN" --root "$W/cellrun-state" delete -f "$id" >/dev/null 2>&1 || true
  done
  for id in $(runc --root "$W/runc-state" list -q 2>/dev/null); do
    runc --root "$W/runc-state" delete -f "$id" >/dev/null 2>&1 || true
  done
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
: > "$W/empty"

# one busybox rootfs, two bundles (true and sleep) made by each tool's own spec would differ;
# use cellrun's spec for both so every runtime reads the same config
make_bundle () { # DIR ARGS-JSON
  mkdir -p "$1"
  (cd "$1" && "$CELLRUN" spec)
  python3 - "$1/config.json" "$W/rootfs" "$2" <<'PY'
import json, sys
path, rootfs, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
cfg = json.load(open(path))
cfg["ociVersion"] = "1.0.2"   # the oldest of the three runtimes (crun 1.8) knows this one
cfg["root"] = {"path": rootfs, "readonly": True}
cfg["process"]["terminal"] = False
cfg["process"]["args"] = args
json.dump(cfg, open(path, "w"), indent=2)
PY
}
mkdir -p "$W/rootfs"/{bin,dev,proc,sys,tmp,etc}
cp /bin/busybox "$W/rootfs/bin/busybox"
for a in sh true sleep; do ln -s busybox "$W/rootfs/bin/$a"; done
make_bundle "$W/bundle" '["/bin/true"]'
make_bundle "$W/bundle-sleep" '["/bin/sleep","100000"]'

echo "== run /bin/true, with cgroups: cellrun vs runc" >&2
CR="$CELLRUN --root $W/cellrun-state"
RUNC="runc --root $W/runc-state"
check_works "$CR" c-check
check_works "$RUNC" c-check
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-markdown "$W/run-cg.md" --export-json "$W/run-cg.json" \
  -n "cellrun run" "sh -c '$CR run -b $W/bundle c\$\$ </dev/null; $CR delete -f c\$\$ 2>/dev/null; true'" \
  -n "runc run" "sh -c '$RUNC run -b $W/bundle c\$\$ </dev/null; $RUNC delete -f c\$\$ 2>/dev/null; true'" >&2

echo "== without cgroups: cellrun vs crun; then exec" >&2
unshare -m bash "$0" --inner-no-cgroups "$W"

echo "### run /bin/true (with cgroups)"
cat "$W/run-cg.md"
echo
echo "### run /bin/true (no cgroups; cellrun flags: ${CELLRUN_BENCH_FLAGS:-none})"
cat "$W/run-nocg.md"
if [ -s "$W/exec.md" ]; then
  echo
  echo "### exec /bin/true into a running container"
  cat "$W/exec.md"
fi

# The budgets compare medians (one slow outlier should not decide them).
echo
echo "### medians and budgets"
python3 - "$W" <<'PY'
import json, os, sys
w = sys.argv[1]
med = {}
for f in ("run-cg", "run-nocg", "exec"):
    path = os.path.join(w, f + ".json")
    if os.path.exists(path):
        for r in json.load(open(path))["results"]:
            med[(f, r["command"].split()[0])] = r["median"] * 1000
print("| group | runtime | median [ms] |")
print("|:---|:---|---:|")
for (f, rt), v in med.items():
    print("| %s | %s | %.1f |" % (f, rt, v))
def budget(what, ok):
    print("- %s: %s" % (what, "met" if ok else "MISSED"))
print()
g = lambda f, rt: med.get((f, rt))
if g("run-cg", "cellrun") and g("run-cg", "runc"):
    budget("run with cgroups: cellrun <= runc / 3 (%.1f vs %.1f)" % (g("run-cg", "cellrun"), g("run-cg", "runc") / 3),
           g("run-cg", "cellrun") <= g("run-cg", "runc") / 3)
if g("run-nocg", "cellrun") and g("run-nocg", "crun"):
    budget("run without cgroups: cellrun <= crun (%.1f vs %.1f)" % (g("run-nocg", "cellrun"), g("run-nocg", "crun")),
           g("run-nocg", "cellrun") <= g("run-nocg", "crun"))
if g("exec", "cellrun") and g("exec", "crun"):
    budget("exec: cellrun <= crun (%.1f vs %.1f)" % (g("exec", "cellrun"), g("exec", "crun")),
           g("exec", "cellrun") <= g("exec", "crun"))
PY
