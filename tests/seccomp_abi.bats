#!/usr/bin/env bats
# The profile seccomp filter for every ABI a 64-bit container process can enter (issue 9,
# finding 7): i386 through `int $0x80` (with its time64 twins), x32, and the calls that reach
# into another process the way ptrace does (pidfd_getfd, kcmp, process_madvise).
#
# Every case starts from a *permissive* bundle written by `runc spec` (all capabilities in
# all five sets, no seccomp, no masked or read-only paths, rw root and /sys, noNewPrivileges
# off), so what is denied is denied by the profile.  runc's /dev/shm mount stays: it has no
# bearing on syscalls.  Every case first
# runs the same probe with no profile and requires a result other than EPERM: the probe
# reaches the kernel, so the test can fail.

load helpers

# permissive_bundle: replace $BUNDLE/config.json with a permissive one written by `runc spec`.
permissive_bundle () {
  command -v runc >/dev/null || skip "runc not installed"
  rm -f "$BUNDLE/config.json"
  (cd "$BUNDLE" && runc spec) || return 1
  "$PY" - "$BUNDLE/config.json" "$ROOTFS" <<'EOF'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
caps = ["CAP_" + n for n in (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
    "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
    "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
    "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
    "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
    "CHECKPOINT_RESTORE").split()]
# "all" is what this host can give: the runtime's own bounding set (a VM may lack a few)
bnd = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd:")][0], 16)
caps = [n for i, n in enumerate(caps) if bnd >> i & 1]
p = c["process"]
p["terminal"] = False
p["noNewPrivileges"] = False
p["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted", "inheritable", "ambient")}
c["root"] = {"path": rootfs, "readonly": False}
lx = c["linux"]
for k in ("seccomp", "maskedPaths", "readonlyPaths"):
    lx.pop(k, None)
for m in c["mounts"]:
    if m["destination"] in ("/sys", "/sys/fs/cgroup"):
        m["options"] = [o for o in m.get("options", []) if o != "ro"]
json.dump(c, open(path, "w"), indent=2)
EOF
}

# expect_none WANT NAME...: every NAME answered, and none answered WANT (or died of a signal).
expect_none () {
  local want=$1 n got bad=0; shift
  for n in "$@"; do
    got=$(probe_result "$n")
    case "$got" in
      "" | "$want" | SIG* | UNKNOWN | BAD-NR | TOO-MANY-ARGS) echo "$n: got '${got:-nothing}'"; bad=1 ;;
    esac
  done
  return $bad
}

# i386 calls (int $0x80 with i386 numbers) denied under both profiles.  Arguments make an
# allowed call harmless: queries (modes 0), invalid times (EINVAL), fd -1 (EBADF), pid 0 (ESRCH).
I386_BOTH=(
  int80 405 0 @zero      # clock_adjtime64(CLOCK_REALTIME, {modes=0}): a query
  int80 404 0 @badts     # clock_settime64(CLOCK_REALTIME, {0, -1}): EINVAL when allowed
  int80 124 @zero        # adjtimex({modes=0}): a query
  int80 343 0 @zero      # clock_adjtime (old timex32), a query
  int80 264 0 @badts32   # clock_settime (old timespec32)
  int80 79 @badts32      # settimeofday (old timeval32, usec -1)
  int80 25 0             # stime(NULL): EFAULT when allowed
  int80 349 0 0 0 0 0    # kcmp(0, 0, ...): ESRCH when allowed
  int80 438 -1 0 0       # pidfd_getfd(-1, 0, 0): EBADF when allowed
  int80 440 -1 0 0 0 0   # process_madvise(-1, ...): EBADF when allowed
  int80 346 -1 0         # setns(-1, 0)
  int80 310 0x40000000   # unshare(CLONE_NEWNET)
  int80 54 -1 0x5412 0   # ioctl(-1, TIOCSTI)
  int80 357 9999 0 0     # bpf(9999)
  int80 288 9999 0 0 0 0 # keyctl(9999)
)
I386_BOTH_NAMES="int80-405 int80-404 int80-124 int80-343 int80-264 int80-79 int80-25 int80-349 int80-438 int80-440 int80-346 int80-310 int80-54 int80-357 int80-288"
# i386 calls denied by strict only (balanced keeps ptrace and process_vm_*; clarification 10).
I386_STRICT=(
  int80 26 0x4206 0 0 0  # ptrace(PTRACE_SEIZE, pid 0): ESRCH when allowed
  int80 347 0 0 0 0 0    # process_vm_readv(0, ...)
)
I386_STRICT_NAMES="int80-26 int80-347"

