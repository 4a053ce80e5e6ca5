#!/usr/bin/env bats
# Crash-safe create (issue 12): whatever instant create/run/exec dies at, `delete -f ID`
# removes everything it made. The trials live in tests/tools/crash_trials.py; each one
# kills the verb at a random moment spread over its measured duration, runs `delete -f`
# and checks that no process, cgroup (any hierarchy), mount or state dir is left.

load helpers

trials () {
  if [ "${CELLRUN_LONG:-0}" = 1 ]; then echo "${2:-$1}"; else echo "$1"; fi
}

crash_trials () {
  local mode=$1 n=$2
  cfg_args sleep 1000
  run "$PY" "$TESTS_DIR/tools/crash_trials.py" "$mode" "$CELLRUN" "$ROOT" "$BUNDLE" "$ROOTFS" "$ID" "$n"
  echo "$output" >&2
  mkdir -p "$LEAK_DIR"
  [ "$status" -eq 0 ] || fail "a SIGKILLed $mode left something behind"
}

@test "create SIGKILLed at random moments: delete -f leaves nothing, every trial" {
  crash_trials create "$(trials 30 150)"
}

@test "the container init SIGKILLed during create: delete -f leaves nothing" {
  crash_trials init "$(trials 10 50)"
}

@test "run SIGKILLed in the foreground: delete -f leaves nothing" {
  crash_trials run "$(trials 10 50)"
}

@test "exec SIGKILLed mid-way leaves no process in the container beyond the init and what it exec'd" {
  crash_trials exec "$(trials 15 60)"
}
