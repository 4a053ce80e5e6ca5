#!/usr/bin/env bats
# `cellrun sandbox` (docs/sandbox.md): every flag through the CLI, its effect checked inside the
# sandbox (mount table, /proc/self/status, net devices, env, cwd, uid) and on the host (files,
# cgroups, processes, the result JSON); timeouts, OOM, fork bombs, signals, SIGKILL of cellrun,
# and the isolation lessons (private /tmp, env denylist, private state).

load helpers
bats_require_minimum_version 1.5.0

setup () {
  cellrun_setup
  SBTMP=$T/tmpdir
  mkdir -p "$SBTMP" "$T/out"
  chmod 777 "$T/out"
}

teardown () {
  local p st
  for p in "${SB_PIDS[@]:-}"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null
  done
  # A test's shared mount outside the test tree (and whatever leaked onto it): innermost first.
  if [ -n "${SB_SHARED:-}" ]; then
    awk -v r="$SB_SHARED" '$5 == r || index($5, r "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
      sort -rn | while read -r _ p; do umount "$p"; done
    rm -rf "$SB_SHARED"
  fi
  cellrun_teardown
}

# sb [flags] [--] CMD...: one bounded sandbox run, temp dir under the test's tree.
sb () { TMPDIR=$SBTMP timeout -k 5 "${SB_TIMEOUT:-60}" "$CELLRUN" --root "$ROOT" sandbox "$@"; }

# sb_bg OUTFILE [flags] [--] CMD...: a sandbox in the background; SB_PID is cellrun's pid.
sb_bg () {
  local out=$1; shift
  TMPDIR=$SBTMP "$CELLRUN" --root "$ROOT" sandbox "$@" > "$out" 2>&1 < /dev/null &
  SB_PID=$!
  SB_PIDS+=("$SB_PID")
}

# nothing_left: no temp dir, no cgroup of a sandbox, no mount naming the test tree.
nothing_left () {
  [ -z "$(ls -A "$SBTMP")" ] || fail "temp dir left: $(ls -A "$SBTMP")" || return 1
  local cg
  cg=$(find /sys/fs/cgroup -maxdepth 8 -type d -name 'cellrun-sandbox.*' 2>/dev/null)
  [ -z "$cg" ] || fail "cgroup left: $cg" || return 1
  if grep -F "$SBTMP" /proc/self/mountinfo >&2; then fail "mount left"; return 1; fi
}

# init_of PID: host pid of the sandbox init (the child of cellrun PID in another pid namespace).
init_of () {
  local c i
  for i in $(seq 50); do
    for c in $(ps -o pid= --ppid "$1"); do
      if [ "$(readlink "/proc/$c/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]; then echo "$c"; return 0; fi
    done
    sleep 0.1
  done
  return 1
}

# pids_in_ns NSLINK: live (non-zombie) host pids whose pid namespace is NSLINK.
pids_in_ns () {
  local p st
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] || continue
    st=$(awk '/^State:/ { print $2 }' "$p/status" 2>/dev/null) || continue
    case "$st" in ''|Z|X) continue ;; esac
    echo "${p#/proc/}:$st"
  done
}

# ns_empty NSLINK: no live process of that pid namespace within 3 s (the kernel's teardown).
ns_empty () {
  local i
  for i in $(seq 30); do
    [ -z "$(pids_in_ns "$1")" ] && return 0
    sleep 0.1
  done
  echo "left alive: $(pids_in_ns "$1")" >&2
  return 1
}

json_field () { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v))' "$1" "$2"; }

# A private cgroup2 mount without the pids controller (limits it cannot hold) in the caller's
# $cg2; skips the test where none can be made or pids is there. The test unmounts it.
mount_cg2_without_pids() {
  cg2=$(mktemp -d "$TMP_PREFIX-sbcg2.XXXXXX")
  mount -t cgroup2 none "$cg2" || { rmdir "$cg2"; skip "no cgroup2 mount possible"; }
  if grep -qw pids "$cg2/cgroup.controllers"; then
    umount "$cg2"
    rmdir "$cg2"
    skip "pids is available on cgroup2 here"
  fi
}

@test "defaults: host / read-only (recursively), fresh /proc (the command is pid 1), private /tmp /var/tmp /dev/shm" {
  run sb -- sh -c 'echo pid=$$; touch /usr/x 2>&1; touch /tmp/ok && echo tmp-writable; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ] || fail "status $status: $output"
  assert_contains "$output" "pid=1"
  assert_contains "$output" "Read-only file system"
  assert_contains "$output" "tmp-writable"
  local mi
  mi=$(grep -E '^[0-9]+ [0-9]+ [^ ]+ / / ' <<< "$output")
  [[ "$mi" == *" ro,"* ]] || fail "/ is not read-only: $mi"
  for d in /tmp /var/tmp /dev/shm; do
    awk -v d="$d" '$5 == d && / - tmpfs / { f = 1 } END { exit !f }' <<< "$output" || fail "no private tmpfs at $d"
  done
  awk '$5 == "/proc" && / - proc / { f = 1 } END { exit !f }' <<< "$output" || fail "no fresh /proc"
  # Every submount of the host's / is read-only too (e.g. /sys/fs/cgroup, /run/...): none is rw
  # unless the sandbox made it (proc, the tmpfs, /dev).
  local rw
  rw=$(awk '$6 ~ /^rw/ && $5 !~ /^\/(proc|tmp|var\/tmp|dev)($|\/)/ { print $5 }' <<< "$(grep -E '^[0-9]+ ' <<< "$output")")
  [ -z "$rw" ] || fail "host submounts left writable: $rw"
  nothing_left
}

# host_mounts: the host's mount points, less other suites' test trees (their mounts come and go).
host_mounts () { awk '{ print $5 }' /proc/self/mountinfo | grep -v '^/tmp/cellrun-test-' | sort; }

