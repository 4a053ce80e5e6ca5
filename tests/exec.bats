#!/usr/bin/env bats
# `cellrun exec`: the new process joins every namespace and the cgroup of a running container,
# gets the security settings of the container's process (or of --process FILE) with the flags
# applied, and the CLI behaves like a foreground process: exit status, signals, stdio, no leaks.

load helpers

TOOLS=$BATS_TEST_DIRNAME/tools

# start_ct [ID]: a detached container running a long sleep; INIT is its host pid.
start_ct () {
  local id=${1:-$ID}
  cfg_args sleep 300
  run_d "$id"
  INIT=$(cat "$T/$id.pid")
  [ -d "/proc/$INIT" ]
}

# ex FLAGS... ID CMD...: `cellrun exec` with a time limit.
ex () { timeout -k 2 20 "$CELLRUN" --root "$ROOT" exec "$@"; }

NS_TYPES="cgroup ipc mnt net pid uts user time"

# ns_of_host PID: "type inode" lines for PID's namespaces, read on the host.
ns_of_host () {
  local n
  for n in $NS_TYPES; do
    [ -e "/proc/$1/ns/$n" ] && echo "$n $(readlink "/proc/$1/ns/$n")"
  done
}
NS_SCRIPT='for n in '"$NS_TYPES"'; do [ -e /proc/self/ns/$n ] && echo "$n $(readlink /proc/self/ns/$n)"; done'

# host_cgroup_procs_have PID REF: every cgroup.procs of REF's cgroups (v1 controllers and the
# v2 tree) that exists on the host lists PID; at least one does.
host_cgroup_procs_have () {
  local pid=$1 ref=$2 h ctrl path dir found=0
  while IFS=: read -r h ctrl path; do
    case "$ctrl" in
      '') dirs="/sys/fs/cgroup$path /sys/fs/cgroup/unified$path" ;;
      name=*) dirs="/sys/fs/cgroup/${ctrl#name=}$path" ;;
      *) dirs="/sys/fs/cgroup/$ctrl$path" ;;
    esac
    for dir in $dirs; do
      [ -f "$dir/cgroup.procs" ] || continue
      # the v2 root of a hybrid host also has cgroup.procs: only count the container's directory
      [ "$path" = / ] && continue
      grep -qx "$pid" "$dir/cgroup.procs" || { echo "$pid not in $dir/cgroup.procs" >&2; return 1; }
      found=1
    done
  done < "/proc/$ref/cgroup"
  [ "$found" = 1 ] || { echo "no cgroup.procs found for $ref" >&2; return 1; }
}

# ------------------------------------------------------------------ namespaces and cgroup

@test "exec joins every namespace of the container" {
  start_ct
  run ex "$ID" sh -c "$NS_SCRIPT"
  [ "$status" -eq 0 ]
  [ "$output" = "$(ns_of_host "$INIT")" ]
  # and they really are the container's, not ours
  [ "$(readlink "/proc/$INIT/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
  [ "$(readlink "/proc/$INIT/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
}

@test "exec joins the user namespace when the bundle has one" {
  cfg_ns_set user
  cfg_set .linux.uidMappings '[{"containerID":0,"hostID":200000,"size":65536}]'
  cfg_set .linux.gidMappings '[{"containerID":0,"hostID":200000,"size":65536}]'
  start_ct
  [ "$(readlink "/proc/$INIT/ns/user")" != "$(readlink /proc/self/ns/user)" ]
  run ex "$ID" sh -c "$NS_SCRIPT; cat /proc/self/uid_map; id -u"
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | head -n -2)" = "$(ns_of_host "$INIT")" ]
  [ "$(echo ${lines[${#lines[@]}-2]})" = "0 200000 65536" ]
  [ "${lines[${#lines[@]}-1]}" = 0 ]
}

@test "exec joins the container's cgroup (its own view and the host's cgroup.procs)" {
  start_ct
  run ex "$ID" sh -c 'cat /proc/self/cgroup; echo --; cat /proc/1/cgroup'
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | sed '/^--$/,$d')" = "$(printf '%s\n' "$output" | sed '1,/^--$/d')" ]
  ex -d --pid-file "$T/exec.pid" "$ID" sleep 30
  local pid
  pid=$(cat "$T/exec.pid")
  [ "$(cat "/proc/$pid/cgroup")" = "$(cat "/proc/$INIT/cgroup")" ]
  host_cgroup_procs_have "$pid" "$INIT"
  [ "$(cat "/proc/$pid/cgroup")" != "$(cat /proc/self/cgroup)" ]
}

