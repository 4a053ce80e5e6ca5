#!/bin/bash
# `cellrun sandbox -- /bin/true` against bubblewrap's equivalent, side by side (docs/sandbox.md,
# docs/performance.md "sandbox vs bubblewrap").  Prints a markdown table of medians.
#
#   sudo bash bench/sandbox.sh            (after building; uses ./cellrun)
#
# Interleaving: hyperfine times one command after the other, so a slow phase of a busy machine
# would land on one of them.  Instead the runs are split into ROUNDS short hyperfine calls of
# PER_ROUND runs for each command, and the commands take turns round by round (the order
# rotates every round). The median is then taken over all of a command's runs (ROUNDS x
# PER_ROUND, 60 by default).
#   bwrap:            bwrap --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc
#                     --tmpfs /tmp -- /bin/true
#   sandbox:          cellrun sandbox -- /bin/true   (no limits: no cgroup)
#   sandbox+limits:   cellrun sandbox --memory 256M --cpus 1 --pids 256 -- /bin/true (a cgroup)
# Env: CELLRUN (binary), BENCH_ROUNDS (default 12), BENCH_PER_ROUND (default 5),
# CELLRUN_BASELINE (a second binary, e.g. a build of the previous commit: its two sandbox commands
# join the rounds as "baseline sandbox" and "baseline sandbox+limits", for an A/B on a busy machine).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CELLRUN=${CELLRUN:-$here/../cellrun}
CELLRUN=$(readlink -f "$CELLRUN")
ROUNDS=${BENCH_ROUNDS:-12}
PER_ROUND=${BENCH_PER_ROUND:-5}

[ "$(id -u)" -eq 0 ] || { echo "sandbox.sh: run as root" >&2; exit 1; }
for tool in hyperfine bwrap python3; do
  command -v "$tool" >/dev/null || { echo "sandbox.sh: $tool not installed" >&2; exit 1; }
done
[ -x "$CELLRUN" ] || { echo "sandbox.sh: no cellrun binary at $CELLRUN (run make)" >&2; exit 1; }

W=$(mktemp -d /tmp/cellrun-bench-sandbox.XXXXXX)
trap 'rm -rf "$W"' EXIT

names=(bwrap sandbox sandbox+limits)
cmds=(
  "bwrap --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp -- /bin/true"
  "$CELLRUN sandbox -- /bin/true"
  "$CELLRUN sandbox --memory 256M --cpus 1 --pids 256 -- /bin/true"
)
if [ -n "${CELLRUN_BASELINE:-}" ]; then
  BASE=$(readlink -f "$CELLRUN_BASELINE")
  [ -x "$BASE" ] || { echo "sandbox.sh: no baseline binary at $CELLRUN_BASELINE" >&2; exit 1; }
  names+=("baseline sandbox" "baseline sandbox+limits")
  cmds+=("$BASE sandbox -- /bin/true" "$BASE sandbox --memory 256M --cpus 1 --pids 256 -- /bin/true")
fi
# Each must work, or the timings are of failures.
for c in "${cmds[@]}"; do
  $c </dev/null || { echo "sandbox.sh: '$c' fails; fix that first" >&2; exit 1; }
done

n=${#cmds[@]}
for ((r = 0; r < ROUNDS; r++)); do
  for ((k = 0; k < n; k++)); do
    i=$(((k + r) % n))
    hyperfine -N --warmup 1 --runs "$PER_ROUND" --export-json "$W/$i.$r.json" "${cmds[$i]}" >/dev/null
  done
done

python3 - "$W" "$ROUNDS" "${names[@]}" <<'EOF'
import json, statistics, sys
w, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times = {i: [] for i in range(len(names))}
for i in times:
    for r in range(rounds):
        with open(f"{w}/{i}.{r}.json") as f:
            times[i] += json.load(f)["results"][0]["times"]
base = statistics.median(times[0])
print(f"| command | runs | median (ms) | mean (ms) | min (ms) | vs bwrap |")
print(f"|---|---|---|---|---|---|")
for i, name in enumerate(names):
    t = times[i]
    med = statistics.median(t)
    print(f"| {name} | {len(t)} | {med * 1000:.1f} | {statistics.mean(t) * 1000:.1f} | {min(t) * 1000:.1f} | {med / base:.2f}x |")
EOF
