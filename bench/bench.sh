#!/bin/bash
# Start-up benchmark of cellrun against crun, runc and the floor (bench/floor/*.c: the bare
# syscalls any runtime needs). Prints one markdown report on stdout.
#
#   sudo bash bench/bench.sh           (after `make`; uses ./cellrun)
#   sudo bash bench/bench.sh --smoke   (a few runs of everything: proves the script works)
#
# What is measured, on one busybox rootfs and one config.json (`cellrun spec`, ociVersion
# 1.0.2 so every runtime reads it, read-only root, no terminal):
#   run-nocg     `run ID` of /bin/true, --cgroup-manager=disabled (runc has no such mode and
#                is left out); floor: run_floor (clone + bind + proc + pivot_root + exec)
#   run-v1       `run ID`, cgroupfs manager on this host's hierarchy (v1 controllers on a hybrid
#                host, v2 on a pure one)
#   run-v2       `run ID`, cgroupfs manager, in a mount namespace where a cgroup2 mount is put over
#                /sys/fs/cgroup (hybrid hosts only; a v2 hierarchy without controllers there)
#   exec         `exec ID /bin/true` into a running container; floor: exec_floor (setns + fork + exec)
#   lifecycle    `create ID; start ID; delete -f ID` (the exit of /bin/true is not waited for)
#   exec-1000    1000 (--smoke: 20) cellrun execs in a row: p50, p99, first vs last 100
#   rss          peak RSS of `run` (max RSS of the waited-for children, which includes the
#                runtime's own re-exec and the container's /bin/true)
#   binary       size of the binary file, stripped (`strip -o`: Debian's crun and runc are), and
#                its shared libraries (ldd, without the vdso)
# State roots: a tmpfs per inner part, as the default roots under /run are on a real host.
# Interleaving: the machine's noise drifts over seconds, so the commands of a group alternate:
# ROUNDS rounds, each one short hyperfine invocation (-N, RUNS_PER_ROUND runs, 1 warm-up) per
# command in turn; the samples of all rounds are pooled per command. min/median/p90 in ms.
# Debian's crun refuses a hybrid host: it and the no-cgroup group run in `unshare -m` with an
# empty file bound over /sys/fs/cgroup/unified/cgroup.controllers (cellrun and the floors share
# that namespace, so the comparison stays fair).
# Env: CELLRUN (binary), BENCH_ROUNDS (default 12), BENCH_RUNS_PER_ROUND (default 5),
#      BENCH_EXECS (default 1000).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SMOKE=0
[ "${1:-}" = --smoke ] && { SMOKE=1; shift; }
CELLRUN=$(readlink -f "${CELLRUN:-$here/../cellrun}")
ROUNDS=${BENCH_ROUNDS:-12}
PER=${BENCH_RUNS_PER_ROUND:-5}
EXECS=${BENCH_EXECS:-1000}
if [ "$SMOKE" = 1 ]; then ROUNDS=2 PER=2 EXECS=20; fi
# the inner parts (`bash $0 --inner-...`) read the same settings
export CELLRUN BENCH_ROUNDS=$ROUNDS BENCH_RUNS_PER_ROUND=$PER BENCH_EXECS=$EXECS

[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }
for tool in hyperfine runc crun unshare python3 strip /usr/bin/time "${CC:-cc}"; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool not installed" >&2; exit 1; }
done
[ -x "$CELLRUN" ] || { echo "bench.sh: no cellrun binary at $CELLRUN (run make)" >&2; exit 1; }

