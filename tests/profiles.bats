#!/usr/bin/env bats
# Isolation profiles (strict, balanced) checked from inside real containers: every row of the
# translation table in docs/profiles.md, profile selection (argv0, --profile, config file,
# annotation), and the isolation-lessons items that concern profiles and lifecycle.

load helpers
bats_require_minimum_version 1.5.0

# refute_re ERE [MSG]: no line of $output matches ERE; fails with MSG and the matching lines.
refute_re () {
  local hit
  hit=$(grep -E -m 3 -- "$1" <<< "$output") || return 0
  fail "${2:-unexpected output matching /$1/}: $hit"
}

ALL_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_KILL","CAP_SYS_ADMIN","CAP_NET_ADMIN","CAP_SYS_PTRACE","CAP_SETUID","CAP_AUDIT_WRITE"]'

# all_caps JSON_LIST: the same capability list in all five sets.
all_caps () {
  cfg_set .process.capabilities "{\"bounding\":$1,\"effective\":$1,\"permitted\":$1,\"inheritable\":$1,\"ambient\":$1}"
}

# pcreate PROFILE ID [create flags]: create (detached stdio) under a profile.
pcreate () {
  local profile=$1 id=$2; shift 2
  local g=()
  [ "$profile" = none ] || g=(--profile "$profile")
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" "${g[@]}" create --bundle "$BUNDLE" --pid-file "$T/$id.pid" \
    "$@" "$id" > "$T/$id.out" 2> "$T/$id.err" < /dev/null
  local rc=$?
  cat "$T/$id.err" >&2
  return $rc
}

# xcreate BIN ID [global flags]: create with another binary name (argv0) or global flags; stdio
# goes to files so a container waiting for start never holds a pipe `run` waits on.
xcreate () {
  local bin=$1 id=$2; shift 2
  timeout -k 2 30 "$bin" --root "$ROOT" "$@" create --bundle "$BUNDLE" --pid-file "$T/$id.pid" "$id" \
    > "$T/$id.out" 2> "$T/$id.err" < /dev/null
  local rc=$?
  cat "$T/$id.err"
  return $rc
}

status_field () { awk -v k="$1:" '$1 == k { print $2 }' <<< "$output"; }

cap_mask () {  # cap_mask NUMBER...: hex mask as /proc/self/status prints it
  local m=0 b
  for b in "$@"; do m=$((m | (1 << b))); done
  printf '%016x\n' "$m"
}

# ------------------------------------------------------------------ capabilities, nnp, seccomp

@test "strict: all five capability sets empty even when the bundle asks for CAP_SYS_ADMIN everywhere" {
  all_caps "$ALL_CAPS"
  cfg_set .process.noNewPrivileges false
  cfg_args sh -c 'cat /proc/self/status'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  for k in CapInh CapPrm CapEff CapBnd CapAmb; do
    [ "$(status_field $k)" = 0000000000000000 ] || { echo "$k=$(status_field $k)"; false; }
  done
  [ "$(status_field NoNewPrivs)" = 1 ]
  [ "$(status_field Seccomp)" = 2 ]
}

@test "strict: the profile filter is stacked on the bundle's own filter (Seccomp_filters: 2)" {
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["acct"],"action":"SCMP_ACT_ERRNO"}]}'
  cfg_args sh -c 'cat /proc/self/status'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  [ "$(status_field Seccomp)" = 2 ]
  [ "$(status_field Seccomp_filters)" = 2 ]
}

@test "balanced: every capability set is intersected with the balanced list" {
  all_caps "$ALL_CAPS"
  cfg_args sh -c 'cat /proc/self/status'
  run prun balanced "$ID"
  [ "$status" -eq 0 ]
  # CHOWN(0) DAC_OVERRIDE(1) KILL(5) SETUID(7) AUDIT_WRITE(29) stay; SYS_ADMIN, NET_ADMIN, SYS_PTRACE go
  local want
  want=$(cap_mask 0 1 5 7 29)
  for k in CapPrm CapEff CapBnd CapInh CapAmb; do
    [ "$(status_field $k)" = "$want" ] || { echo "$k=$(status_field $k) want $want"; false; }
  done
  [ "$(status_field NoNewPrivs)" = 1 ]
  [ "$(status_field Seccomp)" = 2 ]
}