@test "the default root is a detached copy of / the init attaches: recursively read-only, the temp dir hidden, nothing on the host during, after, or after SIGKILL" {
  # Outside /tmp, so the sandbox sees it through the host's /: the temp dir needs its cover,
  # and the host submount below it must be read-only in the copy too. A shared mount, so a copy
  # that stayed its peer would carry the cover (mounted by the init) back to the host.
  local R
  R=$(mktemp -d /run/cellrun-sbtest.XXXXXX)
  SB_SHARED=$R
  mount --bind "$R" "$R"
  mount --make-shared "$R"
  SBTMP=$R/tmp
  mkdir "$SBTMP" "$R/sub"
  mount -t tmpfs -o size=1m tmpfs "$R/sub"
  local before during after killed
  before=$(host_mounts)
  run sb -- sh -c "touch $R/sub/x 2>/dev/null || echo sub-ro; ls -d $SBTMP/cellrun-sandbox.*; ls -A $SBTMP/cellrun-sandbox.*/ | wc -l"
  after=$(host_mounts)
  sb_bg "$T/log" --bind "$T/out:/tmp/out" -- sh -c 'echo ok > /tmp/out/ready; sleep 300'
  wait_for_file "$T/out/ready" 100 || fail "never started: $(cat "$T/log")"
  during=$(host_mounts)
  kill -9 "$SB_PID"
  wait "$SB_PID" || true
  local i
  for i in $(seq 50); do
    [ -z "$(ls -A "$SBTMP")" ] && break
    sleep 0.1
  done
  killed=$(host_mounts)
  local p leak=
  for p in /proc/[0-9]*; do
    grep -qF "$SBTMP" "$p/mountinfo" 2>/dev/null && leak="$leak ${p#/proc/}"
  done
  local left
  left=$(ls -A "$SBTMP")
  [ "$status" -eq 0 ] || fail "status $status: $output"
  assert_contains "$output" "sub-ro"
  [ "$(sed -n 3p <<< "$output")" = 0 ] || fail "the temp dir is visible inside: $output"
  [ "$before" = "$after" ] || fail "the host's mounts changed after a run: $(diff <(echo "$before") <(echo "$after"))"
  [ "$before" = "$during" ] || fail "the host's mounts changed during a run: $(diff <(echo "$before") <(echo "$during"))"
  [ "$before" = "$killed" ] || fail "the host's mounts changed after SIGKILL: $(diff <(echo "$before") <(echo "$killed"))"
  [ -z "$leak" ] || fail "a mount of the temp dir is left in:$leak"
  [ -z "$left" ] || fail "temp dir left: $left"
}

@test "the default root in the default temp dir (/dev/shm): nothing of it inside; cellrun itself enters no mount namespace and mounts nothing" {
  run env -u TMPDIR timeout 60 "$CELLRUN" --root "$ROOT" sandbox -- sh -c \
    'ls -d /dev/shm/cellrun-sandbox.* 2>/dev/null | wc -l; grep cellrun-sandbox /proc/self/mountinfo | wc -l'
  [ "$status" -eq 0 ] || fail "status $status: $output"
  [ "$output" = "$(printf '0\n0')" ] || fail "the temp dir shows inside: $output"
  command -v strace >/dev/null || skip "no strace"
  # Only cellrun's own process (no -f): the init and the watchdog are not traced. LeakSanitizer
  # cannot run under ptrace (the --enable-asan build would fail at exit), so leaks go unchecked here.
  TMPDIR=$SBTMP ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -qq -o "$T/st" -e trace=unshare,setns,mount,umount2 "$CELLRUN" --root "$ROOT" sandbox -- true ||
    fail "sandbox failed: $(cat "$T/st")"
  if grep -E 'CLONE_NEWNS|^setns|^mount|^umount' "$T/st"; then fail "cellrun changed its own mount namespace"; fi
  nothing_left
}

@test "defaults: a new network namespace with only lo up; --network host (balanced) sees the host's" {
  run sb -- cat /proc/net/dev
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(grep -c ':' <<< "$output")" -eq 1 ] || fail "devices besides lo: $output"
  assert_contains "$output" "lo:"
  host_devs=$(grep -c ':' /proc/net/dev)
  [ "$host_devs" -gt 1 ] || skip "the host has only lo"
  run sb --profile balanced --network host -- cat /proc/net/dev
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(grep -c ':' <<< "$output")" -eq "$host_devs" ] || fail "--network host: not the host's devices: $output"
}

@test "lo is up inside: a TCP connection to 127.0.0.1 works" {
  run sb -- python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); c=socket.create_connection(s.getsockname()); print("lo-ok")'
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "lo-ok"
}

@test "strict: no capabilities, no_new_privs, seccomp; --network host is refused under strict" {
  run sb -- grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "CapEff:	0000000000000000"
  assert_contains "$output" "CapBnd:	0000000000000000"
  assert_contains "$output" "NoNewPrivs:	1"
  assert_contains "$output" "Seccomp:	2"
  run sb --network host -- true
  [ "$status" -eq 125 ] || fail "status $status: $output"
  assert_contains "$output" "cellrun: sandbox: --network host"
}

@test "--profile balanced vs strict, and the operator's floor wins over the sandbox's --profile" {
  local ptrace='import ctypes; print("ptrace", ctypes.CDLL(None).ptrace(0, 0, 0, 0))'
  run sb --profile balanced -- python3 -c "$ptrace"
  assert_contains "$output" "ptrace 0"
  run sb -- python3 -c "$ptrace"
  assert_contains "$output" "ptrace -1"
  TMPDIR=$SBTMP run timeout 30 "$CELLRUN" --root "$ROOT" --profile strict sandbox --profile balanced -- python3 -c "$ptrace"
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "ptrace -1"
}

