#!/usr/bin/env bats
# Runtime hardening and the less common Linux features: each test tries the
# attack or uses the feature and checks the effect from inside the container.

load helpers

@test "seccomp notify: the listener gets the notify fd and the container state" {
  local sock=$T/listener.sock out=$T/listener.out
  "$PY" - "$sock" "$out" <<'PY' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
d = json.loads(msg)
open(sys.argv[2], "w").write(json.dumps({"fds": len(fds), "names": d.get("fds"), "pid": d.get("pid"),
                                          "meta": d.get("metadata"), "id": d["state"]["id"]}))
PY
  local listener=$!
  for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  cfg_set .linux.seccomp "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$sock\",\"listenerMetadata\":\"meta-1\",\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"
  cfg_args true
  run run_fg "$ID"
  wait "$listener"
  [ "$status" -eq 0 ]
  run cat "$out"
  echo "$output"
  [ "$(echo "$output" | json_get .fds)" = 1 ]
  [ "$(echo "$output" | json_get .meta)" = meta-1 ]
  [ "$(echo "$output" | json_get .id)" = "$ID" ]
  [ "$(echo "$output" | json_get .names)" = '["seccompFd"]' ]
}

@test "apparmorProfile on a host without AppArmor fails create clearly and leaves nothing" {
  [ ! -e /sys/kernel/security/apparmor ] || skip "AppArmor is enabled here"
  cfg_set .process.apparmorProfile '"cellrun-test"'
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "AppArmor is not enabled"
  no_traces "$ID"
}

@test "selinuxLabel on a host without SELinux fails create clearly" {
  [ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
  cfg_set .process.selinuxLabel '"system_u:system_r:container_t:s0"'
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "SELinux is not enabled"
  no_traces "$ID"
}

@test "time namespace: timeOffsets shift the boottime clock inside" {
  [ -e /proc/self/ns/time ] || skip "no time namespaces on this kernel"
  cfg_ns_set time
  cfg_set .linux.timeOffsets '{"boottime":{"secs":864000,"nanosecs":0}}'
  in_ct 'cut -d. -f1 /proc/uptime'
  [ "$status" -eq 0 ]
  [ "$output" -ge 864000 ]
  [ "$(cut -d. -f1 /proc/uptime)" -lt 864000 ] || skip "host uptime already above 10 days"
}

@test "cwd through a /proc magic link cannot leave the container root" {
  # Any fd the runtime still holds while it changes directory would be a door
  # to the host; every attempt must fail instead of starting the process.
  local n
  for n in 3 4 5 6 7 8 9 10; do
    cfg_set .process.cwd "\"/proc/self/fd/$n\""
    cfg_args sh -c 'pwd; ls'
    run run_fg "$ID-$n"
    echo "fd $n: status $status: $output"
    [ "$status" -ne 0 ]
    cr delete -f "$ID-$n" >/dev/null 2>&1 || true
  done
}

@test "a missing cwd is created inside the root" {
  private_rootfs
  cfg_set .root.readonly false
  cfg_set .process.cwd '"/work/new/dir"'
  in_ct pwd
  [ "$status" -eq 0 ]
  [ "$output" = /work/new/dir ]
  [ -d "$BUNDLE/rootfs/work/new/dir" ]
}

@test "writes meant for /proc never land in an image file when /proc is not procfs" {
  private_rootfs
  # no proc mount: the image's own /proc is an ordinary directory it controls
  "$PY" "$TESTS_DIR/cfgedit.py" "$BUNDLE/config.json" set .mounts \
    "$(cfg_get .mounts | "$PY" -c 'import json,sys; print(json.dumps([m for m in json.load(sys.stdin) if m["destination"] != "/proc"]))')"
  cfg_del .linux.maskedPaths
  cfg_del .linux.readonlyPaths
  mkdir -p "$BUNDLE/rootfs/proc/self"
  echo untouched > "$BUNDLE/rootfs/proc/self/oom_score_adj"
  cfg_set .root.readonly false
  cfg_set .process.oomScoreAdj 500
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "not on procfs"
  [ "$(cat "$BUNDLE/rootfs/proc/self/oom_score_adj")" = untouched ]
  no_traces "$ID"
}

@test "the created init is not dumpable and holds no host fds: exec cannot reach through /proc/1" {
  cfg_args sleep 100
  create_ct "$ID"
  # before start, pid 1 is still the runtime's init: its exe and fds must stay out of reach
  run cr exec "$ID" sh -c 'n=0; for f in /proc/1/exe /proc/1/cwd /proc/1/root /proc/1/fd/*; do readlink "$f" && n=$((n+1)); done; echo "readable=$n"; ls /proc/1/fd | wc -l'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "readable=0"
  # stdio, the sync socket, exec.fifo and the fd-table handle: nothing else of the host's
  [ "$(echo "$output" | tail -n 1)" -le 6 ]
  cr delete -f "$ID"
}

@test "each container gets its own session keyring named after it; --no-new-keyring keeps the caller's" {
  [ -r /proc/keys ] || skip "no /proc/keys"
  cfg_del .linux.maskedPaths
  cfg_args sh -c 'cat /proc/keys'
  run run_fg "$ID"
  [ "$status" -eq 0 ]
  assert_contains "$output" "keyring   $ID:"
  run run_fg "$ID2" --no-new-keyring
  [ "$status" -eq 0 ]
  [[ "$output" != *"$ID2:"* ]]
}

@test "rootfsPropagation private is applied to the container's root" {
  cfg_set .linux.rootfsPropagation '"private"'
  in_ct 'awk "\$5 == \"/\"" /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  [[ "$output" != *shared:* ]]
  [[ "$output" != *master:* ]]
}

@test "the init is in its cgroup in every hierarchy before the user's program runs" {
  # the runtime moves the init while it sets up its mounts; it must never get to exec first
  cfg_ns_del cgroup
  cfg_set .linux.cgroupsPath "\"/$ID\""
  in_ct 'cat /proc/self/cgroup'
  [ "$status" -eq 0 ]
  echo "$output"
  local lines_total lines_in
  lines_total=$(echo "$output" | grep -c .)
  lines_in=$(echo "$output" | grep -c ":/$ID\$")
  [ "$lines_total" -gt 0 ]
  [ "$lines_in" -eq "$lines_total" ]
}
