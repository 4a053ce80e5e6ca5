#!/usr/bin/env bats
# Linux process and filesystem setup: namespaces, ids, cwd, env, rlimits, mounts, /dev,
# --preserve-fds, --no-pivot, oomScoreAdj.

load helpers

teardown () {
  if [ -n "${NETNS:-}" ]; then ip netns del "$NETNS" 2>/dev/null || true; fi
  cellrun_teardown
}

# mount_line PATH: the container's mountinfo line for mount point PATH (run inside in_ct).
MOUNT_LINE='awk -v p="$0" '"'"'$5 == p'"'"' /proc/self/mountinfo'

@test "hostname and domainname are set in a new uts namespace" {
  cfg_set .hostname '"cellbox"'
  cfg_set .domainname '"example.test"'
  in_ct 'hostname; cat /proc/sys/kernel/domainname'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = cellbox ]
  [ "${lines[1]}" = example.test ]
  [ "$(hostname)" != cellbox ]
}

@test "pid namespace: the process is pid 1 and sees only its own processes" {
  in_ct 'echo $$; ls -d /proc/[0-9]* | wc -l'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  # sh and the ls pipeline itself; the host has far more
  [ "${lines[1]}" -le 4 ]
}

@test "network namespace: only lo, and it is up" {
  in_ct 'ls /sys/class/net; ip -o link show lo'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = lo ]
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" =~ [\<,]UP[,\>] ]]
}

@test "without a network namespace the host interfaces are visible" {
  cfg_ns_del network
  in_ct 'readlink /proc/self/ns/net'
  [ "$status" -eq 0 ]
  [ "$output" = "$(readlink /proc/self/ns/net)" ]
}

@test "joining a network namespace by path" {
  NETNS=$ID
  ip netns add "$NETNS"
  cfg_ns_set network "/var/run/netns/$NETNS"
  in_ct 'readlink /proc/self/ns/net'
  [ "$status" -eq 0 ]
  [ "$output" = "net:[$(stat -L -c %i "/var/run/netns/$NETNS")]" ]
}

@test "joining a namespace by a path that is not a namespace fails" {
  touch "$T/not-a-ns"
  cfg_ns_set network "$T/not-a-ns"
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  no_traces "$ID"
}

@test "ipc and mount namespaces are new" {
  in_ct 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/mnt'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" != "$(readlink /proc/self/ns/ipc)" ]
  [ "${lines[1]}" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "user namespace with id mappings" {
  cfg_ns_set user
  cfg_set .linux.uidMappings '[{"containerID":0,"hostID":200000,"size":65536}]'
  cfg_set .linux.gidMappings '[{"containerID":0,"hostID":200000,"size":65536}]'
  in_ct 'cat /proc/self/uid_map /proc/self/gid_map; id -u'
  [ "$status" -eq 0 ]
  [ "$(echo ${lines[0]})" = "0 200000 65536" ]
  [ "$(echo ${lines[1]})" = "0 200000 65536" ]
  [ "${lines[2]}" = 0 ]
}

@test "uid, gid, additionalGids and umask are applied" {
  cfg_set .process.user '{"uid":1000,"gid":1000,"additionalGids":[2000,3000],"umask":23}'
  in_ct 'id -u; id -g; id -G; umask; touch /tmp/f-$$ && stat -c %a /tmp/f-$$; rm -f /tmp/f-$$'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1000 ]
  for g in 1000 2000 3000; do [[ " ${lines[2]} " == *" $g "* ]]; done
  [ "${lines[3]}" = 0027 ]
}

@test "a numeric uid without a passwd entry works as given" {
  cfg_set .process.user '{"uid":4242,"gid":4343}'
  in_ct 'id -u; id -g; grep ^Groups: /proc/self/status'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 4242 ]
  [ "${lines[1]}" = 4343 ]
  # no supplementary groups leak in from the runtime
  [ "$(echo ${lines[2]})" = "Groups:" ] || [ "$(echo ${lines[2]})" = "Groups: 4343" ]
}

@test "cwd is the configured directory" {
  cfg_set .process.cwd '"/home/user"'
  in_ct 'pwd'
  [ "$status" -eq 0 ]
  [ "$output" = /home/user ]
}

@test "env is exactly the configured environment" {
  cfg_set .process.env '["PATH=/bin","GREETING=hello world","EMPTY="]'
  SECRET_TOKEN=host-secret in_ct 'echo "$GREETING"; env'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "hello world" ]
  assert_contains "$output" "EMPTY="
  [[ "$output" != *host-secret* ]]
  [[ "$output" != *SECRET_TOKEN* ]]
}

