#!/usr/bin/env bats
# CVE-2019-5736 without re-executing the runtime (docs/security.md "Runtime binary"): `create`
# and `run` no longer move to a sealed copy of cellrun; the init execs the user's program through
# a tiny static trampoline run from a sealed memfd, so from the moment the container exists
# (created) /proc/<init>/exe is that memfd. Containers the trampoline cannot serve (a pid
# namespace shared or joined, startContainer hooks, an LSM exec label, a seccomp filter that
# might refuse the trampoline's syscalls) still get the sealed copy of the runtime. `exec` does
# its setup outside the container's pid namespace and starts the program through the trampoline,
# which forks it into that namespace (a terminal or an LSM label still take the sealed copy).
# Every test checks on the host that the binary (a copy) is untouched.

load helpers

runtime_copy () {
  cp "$CELLRUN" "$T/cellrun-copy"
  CELLRUN=$T/cellrun-copy
  SUM_BEFORE=$(sha256sum < "$CELLRUN")
}

# exe_of PID: "<readlink of /proc/PID/exe> sealed=<0|1> host=<0|1>": whether the file is a
# memfd with write, shrink, grow and seal seals, and whether it is the runtime binary itself
exe_of () {
  "$PY" - "$1" "$CELLRUN" <<'PY'
import fcntl, os, sys
pid, host = sys.argv[1], sys.argv[2]
path = "/proc/%s/exe" % pid
fd = os.open(path, os.O_RDONLY)
try:
    seals = fcntl.fcntl(fd, 1034)  # F_GET_SEALS
except OSError:
    seals = 0
a, b = os.fstat(fd), os.stat(host)
print("%s sealed=%d host=%d" % (os.readlink(path), int(seals & 0xf == 0xf), int((a.st_dev, a.st_ino) == (b.st_dev, b.st_ino))))
PY
}

@test "selfexe: a created init already runs from the sealed trampoline, non-dumpable, and starts as its user" {
  runtime_copy
  cfg_set .process.user '{"uid":1000,"gid":1000}'
  cfg_args sleep 100
  create_ct "$ID"
  local pid
  pid=$(cat "$T/$ID.pid")
  run exe_of "$pid"
  echo "$output"
  assert_contains "$output" "memfd:cellrun-trampoline"
  assert_contains "$output" "sealed=1 host=0"
  # non-dumpable: its private /proc files (fd/, not the world-readable pid directory) stay
  # root's although it runs as uid 1000 by now
  [ "$(stat -c %u "/proc/$pid/fd")" = 0 ] || fail "the created init is dumpable"
  [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 1000 ] || fail "identity not applied at create"
  # exec.fifo was given to the user, so the trampoline could open it: start works
  cr start "$ID"
  wait_status "$ID" running
  local i
  for i in $(seq 50); do [[ "$(readlink "/proc/$pid/exe")" == *busybox* ]] && break; sleep 0.1; done
  [[ "$(readlink "/proc/$pid/exe")" == *busybox* ]] || fail "the program did not start"
  [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 1000 ]
  cr delete -f "$ID"
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

@test "selfexe: a '#!/proc/self/exe' entrypoint reaches only the trampoline, which refuses to run" {
  runtime_copy
  private_rootfs
  printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  cfg_args /evil
  run -127 run_fg "$ID"
  echo "$output"
  assert_contains "$output" "cellrun-trampoline: not a program to run"
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

@test "selfexe: an exec'd '#!/proc/self/exe' program cannot reach the runtime binary" {
  runtime_copy
  private_rootfs
  printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  cfg_args sleep 100
  create_ct "$ID"
  cr start "$ID"
  local rc=0
  cr exec "$ID" /evil > "$T/exec.out" 2>&1 < /dev/null || rc=$?
  cat "$T/exec.out"
  [ "$rc" -ne 0 ] || fail "the script ran"
  cr delete -f "$ID"
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

# created_exe: create $ID (sleep) and print exe_of its init
created_exe () {
  cfg_args sleep 100
  create_ct "$ID" || return 1
  exe_of "$(cat "$T/$ID.pid")"
}

@test "selfexe: without a pid namespace of its own the container gets the sealed copy of the runtime" {
  runtime_copy
  cfg_ns_del pid
  run created_exe
  echo "$output"
  assert_contains "$output" "memfd:cellrun"
  refute_contains "$output" "trampoline"
  assert_contains "$output" "sealed=1 host=0"
  cr delete -f "$ID"
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

@test "selfexe: a seccomp filter that may refuse execveat gets the sealed copy, and the program runs" {
  runtime_copy
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execveat"],"action":"SCMP_ACT_ERRNO"}]}'
  run created_exe
  echo "$output"
  assert_contains "$output" "memfd:cellrun"
  refute_contains "$output" "trampoline"
  assert_contains "$output" "sealed=1 host=0"
  cr start "$ID"
  wait_status "$ID" running
  cr delete -f "$ID"
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

@test "selfexe: on a read-only mount the binary runs as it is, from the host file" {
  mkdir -p "$T/ro"
  cp "$CELLRUN" "$T/ro/cellrun"
  mount --bind "$T/ro" "$T/ro"
  mount -o remount,bind,ro "$T/ro"
  CELLRUN=$T/ro/cellrun
  local out rc=0
  out=$(created_exe) || rc=$?
  "$CELLRUN" --root "$ROOT" delete -f "$ID" > /dev/null 2>&1 || true
  umount "$T/ro"
  echo "$out"
  [ "$rc" -eq 0 ]
  assert_contains "$out" "sealed=0 host=1"
}

@test "selfexe: exec is not re-executed; its program is forked into the container by the trampoline" {
  runtime_copy
  cfg_args sleep 100
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" running
  local init
  init=$(cat "$T/$ID.pid")
  "$CELLRUN" --root "$ROOT" exec "$ID" sleep 5 < /dev/null > /dev/null 2>&1 &
  local rt=$! prog= i
  for i in $(seq 100); do
    prog=$(pgrep -P "$rt" -x sleep || true)
    [ -n "$prog" ] && break
    sleep 0.05
  done
  [ -n "$prog" ] || fail "the exec'd program never showed up as the runtime's child"
  # the runtime still is the host file (no sealed re-exec) and non-dumpable ...
  run exe_of "$rt"
  echo "runtime: $output"
  assert_contains "$output" "sealed=0 host=1"
  [ "$(stat -c %u "/proc/$rt/fd")" = 0 ] || fail "the runtime is dumpable"
  # ... it never joined the container's pid namespace, its program did
  [ "$(readlink "/proc/$rt/ns/pid")" = "$(readlink /proc/self/ns/pid)" ] || fail "the runtime is in another pid namespace"
  [ "$(readlink "/proc/$prog/ns/pid")" = "$(readlink "/proc/$init/ns/pid")" ] || fail "the program is not in the container's pid namespace"
  [ "$(awk '/^NSpid:/ {print NF - 1}' "/proc/$prog/status")" = 2 ]
  kill "$prog"
  wait "$rt" || true
  cr delete -f "$ID"
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

@test "selfexe: exec through the trampoline still sets oom_score_adj (written before it leaves our /proc)" {
  cfg_args sleep 100
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" running
  printf '%s\n' '{"args":["sh","-c","cat /proc/self/oom_score_adj"],"cwd":"/","env":["PATH=/bin"],"oomScoreAdj":500,"user":{"uid":0,"gid":0}}' > "$T/proc.json"
  run cr exec --process "$T/proc.json" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = 500 ]
  cr delete -f "$ID"
}