@test "balanced: a bundle with fewer capabilities keeps fewer (the profile never adds one)" {
  cfg_set .process.capabilities '{"bounding":["CAP_KILL","CAP_SYS_ADMIN"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}'
  cfg_args sh -c 'cat /proc/self/status'
  run prun balanced "$ID"
  [ "$status" -eq 0 ]
  [ "$(status_field CapEff)" = "$(cap_mask 5)" ]
  [ "$(status_field CapPrm)" = "$(cap_mask 5)" ]
  [ "$(status_field CapBnd)" = "$(cap_mask 5)" ]
  [ "$(status_field CapInh)" = 0000000000000000 ]
  [ "$(status_field CapAmb)" = 0000000000000000 ]
}

@test "no profile: the bundle's capabilities and noNewPrivileges are applied unchanged" {
  all_caps '["CAP_SYS_ADMIN","CAP_KILL"]'
  cfg_set .process.noNewPrivileges false
  cfg_args sh -c 'cat /proc/self/status'
  run prun none "$ID"
  [ "$status" -eq 0 ]
  [ "$(status_field CapEff)" = "$(cap_mask 5 21)" ]
  [ "$(status_field NoNewPrivs)" = 0 ]
  [ "$(status_field Seccomp)" = 0 ]
}

# ------------------------------------------------------------------ seccomp through sysprobe

# Probes whose failure under strict must come from the filter: without a profile, with every
# capability (and therefore with no capability excuse), the same probes do not give EPERM.
NOCAP_PROBES="unshare-user userfaultfd io_uring_setup io_uring_enter io_uring_register keyctl add_key request_key personality-linux32 bpf perf_event_open ptrace process_vm_readv"
BOTH_DENIED="mount umount2 pivot_root move_mount open_tree fsopen fsmount fsconfig mount_setattr setns unshare-net clone-ns kexec_load kexec_file_load init_module finit_module delete_module bpf perf_event_open userfaultfd keyctl add_key request_key open_by_handle_at name_to_handle_at swapon swapoff reboot sethostname setdomainname acct settimeofday clock_settime clock_adjtime adjtimex iopl ioperm quotactl lookup_dcookie syslog tiocsti"
STRICT_ONLY="ptrace process_vm_readv io_uring_setup io_uring_enter io_uring_register personality-linux32 unshare-user"

@test "strict: every denylisted syscall fails with EPERM and clone3 with ENOSYS (sysprobe)" {
  have_sysprobe || skip "tests/probes/sysprobe not built"
  all_caps '["CAP_SYS_ADMIN","CAP_SYS_PTRACE","CAP_SYS_MODULE","CAP_SYS_BOOT","CAP_SYS_TIME","CAP_SYS_RAWIO","CAP_SYSLOG","CAP_BPF","CAP_PERFMON","CAP_DAC_READ_SEARCH","CAP_SYS_PACCT","CAP_NET_ADMIN"]'
  cfg_args sysprobe $NOCAP_PROBES getpid personality clone3
  run prun none "$ID"
  echo "control status $status"
  [ "$status" -eq 0 ]
  echo "control (no profile, all caps): $output"
  local p
  for p in $NOCAP_PROBES; do
    refute_re "^$p EPERM\$" "control already EPERM for $p: the probe proves nothing"
  done
  cr delete -f "$ID" >/dev/null 2>&1 || true
  cfg_args sysprobe $BOTH_DENIED $STRICT_ONLY clone3 getpid personality
  run prun strict "$ID2"
  [ "$status" -eq 0 ]
  echo "strict: $output"
  for p in $BOTH_DENIED $STRICT_ONLY; do
    grep -qx "$p EPERM" <<< "$output" || { echo "strict: $p not EPERM"; false; }
  done
  grep -qx "clone3 ENOSYS" <<< "$output"
  grep -qx "getpid OK" <<< "$output"
  # clarification 8: the default persona query stays allowed
  grep -qx "personality OK" <<< "$output"
}