# interleave GROUP NAME CMD [NAME CMD ...]: ROUNDS short hyperfine runs per command, in turn;
# every sample lands in $W/GROUP.NAME.times (one time in seconds per line)
interleave () {
  local group=$1 r i
  shift
  for ((r = 0; r < ROUNDS; r++)); do
    for ((i = 1; i <= $#; i += 2)); do
      local name=${!i} j=$((i + 1))
      hyperfine -N --warmup 1 --runs "$PER" --export-json "$W/h.json" "${!j}" > /dev/null 2>&1 || {
        echo "bench.sh: '${!j}' fails" >&2
        exit 1
      }
      python3 -c 'import json, sys; [print(t) for t in json.load(open(sys.argv[1]))["results"][0]["times"]]' \
        "$W/h.json" >> "$W/$group.$name.times"
    done
  done
}

# must_work CMD...: one real run must succeed, or the timings are of failures
must_work () {
  "$@" < /dev/null > /dev/null 2>&1 || { echo "bench.sh: '$*' fails; fix that first" >&2; "$@" < /dev/null || true; exit 1; }
}

# peak_rss NAME CMD...: max RSS (KiB) over CMD and the processes it waited for (wait4's
# rusage, as GNU time reports it), the largest of 5 runs
peak_rss () {
  local name=$1 i m max=0
  shift
  for i in 1 2 3 4 5; do
    m=$(/usr/bin/time -f %M "$@" 2>&1 > /dev/null < /dev/null | tail -1)
    [ "$m" -gt "$max" ] && max=$m
  done
  echo "$max" > "$W/rss.$name"
}

# ---- inner parts: run inside `unshare -m` (see the header). The state roots are on a tmpfs
# of that namespace, as the default roots under /run are on a real host (an fsync there is free).
inner_state () {
  mkdir -p "$W/state"
  mount -t tmpfs -o mode=0700 bench-state "$W/state"
  trap inner_cleanup EXIT
}
inner_cleanup () {
  local id
  for id in $(ls "$W/state/cellrun" 2>/dev/null); do "$CELLRUN" --root "$W/state/cellrun" delete -f "$id" > /dev/null 2>&1 || true; done
  for id in $(crun --root "$W/state/crun" list -q 2>/dev/null); do crun --root "$W/state/crun" delete -f "$id" > /dev/null 2>&1 || true; done
  for id in $(runc --root "$W/state/runc" list -q 2>/dev/null); do runc --root "$W/state/runc" delete -f "$id" > /dev/null 2>&1 || true; done
}
inner_nocg () {
  inner_state
  mount --bind "$W/empty" /sys/fs/cgroup/unified/cgroup.controllers
  local CR="$CELLRUN --root $W/state/cellrun --cgroup-manager=disabled"
  local CRUN="crun --root $W/state/crun --cgroup-manager=disabled"
  must_work $CR run -b "$W/bundle" c-check
  must_work $CRUN run -b "$W/bundle" c-check
  must_work "$W/run_floor" "$W/rootfs" /bin/true
  interleave run-nocg cellrun "$CR run -b $W/bundle b1" crun "$CRUN run -b $W/bundle b2" \
    floor "$W/run_floor $W/rootfs /bin/true"

  $CR run -d -b "$W/bundle-sleep" t-cellrun < /dev/null > /dev/null
  $CRUN run -d -b "$W/bundle-sleep" t-crun < /dev/null > /dev/null
  local tpid
  tpid=$($CR state t-cellrun | python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
  must_work $CR exec t-cellrun /bin/true
  must_work $CRUN exec t-crun /bin/true
  must_work "$W/exec_floor" "$tpid" /bin/true
  interleave exec cellrun "$CR exec t-cellrun /bin/true" crun "$CRUN exec t-crun /bin/true" \
    floor "$W/exec_floor $tpid /bin/true"
  python3 - "$EXECS" "$W/exec-1000.times" $CR exec t-cellrun /bin/true <<'PY'
import subprocess, sys, time
n, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(out, "w") as f:
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdin=subprocess.DEVNULL, check=True)
        print(time.perf_counter() - t, file=f)
PY
  $CR delete -f t-cellrun > /dev/null 2>&1 || true
  $CRUN delete -f t-crun > /dev/null 2>&1 || true

  interleave lifecycle cellrun "sh -c '$CR create -b $W/bundle l1 </dev/null; $CR start l1; $CR delete -f l1'" \
    crun "sh -c '$CRUN create -b $W/bundle l2 </dev/null; $CRUN start l2; $CRUN delete -f l2'"
  peak_rss cellrun $CR run -b "$W/bundle" m1
  peak_rss crun $CRUN run -b "$W/bundle" m2
  peak_rss floor "$W/run_floor" "$W/rootfs" /bin/true
}

inner_cg () { # GROUP: run-v1 on the host's hierarchy, run-v2 over a cgroup2 mount
  local group=$1
  inner_state
  local CR="$CELLRUN --root $W/state/cellrun"
  local CRUN="crun --root $W/state/crun --cgroup-manager=cgroupfs"
  local RUNC="runc --root $W/state/runc"
  if [ "$group" = run-v2 ]; then
    mount -t cgroup2 none /sys/fs/cgroup
  else
    mount --bind "$W/empty" /sys/fs/cgroup/unified/cgroup.controllers
  fi
  local cmds=() rt bundle=$W/bundle
  # On cgroup2 a device rule list means an eBPF program, and crun 1.8 raises RLIMIT_MEMLOCK to
  # infinity before loading one: without CAP_SYS_RESOURCE that fails (EPERM) and so does its
  # `run`. Without linux.resources.devices no runtime loads one, so all run that bundle; the
  # cellrun-devices row is cellrun with the rule list (its filter's cost).
  if [ "$group" = run-v2 ]; then
    bundle=$W/bundle-nodev
    must_work $CR run -b "$W/bundle" c-check
    cmds+=(cellrun-devices "$CR run -b $W/bundle b-cellrun-devices")
  fi
  for rt in cellrun crun runc; do
    local c
    case $rt in cellrun) c=$CR ;; crun) c=$CRUN ;; runc) c=$RUNC ;; esac
    if $c run -b "$bundle" c-check < /dev/null > /dev/null 2>&1; then
      cmds+=("$rt" "$c run -b $bundle b-$rt")
    else
      echo "bench.sh: $group: '$c run' fails here; left out" >&2
      echo "$rt" >> "$W/$group.failed"
    fi
  done
  [ ${#cmds[@]} -eq 0 ] || interleave "$group" "${cmds[@]}"
}

case "${1:-}" in
  --inner-nocg) W=$2; inner_nocg; exit 0 ;;
  --inner-cg) W=$2; inner_cg "$3"; exit 0 ;;
