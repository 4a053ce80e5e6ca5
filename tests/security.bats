#!/usr/bin/env bats
# Security-relevant setup: capabilities, no_new_privs, seccomp, masked and read-only paths,
# sysctl, hooks, and hardening of the runtime itself.

load helpers

status_line () { grep "^$1:" <<< "$output" | awk '{ print $2 }'; }

caps () { # caps SET JSON-ARRAY
  cfg_set ".process.capabilities.$1" "$2"
}

@test "capability sets of a non-root process match the config" {
  cfg_set .process.user '{"uid":1000,"gid":1000}'
  caps bounding '["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]'
  caps permitted '["CAP_KILL","CAP_NET_BIND_SERVICE"]'
  caps effective '["CAP_KILL","CAP_NET_BIND_SERVICE"]'
  caps inheritable '["CAP_KILL","CAP_NET_BIND_SERVICE"]'
  caps ambient '["CAP_KILL"]'
  in_ct 'grep ^Cap /proc/self/status'
  [ "$status" -eq 0 ]
  # CHOWN=bit 0, KILL=bit 5, NET_BIND_SERVICE=bit 10; after exec a non-root process keeps
  # exactly its ambient set in permitted/effective.
  [ "$(status_line CapBnd)" = 0000000000000421 ]
  [ "$(status_line CapInh)" = 0000000000000420 ]
  [ "$(status_line CapPrm)" = 0000000000000020 ]
  [ "$(status_line CapEff)" = 0000000000000020 ]
  [ "$(status_line CapAmb)" = 0000000000000020 ]
}

@test "capability sets of a root process match the config" {
  caps bounding '["CAP_CHOWN","CAP_KILL"]'
  caps permitted '["CAP_CHOWN","CAP_KILL"]'
  caps effective '["CAP_CHOWN","CAP_KILL"]'
  caps inheritable '[]'
  cfg_del .process.capabilities.ambient
  in_ct 'grep ^Cap /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line CapBnd)" = 0000000000000021 ]
  [ "$(status_line CapPrm)" = 0000000000000021 ]
  [ "$(status_line CapEff)" = 0000000000000021 ]
  [ "$(status_line CapInh)" = 0000000000000000 ]
  [ "$(status_line CapAmb)" = 0000000000000000 ]
}

@test "no capabilities at all" {
  cfg_set .process.capabilities '{}'
  in_ct 'grep ^Cap /proc/self/status; chown 1000 /tmp 2>/dev/null && echo chowned; true'
  [ "$status" -eq 0 ]
  for set in CapBnd CapPrm CapEff CapInh CapAmb; do
    [ "$(status_line $set)" = 0000000000000000 ]
  done
  [[ "$output" != *chowned* ]]
}

@test "an unknown capability fails create and names it" {
  caps bounding '["CAP_KILL","CAP_NOT_A_REAL_ONE"]'
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "CAP_NOT_A_REAL_ONE"
  no_traces "$ID"
}

@test "noNewPrivileges sets NoNewPrivs: 1" {
  cfg_set .process.noNewPrivileges true
  in_ct 'grep ^NoNewPrivs: /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line NoNewPrivs)" = 1 ]
}

@test "noNewPrivileges false leaves NoNewPrivs: 0" {
  cfg_set .process.noNewPrivileges false
  in_ct 'grep ^NoNewPrivs: /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line NoNewPrivs)" = 0 ]
}

seccomp_deny () { # seccomp_deny ERRNO SYSCALL...
  local errno=$1; shift
  local names
  names=$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")
  cfg_set .linux.seccomp "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":[{\"names\":$names,\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":$errno}]}"
}

@test "a seccomp filter is installed (Seccomp: 2)" {
  seccomp_deny 1 personality
  in_ct 'grep ^Seccomp: /proc/self/status'
  [ "$status" -eq 0 ]
  [ "$(status_line Seccomp)" = 2 ]
}

@test "seccomp denies a syscall with a custom errnoRet" {
  seccomp_deny 95 mkdir mkdirat
  in_ct 'mkdir /tmp/x-$$ 2>&1; echo rc=$?'
  [ "$status" -eq 0 ]
  assert_contains "$output" "Operation not supported"
  assert_contains "$output" "rc=1"
}

@test "seccomp errnoRet seen by the syscall probe" {
  have_sysprobe || skip "sysprobe not built"
  seccomp_deny 95 personality
  cfg_args sysprobe personality getpid
  run run_fg "$ID"
  [ "$status" -eq 0 ]
  grep -Eq '^personality (EOPNOTSUPP|ENOTSUP)' <<< "$output"
  grep -q '^getpid OK' <<< "$output"
}

