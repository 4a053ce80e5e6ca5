#!/usr/bin/env bats
# podman + conmon drive the built cellrun through contrib/podman/containers.conf.
#
# podman is isolated from the host: its own --root/--runroot/--tmpdir/--network-config-dir under
# the suite's temp dir, cgroupfs, file events, and CONTAINERS_CONF pointing at the contrib file
# with /usr/local/bin replaced by a dir holding cellrun/cellrun-strict/cellrun-balanced links to
# the binary under test.  No network: every container runs with netns "none" (the default
# bridge would add a host bridge and iptables rules).  The image is busybox-static, imported
# from a tarball.  cellrun's own state stays in its default --root /run/cellrun because podman
# 4.3 does not pass --runtime-flag to `delete` (see docs/integration.md); container ids are
# podman's random 64-hex ids, and the suite checks that none of them is left there.

load engine
load podman_cases
load ../helpers

IMAGE=localhost/busybox

# Runs in $PM: conmon writes an "oom" marker file into its working directory.
pm () (
  cd "$PM" && CONTAINERS_CONF=$PM_CONF timeout -k 5 90 podman --root "$PM/storage" --runroot "$PM/runroot" \
    --tmpdir "$PM/tmp" --network-config-dir "$PM/net" --storage-driver overlay \
    --cgroup-manager=cgroupfs --events-backend=file --runtime "$ENGINE_RUNTIME" "$@"
)
export -f pm

# The runtime's state root, to check that podman's containers leave nothing there.
runtime_root () {
  case "$ENGINE_RUNTIME" in runc) echo /run/runc ;; *) echo /run/cellrun ;; esac
}

setup_file () {
  engine_require podman:podman conmon:conmon /usr/libexec/podman/catatonit:catatonit
  export ENGINE_SKIP
  [ -z "${ENGINE_SKIP:-}" ] || return 0
  # podman 4.3 makes netavark's run dir /run/containers/networks even with netns "none" and
  # no flag to move it: note whether it is ours to remove.
  [ -e /run/containers ] && PM_RUN_CONTAINERS_EXISTED=1 || PM_RUN_CONTAINERS_EXISTED=0
  export PM_RUN_CONTAINERS_EXISTED
  cellrun_setup_file
  PM=$CT_TMP/podman
  PM_CONF=$PM/containers.conf
  export PM PM_CONF
  mkdir -p "$PM"/{storage,runroot,tmp,net}
  engine_bin_dir "$PM/bin"
  sed "s|/usr/local/bin/|$PM/bin/|g" "$CONTRIB_DIR/podman/containers.conf" > "$PM_CONF"
  # The contrib file has no [containers] table; this one adapts podman to the test host:
  # - no network namespace plumbing (netns "none") so nothing touches the host's network;
  # - podman asks for RLIMIT_NOFILE/NPROC of 1048576 by default, which needs CAP_SYS_RESOURCE
  #   when the hard limits are lower (as in unprivileged CI containers); use the hard limits.
  {
    echo
    echo '[containers]'
    echo 'netns = "none"'
    echo "default_ulimits = [\"nofile=$(ulimit -Hn):$(ulimit -Hn)\", \"nproc=4096:4096\"]"
  } >> "$PM_CONF"
  tar -C "$ROOTFS" -c . | pm import - "$IMAGE" >/dev/null
}

teardown_file () {
  [ -n "${PM:-}" ] || return 0
  pm rm -a -f -t 0 >/dev/null 2>&1 || true
  pm system reset -f >/dev/null 2>&1 || true
  local m
  for m in $(mounts_under "$PM" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  # podman's cgroupfs parent, in every hierarchy; rmdir only removes it when empty.
  find /sys/fs/cgroup -maxdepth 3 -type d -name libpod_parent 2>/dev/null | sort -r |
    while read -r m; do find "$m" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null; rmdir "$m" 2>/dev/null; done
  if [ "${PM_RUN_CONTAINERS_EXISTED:-1}" = 0 ]; then
    rmdir /run/containers/networks /run/containers 2>/dev/null || true
  fi
  cellrun_teardown_file
}

setup () {
  engine_skip_if_unavailable
  T=$CT_TMP/t$BATS_TEST_NUMBER
  rm -rf "$T"
  mkdir -p "$T"
  chmod 755 "$T"
  C=ct$BATS_TEST_NUMBER
}

teardown () {
  [ -n "${ENGINE_SKIP:-}" ] && return 0
  pm rm -a -f -t 0 >/dev/null 2>&1 || true
  cleanup_dir "$T"
}

# pm_run ARGS...: `podman run --rm` with output in $output and the exit code in $status.
pm_run () { run pm run --rm "$@"; }

@test "podman: harness self-check against runc (CELLRUN_TEST_SELFCHECK=1)" {
  engine_selfcheck
}

@test "podman: run echo" {
  pm_run "$IMAGE" echo hello from podman
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "hello from podman" ]
}

@test "podman: exit code propagates" {
  pm_case_exit_code
}

@test "podman: -e sets the environment, -w the working directory" {
  pm_case_env_workdir
}

