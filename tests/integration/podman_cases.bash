# Test bodies shared by podman.bats and podman_rootless.bats: each file keeps its own @test
# line, its own pm wrapper (root or the test user) and setup ($IMAGE, $C, $ENGINE_RUNTIME).
# shellcheck shell=bash

pm_case_exit_code () {
  pm_run "$IMAGE" sh -c 'exit 42'
  [ "$status" -eq 42 ]
  pm_run "$IMAGE" false
  [ "$status" -eq 1 ]
}

pm_case_env_workdir () {
  pm_run -e FOO=bar -e EMPTY= -w /tmp "$IMAGE" sh -c 'echo "$FOO|$EMPTY|$(pwd)"'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "bar||/tmp" ]
}

pm_case_read_only_tmpfs () {
  pm_run --read-only --tmpfs /scratch:size=1m "$IMAGE" sh -c \
    'touch /rootfile 2>/dev/null && echo root-writable; echo ok > /scratch/f && cat /scratch/f; grep " /scratch " /proc/mounts'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *root-writable* ]] || fail "the root is writable"
  assert_contains "$output" "ok"
  assert_contains "$output" "/scratch tmpfs"
}

pm_case_cap_drop_add () {
  pm_run --cap-drop ALL "$IMAGE" grep CapEff /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ CapEff:[[:space:]]+0000000000000000 ]]
  # CAP_NET_ADMIN is bit 12: 0x1000.
  pm_run --cap-drop ALL --cap-add NET_ADMIN "$IMAGE" grep CapEff /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ CapEff:[[:space:]]+0000000000001000 ]]
}

pm_case_detach_exec_stop_rm () {
  run pm run -d --name "$C" "$IMAGE" sleep 300
  echo "$output"
  [ "$status" -eq 0 ]
  run pm exec "$C" echo exec-ok
  [ "$status" -eq 0 ]
  [ "$output" = exec-ok ]
  run pm exec -u 1000:1000 -w /tmp -e XV=42 "$C" sh -c 'echo "$(id -u):$(id -g) $(pwd) $XV"'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "1000:1000 /tmp 42" ]
  run pm exec -t "$C" sh -c 'tty; [ -t 0 ] && echo stdin-is-tty'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "/dev/pts/"
  assert_contains "$output" "stdin-is-tty"
  run pm exec "$C" sh -c 'exit 3'
  [ "$status" -eq 3 ]
  run pm stop -t 2 "$C"
  [ "$status" -eq 0 ]
  run pm inspect -f '{{.State.Status}}' "$C"
  [ "$output" = exited ]
  run pm rm "$C"
  [ "$status" -eq 0 ]
  run pm ps -a -q
  [ -z "$output" ]
}

pm_case_run_tty () {
  pm_run -t "$IMAGE" sh -c 'tty; [ -t 1 ] && echo stdout-is-tty'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "/dev/pts/0"
  assert_contains "$output" "stdout-is-tty"
}

pm_case_run_stdin () {
  run bash -c "printf 'line one\nline two\n' | pm run --rm -i $IMAGE wc -l"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | tr -d ' ')" = 2 ]
}

pm_case_ps_inspect_top () {
  pm run -d --name "$C" "$IMAGE" sleep 300
  run pm ps --format '{{.Names}} {{.Status}}'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "$C Up"
  run pm inspect -f '{{.State.Running}} {{.OCIRuntime}}' "$C"
  echo "$output"
  [ "$output" = "true $ENGINE_RUNTIME" ]
  run pm top "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "sleep 300"
}

pm_case_kill_signals () {
  pm run -d --name "$C" "$IMAGE" sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done'
  wait_until 50 bash -c "pm logs $C 2>/dev/null | grep -q ready"
  run pm kill -s USR1 "$C"
  [ "$status" -eq 0 ]
  run pm wait "$C"
  echo "$output"
  [ "$output" = 7 ]
  run pm logs "$C"
  assert_contains "$output" got-usr1

  pm run -d --name "${C}k" "$IMAGE" sleep 300
  run pm kill "${C}k"
  [ "$status" -eq 0 ]
  run pm wait "${C}k"
  echo "$output"
  [ "$output" = 137 ]
}

pm_case_default_seccomp () {
  pm_run "$IMAGE" grep '^Seccomp:' /proc/self/status
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ Seccomp:[[:space:]]+2 ]]
  # swapoff is not in podman's default allowlist: refused with EPERM, not ENOENT.
  pm_run "$IMAGE" sh -c 'swapoff /nonexistent 2>&1; true'
  echo "$output"
  assert_contains "$output" "Operation not permitted"
}

pm_case_hostname_no_network () {
  pm_run --hostname cellbox --network=none "$IMAGE" sh -c 'hostname; ls /sys/class/net'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "cellbox
lo" ]
}

pm_case_init () {
  pm_run --init "$IMAGE" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo child-pid=$$'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "/run/podman-init"
  [[ "$output" != *"child-pid=1"* ]] || fail "the command is pid 1"
}

pm_case_logs_detached () {
  pm run -d --name "$C" "$IMAGE" sh -c 'echo out-line; echo err-line >&2'
  pm wait "$C"
  run pm logs "$C"
  echo "$output"
  assert_contains "$output" out-line
  assert_contains "$output" err-line
}

pm_case_restart () {
  pm run -d --name "$C" "$IMAGE" sh -c 'echo started; sleep 300'
  pid1=$(pm inspect -f '{{.State.Pid}}' "$C")
  run pm restart -t 1 "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  run pm inspect -f '{{.State.Running}} {{.State.Pid}}' "$C"
  echo "$output"
  [[ "$output" == "true "* ]]
  [ "${output#true }" != "$pid1" ]
  run pm logs "$C"
  [ "$(printf '%s\n' "$output" | grep -c started)" -eq 2 ]
}

# The caller makes $T/ws with a file "original" in it, owned by whoever runs the containers.
pm_case_strict_workspace () {
  run pm run --runtime cellrun-strict --rm --annotation "run.cellrun.workspace=$T/ws:/ws:overlay" "$IMAGE" sh -c \
    'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; echo changed > /ws/file; echo new > /ws/added; cat /ws/file; touch /rootfile 2>/dev/null && echo root-writable; ls /sys/class/net'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ CapEff:[[:space:]]+0000000000000000 ]]
  [[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
  [[ "$output" =~ Seccomp:[[:space:]]+2 ]]
  assert_contains "$output" changed
  [[ "$output" != *root-writable* ]] || fail "the root is writable under strict"
  # The host directory is untouched.
  [ "$(cat "$T/ws/file")" = original ]
  [ ! -e "$T/ws/added" ]
}

# The caller checks the mounts: where they would be left differs between the passes.
pm_case_rm_leaves_no_state () {
  pm_run --name "$C" "$IMAGE" true
  [ "$status" -eq 0 ]
  run pm ps -a -q
  [ -z "$output" ]
  # Every runtime state dir podman made is gone (ids are podman's 64-hex ids).
  run bash -c "ls $(runtime_root) 2>/dev/null | grep -E '^[0-9a-f]{64}$'"
  [ -z "$output" ]
}
