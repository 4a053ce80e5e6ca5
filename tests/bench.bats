#!/usr/bin/env bats
# bench/bench.sh --smoke: the start-up bench runs every group (run without and with cgroups,
# exec, create+start+delete, execs in a row, RSS, binary) and prints its tables and goals.
# The numbers of a smoke run mean nothing; that it works from a fresh build does.

load helpers

@test "bench/bench.sh --smoke measures every group against crun, runc and the floors" {
  for tool in hyperfine crun runc; do
    command -v "$tool" > /dev/null || skip "$tool not installed"
  done
  mkdir -p "$T/tmp"
  TMPDIR=$T/tmp run timeout -k 5 300 bash "$TESTS_DIR/../bench/bench.sh" --smoke
  echo "$output"
  [ "$status" -eq 0 ] || fail "bench.sh --smoke failed"
  local section
  for section in "no cgroups" "cgroupfs on this host's hierarchy" "into a running container" \
    "create; start; delete -f" "cellrun execs in a row" "peak RSS" "### binary" "### goals"; do
    assert_contains "$output" "$section"
  done
  # every measured group has a cellrun row with numbers, and the floors are there
  [ "$(grep -c '^| cellrun | [0-9]' <<< "$output")" -ge 4 ] || fail "missing cellrun rows"
  [ "$(grep -c '^| floor | [0-9]' <<< "$output")" -ge 2 ] || fail "missing floor rows"
  grep -q '^| crun | [0-9]' <<< "$output" || fail "missing crun rows"
  grep -q '^| runc | [0-9]' <<< "$output" || fail "missing runc rows"
  grep -q '^- run, no cgroups, / floor: [0-9.]* (limit 1.50)' <<< "$output" || fail "no goal lines"
  # it cleans up after itself
  [ -z "$(ls -A "$T/tmp")" ] || fail "left behind: $(ls -A "$T/tmp")"
}