@test "--rootfs DIR: the command sees the busybox rootfs, not the host" {
  run sb --rootfs "$ROOTFS" -- sh -c 'ls /bin/busybox; test -e /etc/debian_version && echo host-visible; echo pid=$$'
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "/bin/busybox"
  assert_contains "$output" "pid=1"
  refute_contains "$output" "host-visible"
  [ -e /etc/debian_version ] || skip "host has no /etc/debian_version"
}

@test "--bind (rw, reaches the host), --ro-bind (recursive read-only), --tmpfs DST:SIZE" {
  mkdir -p "$T/rw" "$T/ro/sub"
  echo orig > "$T/ro/file"
  mount -t tmpfs -o size=1m tmpfs "$T/ro/sub"
  run sb --bind "$T/rw:/tmp/rw" --ro-bind "$T/ro:/tmp/ro" --tmpfs /tmp/scratch:1M -- sh -c '
    echo inside > /tmp/rw/new && echo rw-ok
    echo x > /tmp/ro/file 2>/dev/null || echo ro-refused
    touch /tmp/ro/sub/x 2>/dev/null || echo sub-refused
    grep " /tmp/scratch " /proc/self/mountinfo
    head -c 2097152 /dev/zero > /tmp/scratch/big 2>/dev/null || echo scratch-full'
  umount "$T/ro/sub"
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "rw-ok"
  [ "$(cat "$T/rw/new")" = inside ] || fail "--bind write did not reach the host"
  assert_contains "$output" "ro-refused"
  assert_contains "$output" "sub-refused"
  [ "$(cat "$T/ro/file")" = orig ] || fail "--ro-bind source changed"
  assert_contains "$output" "size=1024k"
  assert_contains "$output" "scratch-full"
  nothing_left
}

@test "--bind SRC: a source that does not exist is one error line and 125" {
  run sb --bind "$T/missing:/x" -- true
  [ "$status" -eq 125 ] || fail "status $status"
  [ "$(wc -l <<< "$output")" -eq 1 ] || fail "more than one line: $output"
  [[ "$output" == "cellrun: sandbox: --bind $T/missing: No such file or directory" ]] || fail "$output"
  nothing_left
}

@test "bad input: one line 'cellrun: sandbox: ...' and 125" {
  local args
  while IFS= read -r args; do
    # shellcheck disable=SC2086
    run sb $args
    [ "$status" -eq 125 ] || fail "[$args]: status $status: $output"
    [ "$(wc -l <<< "$output")" -eq 1 ] || fail "[$args]: more than one line: $output"
    [[ "$output" == "cellrun: sandbox: "* ]] || fail "[$args]: $output"
  done <<'EOF'
--no-such-flag -- true
--memory
--timeout 0 -- true
--timeout -1 -- true
--timeout abc -- true
--memory lots -- true
--tmpfs /x:12Q -- true
--tmpfs rel -- true
--bind /tmp:relative -- true
--bind /tmp:/a/../etc -- true
--collect tmp/x -- true
--collect /tmp/../etc/shadow -- true
--pids 0 -- true
--cpus 0 -- true
--user nobody -- true
--rlimit BOGUS=1 -- true
--network maybe -- true
--profile lax -- true
--diff -- true
EOF
  run sb
  [ "$status" -eq 125 ] || fail "no CMD: status $status"
  assert_contains "$output" "cellrun: sandbox: missing CMD"
  nothing_left
}

@test "--workspace overlay: the host dir is unchanged, --diff lists the change, --commit applies it" {
  mkdir -p "$T/ws"
  echo lower > "$T/ws/keep"
  echo gone > "$T/ws/del"
  run sb --workspace "$T/ws:/work" --diff -- sh -c 'pwd; echo new > added; echo changed > keep; rm del'
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "/work"
  assert_contains "$output" "A added"
  assert_contains "$output" "M keep"
  assert_contains "$output" "D del"
  [ ! -e "$T/ws/added" ] && [ "$(cat "$T/ws/keep")" = lower ] && [ -e "$T/ws/del" ] || fail "overlay changed the host dir"
  run sb --workspace "$T/ws:/work" --commit -- sh -c 'echo new > added; rm del'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(cat "$T/ws/added")" = new ] && [ ! -e "$T/ws/del" ] || fail "--commit did not apply: $(ls "$T/ws")"
  nothing_left
}

@test "--workspace rw and ro; a missing rw host dir is created" {
  run sb --workspace "$T/made:/tmp/w:rw" -- sh -c 'echo hi > /tmp/w/f'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(cat "$T/made/f")" = hi ] || fail "rw workspace: nothing on the host"
  run sb --workspace "$T/made:/tmp/w:ro" -- sh -c 'echo x > /tmp/w/f 2>/dev/null || echo refused'
  assert_contains "$output" "refused"
  [ "$(cat "$T/made/f")" = hi ] || fail "ro workspace changed the host"
}

@test "--env, the default env denylist (a *_TOKEN never passes), --env-pass none" {
  export PLAIN_VAR=plain FOO_TOKEN=tok MY_SECRET=s DB_PASSWORD=pw
  run sb --env SET_BY_FLAG=1 -- env
  [ "$status" -eq 0 ] || fail "$output"
  assert_contains "$output" "SET_BY_FLAG=1"
  assert_contains "$output" "PLAIN_VAR=plain"
  refute_contains "$output" "FOO_TOKEN"
  refute_contains "$output" "MY_SECRET"
  refute_contains "$output" "DB_PASSWORD"
  run sb --env-pass none -- env
  refute_contains "$output" "PLAIN_VAR"
  export OTHER_VAR=other
  run sb --env-pass allow:PLAIN_VAR -- env
  assert_contains "$output" "PLAIN_VAR=plain"
  refute_contains "$output" "OTHER_VAR"
}