@test "rlimits: RLIMIT_NOFILE soft and hard" {
  cfg_set .process.rlimits '[{"type":"RLIMIT_NOFILE","soft":1234,"hard":20000}]'
  in_ct 'grep "Max open files" /proc/self/limits'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "Max open files 1234 20000 files" ]
}

@test "readonly root: writing to / fails" {
  cfg_set .root.readonly true
  in_ct 'touch /should-fail 2>&1; echo rc=$?'
  [ "$status" -eq 0 ]
  assert_contains "$output" "rc=1"
  assert_contains "$output" "Read-only file system"
  [ ! -e "$ROOTFS/should-fail" ]
}

@test "writable root when readonly is false" {
  private_rootfs
  cfg_set .root.readonly false
  in_ct 'echo data > /written && cat /written'
  [ "$status" -eq 0 ]
  [ "$output" = data ]
  [ "$(cat "$BUNDLE/rootfs/written")" = data ]
}

@test "tmpfs mount with size and mode options" {
  cfg_append .mounts '{"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","size=1m","mode=1770"]}'
  cfg_args sh -c 'stat -c %a /scratch; '"$MOUNT_LINE"'; echo x > /scratch/f && echo writable' /scratch
  run run_fg "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1770 ]
  assert_contains "${lines[1]}" " - tmpfs "
  assert_contains "${lines[1]}" "size=1024k"
  assert_contains "${lines[1]}" "nosuid"
  [ "${lines[2]}" = writable ]
}

@test "read-only bind mount: readable, not writable, host unchanged" {
  mkdir "$T/data"
  echo host-data > "$T/data/file"
  cfg_append .mounts "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/data\",\"options\":[\"rbind\",\"ro\"]}"
  in_ct 'cat /data/file; (echo new > /data/file) 2>/dev/null && echo wrote; touch /data/other 2>/dev/null && echo created; true'
  [ "$status" -eq 0 ]
  [ "$output" = host-data ]
  [ "$(cat "$T/data/file")" = host-data ]
  [ ! -e "$T/data/other" ]
}

@test "a bind mount of a single file" {
  echo one-file > "$T/single"
  cfg_append .mounts "{\"destination\":\"/etc/single\",\"type\":\"bind\",\"source\":\"$T/single\",\"options\":[\"bind\",\"ro\"]}"
  in_ct 'cat /etc/single'
  [ "$status" -eq 0 ]
  [ "$output" = one-file ]
}

@test "mount propagation options: rshared and rprivate" {
  mkdir "$T/a" "$T/b"
  cfg_append .mounts "{\"destination\":\"/shared\",\"type\":\"bind\",\"source\":\"$T/a\",\"options\":[\"rbind\",\"rshared\"]}"
  cfg_append .mounts "{\"destination\":\"/private\",\"type\":\"bind\",\"source\":\"$T/b\",\"options\":[\"rbind\",\"rprivate\"]}"
  cfg_args sh -c "$MOUNT_LINE"'; p=/private; awk -v p=$p '"'"'$5 == p'"'"' /proc/self/mountinfo' /shared
  run run_fg "$ID"
  [ "$status" -eq 0 ]
  assert_contains "${lines[0]}" " shared:"
  [[ "${lines[1]}" != *shared:* ]]
  [[ "${lines[1]}" != *master:* ]]
}

@test "mounts from the container do not propagate to the host" {
  cfg_set .root.readonly false
  private_rootfs
  mkdir -p "$BUNDLE/rootfs/inner"
  cfg_set .process.user '{"uid":0,"gid":0}'
  cfg_set .process.capabilities.bounding '["CAP_SYS_ADMIN"]'
  cfg_set .process.capabilities.effective '["CAP_SYS_ADMIN"]'
  cfg_set .process.capabilities.permitted '["CAP_SYS_ADMIN"]'
  in_ct 'mount -t tmpfs none /inner && echo mounted'
  [ "$status" -eq 0 ]
  [ "$output" = mounted ]
  if grep -F "$BUNDLE/rootfs/inner" /proc/self/mountinfo; then fail "the mount leaked to the host"; fi
}