@test "balanced: allows ptrace, personality, io_uring and unshare(CLONE_NEWUSER); the rest stays denied" {
  have_sysprobe || skip "tests/probes/sysprobe not built"
  cfg_args sysprobe ptrace process_vm_readv personality-linux32 io_uring_setup unshare-user $BOTH_DENIED clone3
  run prun balanced "$ID"
  [ "$status" -eq 0 ]
  echo "$output"
  local p
  for p in ptrace process_vm_readv personality-linux32 io_uring_setup unshare-user; do
    refute_re "^$p EPERM\$" "balanced: $p denied"
    refute_re "^$p SIG" "balanced: $p killed by a signal"
  done
  grep -qx "personality-linux32 OK" <<< "$output"
  grep -qx "unshare-user OK" <<< "$output"
  for p in $BOTH_DENIED; do
    grep -qx "$p EPERM" <<< "$output" || { echo "balanced: $p not EPERM"; false; }
  done
  grep -qx "clone3 ENOSYS" <<< "$output"
}

@test "strict: unshare -n fails; balanced: unshare -U works but unshare -U -n does not" {
  cfg_args sh -c 'unshare -n true && echo NET-OK || echo NET-FAIL'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  assert_contains "$output" NET-FAIL
  cfg_args sh -c 'unshare -n true && echo NET-OK || echo NET-FAIL; unshare -U true && echo USER-OK || echo USER-FAIL; unshare -U -n true && echo USERNET-OK || echo USERNET-FAIL'
  run prun balanced "$ID2"
  [ "$status" -eq 0 ]
  assert_contains "$output" NET-FAIL
  assert_contains "$output" USER-OK
  assert_contains "$output" USERNET-FAIL
}

# ------------------------------------------------------------------ filesystem rows

@test "strict: the root is read-only" {
  cfg_set .root.readonly false
  cfg_args sh -c 'touch /x 2>&1; echo rc=$?; mkdir /etc/x 2>&1; echo rc=$?'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  assert_contains "$output" "Read-only file system"
  refute_re '^rc=0$' "strict: a write to the read-only root succeeded"
  [ ! -e "$ROOTFS/x" ]
  [ ! -e "$ROOTFS/etc/x" ]
}

@test "strict: /tmp, /var/tmp and /dev/shm are private tmpfs nosuid,nodev mode 1777 replacing a bundle mount" {
  mkdir "$T/hosttmp"
  echo host > "$T/hosttmp/from-host"
  cfg_append .mounts "{\"destination\":\"/tmp\",\"type\":\"bind\",\"source\":\"$T/hosttmp\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_args sh -c 'for d in /tmp /var/tmp /dev/shm; do awk -v d=$d "\$5 == d { print d, \$6, \$9 }" /proc/self/mountinfo; stat -c "%n %a" $d; done; ls /tmp; echo x > /tmp/w && echo WROTE'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  echo "$output"
  for d in /tmp /var/tmp /dev/shm; do
    grep -E "^$d [^ ]*nosuid[^ ]* tmpfs$" <<< "$output" | grep -q nodev
    grep -qx "$d 1777" <<< "$output"
  done
  refute_re from-host "strict: the host's /tmp content is visible"
  assert_contains "$output" WROTE
  [ ! -e "$T/hosttmp/w" ]
}