@test "--cwd, --user UID:GID (numeric, no passwd entry), --hostname, --rlimit" {
  run sb --cwd /tmp/sub --user 4321:8765 --hostname boxname --rlimit nofile=64:128 -- sh -c \
    'pwd; id -u; id -g; hostname; grep "Max open files" /proc/self/limits'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(sed -n 1p <<< "$output")" = /tmp/sub ] || fail "cwd: $output"
  [ "$(sed -n 2p <<< "$output")" = 4321 ] || fail "uid: $output"
  [ "$(sed -n 3p <<< "$output")" = 8765 ] || fail "gid: $output"
  [ "$(sed -n 4p <<< "$output")" = boxname ] || fail "hostname: $output"
  [[ "$(sed -n 5p <<< "$output")" =~ 64\ +128 ]] || fail "rlimit: $output"
  [ "$(hostname)" != boxname ] || fail "the host's name changed"
}

@test "stdin and stdout are the caller's; -t gives the command a terminal" {
  run bash -c "echo piped | TMPDIR=$SBTMP timeout 30 $CELLRUN --root $ROOT sandbox -- cat"
  [ "$output" = piped ] || fail "stdin: $output"
  run sb -- sh -c 'test -t 0 && echo tty || echo notty'
  assert_contains "$output" "notty"
  run timeout 30 script -qec "TMPDIR=$SBTMP $CELLRUN --root $ROOT sandbox -t -- sh -c 'test -t 0 && echo is-a-tty'" /dev/null
  assert_contains "$output" "is-a-tty"
  run timeout 30 script -qec "TMPDIR=$SBTMP $CELLRUN --root $ROOT sandbox -t --timeout 1 --result $T/r.json -- sleep 20" /dev/null
  [ "$status" -eq 124 ] || fail "-t with --timeout: status $status"
  [ "$(json_field "$T/r.json" timed_out)" = true ] || fail "$(cat "$T/r.json")"
  nothing_left
}

@test "--result: exactly the documented fields; exit codes 0, N, 127, 126" {
  run sb --result "$T/r.json" -- sh -c 'exit 3'
  [ "$status" -eq 3 ] || fail "status $status"
  run "$PY" -c 'import json,sys; print(",".join(sorted(json.load(open(sys.argv[1])))))' "$T/r.json"
  [ "$output" = "error,exit_code,max_rss_kb,oom_killed,signal,sys_ms,timed_out,user_ms,wall_ms" ] || fail "fields: $output"
  [ "$(json_field "$T/r.json" exit_code)" = 3 ] && [ "$(json_field "$T/r.json" error)" = null ] || fail "$(cat "$T/r.json")"
  [ "$(json_field "$T/r.json" timed_out)" = false ] && [ "$(json_field "$T/r.json" signal)" = 0 ] || fail "$(cat "$T/r.json")"
  run -127 sb -- /no/such/program
  [ "$status" -eq 127 ] || fail "not found: $status $output"
  run -127 sb -- no-such-program-anywhere
  [ "$status" -eq 127 ] || fail "not in PATH: $status $output"
  run sb -- /etc/hostname
  [ "$status" -eq 126 ] || fail "not executable: $status $output"
  run sb --result - -- true
  [ "$status" -eq 0 ] || fail "$output"
  echo "$output" | json_valid || fail "--result - is not JSON: $output"
  nothing_left
}

@test "a setup failure gives 125 and the error text in the result" {
  run sb --result "$T/r.json" --cwd /usr/cannot/make -- true
  [ "$status" -eq 125 ] || fail "status $status: $output"
  assert_contains "$output" "cellrun: sandbox: "
  run json_field "$T/r.json" error
  assert_contains "$output" "process.cwd"
  [ "$(json_field "$T/r.json" exit_code)" = 125 ] || fail "$(cat "$T/r.json")"
  nothing_left
}

@test "SIGSEGV: signal 11, exit 139" {
  run sb --result "$T/r.json" -- python3 -c 'import ctypes; ctypes.string_at(0)'
  [ "$status" -eq 139 ] || fail "status $status: $output"
  [ "$(json_field "$T/r.json" signal)" = 11 ] && [ "$(json_field "$T/r.json" exit_code)" = 139 ] || fail "$(cat "$T/r.json")"
}

@test "--timeout kills a tree of background processes (gone on the host), timed_out, 124" {
  sb_bg "$T/log" --timeout 2 --result "$T/r.json" --bind "$T/out:/tmp/out" -- sh -c \
    '(sleep 300 & sleep 300 & wait) & sh -c "sleep 300" & echo ok > /tmp/out/ready; sleep 300'
  wait_for_file "$T/out/ready" 100 || touch "$T/out/ready"
  init=$(init_of "$SB_PID") || fail "no init"
  ns=$(readlink "/proc/$init/ns/pid")
  n=$(pids_in_ns "$ns" | wc -l)
  [ "$n" -ge 5 ] || fail "expected the tree running, saw $n"
  local rc=0
  wait "$SB_PID" || rc=$?
  [ "$rc" -eq 124 ] || fail "status $rc: $(cat "$T/log")"
  [ "$(json_field "$T/r.json" timed_out)" = true ] || fail "$(cat "$T/r.json")"
  ns_empty "$ns"
  nothing_left
}

@test "--timeout of a command that runs at once (created and started in one call): timed_out, 124, nothing left" {
  local t0=$SECONDS
  run sb --timeout 0.3 --result "$T/r.json" -- sh -c 'sleep 60 & exec sleep 60'
  [ "$status" -eq 124 ] || fail "status $status: $output"
  [ "$(json_field "$T/r.json" timed_out)" = true ] || fail "$(cat "$T/r.json")"
  [ $((SECONDS - t0)) -lt 20 ] || fail "the timeout did not kill it in time"
  nothing_left
}