@test "i386 ABI via int 0x80: the clock calls (time64 twins included) and the rest of the denylist are EPERM under strict and balanced, and reach the kernel with no profile" {
  have_sysprobe || skip "sysprobe not built"
  permissive_bundle
  cfg_args sysprobe "${I386_BOTH[@]}" "${I386_STRICT[@]}" int80 20
  run prun none "$ID"
  echo "no profile: $output"
  [ "$status" -eq 0 ]
  expect_none EPERM $I386_BOTH_NAMES $I386_STRICT_NAMES
  # the query really is allowed and answered by the kernel (the finding's attack)
  probe_expect OK int80-405 int80-124 int80-343 int80-20
  cr delete -f "$ID" >/dev/null 2>&1 || true

  run prun strict "$ID"
  echo "strict: $output"
  [ "$status" -eq 0 ]
  probe_expect EPERM $I386_BOTH_NAMES $I386_STRICT_NAMES
  probe_expect OK int80-20 # getpid: the i386 ABI is admitted, not killed
  cr delete -f "$ID" >/dev/null 2>&1 || true

  run prun balanced "$ID2"
  echo "balanced: $output"
  [ "$status" -eq 0 ]
  probe_expect EPERM $I386_BOTH_NAMES
  expect_none EPERM $I386_STRICT_NAMES
  probe_expect OK int80-20
}

@test "i386 clone3 is ENOSYS and personality(PER_LINUX32) EPERM under strict, as on x86_64" {
  have_sysprobe || skip "sysprobe not built"
  permissive_bundle
  cfg_args sysprobe int80 435 0 0 int80 136 8 int80 136 0xffffffff
  run prun none "$ID"
  echo "no profile: $output"
  [ "$status" -eq 0 ]
  probe_expect EINVAL int80-435
  [ "$(awk '$1 == "int80-136" { print $2 }' <<< "$output" | sort -u)" = OK ]
  cr delete -f "$ID" >/dev/null 2>&1 || true
  run prun strict "$ID2"
  echo "strict: $output"
  [ "$status" -eq 0 ]
  probe_expect ENOSYS int80-435
  # the PER_LINUX32 request is denied, the query that follows is allowed
  [ "$(awk '$1 == "int80-136" { print $2 }' <<< "$output" | tr '\n' ' ')" = "EPERM OK " ]
}

@test "x32 ABI: every x32 syscall is EPERM under strict and balanced, not EPERM with no profile" {
  have_sysprobe || skip "sysprobe not built"
  permissive_bundle
  # getpid (39) and uname (63): harmless calls, so the denial is of the ABI, not of a name
  cfg_args sysprobe x32 39 x32 63 @zero getpid
  run prun none "$ID"
  echo "no profile: $output"
  [ "$status" -eq 0 ]
  expect_none EPERM x32-39 x32-63 # ENOSYS on a kernel without x32, OK with it
  cr delete -f "$ID" >/dev/null 2>&1 || true
  local p
  for p in strict balanced; do
    run prun "$p" "$ID-$p"
    echo "$p: $output"
    [ "$status" -eq 0 ]
    probe_expect EPERM x32-39 x32-63
    probe_expect OK getpid
  done
}

@test "pidfd_getfd of another container process's fd, kcmp and process_madvise: work with no profile, EPERM under strict and balanced" {
  have_sysprobe || skip "sysprobe not built"
  permissive_bundle
  cfg_args sysprobe pidfd_getfd kcmp process_madvise ptrace
  run prun none "$ID"
  echo "no profile: $output"
  [ "$status" -eq 0 ]
  # OK for pidfd_getfd means the second process read "stolen" through the copied fd
  probe_expect OK pidfd_getfd kcmp process_madvise
  cr delete -f "$ID" >/dev/null 2>&1 || true
  run prun strict "$ID"
  echo "strict: $output"
  [ "$status" -eq 0 ]
  probe_expect EPERM pidfd_getfd kcmp process_madvise ptrace
  cr delete -f "$ID" >/dev/null 2>&1 || true
  run prun balanced "$ID2"
  echo "balanced: $output"
  [ "$status" -eq 0 ]
  probe_expect EPERM pidfd_getfd kcmp process_madvise
  expect_none EPERM ptrace # balanced keeps ptrace itself (clarification 10)
}

@test "exec into a strict container gets the same ABI rules (i386 clock_adjtime64, x32, pidfd_getfd)" {
  have_sysprobe || skip "sysprobe not built"
  permissive_bundle
  cfg_args sleep 60
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" --profile strict run -d --bundle "$BUNDLE" --pid-file "$T/$ID.pid" "$ID" \
    > "$T/$ID.out" 2> "$T/$ID.err" < /dev/null || { cat "$T/$ID.err"; false; }
  run cr exec "$ID" sysprobe int80 405 0 @zero x32 39 pidfd_getfd int80 20
  echo "exec: $output"
  [ "$status" -eq 0 ]
  probe_expect EPERM int80-405 x32-39 pidfd_getfd
  probe_expect OK int80-20
}