@test "seccomp with SCMP_ACT_KILL kills the process" {
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_KILL"}]}'
  cfg_ns_del pid   # so the shell is not an init that survives everything
  in_ct 'mkdir /tmp/y-$$'
  echo "status $status: $output" >&2
  [ "$status" -eq $((128 + 31)) ]
}

@test "an unknown seccomp action fails create" {
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_NOPE"}'
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "SCMP_ACT_NOPE"
  no_traces "$ID"
}

@test "maskedPaths: a masked file reads empty and a masked directory is empty" {
  private_rootfs
  echo secret > "$BUNDLE/rootfs/etc/secret-file"
  mkdir "$BUNDLE/rootfs/etc/secret-dir"
  echo secret > "$BUNDLE/rootfs/etc/secret-dir/inside"
  cfg_set .linux.maskedPaths '["/proc/kcore","/etc/secret-file","/etc/secret-dir","/no/such/path"]'
  in_ct 'echo "kcore:$(head -c 16 /proc/kcore | wc -c)"; echo "file:$(cat /etc/secret-file)"; echo "dir:$(ls -A /etc/secret-dir)"; touch /etc/secret-dir/new 2>/dev/null && echo "dir writable"; true'
  [ "$status" -eq 0 ]
  grep -qx "kcore:0" <<< "$output"
  grep -qx "file:" <<< "$output"
  grep -qx "dir:" <<< "$output"
  [[ "$output" != *"dir writable"* ]]
  [[ "$output" != *secret* ]] || [[ "$output" == *secret-dir* ]]
}

@test "a masked path that is a symlink in the rootfs does not redirect the mask" {
  private_rootfs
  echo victim-content > "$BUNDLE/rootfs/etc/victim"
  ln -s /etc/victim "$BUNDLE/rootfs/etc/masked-link"
  ln -s "$T/host-file" "$BUNDLE/rootfs/etc/host-link"
  echo host-content > "$T/host-file"
  cfg_set .linux.maskedPaths '["/etc/masked-link","/etc/host-link"]'
  in_ct 'cat /etc/victim'
  echo "$output" >&2
  # either create refused the symlink, or the mask stayed on the link: the target is intact
  if [ "$status" -eq 0 ]; then
    [ "$output" = victim-content ]
  fi
  [ "$(cat "$T/host-file")" = host-content ]
  if grep -F "$T/host-file" /proc/self/mountinfo; then fail "host-file is a mount point"; fi
}

@test "readonlyPaths refuse writes" {
  cfg_append .mounts '{"destination":"/rw-then-ro","type":"tmpfs","source":"tmpfs","options":["size=1m"]}'
  cfg_set .linux.readonlyPaths '["/rw-then-ro","/proc/sys"]'
  cfg_set .process.capabilities.bounding '["CAP_SYS_ADMIN","CAP_DAC_OVERRIDE"]'
  cfg_set .process.capabilities.effective '["CAP_SYS_ADMIN","CAP_DAC_OVERRIDE"]'
  cfg_set .process.capabilities.permitted '["CAP_SYS_ADMIN","CAP_DAC_OVERRIDE"]'
  in_ct 'touch /rw-then-ro/x 2>&1; echo rc=$?; (echo x > /proc/sys/kernel/hostname) 2>&1; echo rc=$?'
  [ "$status" -eq 0 ]
  [ "$(grep -c "Read-only file system" <<< "$output")" -eq 2 ]
  [[ "$output" != *rc=0* ]]
}

@test "namespaced sysctls are applied (net in a new netns, kernel.shm* in a new ipc ns)" {
  cfg_set .linux.sysctl '{"net.ipv4.ip_forward":"1","kernel.shmmax":"123456789","net.ipv4.conf.lo.forwarding":"1"}'
  local host_fwd
  host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
  in_ct 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/net/ipv4/conf/lo/forwarding'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 123456789 ]
  [ "${lines[2]}" = 1 ]
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
}

@test "a sysctl that is not namespaced is refused and the host is unchanged" {
  local before
  before=$(cat /proc/sys/vm/swappiness)
  cfg_set .linux.sysctl "{\"vm.swappiness\":\"$(( (before + 7) % 100 ))\"}"
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "vm.swappiness"
  [ "$(cat /proc/sys/vm/swappiness)" = "$before" ]
  no_traces "$ID"
}

@test "a net sysctl without a network namespace is refused" {
  local before
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  cfg_ns_del network
  cfg_set .linux.sysctl "{\"net.ipv4.ip_forward\":\"$((1 - before))\"}"
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
  no_traces "$ID"
}

