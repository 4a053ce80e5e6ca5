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

count_tap () {   # $1 = label; reads TAP on stdin, echoes it, updates counters
  local label=$1 line
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      "ok "*"# skip"*|"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
      "ok "*) passed=$((passed + 1)) ;;
      "not ok "*) failed=$((failed + 1)); failures+=("$label: ${line#not ok }") ;;
    esac
  done
}

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
    count_tap "$(basename "$f")" < <(bats --tap "$f" 2>&1)
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "# failures:"
  printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
