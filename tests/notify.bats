#!/usr/bin/env bats
# NOTIFY_SOCKET (sd_notify), as a systemd Type=notify unit running
# `podman run --sdnotify=container` needs it: the caller of create has NOTIFY_SOCKET; the
# container gets /run/notify/notify.sock; what it sends reaches the caller's socket (played
# by tests/tools/notify_listener.py) until READY=1, with MAINPID = the init's host pid.
# The container sends with `sysprobe notify MSG` (busybox has no systemd-notify).

load helpers

setup () {
  cellrun_setup
  LPID=
  HOST_SOCK=$T/host.sock
}

teardown () {
  # the listener ends by itself (READY=1 or its timeout); a failed test stops it early
  if [ -n "${LPID:-}" ]; then kill "$LPID" 2>/dev/null || true; wait "$LPID" 2>/dev/null || true; fi
  cellrun_teardown
}


# start_listener [TIMEOUT]: bind $HOST_SOCK; returns once it is bound (it says so on a FIFO).
start_listener () {
  mkfifo "$T/bound"
  "$PY" "$TESTS_DIR/tools/notify_listener.py" "$HOST_SOCK" "$T/notify.out" "${1:-20}" > "$T/bound" &
  LPID=$!
  local line
  read -r line < "$T/bound"
  [ "$line" = bound ] || fail "listener did not bind $HOST_SOCK"
}

# wait_listener: the listener's exit status: 0 once it received READY=1, 2 on its timeout.
wait_listener () {
  local rc=0
  wait "$LPID" || rc=$?
  LPID=
  echo "listener got:" >&2; cat "$T/notify.out" >&2 2>/dev/null || true
  return $rc
}

# relay_pids ID: live relay processes left by a create of ID (their cmdline is create's).
relay_pids () {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = cellrun-notify ] || continue
    tr '\0' '\n' < "$p/cmdline" 2>/dev/null | grep -qFx -- "$1" && echo "${p#/proc/}"
  done
  return 0
}

# no_relay ID: every relay of ID is gone (within process_gone's 3 seconds).
no_relay () {
  local p
  for p in $(relay_pids "$1"); do
    process_gone "$p" || fail "relay $p of $1 still running"
  done
}

# runc_bundle: $BUNDLE from `runc spec` (read-only root, terminal, ambient caps) with its own
# copy of the rootfs, so /run/notify is made in a root that is read-only once running.
runc_bundle () {
  command -v runc >/dev/null || skip "runc not installed"
  BUNDLE=$T/runc
  mkdir -p "$BUNDLE"
  (cd "$BUNDLE" && runc spec)
  cp -a "$ROOTFS" "$BUNDLE/rootfs"
  [ "$(cfg_get .root.readonly)" = True ] || [ "$(cfg_get .root.readonly)" = true ]
  cfg_set .process.terminal false
  # ambient-not-inheritable (issue 10 item 1) is fixed separately; not what this file tests
  cfg_del .process.capabilities.ambient
}

@test "NOTIFY_SOCKET with a runc spec bundle: READY=1, STATUS and MAINPID reach the host socket" {
  have_sysprobe || skip "no sysprobe"
  runc_bundle
  [ ! -e "$BUNDLE/rootfs/run/notify" ]
  cfg_args sh -c 'echo "env $NOTIFY_SOCKET"; sysprobe notify "STATUS=booting"; sysprobe notify READY=1; exec sleep 60'
  start_listener
  NOTIFY_SOCKET=$HOST_SOCK run_d "$ID"
  wait_listener || fail "no READY=1 reached the host socket"
  local pid
  pid=$(cat "$T/$ID.pid")
  grep -Fx "STATUS=booting" "$T/notify.out" || fail "STATUS= not forwarded"
  grep -Fx "READY=1" "$T/notify.out" || fail "READY=1 not forwarded"
  grep -Fx "MAINPID=$pid" "$T/notify.out" || fail "MAINPID is not the init's host pid $pid"
  grep -Fx "env /run/notify/notify.sock" "$T/$ID.out" || fail "container's NOTIFY_SOCKET: $(cat "$T/$ID.out")"
  # the relay's job ends with READY=1
  no_relay "$ID"
  cr delete --force "$ID"
  no_traces "$ID"
  no_relay "$ID"
}

@test "NOTIFY_SOCKET is honoured at create: start without it (podman/conmon) still relays READY=1" {
  have_sysprobe || skip "no sysprobe"
  cfg_args sh -c 'sysprobe notify "$(printf "READY=1\nSTATUS=up")"; exec sleep 60'
  start_listener
  NOTIFY_SOCKET=$HOST_SOCK create_ct "$ID"
  # between create and start the relay waits, blocked on the socket
  [ -n "$(relay_pids "$ID")" ] || fail "no relay left by create"
  [ ! -s "$T/notify.out" ] || fail "something was sent before start"
  env -u NOTIFY_SOCKET "$CELLRUN" --root "$ROOT" start "$ID"
  wait_listener || fail "no READY=1 after start"
  grep -Fx "STATUS=up" "$T/notify.out"
  grep -Fx "MAINPID=$(cat "$T/$ID.pid")" "$T/notify.out"
  no_relay "$ID"
  cr delete --force "$ID"
  no_traces "$ID"
}