@test "sandbox: the command is exec'd before the result (no created state left), and a failed exec is 127" {
  run sb --result "$T/r.json" -- sh -c 'readlink /proc/1/exe; tr "\0" " " < /proc/1/cmdline'
  [ "$status" -eq 0 ] || fail "status $status: $output"
  refute_contains "$output" "trampoline"
  assert_contains "$output" "sh -c"
  run -127 sb --result "$T/r2.json" -- /no/such/program
  [ "$status" -eq 127 ] || fail "status $status: $output"
  assert_contains "$(json_field "$T/r2.json" error)" "exec /no/such/program"
  nothing_left
}

@test "--memory: a memory hog is OOM-killed, oom_killed true" {
  run sb --memory 32M --result "$T/r.json" -- python3 -c 'x = bytearray(256 << 20); print("survived")'
  refute_contains "$output" "survived"
  [ "$(json_field "$T/r.json" oom_killed)" = true ] || fail "$(cat "$T/r.json")"
  [ "$status" -eq 137 ] || fail "status $status"
  run sb --memory 256M --result "$T/r2.json" -- python3 -c 'x = bytearray(16 << 20); print("survived")'
  assert_contains "$output" "survived"
  [ "$(json_field "$T/r2.json" oom_killed)" = false ] || fail "$(cat "$T/r2.json")"
  nothing_left
}

@test "--pids stops a fork bomb (bounded by --timeout), and the limit is the flag's" {
  sb_bg "$T/log" --pids 30 --timeout 4 --result "$T/r.json" -- sh -c 'bomb() { bomb | bomb & }; bomb; sleep 100'
  init=$(init_of "$SB_PID") || fail "no init"
  ns=$(readlink "/proc/$init/ns/pid")
  local max=0 n i
  for i in $(seq 20); do
    n=$(pids_in_ns "$ns" | wc -l)
    [ "$n" -gt "$max" ] && max=$n
    sleep 0.1
  done
  local rc=0
  wait "$SB_PID" || rc=$?
  [ "$max" -le 30 ] || fail "the bomb reached $max processes"
  assert_contains "$(cat "$T/log")" "fork"
  [ "$rc" -eq 124 ] || fail "status $rc"
  ns_empty "$ns"
  run sb -- sh -c 'i=0; while [ $i -lt 40 ]; do sleep 3 & i=$((i+1)); done; echo forked-all'
  assert_contains "$output" "forked-all"
  run sb --pids 20 -- sh -c 'i=0; while [ $i -lt 40 ]; do sleep 3 & i=$((i+1)); done; echo forked-all'
  refute_contains "$output" "forked-all"
  nothing_left
}

@test "--cpus sets the CPU quota of the sandbox's cgroup" {
  sb_bg "$T/log" --cpus 0.5 --bind "$T/out:/tmp/out" -- sh -c 'echo ok > /tmp/out/ready; sleep 30'
  wait_for_file "$T/out/ready" 100 || fail "never started: $(cat "$T/log")"
  local q
  q=$(find /sys/fs/cgroup -maxdepth 8 -path '*cellrun-sandbox.*' -name cpu.cfs_quota_us -exec cat {} \; | head -1)
  [ -z "$q" ] && q=$(find /sys/fs/cgroup -maxdepth 8 -path '*cellrun-sandbox.*' -name cpu.max -exec cat {} \; | head -1)
  kill -TERM "$SB_PID"
  wait "$SB_PID" || true
  [[ "$q" == 50000* ]] || fail "quota: $q"
  nothing_left
}

@test "limits on cgroup v1/hybrid: the cgroup is made only in the hierarchies they need (and unified)" {
  [ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/memory ] || skip "no v1 pids and memory hierarchies"
  sb_bg "$T/log" --pids 50 --memory 64M --bind "$T/out:/tmp/out" -- sh -c 'echo ok > /tmp/out/ready; sleep 30'
  wait_for_file "$T/out/ready" 100 || fail "never started: $(cat "$T/log")"
  local id dirs
  id=$(ls "$SBTMP")
  dirs=" $(find /sys/fs/cgroup -maxdepth 8 -type d -name "$id" | sed 's|^/sys/fs/cgroup/||; s|/.*||' | sort | tr '\n' ' ')"
  local pmax
  pmax=$(find /sys/fs/cgroup/pids -maxdepth 8 -type d -name "$id" -exec cat {}/pids.max \;)
  kill -TERM "$SB_PID"
  wait "$SB_PID" || true
  [[ "$dirs" == *" pids "* && "$dirs" == *" memory "* ]] || fail "no pids or memory cgroup: $dirs"
  [ "$pmax" = 50 ] || fail "pids.max: $pmax"
  if [ -d /sys/fs/cgroup/unified ]; then
    [[ "$dirs" == *" unified "* ]] || fail "no unified cgroup: $dirs"
  fi
  local h
  for h in freezer devices blkio systemd cpuset net_cls perf_event; do
    [[ "$dirs" != *" $h "* ]] || fail "a cgroup in $h, which no limit needs: $dirs"
  done
  nothing_left
}