esac

W=$(mktemp -d "${TMPDIR:-/tmp}/cellrun-bench.XXXXXX")
cleanup () { rm -rf --one-file-system "$W"; } # the containers go with their inner part
trap cleanup EXIT
: > "$W/empty"
export W

"${CC:-cc}" -O2 -o "$W/run_floor" "$here/floor/run_floor.c"
"${CC:-cc}" -O2 -o "$W/exec_floor" "$here/floor/exec_floor.c"
mkdir -p "$W/rootfs"/{bin,dev,proc,sys,tmp,etc}
cp /bin/busybox "$W/rootfs/bin/busybox"
for a in sh true sleep; do ln -s busybox "$W/rootfs/bin/$a"; done
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
make_bundle "$W/bundle" '["/bin/true"]'
make_bundle "$W/bundle-sleep" '["/bin/sleep","100000"]'
mkdir -p "$W/bundle-nodev"
python3 - "$W/bundle/config.json" "$W/bundle-nodev/config.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["linux"].get("resources", {}).pop("devices", None)
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY

echo "bench.sh: no cgroups, exec, lifecycle, RSS" >&2
unshare -m bash "$0" --inner-nocg "$W"
echo "bench.sh: with cgroups (this host's hierarchy)" >&2
unshare -m bash "$0" --inner-cg "$W" run-v1
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && [ -d /sys/fs/cgroup/unified ]; then
  echo "bench.sh: with cgroups (a cgroup2 mount over /sys/fs/cgroup)" >&2
  unshare -m bash "$0" --inner-cg "$W" run-v2
fi

for f in "$CELLRUN" "$(command -v crun)" "$(command -v runc)"; do
  f=$(readlink -f "$f")
  strip -o "$W/stripped" "$f" 2> /dev/null || cp "$f" "$W/stripped"
  echo "$(basename "$f") $(stat -c %s "$f") $(stat -c %s "$W/stripped") $(ldd "$f" 2>/dev/null | grep -vc 'linux-vdso\|not a dynamic')" >> "$W/binary"
done

python3 - "$W" "$SMOKE" <<'PY'
import glob, os, statistics, sys
w, smoke = sys.argv[1], sys.argv[2] == "1"
def load(path):
    return [float(x) * 1000 for x in open(path).read().split()]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
groups = [("run-nocg", "`run /bin/true`, no cgroups"), ("run-v1", "`run /bin/true`, cgroupfs on this host's hierarchy"),
          ("run-v2", "`run /bin/true`, cgroupfs on a cgroup2 mount"), ("exec", "`exec /bin/true` into a running container"),
          ("lifecycle", "`create; start; delete -f`")]