@test "NOTIFY_SOCKET: the container cannot name another MAINPID nor write into /run/notify" {
  have_sysprobe || skip "no sysprobe"
  cfg_args sh -c 'touch /run/notify/planted 2>/dev/null && echo planted; grep " /run/notify " /proc/self/mounts;
    sysprobe notify "$(printf "READY=1\nMAINPID=1\nBARRIER=1")"; exec sleep 60'
  start_listener
  NOTIFY_SOCKET=$HOST_SOCK run_d "$ID"
  wait_listener
  grep -Fx "MAINPID=$(cat "$T/$ID.pid")" "$T/notify.out"
  run grep -Ec '^(MAINPID=1|BARRIER=1)$' "$T/notify.out"
  [ "$output" = 0 ] || fail "a container-chosen field was forwarded"
  [ "$(grep -c '^MAINPID=' "$T/notify.out")" = 1 ]
  # read-only, and checked on the host side too
  grep -q planted "$T/$ID.out" && fail "the container wrote into /run/notify"
  [ ! -e "$ROOT/$ID/notify/planted" ] || fail "file planted in the host state dir"
  grep -E ' /run/notify [^ ]+ ro,nosuid,nodev,noexec' "$T/$ID.out" || fail "mount: $(cat "$T/$ID.out")"
  cr delete --force "$ID"
  no_traces "$ID"
}

@test "NOTIFY_SOCKET works for a non-root container user and in a user namespace" {
  have_sysprobe || skip "no sysprobe"
  # the init cannot search the 0700 state dir as a mapped root: the runtime mounts the socket dir
  cfg_ns_set user
  cfg_set .linux.uidMappings '[{"containerID":0,"hostID":200000,"size":65536}]'
  cfg_set .linux.gidMappings '[{"containerID":0,"hostID":200000,"size":65536}]'
  cfg_set .process.user '{"uid":1000,"gid":1000}'
  cfg_args sh -c 'id -u; sysprobe notify READY=1; exec sleep 60'
  start_listener
  NOTIFY_SOCKET=$HOST_SOCK run_d "$ID"
  wait_listener || fail "no READY=1 from uid 1000 in a user namespace: $(cat "$T/$ID.out")"
  grep -Fx 1000 "$T/$ID.out"
  grep -Fx "MAINPID=$(cat "$T/$ID.pid")" "$T/notify.out"
  cr delete --force "$ID"
  no_traces "$ID"
  no_relay "$ID"
}

@test "NOTIFY_SOCKET as an @abstract name is relayed from the host's network namespace" {
  have_sysprobe || skip "no sysprobe"
  # the container has its own network namespace: only the relay can reach this name
  HOST_SOCK=@cellrun-test-notify-$ID
  cfg_args sh -c 'sysprobe notify READY=1; exec sleep 60'
  start_listener
  NOTIFY_SOCKET=$HOST_SOCK run_d "$ID"
  wait_listener || fail "no READY=1 on $HOST_SOCK"
  grep -Fx "MAINPID=$(cat "$T/$ID.pid")" "$T/notify.out"
  cr delete --force "$ID"
  no_traces "$ID"
  no_relay "$ID"
}

@test "NOTIFY_SOCKET: a container that exits without READY=1 leaves no relay; what it sent still arrives" {
  have_sysprobe || skip "no sysprobe"
  cfg_args sh -c 'sysprobe notify "STATUS=giving up"'
  start_listener 5
  NOTIFY_SOCKET=$HOST_SOCK run run_fg "$ID"
  [ "$status" -eq 0 ] || fail "run: $output"
  no_relay "$ID"
  no_traces "$ID"
  local rc=0
  wait_listener || rc=$?
  [ "$rc" -eq 2 ] || fail "listener: status $rc (READY=1 must not be invented)"
  grep -Fx "STATUS=giving up" "$T/notify.out"
  run grep -c '^READY=1$' "$T/notify.out"
  [ "$output" = 0 ]
}

@test "NOTIFY_SOCKET: delete of a created container ends the relay and leaves nothing" {
  cfg_args sleep 60
  start_listener 5
  NOTIFY_SOCKET=$HOST_SOCK create_ct "$ID"
  [ -n "$(relay_pids "$ID")" ] || fail "no relay left by create"
  [ -S "$ROOT/$ID/notify/notify.sock" ]
  cr delete --force "$ID"
  no_relay "$ID"
  no_traces "$ID"
}

@test "without NOTIFY_SOCKET there is no /run/notify, no variable and no relay" {
  env -u NOTIFY_SOCKET "$CELLRUN" --root "$ROOT" create --bundle "$BUNDLE" "$ID" > /dev/null 2>&1 < /dev/null
  [ ! -e "$ROOT/$ID/notify" ] || fail "notify dir made without NOTIFY_SOCKET"
  [ -z "$(relay_pids "$ID")" ] || fail "relay started without NOTIFY_SOCKET"
  cr delete --force "$ID"
  cfg_args sh -c 'echo "env [$NOTIFY_SOCKET]"; grep -c " /run/notify " /proc/self/mounts'
  run env -u NOTIFY_SOCKET "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "${lines[0]}" = "env []" ] || fail "output: $output"
  [ "${lines[1]}" = 0 ] || fail "output: $output"
  no_traces "$ID"
}

@test "NOTIFY_SOCKET that is not an absolute path or @name: one error line, no state dir" {
  NOTIFY_SOCKET=relative.sock run create_ct "$ID"
  [ "$status" -ne 0 ] && [ "$status" -lt 124 ]
  [ "${#lines[@]}" -eq 1 ] || fail "lines: $output"
  assert_error_line
  assert_contains "$output" "NOTIFY_SOCKET relative.sock"
  no_traces "$ID"
}