@test "lesson: strict private /tmp stays private between two containers, also with a workspace at /tmp/ws" {
  mkdir "$T/ws"
  cfg_args sh -c 'echo secret > /tmp/only-in-a; echo shared > /tmp/ws/from-a; touch /tmp/ready; sleep 30'
  pcreate strict "$ID" --workspace "$T/ws:/tmp/ws:rw"
  cr start "$ID"
  local i
  for i in $(seq 50); do [ -e "/proc/$(cat "$T/$ID.pid")/root/tmp/ready" ] && break; sleep 0.1; done
  [ -e "/proc/$(cat "$T/$ID.pid")/root/tmp/only-in-a" ]
  cfg_args sh -c 'ls -a /tmp; ls /tmp/ws; awk "\$5 == \"/tmp\" || \$5 == \"/tmp/ws\" { print \$5, \$9 }" /proc/self/mountinfo'
  run prun strict "$ID2" --workspace "$T/ws:/tmp/ws:rw"
  [ "$status" -eq 0 ]
  echo "$output"
  refute_re only-in-a "strict: the other container's /tmp is visible"
  refute_re ready "strict: the other container's /tmp is visible"
  grep -qx from-a <<< "$output"          # the workspace itself is shared (rw)
  grep -qx "/tmp tmpfs" <<< "$output"     # the private /tmp still exists under the workspace
  grep -q "^/tmp/ws " <<< "$output"
  # and the same with an overlay workspace
  cr delete -f "$ID2"
  run prun strict "$ID2" --workspace "$T/ws:/tmp/ws"
  [ "$status" -eq 0 ]
  refute_re only-in-a "strict (overlay workspace): the other container's /tmp is visible"
  grep -qx "/tmp tmpfs" <<< "$output"
  grep -qx "/tmp/ws overlay" <<< "$output"
}

@test "strict: sysfs and every cgroup mount are read-only" {
  cfg_args sh -c 'awk "\$9 == \"sysfs\" || \$9 == \"cgroup\" || \$9 == \"cgroup2\" || \$5 == \"/sys/fs/cgroup\" { print \$5, \$6 }" /proc/self/mountinfo; touch /sys/fs/cgroup/x 2>&1; mkdir /sys/fs/cgroup/pids/x 2>&1; echo end'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  echo "$output"
  grep -q '^/sys ' <<< "$output"
  refute_re '^/sys[^ ]* rw' "strict: a sysfs or cgroup mount is read-write"
  assert_contains "$output" "Read-only file system"
}

@test "strict: masked paths read empty and read-only paths refuse writes" {
  cfg_args sh -c 'for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts /proc/sched_debug /proc/latency_stats; do [ -e $f ] && echo "$f $(cat $f 2>/dev/null | wc -c)"; done; echo "acpi $(ls -A /proc/acpi 2>/dev/null | wc -l)"; echo "firmware $(ls -A /sys/firmware 2>/dev/null | wc -l)"; echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo SYSWRITE-OK || echo SYSWRITE-FAIL'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  echo "$output"
  grep -qx "/proc/keys 0" <<< "$output"
  grep -qx "/proc/interrupts 0" <<< "$output"
  refute_re '^/proc/[a-z_]+ [1-9]' "strict: a masked /proc file has content"
  grep -qx "acpi 0" <<< "$output"
  grep -qx "firmware 0" <<< "$output"
  grep -qx SYSWRITE-FAIL <<< "$output"
}

@test "balanced: masked and read-only paths are added too, root stays as the bundle says" {
  cfg_set .root.readonly false
  private_rootfs
  cfg_args sh -c 'echo "keys $(cat /proc/keys | wc -c)"; touch /rootfile && echo ROOT-WRITABLE'
  run prun balanced "$ID"
  [ "$status" -eq 0 ]
  grep -qx "keys 0" <<< "$output"
  grep -qx ROOT-WRITABLE <<< "$output"
}

@test "strict: RLIMIT_CORE is 0 soft and hard, replacing the bundle's value" {
  cfg_set .process.rlimits '[{"type":"RLIMIT_CORE","soft":1048576,"hard":1048576},{"type":"RLIMIT_NOFILE","soft":512,"hard":512}]'
  cfg_args sh -c 'echo "core $(ulimit -c) $(ulimit -H -c)"; echo "nofile $(ulimit -n)"'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  grep -qx "core 0 0" <<< "$output"
  grep -qx "nofile 512" <<< "$output"
}