# ------------------------------------------------------------------ the container's process settings

@test "exec gets the container's capabilities, rlimits, NoNewPrivs and user" {
  cfg_set .process.capabilities '{"bounding":["CAP_KILL","CAP_CHOWN"],"effective":["CAP_KILL","CAP_CHOWN"],"permitted":["CAP_KILL","CAP_CHOWN"]}'
  cfg_set .process.rlimits '[{"type":"RLIMIT_NOFILE","hard":777,"soft":555}]'
  cfg_set .process.noNewPrivileges true
  start_ct
  run ex "$ID" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status; ulimit -Sn; ulimit -Hn; id -u'
  [ "$status" -eq 0 ]
  [ "$(grep CapEff <<< "$output" | awk '{print $2}')" = "$(grep CapEff "/proc/$INIT/status" | awk '{print $2}')" ]
  [ "$(grep CapBnd <<< "$output" | awk '{print $2}')" = "$(grep CapBnd "/proc/$INIT/status" | awk '{print $2}')" ]
  # CAP_CHOWN (0) and CAP_KILL (5)
  [ "$(grep CapEff <<< "$output" | awk '{print $2}')" = 0000000000000021 ]
  assert_contains "$output" "NoNewPrivs:	1"
  [ "${lines[3]}" = 555 ]
  [ "${lines[4]}" = 777 ]
  [ "${lines[5]}" = 0 ]
}

@test "exec gets the container's seccomp filter" {
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_AARCH64"],"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
  start_ct
  [ "$(awk '/^Seccomp:/ {print $2}' "/proc/$INIT/status")" = 2 ]
  run ex "$ID" sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/blocked && echo made'
  [ "$status" -ne 0 ]
  assert_contains "$output" "Seccomp:	2"
  refute_contains "$output" made
}

@test "exec without -u or --cwd runs as the container's user in its cwd" {
  cfg_set .process.user '{"uid":1000,"gid":1000,"additionalGids":[2000]}'
  cfg_set .process.cwd '"/home/user"'
  start_ct
  run ex "$ID" sh -c 'id; pwd'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "uid=1000(user) gid=1000(user) groups=2000(extra)" ]
  [ "${lines[1]}" = /home/user ]
}

# ------------------------------------------------------------------ one test per flag

@test "exec -e adds to the environment and overrides same-name values" {
  cfg_set .process.env '["PATH=/usr/bin:/bin","KEEP=kept","OVER=old"]'
  start_ct
  run ex -e OVER=new -e ADDED=yes --env EQ=a=b "$ID" env
  [ "$status" -eq 0 ]
  grep -qx KEEP=kept <<< "$output"
  grep -qx OVER=new <<< "$output"
  if grep -qx OVER=old <<< "$output"; then fail "OVER=old survived the override"; fi
  grep -qx ADDED=yes <<< "$output"
  grep -qx EQ=a=b <<< "$output"
  grep -qx PATH=/usr/bin:/bin <<< "$output"
  [ "$(grep -c '^OVER=' <<< "$output")" = 1 ]
  run ex -e NOEQUALS "$ID" true
  [ "$status" -ne 0 ]
}

@test "exec --cwd sets the working directory" {
  start_ct
  run ex --cwd /home/user "$ID" pwd
  [ "$status" -eq 0 ]
  [ "$output" = /home/user ]
  run ex --cwd /does/not/exist "$ID" pwd
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" /does/not/exist
}

@test "exec -u UID[:GID] and -g GID set the user and groups" {
  start_ct
  run ex -u 1000 "$ID" sh -c 'id -u; id -g'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  run ex --user 1000:2000 -g 3000 --additional-gids 4000 "$ID" sh -c 'id -u; id -g; id -G'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 2000 ]
  # id -G lists the primary group too
  [ "$(tr ' ' '\n' <<< "${lines[2]}" | sort -n | tr '\n' ' ')" = "2000 3000 4000 " ]
  run ex -u notanumber "$ID" true
  [ "$status" -ne 0 ]
}

