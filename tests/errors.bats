#!/usr/bin/env bats
# Every way a verb can be misused: each must fail with one `cellrun: <what>: <why>` line,
# a non-zero status, and (for create) leave no state, mount, cgroup or process behind.

load helpers

# create_fails ID: create must fail with a cellrun error line and leave nothing.
create_fails () {
  run create_ct "$1"
  [ "$status" -ne 0 ]
  assert_error_line
  no_traces "$1"
}

@test "create with a missing bundle directory fails and leaves nothing" {
  BUNDLE=$T/no-such-bundle
  create_fails "$ID"
  assert_contains "$output" "no-such-bundle"
}

@test "create with a missing rootfs fails and leaves nothing" {
  cfg_set .root.path "\"$T/no-such-rootfs\""
  create_fails "$ID"
  assert_contains "$output" "no-such-rootfs"
}

@test "create with invalid JSON fails and names config.json" {
  printf '{"ociVersion": "1.0.2", "process": {' > "$BUNDLE/config.json"
  create_fails "$ID"
  assert_contains "$output" "config.json"
}

@test "a wrongly typed field is reported with its JSON path (process.user.uid)" {
  cfg_set .process.user.uid '"zero"'
  create_fails "$ID"
  assert_contains "$output" "process.user.uid"
}

@test "a wrongly typed field is reported with its JSON path (process.args)" {
  cfg_set .process.args '"sh -c true"'
  create_fails "$ID"
  assert_contains "$output" "process.args"
}

@test "a negative uid is refused" {
  cfg_set .process.user.uid '-1'
  create_fails "$ID"
  assert_contains "$output" "process.user.uid"
}

@test "an invalid container id is refused" {
  run create_ct "../escape"
  [ "$status" -ne 0 ]
  assert_error_line
  [ ! -e "$CT_TMP/escape" ]
  run create_ct ""
  [ "$status" -ne 0 ]
}

@test "state, start, kill and delete of an unknown id fail and name the id" {
  local verb
  for verb in state start kill delete; do
    run cr $verb "$ID-unknown"
    echo "verb $verb: $output" >&2
    [ "$status" -ne 0 ]
    assert_error_line
    assert_contains "$output" "$ID-unknown"
  done
}

@test "a verb without an id is a usage error" {
  local verb
  for verb in create start state kill delete; do
    run cr $verb
    [ "$status" -ne 0 ]
    [ -n "$output" ]
  done
}

@test "an unknown verb or flag is an error" {
  run cr frobnicate
  [ "$status" -ne 0 ]
  run cr create --no-such-flag "$ID"
  [ "$status" -ne 0 ]
  no_traces "$ID"
}

@test "creating a duplicate id fails and keeps the first container" {
  cfg_args sleep 100
  create_ct "$ID"
  local pid
  pid=$(cat "$T/$ID.pid")
  run cr create --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "exists"
  [ "$(state_field "$ID" status)" = created ]
  [ "$(state_field "$ID" pid)" = "$pid" ]
}

@test "start twice: the second start fails" {
  cfg_args sleep 100
  create_ct "$ID"
  cr start "$ID"
  run cr start "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  [ "$(state_field "$ID" status)" = running ]
}

@test "start of a stopped container fails" {
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  run cr start "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
}

@test "delete of a running container fails without --force and works with it" {
  cfg_args sleep 100
  create_ct "$ID"
  cr start "$ID"
  local pid
  pid=$(cat "$T/$ID.pid")
  run cr delete "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  [ "$(state_field "$ID" status)" = running ]
  [ -d "/proc/$pid" ]
  run cr delete --force "$ID"
  [ "$status" -eq 0 ]
  no_traces "$ID"
}

@test "delete of a created container fails without --force" {
  cfg_args sleep 100
  create_ct "$ID"
  run cr delete "$ID"
  [ "$status" -ne 0 ]
  [ "$(state_field "$ID" status)" = created ]
}

@test "kill with an invalid signal fails and the container keeps running" {
  cfg_args sleep 100
  create_ct "$ID"
  cr start "$ID"
  local sig
  for sig in SIGNOPE NOPE 0x9 999 -9 SIG; do
    run cr kill "$ID" "$sig"
    echo "signal [$sig]: $output" >&2
    [ "$status" -ne 0 ]
  done
  [ "$(state_field "$ID" status)" = running ]
}

@test "kill of a stopped container fails" {
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  run cr kill "$ID" KILL
  [ "$status" -ne 0 ]
}

@test "args[0] not found: create or start fails clearly and nothing is left" {
  cfg_args /no/such/program
  run create_ct "$ID"
  if [ "$status" -ne 0 ]; then
    assert_error_line
    assert_contains "$output" "/no/such/program"
    no_traces "$ID"
  else
    run cr start "$ID"
    [ "$status" -ne 0 ]
    assert_error_line
    assert_contains "$output" "/no/such/program"
    cr delete --force "$ID" || true
    no_traces "$ID"
  fi
}

@test "run with args[0] not found fails with a clear error and nothing is left" {
  cfg_args no-such-program-xyz
  run run_fg "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "no-such-program-xyz"
  cr delete --force "$ID" 2>/dev/null || true
  no_traces "$ID"
}

@test "a failing create with a bind mount leaves no mount behind" {
  mkdir "$T/src"
  cfg_append .mounts "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/src\",\"options\":[\"rbind\"]}"
  cfg_append .mounts '{"destination":"/broken","type":"no-such-fs","source":"none"}'
  create_fails "$ID"
}

@test "a mount whose source does not exist fails create and leaves nothing" {
  cfg_append .mounts "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/missing-src\",\"options\":[\"rbind\"]}"
  create_fails "$ID"
  assert_contains "$output" "missing-src"
}

@test "a mount destination symlinked outside the rootfs never touches the host target" {
  private_rootfs
  mkdir -p "$T/host-target" "$T/src"
  echo original > "$T/host-target/marker"
  echo from-src > "$T/src/payload"
  # absolute and relative links that point at the host directory if resolved on the host
  ln -s "$T/host-target" "$BUNDLE/rootfs/evil-abs"
  ln -s "../../../../../../../../..$T/host-target" "$BUNDLE/rootfs/evil-rel"
  cfg_append .mounts "{\"destination\":\"/evil-abs\",\"type\":\"bind\",\"source\":\"$T/src\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_append .mounts '{"destination":"/evil-rel","type":"tmpfs","source":"tmpfs","options":["size=1m"]}'
  cfg_args sh -c 'touch /evil-abs/written /evil-rel/written 2>/dev/null; echo done'
  run run_fg "$ID"
  echo "run: status $status: $output" >&2
  cr delete --force "$ID" 2>/dev/null || true
  # the host directory still has exactly its marker, unchanged, and nothing is mounted on it
  [ "$(ls -A "$T/host-target")" = marker ]
  [ "$(cat "$T/host-target/marker")" = original ]
  if grep -F "$T/host-target" /proc/self/mountinfo; then fail "host-target is a mount point"; fi
  # and the source was not written through a redirected mount either
  [ "$(ls -A "$T/src")" = payload ] || [ "$status" -eq 0 ]
  no_traces "$ID"
}

@test "a failing create leaves no state dir, mount or process (summary check)" {
  cfg_set .root.path "\"$T/nope\""
  create_fails "$ID"
  create_fails "$ID"   # and the id can be retried: no stale lock or state
}
