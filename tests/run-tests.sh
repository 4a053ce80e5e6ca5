#!/bin/bash
# Runs the C unit tests and the bats suites, then prints one summary line
# "N passed, N failed, N skipped". Exit status is non-zero if anything failed.
# Usage: tests/run-tests.sh [FILTER]  (FILTER is a regex on test file names)
# Env: CELLRUN (binary under test), BUILDDIR, CELLRUN_SKIP_INTEGRATION=1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
builddir=${BUILDDIR:-$(cd "$here/.." && pwd)}
export CELLRUN=${CELLRUN:-$builddir/cellrun}
export BUILDDIR=$builddir
filter=${1:-.}
passed=0 failed=0 skipped=0
failures=()

# count_tap LABEL: reads TAP on stdin, echoes it, updates the counters.  The producer appends a
# line "# exit N" with its exit status.  Besides every "not ok", one more failure is counted for
# LABEL when the producer exited non-zero although no test failed (a crash, an abort under a
# sanitizer, `exit 1` after the last test), or when the lines seen do not match its "1..N" plan
# (it died before the end) or it printed no plan at all.
count_tap () {
  local label=$1 line plan=-1 seen=0 rc=0 nok=0
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      "ok "*"# skip"*|"ok "*"# SKIP"*) skipped=$((skipped + 1)) seen=$((seen + 1)) ;;
      "ok "*) passed=$((passed + 1)) seen=$((seen + 1)) ;;
      "not ok "*) failed=$((failed + 1)) seen=$((seen + 1)) nok=$((nok + 1)); failures+=("$label: ${line#not ok }") ;;
      "# exit "*) rc=${line#\# exit } ;;
      1..*) [ "$plan" -lt 0 ] && plan=${line#1..} ;;
    esac
  done
  local why=
  if [ "$plan" -lt 0 ]; then why="no TAP plan (exit status $rc)"
  elif [ "$seen" -ne "$plan" ]; then why="planned $plan tests, saw $seen (exit status $rc)"
  elif [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then why="exit status $rc with no failed test"
  fi
  if [ -n "$why" ]; then
    echo "not ok - $label: $why"
    failed=$((failed + 1))
    failures+=("$label: $why")
  fi
}

echo "# lint: tests/lint-bats.py"
count_tap lint-bats < <(python3 "$here/lint-bats.py"; echo "# exit $?")

for t in "$builddir"/tests/unit/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.c|*.o) continue ;; esac
  [[ "$(basename "$t")" =~ $filter ]] || continue
  echo "# unit: $(basename "$t")"
  count_tap "$(basename "$t")" < <("$t" 2>&1; echo "# exit $?")
done

bats_files=()
# zz_* files check what the others left behind: they run after the integration and compat suites.
for f in $(ls "$here"/*.bats | grep -v '/zz_') "$here"/integration/*.bats "$here"/compat/*.bats $(ls "$here"/zz_*.bats 2>/dev/null); do
  [ -e "$f" ] || continue
  [[ "$(basename "$f")" =~ $filter ]] || continue
  case "$f" in */integration/*) [ "${CELLRUN_SKIP_INTEGRATION:-0}" = 1 ] && continue ;; esac
  bats_files+=("$f")
done
if [ ${#bats_files[@]} -gt 0 ]; then
  for f in "${bats_files[@]}"; do
    echo "# bats: $(basename "$f")"
    count_tap "$(basename "$f")" < <(bats --tap "$f" 2>&1; echo "# exit $?")
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "# failures:"
  printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