@test "podman: --user 1000:1000" {
  pm_run --user 1000:1000 "$IMAGE" id
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "uid=1000"
  assert_contains "$output" "gid=1000"
}

@test "podman: --read-only root with --tmpfs" {
  pm_case_read_only_tmpfs
}

@test "podman: -v rw and :ro bind mounts" {
  mkdir -p "$T/rw" "$T/ro"
  echo host-data > "$T/ro/file"
  pm_run -v "$T/rw:/rw" -v "$T/ro:/ro:ro" "$IMAGE" sh -c \
    'echo written > /rw/out; cat /ro/file; echo x > /ro/new 2>/dev/null && echo ro-writable; true'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "host-data"
  [[ "$output" != *ro-writable* ]]
  [ "$(cat "$T/rw/out")" = written ]
  [ ! -e "$T/ro/new" ]
}

@test "podman: --cap-drop ALL and --cap-add" {
  pm_case_cap_drop_add
}

# cg_file NAME: the path of a cgroup file inside the container, v2 or v1.
CG_PIDS='f=/sys/fs/cgroup/pids.max; [ -e $f ] || f=/sys/fs/cgroup/pids/pids.max; cat $f'
CG_MEM='f=/sys/fs/cgroup/memory.max; [ -e $f ] || f=/sys/fs/cgroup/memory/memory.limit_in_bytes; cat $f'
CG_CPU='if [ -e /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi'

@test "podman: --pids-limit is set and enforced" {
  pm_run --pids-limit 20 "$IMAGE" sh -c "$CG_PIDS"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = 20 ]
  # 40 sleeps cannot all start under a limit of 20.
  pm_run --pids-limit 20 "$IMAGE" sh -c 'for i in $(seq 40); do sleep 5 & done; echo spawned'
  echo "$output"
  assert_contains "$output" "can't fork"
}

@test "podman: -m is visible and enforced (OOM kill -> 137)" {
  pm_run -m 32m --memory-swap 32m "$IMAGE" sh -c "$CG_MEM"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = 33554432 ]
  # tail buffers /dev/zero (no newline ever) until the cgroup's OOM killer stops it.
  pm_run -m 32m --memory-swap 32m "$IMAGE" sh -c 'exec tail /dev/zero'
  echo "$output"
  [ "$status" -eq 137 ]
}

@test "podman: --cpus sets the CFS quota" {
  pm_run --cpus 0.5 "$IMAGE" sh -c "$CG_CPU"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "50000 100000" ]
}

@test "podman: -d, exec (-t, -u, -w, -e), stop, rm" {
  pm_case_detach_exec_stop_rm
}

@test "podman: run -t allocates a terminal" {
  pm_case_run_tty
}

@test "podman: run -i passes stdin" {
  pm_case_run_stdin
}

@test "podman: ps, inspect and top of a running container" {
  pm_case_ps_inspect_top
}

@test "podman: kill with KILL and with USR1 to a trap" {
  pm_case_kill_signals
}

@test "podman: pause and unpause" {
  pm run -d --name "$C" "$IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done'
  run pm pause "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  run pm inspect -f '{{.State.Status}}' "$C"
  [ "$output" = paused ]
  run pm unpause "$C"
  [ "$status" -eq 0 ]
  run pm inspect -f '{{.State.Status}}' "$C"
  [ "$output" = running ]
  run pm exec "$C" cat /tmp/count
  [ "$status" -eq 0 ]
}

@test "podman: the default seccomp profile is active" {
  pm_case_default_seccomp
}

@test "podman: --rm leaves no container, runtime state or mount" {
  pm_case_rm_leaves_no_state
  run bash -c "grep -F '$PM/storage/overlay/' /proc/self/mountinfo | grep -v '/merged.*shm' || true"
  # Only the storage driver's own mount may remain (podman keeps it between runs).
  [[ "$output" != *"/merged "* ]]
}

@test "podman: --hostname and --network=none" {
  pm_case_hostname_no_network
}

@test "podman: --init runs podman's init as pid 1" {
  pm_case_init
}

@test "podman: --uidmap runs in a user namespace" {
  pm_run --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMAGE" sh -c 'cat /proc/self/uid_map; id -u; touch /tmp/x && stat -c %u /tmp/x'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ 0[[:space:]]+100000[[:space:]]+65536 ]]
}

@test "podman: logs of a detached container" {
  pm_case_logs_detached
}

@test "podman: restart" {
  pm_case_restart
}

@test "podman: --privileged" {
  pm_run --privileged "$IMAGE" sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev | wc -l'
  echo "$output"
  [ "$status" -eq 0 ]
  # Every capability the host's bounding set allows.
  [[ "$output" == *"$(grep CapBnd /proc/self/status | awk '{print $2}')"* ]]
  [[ "$output" =~ Seccomp:[[:space:]]+0 ]]
  # Host devices are visible.
  [ "$(printf '%s\n' "$output" | tail -n 1)" -gt 15 ]
}

@test "podman: cellrun-strict with an overlay workspace annotation" {
  cellrun_only
  mkdir -p "$T/ws"
  echo original > "$T/ws/file"
  pm_case_strict_workspace
}