@test "limits on cgroup v1/hybrid: the init joins its cgroups through tasks (no cgroup.procs write); cellrun is never in them" {
  [ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/memory ] || skip "no v1 pids and memory hierarchies"
  TMPDIR=$SBTMP "$CELLRUN" --root "$ROOT" --debug sandbox --pids 50 --memory 64M --bind "$T/out:/tmp/out" -- \
    sh -c 'echo ok > /tmp/out/ready; sleep 30' > "$T/log" 2>&1 < /dev/null &
  SB_PID=$!
  SB_PIDS+=("$SB_PID")
  wait_for_file "$T/out/ready" 100 || fail "never started: $(cat "$T/log")"
  local id c init= h
  id=$(ls "$SBTMP")
  for c in $(cat "/proc/$SB_PID/task/$SB_PID/children"); do
    [ "$(tr '\0' ' ' < "/proc/$c/cmdline" | cut -d' ' -f1)" = cellrun-watchdog ] || init=$c
  done
  [ -n "$init" ] || fail "no init among the children of $SB_PID"
  local mine theirs
  mine=$(cat /proc/self/cgroup)
  theirs=$(cat "/proc/$SB_PID/cgroup")
  for h in pids memory; do
    grep -q ":$h:.*/$id\$" "/proc/$init/cgroup" || fail "init not in its $h cgroup: $(cat "/proc/$init/cgroup")"
    [ "$(find /sys/fs/cgroup/$h -maxdepth 8 -type d -name "$id" -exec cat {}/tasks \; | grep -cx "$SB_PID")" = 0 ] ||
      fail "cellrun is still in the $h cgroup"
  done
  [ ! -d /sys/fs/cgroup/unified ] || grep -q "^0::.*/$id\$" "/proc/$init/cgroup" || fail "init not in unified"
  kill -TERM "$SB_PID"
  wait "$SB_PID" || true
  [ "$mine" = "$theirs" ] || fail "cellrun's cgroups: $theirs, not ours: $mine"
  grep -q "the init joins pids/.*through tasks" "$T/log" || fail "no join through tasks: $(cat "$T/log")"
  run ! grep -q "cgroup.procs = " "$T/log"
  nothing_left
}