@test "/dev has the standard nodes and links" {
  in_ct '
    for n in null zero full random urandom tty; do [ -c /dev/$n ] && echo "$n char"; done
    [ -c /dev/ptmx ] || [ "$(readlink /dev/ptmx)" = pts/ptmx ] && echo "ptmx ok"
    echo "fd $(readlink /dev/fd)"
    echo "stdin $(readlink /dev/stdin)"
    echo "stdout $(readlink /dev/stdout)"
    echo "stderr $(readlink /dev/stderr)"
    [ -d /dev/shm ] && echo "shm dir"
    [ -d /dev/pts ] && echo "pts dir"
    stat -c "null %t:%T %a" /dev/null
    stat -c "zero %t:%T" /dev/zero
    echo test > /dev/null && echo "null writable"
    head -c 4 /dev/zero | od -An -tx1
  '
  echo "$output" >&2
  [ "$status" -eq 0 ]
  for n in null zero full random urandom tty; do grep -qx "$n char" <<< "$output"; done
  grep -qx "ptmx ok" <<< "$output"
  grep -qx "fd /proc/self/fd" <<< "$output"
  grep -qx "stdin /proc/self/fd/0" <<< "$output"
  grep -qx "stdout /proc/self/fd/1" <<< "$output"
  grep -qx "stderr /proc/self/fd/2" <<< "$output"
  grep -qx "shm dir" <<< "$output"
  grep -qx "pts dir" <<< "$output"
  grep -qx "null 1:3 666" <<< "$output"
  grep -qx "zero 1:5" <<< "$output"
  grep -qx "null writable" <<< "$output"
  grep -q "00 00 00 00" <<< "$output"
}

@test "/dev holds no host devices beyond the defaults" {
  in_ct 'ls /dev'
  [ "$status" -eq 0 ]
  [[ "$output" != *vda* ]]
  [[ "$output" != *kmsg* ]]
  [[ "$output" != *mem$'\n'* ]]
}

@test "linux.devices creates the node with type, numbers, mode and owner" {
  cfg_append .linux.devices '{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":438,"uid":1000,"gid":1000}'
  cfg_append .linux.resources.devices '{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}'
  in_ct 'stat -c "%F %t:%T %a %u:%g" /dev/mynull; echo x > /dev/mynull && echo written'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1:3 666 1000:1000" ]
  [ "${lines[1]}" = written ]
}

@test "--preserve-fds passes fd 3 into the container" {
  echo through-fd-3 > "$T/fd3"
  cfg_args sh -c 'cat <&3; ls /proc/self/fd'
  run run_fg "$ID" --preserve-fds 1 3< "$T/fd3"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = through-fd-3 ]
}

@test "--no-pivot runs the container" {
  in_ct 'echo no-pivot-ok; ls /'
  cfg_args sh -c 'echo no-pivot-ok; [ -x /bin/busybox ] && echo has-rootfs'
  run run_fg "$ID" --no-pivot
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = no-pivot-ok ]
  [ "${lines[1]}" = has-rootfs ]
}

@test "oomScoreAdj is visible in /proc/self/oom_score_adj" {
  cfg_set .process.oomScoreAdj 123
  in_ct 'cat /proc/self/oom_score_adj'
  [ "$status" -eq 0 ]
  [ "$output" = 123 ]
}

@test "/proc and /sys are mounted, /proc is a fresh procfs" {
  in_ct 'grep -E " /proc | /sys " /proc/self/mountinfo | awk "{print \$5, \$9}"'
  [ "$status" -eq 0 ]
  grep -qx "/proc proc" <<< "$output"
  grep -qx "/sys sysfs" <<< "$output"
}

# console_receiver SOCKET OUT: accept one connection on SOCKET, take the pty master passed
# with SCM_RIGHTS, and copy what the container writes into OUT until it hangs up.
console_receiver () {
  "$PY" - "$1" "$2" <<'PYEOF' 3>&- &
import os, select, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
_, fds, _, _ = socket.recv_fds(conn, 4096, 4)
data = b"fds=%d\n" % len(fds)
deadline = time.time() + 15
while fds and time.time() < deadline:
    ready, _, _ = select.select([fds[0]], [], [], 0.5)
    if not ready:
        continue
    try:
        chunk = os.read(fds[0], 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
    if b"console-done" in data:
        break
open(out, "wb").write(data)
PYEOF
  RECEIVER=$!
}

@test "terminal: the pty master is sent to --console-socket and the process has a tty" {
  cfg_set .process.terminal true
  cfg_set .process.consoleSize '{"height":40,"width":100}'
  cfg_args sh -c 'tty; stty size; echo console-done; sleep 1'
  console_receiver "$T/console.sock" "$T/console.out"
  local i
  for i in $(seq 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
  run create_ct "$ID" --console-socket "$T/console.sock"
  [ "$status" -eq 0 ]
  cr start "$ID"
  wait "$RECEIVER"
  cat "$T/console.out" >&2
  grep -q '^fds=1' "$T/console.out"
  grep -q '/dev/pts/0' "$T/console.out"
  grep -q '40 100' "$T/console.out"
}

@test "terminal: true without --console-socket is refused by create" {
  cfg_set .process.terminal true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  no_traces "$ID"
}