# pids_max_of ID: pids.max of the container's cgroup, read on the host.
pids_max_of () {
  local f
  f=$(find /sys/fs/cgroup/pids /sys/fs/cgroup/unified /sys/fs/cgroup -maxdepth 6 -type f -name pids.max -path "*$1*" 2>/dev/null | head -n 1)
  [ -n "$f" ] || { echo "no pids cgroup for $1" >&2; return 1; }
  cat "$f"
}

@test "strict: pids limit 1024 by default and for a non-positive bundle limit; a positive one is kept" {
  cfg_args sleep 30
  pcreate strict "$ID"
  [ "$(pids_max_of "$ID")" = 1024 ]
  cr delete -f "$ID"
  cfg_set .linux.resources.pids '{"limit":-1}'
  pcreate strict "$ID2"
  [ "$(pids_max_of "$ID2")" = 1024 ]
  cr delete -f "$ID2"
  cfg_set .linux.resources.pids '{"limit":77}'
  pcreate strict "$ID-c"
  [ "$(pids_max_of "$ID-c")" = 77 ]
  cr delete -f "$ID-c"
  cfg_del .linux.resources.pids
  pcreate balanced "$ID-d"
  [ "$(pids_max_of "$ID-d")" = max ]
  cr delete -f "$ID-d"
}

# ------------------------------------------------------------------ network

@test "strict: a new network namespace with only loopback, even when the bundle has none" {
  cfg_ns_del network
  cfg_args sh -c 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; readlink /proc/self/ns/net'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  echo "$output"
  [ "$(sed -n 1p <<< "$output")" = lo ]
  [ "$(grep -vc '^net:' <<< "$output")" -eq 1 ]
  [ "$(grep '^net:' <<< "$output")" != "$(readlink /proc/self/ns/net)" ]
}

@test "strict: a bundle network namespace given by path (a pod) is kept" {
  command -v ip >/dev/null || skip "no ip command"
  local ns=${ID}-ns
  ip netns add "$ns"
  cfg_ns_set network "/run/netns/$ns"
  cfg_args readlink /proc/self/ns/net
  run prun strict "$ID"
  local want
  want=$(ip netns exec "$ns" readlink /proc/self/ns/net)
  ip netns delete "$ns"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]
}

@test "strict: namespaces pid, ipc, uts, mount, cgroup and network are added when the bundle lacks them" {
  for n in pid ipc uts cgroup network; do cfg_ns_del $n; done
  cfg_args sh -c 'for n in pid ipc uts mnt cgroup net; do echo "$n $(readlink /proc/self/ns/$n)"; done'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  local n
  for n in pid ipc uts mnt cgroup net; do
    [ "$(grep "^$n " <<< "$output" | cut -d' ' -f2)" != "$(readlink /proc/self/ns/$n)" ] || { echo "shares $n"; false; }
  done
}

@test "balanced: adds pid, ipc, uts and mount namespaces but keeps the host network when the bundle says so" {
  for n in pid ipc uts network; do cfg_ns_del $n; done
  cfg_args sh -c 'for n in pid ipc uts mnt net; do echo "$n $(readlink /proc/self/ns/$n)"; done'
  run prun balanced "$ID"
  [ "$status" -eq 0 ]
  for n in pid ipc uts mnt; do
    [ "$(grep "^$n " <<< "$output" | cut -d' ' -f2)" != "$(readlink /proc/self/ns/$n)" ]
  done
  [ "$(grep "^net " <<< "$output" | cut -d' ' -f2)" = "$(readlink /proc/self/ns/net)" ]
}

# ------------------------------------------------------------------ selection