@test "exec -c adds a capability" {
  start_ct
  run ex "$ID" awk '/^CapEff:/ {print $2}' /proc/self/status
  [ "$status" -eq 0 ]
  local before=$output
  run ex -c CAP_SYS_ADMIN --cap CAP_NET_RAW "$ID" awk '/^(CapEff|CapBnd):/ {print $2}' /proc/self/status
  [ "$status" -eq 0 ]
  [ "$before" != "${lines[0]}" ]
  # CAP_SYS_ADMIN is bit 21, CAP_NET_RAW bit 13
  (( (0x${lines[0]} >> 21) & 1 ))
  (( (0x${lines[0]} >> 13) & 1 ))
  (( (0x${lines[1]} >> 21) & 1 ))
}

@test "exec --no-new-privs sets NoNewPrivs for a container without it" {
  cfg_set .process.noNewPrivileges false
  start_ct
  run ex "$ID" grep NoNewPrivs /proc/self/status
  [ "$output" = "NoNewPrivs:	0" ]
  run ex --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = "NoNewPrivs:	1" ]
}

@test "exec leaks no host fd: the process has 0 1 2 only" {
  start_ct
  # the test runner itself holds extra fds (bats uses 3); add some on purpose
  exec 7< "$BUNDLE/config.json" 8> "$T/extra"
  # `; true` keeps sh from exec'ing ls, whose own directory fd would show up
  run ex "$ID" sh -c 'ls /proc/$$/fd; true'
  exec 7<&- 8>&-
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "0 1 2" ]
}

@test "exec --preserve-fds N passes fds 3..3+N-1 and nothing more" {
  start_ct
  echo preserved-three > "$T/f3"
  echo preserved-four > "$T/f4"
  echo not-passed > "$T/f5"
  run ex --preserve-fds 2 "$ID" sh -c 'ls /proc/$$/fd; cat <&3; cat <&4' 3< "$T/f3" 4< "$T/f4" 5< "$T/f5"
  [ "$status" -eq 0 ]
  [ "$(echo ${lines[@]:0:5})" = "0 1 2 3 4" ]
  [ "${lines[5]}" = preserved-three ]
  [ "${lines[6]}" = preserved-four ]
  run ex --preserve-fds notanumber "$ID" true
  [ "$status" -ne 0 ]
}

@test "exec --apparmor and --process-label are applied or refused, never ignored" {
  start_ct
  run ex --apparmor cellrun-test-profile "$ID" true
  if [ -e /sys/kernel/security/apparmor ]; then
    # the profile does not exist: applying it must fail
    [ "$status" -ne 0 ]
  else
    [ "$status" -ne 0 ]
    assert_error_line
    assert_contains "$output" "AppArmor"
  fi
  run ex --process-label system_u:system_r:container_t:s0 "$ID" true
  if [ ! -e /sys/fs/selinux/enforce ]; then
    [ "$status" -ne 0 ]
    assert_error_line
    assert_contains "$output" "SELinux"
  fi
}

# ------------------------------------------------------------------ exit status and signals

@test "foreground exec returns the exit status, and 128+N for signal N" {
  start_ct
  run ex "$ID" sh -c 'exit 42'
  [ "$status" -eq 42 ]
  run ex "$ID" true
  [ "$status" -eq 0 ]
  run ex "$ID" sh -c 'kill -KILL $$'
  [ "$status" -eq 137 ]
  run ex "$ID" sh -c 'kill -TERM $$'
  [ "$status" -eq 143 ]
  run ex "$ID" /no/such/program
  [ "$status" -ne 0 ]
  assert_contains "$output" /no/such/program
}

@test "signals sent to a foreground exec are forwarded to its process" {
  start_ct
  # started directly (no timeout wrapper) so that $! is the cellrun exec process itself
  "$CELLRUN" --root "$ROOT" exec "$ID" \
    sh -c 'trap "echo got-usr1" USR1; trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
    > "$T/fg.out" 2>&1 < /dev/null &
  local ep=$! rc=0
  echo "$ep" > "$T/fg-cli.pid"
  wait_for_file "$T/fg.out"
  grep -qx ready "$T/fg.out"
  kill -USR1 "$ep"
  for i in $(seq 30); do grep -q got-usr1 "$T/fg.out" && break; sleep 0.1; done
  kill -TERM "$ep"
  for i in $(seq 30); do kill -0 "$ep" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$ep" 2>/dev/null; then kill -9 "$ep" 2>/dev/null || true; fi
  wait "$ep" || rc=$?
  cat "$T/fg.out"
  grep -qx got-usr1 "$T/fg.out"
  grep -qx got-term "$T/fg.out"
  [ "$rc" -eq 7 ]
}