# hook_setup: a hook script reachable at the same path on the host and inside the rootfs,
# and a log directory bind-mounted at the same path, so hooks running in either namespace
# append to one host file.  Each hook saves its stdin (the state) and logs "<kind> <n>".
hook_setup () {
  private_rootfs
  HOOKLOG=$T/hooklog
  mkdir -p "$HOOKLOG" "$BUNDLE/rootfs$HOOKLOG"
  chmod 777 "$HOOKLOG"
  cat > "$T/hook.sh" <<EOF
#!/bin/sh
kind=\$1
cat > "$HOOKLOG/\$kind.json"
n=0; [ -f "$HOOKLOG/order" ] && n=\$(wc -l < "$HOOKLOG/order")
echo "\$kind \$(date +%s) \$n" >> "$HOOKLOG/order"
EOF
  chmod 755 "$T/hook.sh"
  mkdir -p "$BUNDLE/rootfs$T"
  cp "$T/hook.sh" "$BUNDLE/rootfs$T/hook.sh"
  cfg_append .mounts "{\"destination\":\"$HOOKLOG\",\"type\":\"bind\",\"source\":\"$HOOKLOG\",\"options\":[\"rbind\",\"rw\"]}"
}

hook () { # hook KIND [PATH [ARG0]]
  local path=${2:-$T/hook.sh}
  cfg_append ".hooks.$1" "{\"path\":\"$path\",\"args\":[\"${3:-hook}\",\"$1\"],\"timeout\":10}"
}

@test "hooks: all six kinds run in order and each gets the state on stdin" {
  hook_setup
  local k
  for k in prestart createRuntime createContainer startContainer poststart poststop; do hook $k; done
  cfg_args sh -c 'echo process-ran'
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  cr delete "$ID"
  cat "$HOOKLOG/order" >&2
  local order
  order=$(awk '{ print $1 }' "$HOOKLOG/order" | tr '\n' ' ')
  # prestart may run before or after createRuntime; the rest is a fixed sequence
  # (startContainer runs before the user process is executed, poststart after)
  [[ "$order" == "prestart createRuntime createContainer startContainer poststart poststop " ||
     "$order" == "createRuntime prestart createContainer startContainer poststart poststop " ]]
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    [ "$(json_get .id < "$HOOKLOG/$k.json")" = "$ID" ]
    json_get .status < "$HOOKLOG/$k.json"
  done
  [ "$(json_get .bundle < "$HOOKLOG/createRuntime.json")" = "$BUNDLE" ]
  grep -qx process-ran "$T/$ID.out"
}

@test "a failing prestart hook fails create and leaves nothing" {
  hook prestart /bin/false false
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  no_traces "$ID"
}

@test "a failing createRuntime hook fails create and leaves nothing" {
  hook createRuntime /bin/sh
  cfg_set '.hooks.createRuntime[0].args' '["sh","-c","exit 7"]'
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  no_traces "$ID"
}

@test "a hook that exceeds its timeout fails create" {
  hook createRuntime /bin/sleep
  cfg_set '.hooks.createRuntime[0].args' '["sleep","30"]'
  cfg_set '.hooks.createRuntime[0].timeout' 1
  local t0=$SECONDS
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  [ $((SECONDS - t0)) -lt 20 ]
  no_traces "$ID"
}

@test "a failing poststop hook only warns: delete succeeds and removes the container" {
  hook poststop /bin/false false
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  run cr delete "$ID"
  [ "$status" -eq 0 ]
  run cr state "$ID"
  [ "$status" -ne 0 ]
}

run_fg_any_status () { local rc=0; run_fg "$@" || rc=$?; echo "exit=$rc"; }

# The runtime binary must not be writable from the container (CVE-2019-5736 class).  Work
# on a copy so a failing runtime never corrupts the build.
runtime_copy () {
  cp "$CELLRUN" "$T/cellrun-copy"
  CELLRUN=$T/cellrun-copy
  SUM_BEFORE=$(sha256sum < "$CELLRUN")
}