@test "signals sent to cellrun reach the command (TERM INT HUP QUIT USR1 USR2: 128+N, signal N)" {
  local s n
  for s in TERM:15 INT:2 HUP:1 QUIT:3 USR1:10 USR2:12; do
    n=${s#*:}
    sb_bg "$T/log" --result "$T/r.json" --bind "$T/out:/tmp/out" -- sh -c 'echo ok > /tmp/out/ready-$$; exec sleep 60'
    wait_for_file "$T/out/ready-1" 100 || fail "never started"
    kill -"${s%:*}" "$SB_PID"
    local rc=0
    wait "$SB_PID" || rc=$?
    rm -f "$T/out/ready-1"
    [ "$rc" -eq $((128 + n)) ] || fail "$s: status $rc"
    [ "$(json_field "$T/r.json" signal)" = "$n" ] || fail "$s: $(cat "$T/r.json")"
  done
  sb_bg "$T/log" --bind "$T/out:/tmp/out" -- sh -c 'trap "echo caught; exit 7" TERM; echo ok > /tmp/out/ready-1; sleep 60 & wait'
  wait_for_file "$T/out/ready-1" 100 || fail "never started"
  kill -TERM "$SB_PID"
  local rc=0
  wait "$SB_PID" || rc=$?
  [ "$rc" -eq 7 ] || fail "a handled TERM: status $rc"
  assert_contains "$(cat "$T/log")" "caught"
  nothing_left
}

@test "SIGKILL of cellrun leaves nothing: no process, mount, cgroup dir or temp dir" {
  sb_bg "$T/log" --pids 100 --workspace "$T/ws:/work" --bind "$T/out:/tmp/out" -- sh -c \
    'sleep 300 & (sleep 300 &) ; echo x > /work/f; echo ok > /tmp/out/ready; sleep 300'
  wait_for_file "$T/out/ready" 100 || fail "never started: $(cat "$T/log")"
  init=$(init_of "$SB_PID") || fail "no init"
  ns=$(readlink "/proc/$init/ns/pid")
  [ -n "$(find /sys/fs/cgroup -maxdepth 8 -type d -name 'cellrun-sandbox.*')" ] || fail "no cgroup while running"
  [ -n "$(ls -A "$SBTMP")" ] || fail "no temp dir while running"
  kill -9 "$SB_PID"
  wait "$SB_PID" || true
  local i
  for i in $(seq 50); do
    [ -z "$(pids_in_ns "$ns")" ] && [ -z "$(ls -A "$SBTMP")" ] &&
      [ -z "$(find /sys/fs/cgroup -maxdepth 8 -type d -name 'cellrun-sandbox.*')" ] && break
    sleep 0.1
  done
  [ -z "$(pids_in_ns "$ns")" ] || fail "processes left: $(pids_in_ns "$ns")"
  local p st
  for p in /proc/[0-9]*; do
    grep -qF "$SBTMP" "$p/mountinfo" 2>/dev/null && fail "mount of the sandbox left in ${p#/proc/}"
  done
  [ ! -e "$T/ws/f" ] || fail "the overlay wrote to the host"
  nothing_left
}

@test "the watchdog is the sealed blob on the host: stdio on /dev/null, its socket, the init's pidfd and the binary" {
  sb_bg "$T/log" --pids 100 --bind "$T/out:/tmp/out" -- sh -c 'echo ok > /tmp/out/ready; sleep 300'
  wait_for_file "$T/out/ready" 100 || fail "never started: $(cat "$T/log")"
  local c wd=""
  for c in $(ps -o pid= --ppid "$SB_PID"); do
    [ "$(tr '\0' ' ' < "/proc/$c/cmdline" | cut -d' ' -f1)" = cellrun-watchdog ] && wd=$c
  done
  [ -n "$wd" ] || fail "no watchdog among the children of $SB_PID"
  assert_contains "$(readlink "/proc/$wd/exe")" "/memfd:cellrun-trampoline"
  [ "$(readlink "/proc/$wd/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] || fail "not in the host's mount namespace"
  local fds
  fds=$(for f in /proc/$wd/fd/*; do readlink "$f"; done | sed 's/socket:.*/socket/' | sort | tr '\n' ' ')
  local want
  want=$(printf '%s\n' /dev/null /dev/null /dev/null "$(readlink -f "$CELLRUN")" socket 'anon_inode:[pidfd]' | sort | tr '\n' ' ')
  [ "$fds" = "$want" ] || fail "watchdog fds: $fds, not $want"
  kill -TERM "$SB_PID"
  wait "$SB_PID" || true
  nothing_left
}

@test "the watchdog's hidden cleanup mode refuses what a sandbox did not make" {
  mkdir -p "$T/keep/sub" "$T/cellrun-sandbox.abc123/sub"
  echo x > "$T/keep/sub/f"
  echo x > "$T/cellrun-sandbox.abc123/sub/f"
  ln -s "$T/keep" "$T/cellrun-sandbox.link12"
  run "$CELLRUN" --sandbox-cleanup "$T/keep"
  [ "$status" -ne 0 ] || fail "a directory not named cellrun-sandbox.* was accepted"
  run "$CELLRUN" --sandbox-cleanup "$T/cellrun-sandbox.link12"
  [ "$status" -ne 0 ] || fail "a symlink was followed"
  run "$CELLRUN" --sandbox-cleanup "$T/cellrun-sandbox.abc123" /sys/fs/cgroup /other
  [ "$status" -ne 0 ] || fail "a cgroup not named after the temp dir was accepted"
  [ -f "$T/keep/sub/f" ] && [ -f "$T/cellrun-sandbox.abc123/sub/f" ] || fail "something was removed"
  run "$CELLRUN" --sandbox-cleanup "$T/cellrun-sandbox.abc123"
  [ "$status" -eq 0 ] || fail "the sandbox-shaped dir was refused"
  [ ! -e "$T/cellrun-sandbox.abc123" ] || fail "the sandbox-shaped dir is still there"
  [ -f "$T/keep/sub/f" ] || fail "the symlink's target was touched"
}

# watchdog_of PID: the watchdog among the children of cellrun PID (within 5 s).
watchdog_of () {
  local c i
  for i in $(seq 500); do
    for c in $(ps -o pid= --ppid "$1"); do
      [ "$(tr '\0' ' ' < "/proc/$c/cmdline" 2>/dev/null | cut -d' ' -f1)" = cellrun-watchdog ] && { echo "$c"; return 0; }
    done
    sleep 0.01
  done
  return 1
}

# gone_within_5s: no temp dir, no cgroup of a sandbox (the watchdog's cleanup after a SIGKILL).
gone_within_5s () {
  local i
  for i in $(seq 50); do
    [ -z "$(ls -A "$SBTMP")" ] && [ -z "$(find /sys/fs/cgroup -maxdepth 8 -type d -name 'cellrun-sandbox.*')" ] && return 0
    sleep 0.1
  done
  return 1
}

@test "with limits the watchdog has the cgroup from its start; SIGKILL of cellrun as soon as the cgroup exists leaves none" {
  sb_bg "$T/log" --memory 256M --cpus 1 --pids 100 -- sleep 300
  local wd
  wd=$(watchdog_of "$SB_PID") || fail "no watchdog: $(cat "$T/log")"
  local -a args
  mapfile -d '' args < "/proc/$wd/cmdline"
  [ "${#args[@]}" -eq 7 ] || fail "watchdog argv: ${args[*]}"
  local name=${args[4]##*/} root=${args[5]} path=${args[6]}
  [ "${path##*/}" = "$name" ] || fail "the cgroup $path is not named after the temp dir $name"
  local i
  for i in $(seq 200000); do
    [ -d "$root/pids$path" ] && break
  done
  kill -9 "$SB_PID"
  wait "$SB_PID" || true
  [ "$i" -lt 200000 ] || fail "the cgroup $root/pids$path never appeared: $(cat "$T/log")"
  gone_within_5s || fail "left after SIGKILL: $(ls -A "$SBTMP") $(find /sys/fs/cgroup -maxdepth 8 -type d -name 'cellrun-sandbox.*')"
  nothing_left
}

@test "a cgroup that cannot hold the limits (retried without one): SIGKILL of cellrun still leaves nothing" {
  local cg2
  mount_cg2_without_pids
  CELLRUN_CGROUP_ROOT=$cg2 sb_bg "$T/log" --pids 10 --bind "$T/out:/tmp/out" -- sh -c 'echo ok > /tmp/out/ready; sleep 300'
  local started=0
  wait_for_file "$T/out/ready" 100 && started=1
  kill -9 "$SB_PID"
  wait "$SB_PID" || true
  gone_within_5s
  local gone=$? left
  left=$(find "$cg2" -name 'cellrun-sandbox.*')
  umount "$cg2"
  rmdir "$cg2"
  [ "$started" -eq 1 ] || fail "never started: $(cat "$T/log")"
  assert_contains "$(cat "$T/log")" "NOT enforced"
  [ "$gone" -eq 0 ] || fail "temp dir left after SIGKILL: $(ls -A "$SBTMP")"
  [ -z "$left" ] || fail "cgroup left on the cgroup2 mount: $left"
  nothing_left
}

@test "lesson: private /tmp between two concurrent sandboxes, and when the workspace is /tmp" {
  sb_bg "$T/a.log" --bind "$T/out:/tmp/out" -- sh -c 'echo a > /tmp/marker; echo ok > /tmp/out/a-ready; sleep 20'
  wait_for_file "$T/out/a-ready" 100 || fail "a never started"
  run sb -- sh -c 'cat /tmp/marker 2>/dev/null || echo no-marker'
  assert_contains "$output" "no-marker"
  kill -TERM "$SB_PID"
  wait "$SB_PID" || true
  mkdir -p "$T/ws"
  sb_bg "$T/b.log" --workspace "$T/ws:/tmp" --bind "$T/out:/tmp/out" -- sh -c 'echo b > /tmp/marker; echo ok > /tmp/out/b-ready; sleep 20'
  wait_for_file "$T/out/b-ready" 100 || fail "b never started: $(cat "$T/b.log")"
  run sb --workspace "$T/ws:/tmp" -- sh -c 'cat /tmp/marker 2>/dev/null || echo no-marker'
  assert_contains "$output" "no-marker"
  [ ! -e "$T/ws/marker" ] || fail "the workspace at /tmp wrote to the host"
  kill -TERM "$SB_PID"
  wait "$SB_PID" || true
  run sb --workspace "$T/ws:/tmp/ws" -- sh -c 'grep -E " /tmp (/|ws)" /proc/self/mountinfo; echo x > /tmp/outside-ws && echo private-tmp'
  assert_contains "$output" "private-tmp"
  [ ! -e "$T/ws/outside-ws" ] || fail "leaked into the workspace"
  nothing_left
}

@test "lesson: private state is invisible from inside (the temp dir, outside /tmp, shows empty)" {
  SBTMP=$(mktemp -d /run/cellrun-sbtest.XXXXXX)
  run sb -- sh -c "ls -d $SBTMP/cellrun-sandbox.*; ls -A $SBTMP/cellrun-sandbox.*/ | wc -l"
  local left
  left=$(ls -A "$SBTMP")
  rm -rf "$SBTMP"
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(sed -n 2p <<< "$output")" = 0 ] || fail "the state is visible: $output"
  [ -z "$left" ] || fail "temp dir left: $left"
}

@test "--collect: a file and a tree from the private /tmp reach the host" {
  run sb --collect /tmp/result.txt:"$T/got.txt" --collect /tmp/tree:"$T/tree" -- sh -c \
    'echo data > /tmp/result.txt; mkdir -p /tmp/tree/a; echo deep > /tmp/tree/a/b; ln -s /etc/shadow /tmp/tree/link'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(cat "$T/got.txt")" = data ] || fail "file not collected"
  [ "$(cat "$T/tree/a/b")" = deep ] || fail "tree not collected"
  [ -L "$T/tree/link" ] || fail "symlink not copied as a link"
  run sb --collect /tmp/nothing-here:"$T/none" -- true
  [ "$status" -eq 125 ] || fail "a missing collect path: $status"
  assert_contains "$output" "cellrun: sandbox: --collect"
  nothing_left
}

@test "--print-spec prints the spec after the profile layer and runs nothing" {
  run sb --print-spec -- touch "$T/out/ran"
  [ "$status" -eq 0 ] || fail "$output"
  echo "$output" | json_valid || fail "not JSON"
  assert_contains "$output" '"run.cellrun.profile"'
  assert_contains "$output" '/proc/kcore'
  assert_contains "$output" '"readonly": true'
  [ ! -e "$T/out/ran" ] || fail "--print-spec ran the command"
  nothing_left
}

@test "lesson: container paths are judged by whole components (a..b is a name, a/../b is refused)" {
  run sb --tmpfs /tmp/a..b -- sh -c 'grep -c " /tmp/a..b " /proc/self/mountinfo'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$output" = 1 ] || fail "a..b: $output"
  run sb --tmpfs /tmp/x/../../etc -- true
  [ "$status" -eq 125 ] || fail "status $status"
  assert_contains "$output" 'must not contain ".."'
  run sb --collect /tmp/..:"$T/x" -- true
  [ "$status" -eq 125 ] || fail "collect /tmp/..: status $status"
  nothing_left
}

@test "cgroup2 (a private cgroup2 mount as the cgroup root): limits it cannot hold warn, or fail with --require-limits" {
  local cg2
  mount_cg2_without_pids
  CELLRUN_CGROUP_ROOT=$cg2 run sb --pids 10 --result "$T/r.json" -- echo ran
  local s1=$status o1=$output
  CELLRUN_CGROUP_ROOT=$cg2 run sb --pids 10 --require-limits -- echo ran
  local s2=$status o2=$output
  local left
  left=$(find "$cg2" -name 'cellrun-sandbox.*')
  umount "$cg2"
  rmdir "$cg2"
  [ "$s1" -eq 0 ] || fail "without --require-limits: status $s1: $o1"
  assert_contains "$o1" "NOT enforced"
  assert_contains "$o1" "ran"
  [ "$s2" -eq 125 ] || fail "with --require-limits: status $s2: $o2"
  refute_contains "$o2" "ran"
  [ -z "$left" ] || fail "cgroup left on the cgroup2 mount: $left"
  nothing_left
}

@test "CVE-2019-5736: a #!/proc/self/exe command reaches only the sealed trampoline, never the runtime binary" {
  mkdir -p "$T/ws"
  printf '#!/proc/self/exe\n' > "$T/ws/x"
  chmod +x "$T/ws/x"
  before=$(sha256sum "$CELLRUN" | cut -d' ' -f1)
  run sb --profile balanced --workspace "$T/ws:/tmp/w:ro" -- /tmp/w/x
  [ "$status" -ne 0 ] || fail "a #!/proc/self/exe command ran"
  assert_contains "$output" "cellrun-trampoline: not a program to run"
  # The command's own exe link names the program, not cellrun.
  run sb --profile balanced -- /bin/sh -c 'readlink /proc/1/exe; readlink /proc/self/exe'
  [ "$status" -eq 0 ] || fail "sh: $output"
  refute_contains "$output" "cellrun"
  [ "$(sha256sum "$CELLRUN" | cut -d' ' -f1)" = "$before" ] || fail "the runtime binary changed"
  nothing_left
}