med = {}
print("# cellrun start-up bench%s\n" % (" (SMOKE: too few runs to mean anything)" if smoke else ""))
for g, title in groups:
    files = sorted(glob.glob(os.path.join(w, g + ".*.times")))
    if not files:
        continue
    print("### %s\n" % title)
    if g == "run-v2":
        print("bundle without `linux.resources.devices` (crun 1.8 cannot load a device filter here, see "
              "docs/performance.md); cellrun-devices: cellrun with the rule list and its eBPF filter\n")
    print("| runtime | n | min [ms] | median [ms] | p90 [ms] | / crun | / runc | / floor |")
    print("|:---|---:|---:|---:|---:|---:|---:|---:|")
    rows = {}
    for f in files:
        rt = os.path.basename(f)[len(g) + 1:-len(".times")]
        rows[rt] = load(f)
        med[(g, rt)] = statistics.median(rows[rt])
    for rt in ("cellrun", "cellrun-devices", "crun", "runc", "floor"):
        if rt not in rows:
            continue
        v = rows[rt]
        ratio = lambda other: "%.2f" % (med[(g, rt)] / med[(g, other)]) if (g, other) in med and other != rt else ""
        print("| %s | %d | %.2f | %.2f | %.2f | %s | %s | %s |" % (rt, len(v), min(v), med[(g, rt)], pct(v, 90),
                                                             ratio("crun"), ratio("runc"), ratio("floor")))
    failed = os.path.join(w, g + ".failed")
    if os.path.exists(failed):
        print("\nleft out (their `run` fails in this setup): %s" % ", ".join(open(failed).read().split()))
    print()
e = os.path.join(w, "exec-1000.times")
if os.path.exists(e):
    v = load(e)
    k = max(1, min(100, len(v) // 10))
    first, last = statistics.median(v[:k]), statistics.median(v[-k:])
    p50, p99 = pct(v, 50), pct(v, 99)
    med[("exec-n", "p50")], med[("exec-n", "p99")] = p50, p99
    med[("exec-n", "first")], med[("exec-n", "last")] = first, last
    print("### %d cellrun execs in a row\n" % len(v))
    print("| p50 [ms] | p99 [ms] | p99/p50 | median of first %d [ms] | median of last %d [ms] | last/first |" % (k, k))
    print("|---:|---:|---:|---:|---:|---:|")
    print("| %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n" % (p50, p99, p99 / p50, first, last, last / first))
rss = {os.path.basename(f)[4:]: int(open(f).read()) for f in glob.glob(os.path.join(w, "rss.*"))}
print("### peak RSS of `run` (KiB, max over the waited-for processes)\n")
print("| runtime | KiB | / crun |\n|:---|---:|---:|")
for rt in ("cellrun", "crun", "floor"):
    if rt in rss:
        print("| %s | %d | %.2f |" % (rt, rss[rt], rss[rt] / rss["crun"]))
print("\n### binary\n\n| binary | file [MiB] | stripped [MiB] | shared libraries |\n|:---|---:|---:|---:|")
binary = {}
for line in open(os.path.join(w, "binary")):
    name, size, stripped, libs = line.split()
    binary[name] = (int(stripped), int(libs))
    print("| %s | %.2f | %.2f | %s |" % (name, int(size) / 2**20, int(stripped) / 2**20, libs))
print("\n### goals (medians)\n")
def goal(what, a, b, limit):
    if a is None or b is None:
        print("- %s: not measured" % what)
        return
    print("- %s: %.2f (limit %.2f): %s" % (what, a / b, limit, "met" if a / b <= limit else "MISSED"))
g = lambda grp, rt: med.get((grp, rt))
goal("run, no cgroups, / floor", g("run-nocg", "cellrun"), g("run-nocg", "floor"), 1.5)
goal("run, no cgroups, / crun", g("run-nocg", "cellrun"), g("run-nocg", "crun"), 0.6)
goal("run, cgroups (host hierarchy), / crun", g("run-v1", "cellrun"), g("run-v1", "crun"), 0.6)
goal("run, cgroups (cgroup2 mount), / crun", g("run-v2", "cellrun"), g("run-v2", "crun"), 0.6)
goal("exec / floor", g("exec", "cellrun"), g("exec", "floor"), 1.3)
goal("exec / crun", g("exec", "cellrun"), g("exec", "crun"), 0.5)
goal("execs in a row: p99 / p50", g("exec-n", "p99"), g("exec-n", "p50"), 2.0)
goal("execs in a row: last / first", g("exec-n", "last"), g("exec-n", "first"), 1.1)
goal("create+start+delete / crun", g("lifecycle", "cellrun"), g("lifecycle", "crun"), 0.5)
goal("peak RSS / crun", rss.get("cellrun"), rss.get("crun"), 0.6)
goal("binary size (stripped) / crun", binary.get("cellrun", (None,))[0], binary.get("crun", (None,))[0], 1.0)
libs = binary.get("cellrun", (None, None))[1]
print("- shared libraries: %s (limit 4): %s" % (libs, "met" if libs is not None and libs <= 4 else "MISSED"))
PY
