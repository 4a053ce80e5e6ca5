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

# A killed exec's child must not go on into the container: only an exec that had reached the
# program may leave it (it is running, fully joined); before that the child dies with the runtime.
@test "exec SIGKILLed mid-way leaves no process in the container beyond the init and what it exec'd" {
  crash_trials exec "$(trials 30 100)"
}

@test "create with a size-capped workspace (tmpfs in the state dir) SIGKILLed at random moments: nothing left" {
  mkdir -p "$T/ws"
  annot run.cellrun.workspace "$T/ws:/work"
  annot run.cellrun.workspace.max-bytes 1M
  crash_trials create "$(trials 15 60)"
}

# In a user namespace the init changes its credentials, which clears the parent-death signal:
# it is armed again after (container_init.c). The bundle is runc's.
@test "create of a user-namespaced container (runc spec --rootless) SIGKILLed at random moments: nothing left" {
  command -v runc >/dev/null || skip "runc not installed"
  rm -f "$BUNDLE/config.json"
  (cd "$BUNDLE" && runc spec --rootless) || fail "runc spec --rootless"
  local map='[{"containerID":0,"hostID":100000,"size":65536}]'
  cfg_set .root.path "\"$ROOTFS\""
  cfg_set .process.terminal false
  cfg_set .linux.uidMappings "$map"
  cfg_set .linux.gidMappings "$map"
  cfg_set .process.capabilities.inheritable "$(cfg_get .process.capabilities.ambient)"
  crash_trials create "$(trials 15 60)"
}

# nothing_left ID: no process, cgroup, mount or state dir of ID (tests/tools/crash_trials.py check)
nothing_left () {
  run "$PY" "$TESTS_DIR/tools/crash_trials.py" check "$CELLRUN" "$ROOT" "$BUNDLE" "$ROOTFS" "$1" 0
  echo "$output" >&2
  [ "$status" -eq 0 ] || fail "container $1 left something behind"
}

# running_ct ID: a running `sleep` container with a size-capped workspace (a tmpfs to clean)
running_ct () {
  mkdir -p "$T/ws"
  annot run.cellrun.workspace "$T/ws:/work"
  annot run.cellrun.workspace.max-bytes 1M
  cfg_args sh -c 'sleep 1000 & exec sleep 1001'
  run_d "$1" || fail "run -d $1"
  [ -n "$(mounts_under "$ROOT/$1")" ] || fail "no workspace tmpfs under the state dir"
}

@test "truncated state.json of a running container: state says so in one line, delete -f cleans all" {
  running_ct "$ID"
  head -c 20 "$ROOT/$ID/state.json" > "$T/half" && cat "$T/half" > "$ROOT/$ID/state.json"
  run cr state "$ID"
  [ "$status" -ne 0 ]
  assert_error_line "$output"
  assert_contains "$output" "corrupt"
  run cr delete -f "$ID"
  [ "$status" -eq 0 ] || fail "delete -f: $output"
  nothing_left "$ID"
}

@test "missing state.json of a running container: state says so in one line, delete -f cleans all" {
  running_ct "$ID"
  rm "$ROOT/$ID/state.json"
  run cr state "$ID"
  [ "$status" -ne 0 ]
  assert_error_line "$output"
  assert_contains "$output" "delete --force"
  run cr delete -f "$ID"
  [ "$status" -eq 0 ] || fail "delete -f: $output"
  nothing_left "$ID"
}

@test "running container with neither state.json nor the intent record: delete -f still cleans all" {
  running_ct "$ID"
  rm "$ROOT/$ID/state.json"
  : > "$ROOT/$ID/intent.json"
  run cr delete -f "$ID"
  [ "$status" -eq 0 ] || fail "delete -f: $output"
  nothing_left "$ID"
}