@test "an annotation weaker than --profile strict is refused with a clear message" {
  annot run.cellrun.profile balanced
  run prun strict "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "run.cellrun.profile=balanced: weaker than the operator's profile strict"
  assert_contains "$output" "--profile"
  run ! cr state "$ID"
  annot run.cellrun.profile none
  run prun balanced "$ID2"
  [ "$status" -ne 0 ]
  assert_contains "$output" "weaker than the operator's profile balanced"
}

@test "an annotation weaker than the floor set by the cellrun-strict name is refused" {
  ln -s "$CELLRUN" "$T/cellrun-strict"
  ln -s "$CELLRUN" "$T/cellrun-balanced"
  annot run.cellrun.profile balanced
  run xcreate "$T/cellrun-strict" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "weaker than the operator's profile strict"
  assert_contains "$output" "cellrun-strict"
  # the balanced name accepts the annotation and applies balanced
  cfg_args sleep 30
  run xcreate "$T/cellrun-balanced" "$ID2"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID2" profile)" = balanced ]
  # the strict name alone (no annotation) gives strict
  annot run.cellrun.profile strict
  run xcreate "$T/cellrun-strict" "$ID-c"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID-c" profile)" = strict ]
}

@test "an annotation weaker than 'profile = strict' in a --config file is refused" {
  printf '# operator policy\nprofile = strict\n' > "$T/cellrun.conf"
  annot run.cellrun.profile balanced
  run xcreate "$CELLRUN" "$ID" --config "$T/cellrun.conf"
  [ "$status" -ne 0 ]
  assert_contains "$output" "weaker than the operator's profile strict"
  # without an annotation the config file's profile applies
  annot run.cellrun.profile strict
  cfg_args sleep 30
  run xcreate "$CELLRUN" "$ID2" --config "$T/cellrun.conf"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID2" profile)" = strict ]
}

@test "a stricter annotation than the operator's floor is accepted and applied" {
  annot run.cellrun.profile strict
  cfg_args sh -c 'grep CapEff /proc/self/status; touch /x 2>/dev/null || echo RO'
  run prun balanced "$ID"
  [ "$status" -eq 0 ]
  assert_contains "$output" "0000000000000000"
  assert_contains "$output" RO
  cfg_args sleep 30
  pcreate none "$ID2"
  [ "$(state_field "$ID2" profile)" = strict ]
}

@test "unknown profile names are errors listing the known profiles, from every source" {
  run cr --profile bogus run --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" 'unknown profile "bogus" (known: strict, balanced)'
  printf 'profile = stric\n' > "$T/c.conf"
  run cr --config "$T/c.conf" run --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" 'unknown profile "stric" (known: strict, balanced)'
  annot run.cellrun.profile Strict
  run prun none "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" 'unknown profile "Strict" (known: strict, balanced)'
  run ! cr state "$ID"
  run cr profile show paranoid
  [ "$status" -ne 0 ]
  assert_contains "$output" 'unknown profile "paranoid" (known: strict, balanced)'
}

@test "cellrun state reports the effective profile (strict, balanced, none)" {
  cfg_args sleep 30
  pcreate strict "$ID"
  pcreate balanced "$ID2"
  pcreate none "$ID-c"
  [ "$(state_field "$ID" profile)" = strict ]
  [ "$(state_field "$ID2" profile)" = balanced ]
  [ "$(state_field "$ID-c" profile)" = none ]
}

@test "profile show strict prints the rules; profile show balanced lists its capabilities" {
  run cr profile show strict
  [ "$status" -eq 0 ]
  for w in "capabilities: all five sets empty" "root: read-only" /tmp /dev/shm RLIMIT_CORE 1024 mount bpf userfaultfd clone3 ENOSYS personality TIOCSTI /proc/kcore /proc/sysrq-trigger "*TOKEN*" "ignoring case" noNewPrivileges; do
    assert_contains "$output" "$w"
  done
  run cr profile show balanced
  [ "$status" -eq 0 ]
  assert_contains "$output" CAP_NET_BIND_SERVICE
  assert_contains "$output" "CLONE_NEWUSER alone allowed"
  local first
  first=$(grep EPERM: <<< "$output" | head -n 1)
  [ -n "$first" ] || fail "profile show balanced: no EPERM line"
  [[ "$first" != *ptrace* ]] || fail "profile show balanced: ptrace is on the EPERM list: $first"
}

