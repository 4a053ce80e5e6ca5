#!/usr/bin/env bats
# `cellrun sandbox` as an unprivileged user (docs/sandbox.md, "Unprivileged use"): a test user this
# file creates (unique name csb..., no home on disk but a temp one) and removes. The default root
# (host / read-only) through cellrun's own user namespace, the single-uid mapping, private /tmp,
# network none, overlay workspace, limits that cannot be enforced (warning, or 125 with
# --require-limits), the timeout, and SIGKILL of cellrun leaving nothing.

load helpers
load rootless_helpers
bats_require_minimum_version 1.5.0

# The test user: tests/rootless_helpers.bash, with no subordinate ranges (the sandbox's default
# is the single mapping of the caller's own ids).
setup_file () {
  RL_PREFIX=csb RL_NO_SUBIDS=1 rl_setup_file
  SB_SKIP=$RL_SKIP SB_USER=${RL_USER:-} SB_HOME=${RL_HOME:-} SB_UID=${RL_UID:-} SB_CELLRUN=${RL_CELLRUN:-}
  export SB_SKIP SB_USER SB_HOME SB_UID SB_CELLRUN
}

teardown_file () { rl_teardown_file; }

sb_user_pids () { rl_user_pids; }

setup () {
  [ -z "$SB_SKIP" ] || skip "$SB_SKIP"
  cellrun_setup
  chmod 755 "$CT_TMP"
  SBTMP=$T/tmpdir
  mkdir -p "$SBTMP" "$T/ws"
  chown "$SB_USER:" "$SBTMP" "$T/ws"
  chmod 700 "$SBTMP"
}

teardown () {
  [ -z "$SB_SKIP" ] || return 0
  cellrun_teardown
}

# usb [flags] [--] CMD...: cellrun sandbox as the test user, bounded, in its home.
usb () {
  (cd "$SB_HOME" && runuser -u "$SB_USER" -- env TMPDIR="$SBTMP" timeout -k 5 60 "$SB_CELLRUN" sandbox "$@" < /dev/null)
}

# nothing_left: within 3 s (after a SIGKILL of cellrun the watchdog needs a moment), no process
# of the user and an empty temp dir.
nothing_left () {
  local i
  for i in $(seq 30); do
    [ -z "$(sb_user_pids)" ] && [ -z "$(ls -A "$SBTMP")" ] && return 0
    sleep 0.1
  done
  [ -z "$(ls -A "$SBTMP")" ] || fail "temp dir left: $(ls -A "$SBTMP")" || return 1
  fail "processes of the user left: $(ps -o pid,args -u "$SB_USER")"
}

@test "unprivileged: the default root (host / read-only), the caller as container root (single mapping), private /tmp, only lo" {
  run usb -- sh -c 'id -u; cat /proc/self/uid_map; touch /usr/x 2>&1; ls -A /tmp | wc -l; grep -c : /proc/net/dev; echo pid=$$'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(sed -n 1p <<< "$output")" = 0 ] || fail "uid: $output"
  [ "$(echo $(sed -n 2p <<< "$output"))" = "0 $SB_UID 1" ] || fail "uid_map: $output"
  assert_contains "$output" "Read-only file system"
  [ "$(sed -n 4p <<< "$output")" = 0 ] || fail "/tmp not private: $output"
  [ "$(sed -n 5p <<< "$output")" = 1 ] || fail "network devices: $output"
  assert_contains "$output" "pid=1"
  nothing_left
}

@test "unprivileged: --rootfs, overlay workspace with --diff (host dir unchanged), --bind writes as the caller" {
  run usb --rootfs "$ROOTFS" -- sh -c 'ls /bin/busybox'
  [ "$status" -eq 0 ] || fail "$output"
  run usb --workspace "$T/ws:/tmp/w" --diff -- sh -c 'echo x > /tmp/w/f'
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "A f"
  [ ! -e "$T/ws/f" ] || fail "overlay wrote to the host"
  run usb --bind "$T/ws:/tmp/w" -- sh -c 'echo y > /tmp/w/g'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(stat -c %U "$T/ws/g")" = "$SB_USER" ] || fail "owner: $(stat -c %U "$T/ws/g")"
  nothing_left
}

@test "unprivileged: --collect copies a file out of the sandbox's private /tmp to the caller's dir" {
  run usb --collect /tmp/out.txt:"$T/ws/got.txt" -- sh -c 'echo collected > /tmp/out.txt'
  [ "$status" -eq 0 ] || fail "status $status: $output"
  [ "$(cat "$T/ws/got.txt")" = collected ] || fail "collected: $(cat "$T/ws/got.txt" 2>&1)"
  [ "$(stat -c %U "$T/ws/got.txt")" = "$SB_USER" ] || fail "owner: $(stat -c %U "$T/ws/got.txt")"
  nothing_left
}

@test "unprivileged: limits without a delegated cgroup warn (not enforced), or fail with --require-limits" {
  run usb --memory 64M -- echo ran
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "NOT enforced"
  assert_contains "$output" "ran"
  run usb --memory 64M --require-limits -- echo ran
  [ "$status" -eq 125 ] || fail "status $status: $output"
  refute_contains "$output" "ran"
  assert_contains "$output" "cellrun: sandbox: "
  nothing_left
}

@test "unprivileged: --timeout kills the tree (124) and SIGKILL of cellrun leaves nothing" {
  run usb --timeout 1 --result - -- sh -c 'sleep 30 & sleep 30 & sleep 30'
  [ "$status" -eq 124 ] || fail "status $status: $output"
  assert_contains "$output" '"timed_out":true'
  nothing_left
  (cd "$SB_HOME" && exec runuser -u "$SB_USER" -- env TMPDIR="$SBTMP" "$SB_CELLRUN" sandbox --workspace "$T/ws:/tmp/w" -- \
    sh -c 'sleep 300 & echo x > /tmp/w/f; sleep 300' < /dev/null > /dev/null 2>&1) &
  local i cr=
  for i in $(seq 50); do
    cr=$(ps -o pid=,args= -u "$SB_USER" | awk '$2 ~ /cellrun$/ && $3 == "sandbox" { print $1; exit }')
    [ -n "$cr" ] && [ "$(sb_user_pids | wc -l)" -ge 4 ] && break
    sleep 0.1
  done
  [ -n "$cr" ] || fail "no cellrun of the user"
  [ -n "$(ls -A "$SBTMP")" ] || fail "no temp dir while running"
  kill -9 "$cr"
  wait || true
  nothing_left
}