@test "exec --detach writes the pid file and returns while the process runs" {
  start_ct
  local t0 t1
  t0=$(date +%s%N)
  # not under `run`: it would wait for the detached process to close the output pipe
  ex -d --pid-file "$T/det.pid" "$ID" sh -c 'sleep 2; echo done > /dev/shm/detached; sleep 30' > "$T/det.out" 2>&1
  t1=$(date +%s%N)
  (( (t1 - t0) / 1000000 < 1500 ))
  local pid
  pid=$(cat "$T/det.pid")
  [ "$pid" -gt 1 ]
  [ -d "/proc/$pid" ]
  [ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$INIT/ns/pid")" ]
  for i in $(seq 50); do ex "$ID" test -s /dev/shm/detached && break; sleep 0.1; done
  run ex "$ID" cat /dev/shm/detached
  [ "$output" = done ]
  kill -9 "$pid"
}

# ------------------------------------------------------------------ containers exec cannot use

@test "exec into an unknown container fails clearly" {
  run ex "$ID-missing" true
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "$ID-missing"
}

@test "exec into a stopped container fails clearly" {
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  run ex "$ID" true
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" stopped
}

@test "exec into a paused container fails clearly" {
  start_ct
  cr pause "$ID" || skip "pause not available here"
  run ex "$ID" true
  cr resume "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" paused
  run ex "$ID" true
  [ "$status" -eq 0 ]
}

@test "exec after the container's init exited fails clearly" {
  start_ct
  kill -9 "$INIT"
  process_gone "$INIT"
  run ex "$ID" true
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "$ID"
}

@test "exec without a command or with a bad flag is a usage error" {
  start_ct
  run ex "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "cellrun"
  run ex --no-such-flag "$ID" true
  [ "$status" -ne 0 ]
}

# ------------------------------------------------------------------ terminals and --process