@test "hardening: an entrypoint '#!/proc/self/exe' script cannot reach the runtime binary" {
  runtime_copy
  private_rootfs
  printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  cfg_args /evil
  # the exit status does not matter (127, 1, ...): only that the binary is intact
  run run_fg_any_status "$ID"
  echo "$output" >&2
  assert_contains "$output" "exit="
  cr delete --force "$ID" 2>/dev/null || true
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

@test "hardening: /proc/PID/exe of a created container cannot be reopened for writing" {
  runtime_copy
  cfg_args sleep 100
  create_ct "$ID"
  local pid
  pid=$(cat "$T/$ID.pid")
  # hold the init's executable open as a container process could, let it exec, then try
  # to reopen it for writing once nothing executes it any more
  exec 7< "/proc/$pid/exe"
  cr start "$ID"
  wait_status "$ID" running
  sleep 0.2
  run sh -c 'printf "#!/bin/sh\necho pwned\n" > /proc/self/fd/7'
  exec 7<&-
  echo "write attempt: status $status: $output" >&2
  [ "$status" -ne 0 ]
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

@test "hardening: a container process cannot write the runtime binary through an exec'd process" {
  runtime_copy
  private_rootfs
  # pid 1 grabs /proc/<pid>/exe of any other process (the runtime while it joins the
  # container during `exec`), then tries to write through it once that process has exec'd.
  # CAP_SYS_PTRACE lets it open the exe of that (non-dumpable) process, so the attempt is real.
  # Once done it stays alive: an init that exits kills an exec still in flight (SIGKILL, 137).
  cat > "$BUNDLE/rootfs/grab.sh" <<'EOF2'
#!/bin/sh
read start _ < /proc/uptime
start=${start%.*}
while :; do
  read now _ < /proc/uptime
  [ "${now%.*}" -lt $((start + 3)) ] || break
  for p in /proc/[0-9]*; do
    [ "$p" = /proc/1 ] && continue
    command exec 5< "$p/exe" 2>/dev/null || continue
    target=$(readlink /proc/self/fd/5)
    case "$target" in
      *busybox*) exec 5<&- ;;
      *) echo "opened $target"; sleep 1
         if (printf '#!/bin/sh\necho pwned\n' > /proc/self/fd/5) 2>/dev/null; then echo WROTE; else echo write-failed; fi
         exec 5<&-; echo finished; exec sleep 600 ;;
    esac
  done
done
echo finished
exec sleep 600
EOF2
  chmod 755 "$BUNDLE/rootfs/grab.sh"
  cfg_args /grab.sh
  local c
  for c in bounding effective permitted; do
    cfg_set ".process.capabilities.$c" "$(cfg_get ".process.capabilities.$c" | sed 's/]$/,"CAP_SYS_PTRACE"]/')"
  done
  create_ct "$ID"
  cr start "$ID"
  local i
  local rc
  for i in $(seq 40); do
    rc=0
    CR_TIMEOUT=10 cr exec "$ID" /bin/true > /dev/null 2>&1 < /dev/null || rc=$?
    if [ "$rc" -ge 124 ]; then echo "exec hung (status $rc)" >&2; return 1; fi
    grep -q finished "$T/$ID.out" && break
  done
  for i in $(seq 30); do grep -q finished "$T/$ID.out" && break; sleep 0.1; done
  cat "$T/$ID.out" >&2
  if grep -q WROTE "$T/$ID.out"; then fail "the container wrote the runtime binary"; fi
  grep -q '^opened ' "$T/$ID.out" || fail "pid 1 never got hold of an exec'd process: the test proves nothing"
  [ "$(sha256sum < "$CELLRUN")" = "$SUM_BEFORE" ]
}

# fds_of_running ID: the fd numbers the container's process holds, read from the host while
# it sleeps (reading /proc/1/fd from a shell pipeline inside would also see the pipe fds).
fds_of_running () {
  wait_status "$1" running
  ls "/proc/$(cat "$T/$1.pid")/fd" | sort -n | tr '\n' ' '
}

@test "hardening: no file descriptor above 2 reaches the container" {
  cfg_args sleep 30
  create_ct "$ID" 5< /dev/null
  cr start "$ID"
  run fds_of_running "$ID"
  echo "got: $output" >&2
  [ "$output" = "0 1 2 " ]
}

@test "hardening: --preserve-fds passes exactly the requested extra fds" {
  cfg_args sleep 30
  create_ct "$ID" --preserve-fds 2 3< /dev/null 4< /dev/null 5< /dev/null
  cr start "$ID"
  run fds_of_running "$ID"
  echo "got: $output" >&2
  [ "$output" = "0 1 2 3 4 " ]
}

@test "hardening: the container cannot see the runtime's state directory" {
  create_ct "$ID" || true
  cr delete --force "$ID" 2>/dev/null || true
  in_ct "ls -d $ROOT 2>/dev/null; ls -d $CT_TMP 2>/dev/null; true"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "rlimits with an unknown type fail create" {
  cfg_set .process.rlimits '[{"type":"RLIMIT_NOPE","soft":1,"hard":1}]'
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "RLIMIT_NOPE"
  no_traces "$ID"
}

@test "rlimits with soft above hard fail create" {
  cfg_set .process.rlimits '[{"type":"RLIMIT_NOFILE","soft":2000,"hard":1000}]'
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  no_traces "$ID"
}