@test "features lists the run.cellrun. annotations and potentiallyUnsafeConfigAnnotations" {
  run cr features
  [ "$status" -eq 0 ]
  json_valid <<< "$output"
  "$PY" -c '
import json, sys
f = json.loads(sys.argv[1])
s = json.dumps(f)
for a in ["run.cellrun.profile", "run.cellrun.workspace", "run.cellrun.workspace.max-bytes",
          "run.cellrun.extra-writable", "run.cellrun.env"]:
    assert a in s, a
unsafe = f.get("potentiallyUnsafeConfigAnnotations")
assert isinstance(unsafe, list) and unsafe, unsafe
assert any(u.startswith("run.cellrun.") for u in unsafe), unsafe
' "$output"
}

# ------------------------------------------------------------------ lessons (profiles, lifecycle)

@test "lesson: readiness only after setup - a strict create whose mount fails reports failure and leaves nothing" {
  cfg_append .mounts "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/does-not-exist\",\"options\":[\"rbind\",\"ro\"]}"
  cfg_args sleep 30
  run pcreate strict "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "does-not-exist"
  no_traces "$ID"
}

@test "lesson: numeric uid/gid without a passwd entry work as given under strict" {
  cfg_set .process.user '{"uid":4242,"gid":4343,"additionalGids":[4444]}'
  cfg_args sh -c 'echo "$(id -u) $(id -g)"; grep ^Groups: /proc/self/status'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  grep -qx "4242 4343" <<< "$output"
  grep -q "4444" <<< "$output"
}

@test "lesson: no leaked fds - the strict process holds only stdio (the seccomp program fd is closed)" {
  cfg_args sleep 30
  pcreate strict "$ID"
  cr start "$ID"
  wait_status "$ID" running
  local pid
  pid=$(cat "$T/$ID.pid")
  sleep 0.2
  run ls "/proc/$pid/fd"
  echo "fds of $pid: $(echo $output)"
  [ "$(echo $output)" = "0 1 2" ]
}

@test "lesson: a strict process killed by a signal is a failure (128+N), never success" {
  cfg_args sleep 100
  ( rc=0; prun strict "$ID" > "$T/fg.out" 2>&1 || rc=$?; echo $rc > "$T/fg.rc" ) &
  wait_status "$ID" running
  cr kill "$ID" KILL
  wait
  [ "$(cat "$T/fg.rc")" -eq 137 ]
}

@test "lesson: in-band output cannot fake the exit status (the status comes from the process)" {
  cfg_args sh -c 'echo "__CELLRUN_DONE__ exit=0"; echo "EXIT 0"; exit 7'
  run prun strict "$ID"
  [ "$status" -eq 7 ]
}

@test "lesson: a killed strict container is reported stopped and delete tears everything down" {
  cfg_args sleep 100
  pcreate strict "$ID"
  cr start "$ID"
  [ "$(state_field "$ID" status)" = running ]
  cr kill "$ID" KILL
  wait_status "$ID" stopped
  cr delete "$ID"
  no_traces "$ID"
}

@test "lesson: hardened preset - strict with a non-root user cannot regain privileges" {
  cfg_set .process.user '{"uid":1000,"gid":1000}'
  private_rootfs
  mkdir "$BUNDLE/rootfs/suid"
  cp "$ROOTFS/bin/busybox" "$BUNDLE/rootfs/suid/busybox"
  chmod 4755 "$BUNDLE/rootfs/suid/busybox"
  cfg_args sh -c '/suid/busybox id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  echo "$output"
  grep -qx 1000 <<< "$output"
  assert_contains "$output" "0000000000000000"
}

# ------------------------------------------------------------------ strict: the bundle's bind mounts