@test "exec -t with a console socket sends the pty master; exit status is returned" {
  start_ct
  "$PY" "$TOOLS/console_recv.py" "$T/console.sock" "$T/console.out" &
  local recv=$!
  for i in $(seq 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
  run ex -t --console-socket "$T/console.sock" "$ID" sh -c 'tty; echo via-console; exit 5'
  [ "$status" -eq 5 ]
  wait "$recv"
  grep -qx via-console "$T/console.out"
  grep -Eqx '/dev/pts/[0-9]+' "$T/console.out"
  grep -Eqx 'pts [0-9]+' "$T/console.out.info"
}

@test "exec -t -d with a console socket returns at once; the pty carries the output" {
  start_ct
  "$PY" "$TOOLS/console_recv.py" "$T/console.sock" "$T/console.out" &
  local recv=$!
  for i in $(seq 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
  run ex -t -d --console-socket "$T/console.sock" --pid-file "$T/ttyd.pid" "$ID" sh -c 'sleep 0.5; tty; echo detached-tty'
  [ "$status" -eq 0 ]
  [ -s "$T/ttyd.pid" ]
  wait "$recv"
  grep -qx detached-tty "$T/console.out"
  run ex -t -d "$ID" true
  [ "$status" -ne 0 ]
  assert_contains "$output" console-socket
}

@test "exec --process FILE applies args, env, cwd, user, capabilities and noNewPrivileges" {
  cfg_set .process.noNewPrivileges false
  start_ct
  cat > "$T/process.json" <<'EOF'
{
  "terminal": false,
  "args": ["sh", "-c", "echo $A $B; pwd; id; grep -E '^(CapEff|NoNewPrivs):' /proc/self/status; ulimit -Sn"],
  "env": ["PATH=/bin", "A=one", "B=two"],
  "cwd": "/tmp",
  "user": {"uid": 0, "gid": 2000, "additionalGids": [1000]},
  "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]},
  "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 300, "soft": 200}],
  "noNewPrivileges": true
}
EOF
  run ex -p "$T/process.json" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "one two" ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = "uid=0(root) gid=2000(extra) groups=1000(user)" ]
  [ "${lines[3]}" = "CapEff:	0000000000000001" ]
  [ "${lines[4]}" = "NoNewPrivs:	1" ]
  [ "${lines[5]}" = 200 ]
  # flags still apply on top of the file
  run ex --process "$T/process.json" -e B=three --cwd /home -u 1000:1000 "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "one three" ]
  [ "${lines[1]}" = /home ]
  assert_contains "${lines[2]}" "uid=1000(user) gid=1000(user)"
  # a broken file is an error that names it
  echo '{"args": [' > "$T/bad.json"
  run ex -p "$T/bad.json" "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  run ex -p "$T/missing.json" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" missing.json
}

# ------------------------------------------------------------------ stdio

@test "exec passes stdin through pipes, stdout and stderr stay separate" {
  start_ct
  printf 'one\ntwo\n' | ex "$ID" sh -c 'cat; echo to-stderr >&2' > "$T/out" 2> "$T/err"
  [ "$(cat "$T/out")" = "$(printf 'one\ntwo')" ]
  [ "$(cat "$T/err")" = to-stderr ]
}

@test "exec with a closed stdin: the process sees EOF or EBADF and does not hang" {
  start_ct
  # not under `run`: bash would put the read end of run's own output pipe on the closed fd 0
  local rc=0
  ex "$ID" sh -c 'cat; echo cat-done' <&- > "$T/closed.out" 2>&1 || rc=$?
  cat "$T/closed.out"
  [ "$rc" -eq 0 ]
  grep -qx cat-done "$T/closed.out"
  run ex "$ID" sh -c 'cat; echo cat-done' < /dev/null
  [ "$status" -eq 0 ]
  [ "$output" = cat-done ]
}

# Regression (podman rootless, the ASan build hung): exec -d -t by a runtime that is root in a
# user namespace of its own (rootless) into a container with a pid namespace and no user
# namespace of its own. exec -t takes the sealed-copy path, which joins the container's pid
# namespace only for the forked child; rootless, the runtime cannot setns back to its own pid
# namespace, so it must never enter the container's itself: a later child (LeakSanitizer's
# tracer at exit under ASan) would land there, see no parent and leave the runtime spinning.
@test "rootless exec -t -d with a console socket into a pid namespace: returns, the runtime's own pid namespace is never left" {
  unshare -U -r true 2>/dev/null || skip "no user namespace for root"
  mkdir -p "$T/ur"
  cfg_args sleep 300
  cfg_del .linux.resources
  cfg_del .linux.cgroupsPath
  # gid 5 is not mapped in a user namespace of one id: devpts without it.
  "$PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))
for m in c["mounts"]:
    m["options"] = [o for o in m.get("options", []) if o != "gid=5"]
json.dump(c, open(sys.argv[1], "w"))' "$(CFG_FILE)"
  "$PY" "$TOOLS/console_recv.py" "$T/console.sock" "$T/console.out" &
  local recv=$!
  for i in $(seq 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
  run timeout -k 2 40 unshare -U -r -- sh -c '
    c=$1 ur=$2 b=$3 t=$4
    "$c" --root "$ur" run -d --bundle "$b" --pid-file "$t/init.pid" ct < /dev/null > "$t/run.out" 2>&1 || { cat "$t/run.out"; exit 90; }
    "$c" --root "$ur" --debug exec -t -d --console-socket "$t/console.sock" --pid-file "$t/x.pid" ct sh -c "tty; echo rootless-tty" 2>&1
    r=$?
    # The detached process prints, then exits: only then is the container removed.
    p=$(cat "$t/x.pid" 2>/dev/null)
    for i in $(seq 100); do [ -n "$p" ] && kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    "$c" --root "$ur" delete -f ct
    exit $r' sh "$CELLRUN" "$T/ur" "$BUNDLE" "$T"
  echo "$output"
  # A hung exec was killed before the delete: the container's init is ours to end.
  local init
  init=$(cat "$T/init.pid" 2>/dev/null) || init=
  [ -z "$init" ] || ! kill -0 "$init" 2>/dev/null || kill -9 "$init"
  [ "$status" -eq 0 ] || fail "exec -t -d exited $status"
  wait "$recv"
  grep -qx rootless-tty "$T/console.out" || fail "no output through the pty"
  refute_contains "$output" "restore the runtime's pid namespace"
}