# Issue 9 finding 5: under an operator strict floor a bundle's rbind,rw of a host path wrote into
# the host. The target here is a temp dir outside writable_allowlist (not the real /etc); the
# effect is checked on the host.
@test "strict: a bundle's rw bind of a host dir outside writable_allowlist is read-only, the host file unchanged" {
  local host=$T/hostdir
  mkdir -p "$host/sub"
  echo original > "$host/f"
  cfg_append .mounts "{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$host\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_args sh -c 'echo pwned > /mnt/f; echo "rc=$?"; echo pwned > /mnt/new; touch /mnt/sub/x; cat /mnt/f'
  # control: without a profile the same bundle writes to the host, so the probe can see a write
  run prun none "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$host/f")" = pwned ] || fail "control: the rw bind did not write to the host: $output"
  rm -f "$host/new" "$host/sub/x"
  echo original > "$host/f"
  for how in --profile --config; do
    if [ "$how" = --profile ]; then
      run prun strict "$ID2"
    else
      printf 'profile = strict\n' > "$T/c.conf"
      run cr --config "$T/c.conf" run --bundle "$BUNDLE" "$ID-c" < /dev/null
    fi
    [ "$status" -eq 0 ] || fail "$how strict: the container did not run: $output"
    assert_contains "$output" "Read-only file system"
    grep -qx original <<< "$output" || fail "$how strict: the container saw a changed file: $output"
    [ "$(cat "$host/f")" = original ] || fail "$how strict: host file changed to $(cat "$host/f")"
    [ ! -e "$host/new" ] || fail "$how strict: a new file appeared on the host"
    [ ! -e "$host/sub/x" ] || fail "$how strict: a file appeared in a host subdirectory"
  done
}

@test "strict: a bundle bind inside writable_allowlist stays writable; strict_bundle_binds = refuse refuses others" {
  local allowed=$T/allowed other=$T/other
  mkdir -p "$allowed" "$other"
  cfg_append .mounts "{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$allowed\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_args sh -c 'echo written > /mnt/f'
  printf 'profile = strict\nwritable_allowlist = %s\n' "$allowed" > "$T/c.conf"
  run cr --config "$T/c.conf" run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -eq 0 ] || fail "allowlisted bind: $output"
  [ "$(cat "$allowed/f")" = written ] || fail "allowlisted bind: the write did not reach the host"

  cfg_append .mounts "{\"destination\":\"/home\",\"type\":\"bind\",\"source\":\"$other\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_args sh -c 'echo written > /home/f'
  printf 'strict_bundle_binds = refuse\n' >> "$T/c.conf"
  run cr --config "$T/c.conf" run --bundle "$BUNDLE" "$ID2" < /dev/null
  [ "$status" -ne 0 ] || fail "strict_bundle_binds = refuse: the container ran"
  assert_error_line
  assert_contains "$output" "/home"
  assert_contains "$output" "strict_bundle_binds = refuse"
  [ ! -e "$other/f" ] || fail "refused container wrote to the host"
  run ! cr state "$ID2"
  [ ! -e "$ROOT/$ID2" ] || fail "refused container left $ROOT/$ID2"
}

@test "strict: an rw workspace chosen by the bundle's annotation is read-only outside writable_allowlist" {
  local ws=$T/ws
  mkdir -p "$ws"
  echo original > "$ws/f"
  annot run.cellrun.workspace "$ws:/mnt:rw"
  cfg_args sh -c 'echo pwned > /mnt/f; cat /mnt/f'
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  assert_contains "$output" "Read-only file system"
  [ "$(cat "$ws/f")" = original ] || fail "host workspace file changed"
  # the operator's --workspace flag is the operator's choice: it stays writable
  run prun strict "$ID2" --workspace "$ws:/mnt:rw"
  [ "$status" -eq 0 ]
  [ "$(cat "$ws/f")" = pwned ] || fail "--workspace rw: the write did not reach the host: $output"
}
