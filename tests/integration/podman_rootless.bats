#!/usr/bin/env bats
# The podman suite's second pass: rootless podman, run by an unprivileged user that this file
# creates (cpr<hash>, with a subuid/subgid range of 65536 ids) and removes in teardown_file.
#
# Podman runs conmon and the OCI runtime inside its own user namespace (uid 0 there = the test
# user; 1..65536 = the subuid range), so cellrun is euid 0 in a non-initial user namespace and
# picks its rootless defaults: state under $XDG_RUNTIME_DIR/cellrun, no cgroups (podman passes
# no cgroupsPath with cgroupfs on this host's cgroup v1; rootless podman only uses cgroups with
# cgroup v2).  podman's setup is the one docs/rootless.md shows: a private HOME with
# ~/.config/containers/{storage.conf,containers.conf} (overlay storage, cgroupfs, file events,
# the contrib runtime table pointing at the binary under test; CONTAINERS_CONF names that file
# so the host's /etc/containers files do not count) and a private 0700 XDG_RUNTIME_DIR, with
# paths short enough for podman (see setup_file).  Every podman call runs as the user through
# setpriv in a private mount namespace (unshare -m): podman's overlay mounts stay in its own
# namespaces, and when /dev/net/tun is not usable by the user (0600 without udev, as on this
# CI) a private 0666 node for the same device is bind-mounted over it there, so slirp4netns,
# podman's default rootless network, works without changing the host.
#
# Not repeated from podman.bats: the cgroup limits (-m, --pids-limit, --cpus) and pause, which
# rootless podman refuses or ignores without cgroup v2 delegation.  Added: --userns keep-id and
# host-side ownership checks (container ids land in the user's subuid range).
#
# ENGINE_RUNTIME=runc runs the same file against runc (CELLRUN_TEST_SELFCHECK=1 does it from
# the first test), which is how the harness was checked: rootless podman + runc passes here.

load engine
load podman_cases
load ../helpers

IMAGE=localhost/busybox

# pm ARGS...: podman as the test user, in a private mount namespace.
pm () (
  cd "$PR_HOME" || exit 1
  timeout -k 5 90 unshare -m --propagation private /bin/sh -c \
    'mount --make-rshared / && { [ -z "$1" ] || mount --bind "$1" /dev/net/tun; } && shift && exec "$@"' \
    sh "${PR_TUN:-}" \
    setpriv --reuid "$PR_UID" --regid "$PR_GID" --init-groups \
    env -i HOME="$PR_HOME" USER="$PR_USER" LOGNAME="$PR_USER" XDG_RUNTIME_DIR="$PR_RUN" \
    XDG_CONFIG_HOME="$PR_HOME/.config" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    CONTAINERS_CONF="$PR_HOME/.config/containers/containers.conf" \
    podman --runtime "$ENGINE_RUNTIME" "$@"
)
export -f pm

# as_user CMD...: a plain command as the test user (host side).
as_user () { setpriv --reuid "$PR_UID" --regid "$PR_GID" --init-groups "$@"; }

# The runtime's state root inside podman's user namespace: rootless runc and cellrun both
# default to $XDG_RUNTIME_DIR/<name>.
runtime_root () {
  case "$ENGINE_RUNTIME" in runc) echo "$PR_RUN/runc" ;; *) echo "$PR_RUN/cellrun" ;; esac
}

# pick_subid_base: the first 65536-aligned range from 1600000000 on that no line of /etc/subuid
# or /etc/subgid overlaps.
pick_subid_base () {
  local base=1600000000 size=65536 f start count clash
  while :; do
    clash=0
    for f in /etc/subuid /etc/subgid; do
      [ -f "$f" ] || continue
      while IFS=: read -r _ start count; do
        [[ "$start" =~ ^[0-9]+$ && "$count" =~ ^[0-9]+$ ]] || continue
        if [ "$start" -lt $((base + size)) ] && [ $((start + count)) -gt "$base" ]; then clash=1; fi
      done < "$f"
    done
    [ "$clash" = 0 ] && break
    base=$((base + size))
  done
  echo "$base"
}

# The user's processes: podman's pause process (pid file) and any conmon left by a failed test.
pr_kill_user_procs () {
  local pid
  pid=$(cat "$PR_RUN/libpod/tmp/pause.pid" 2>/dev/null) || pid=
  case "$pid" in '' | *[!0-9]*) ;; *)
    [ "$(stat -c %u "/proc/$pid" 2>/dev/null)" = "$PR_UID" ] && kill -9 "$pid" 2>/dev/null ;;
  esac
  wait_until 50 bash -c "! pgrep -u $PR_UID >/dev/null"
}

# shadow_retry CMD...: useradd/usermod/userdel fail at once while another suite holds the lock
# on /etc/passwd or /etc/subuid; retry for a few seconds.
shadow_retry () {
  local i
  for i in $(seq 20); do
    "$@" && return 0
    sleep 0.3
  done
  return 1
}

pr_write_configs () {
  local conf=$PR_HOME/.config/containers
  mkdir -p "$conf" "$PR_HOME/tmp"
  cat > "$conf/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$PR_HOME/storage"
runroot = "$PR_RUN/ct"
EOF
  # The contrib file (runtime table, JSON logs, nocgroups) with the binary under test, and in
  # its [engine] table what podman needs on a host without systemd.
  sed -e "s|/usr/local/bin/|$PR/bin/|g" \
    -e "/^\[engine\]\$/a cgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nimage_copy_tmp_dir = \"$PR_HOME/tmp\"" \
    "$CONTRIB_DIR/podman/containers.conf" > "$conf/containers.conf"
}

setup_file () {
  engine_require podman:podman conmon:conmon /usr/libexec/podman/catatonit:catatonit \
    newuidmap:uidmap slirp4netns:slirp4netns
  export ENGINE_SKIP
  [ -z "${ENGINE_SKIP:-}" ] || return 0
  cellrun_setup_file
  # Short paths: podman refuses a --runroot longer than 50 characters, and it passes the
  # runroot of storage.conf as that flag to the cleanup command conmon runs at container exit
  # (which then fails: `podman wait` only returns after a 20 s conmon timeout).
  PR=$CT_TMP/pr
  PR_HOME=$PR/home
  PR_RUN=$PR/run
  PR_USER=cpr$(printf '%s' "$CT_TMP" | sha256sum | cut -c1-8)
  export PR PR_HOME PR_RUN PR_USER
  mkdir -p "$PR"
  chmod 755 "$PR"
  engine_bin_dir "$PR/bin"
  # -K SUB_*_COUNT=0: no automatic range from login.defs, only the one picked here.
  shadow_retry useradd -M -d "$PR_HOME" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$PR_USER"
  PR_USER_CREATED=1
  PR_UID=$(id -u "$PR_USER")
  PR_GID=$(id -g "$PR_USER")
  PR_BASE=$(pick_subid_base)
  shadow_retry usermod --add-subuids "$PR_BASE-$((PR_BASE + 65535))" --add-subgids "$PR_BASE-$((PR_BASE + 65535))" "$PR_USER"
  export PR_USER_CREATED PR_UID PR_GID PR_BASE
  mkdir -p "$PR_HOME" "$PR_RUN"
  pr_write_configs
  chown -R "$PR_UID:$PR_GID" "$PR_HOME" "$PR_RUN"
  chmod 700 "$PR_HOME" "$PR_RUN"
  PR_TUN=
  if ! as_user sh -c ': < /dev/net/tun' 2>/dev/null && [ -c /dev/net/tun ]; then
    mkdir -m 700 "$PR/dev"
    mknod -m 666 "$PR/dev/tun" c 10 200
    PR_TUN=$PR/dev/tun
  fi
  export PR_TUN
  tar -C "$ROOTFS" -c . | pm import - "$IMAGE" >/dev/null
}

teardown_file () {
  [ -n "${PR:-}" ] || return 0
  if [ "${PR_USER_CREATED:-0}" = 1 ]; then
    pm rm -a -f -t 0 >/dev/null 2>&1 || true
    pr_kill_user_procs || true
    # Last resort: the user is this file's own, so every process it has was started here.
    local pid
    for pid in $(pgrep -u "$PR_UID"); do kill -9 "$pid" 2>/dev/null || true; done
    shadow_retry usermod --del-subuids "$PR_BASE-$((PR_BASE + 65535))" --del-subgids "$PR_BASE-$((PR_BASE + 65535))" "$PR_USER" 2>/dev/null || true
    shadow_retry userdel "$PR_USER" 2>/dev/null || true
  fi
  cellrun_teardown_file
  # The user, its group and its ranges are gone, whatever failed above.
  if [ "${PR_USER_CREATED:-0}" = 1 ] && grep -q "^$PR_USER:" /etc/passwd /etc/group /etc/subuid /etc/subgid; then
    echo "podman_rootless: $PR_USER is left in $(grep -l "^$PR_USER:" /etc/passwd /etc/group /etc/subuid /etc/subgid)" >&2
    return 1
  fi
}

setup () {
  engine_skip_if_unavailable
  T=$PR_HOME/t$BATS_TEST_NUMBER
  rm -rf "$T"
  mkdir -p "$T"
  chown "$PR_UID:$PR_GID" "$T"
  C=ct$BATS_TEST_NUMBER
}

teardown () {
  [ -n "${ENGINE_SKIP:-}" ] && return 0
  pm rm -a -f -t 0 >/dev/null 2>&1 || true
  rm -rf --one-file-system "$T"
}

# pm_run ARGS...: `podman run --rm` with output in $output and the exit code in $status.
pm_run () { run pm run --rm "$@"; }

@test "podman rootless: harness self-check against runc (CELLRUN_TEST_SELFCHECK=1)" {
  engine_selfcheck
}

@test "podman rootless: run echo, in the user's namespace with its subuid range" {
  pm_run "$IMAGE" sh -c 'echo hello from rootless podman; cat /proc/self/uid_map /proc/self/gid_map'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | head -n 1)" = "hello from rootless podman" ]
  # uid 0 is the test user, 1..65536 its subuid range (the same for gids).
  [ "$(printf '%s\n' "$output" | grep -cE "^ +0 +$PR_UID +1\$")" -ge 1 ] || fail "no 0 -> $PR_UID mapping"
  [ "$(printf '%s\n' "$output" | grep -cE "^ +1 +$PR_BASE +65536\$")" -eq 2 ] || fail "no subid range mapping"
}

@test "podman rootless: exit code propagates" {
  pm_case_exit_code
}

@test "podman rootless: -e sets the environment, -w the working directory" {
  pm_case_env_workdir
}

@test "podman rootless: --user 1000:1000 is a subuid on the host" {
  chmod 777 "$T"
  pm_run --user 1000:1000 -v "$T:/out" "$IMAGE" sh -c 'id; touch /out/by-1000'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "uid=1000"
  assert_contains "$output" "gid=1000"
  # Container uid 1000 is host uid base+999 (uid 0 takes the user's own id).
  [ "$(stat -c %u:%g "$T/by-1000")" = "$((PR_BASE + 999)):$((PR_BASE + 999))" ]
}

@test "podman rootless: --userns keep-id runs as the user's own uid" {
  pm_run --userns keep-id -v "$T:/out" "$IMAGE" sh -c 'id -u; touch /out/mine'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | tail -n 1)" = "$PR_UID" ]
  [ "$(stat -c %u "$T/mine")" = "$PR_UID" ]
}

@test "podman rootless: --uidmap makes a user namespace inside podman's" {
  chmod 777 "$T"
  # Container root is id 1 of podman's namespace, the first id of the subuid range.
  pm_run --uidmap 0:1:65536 --gidmap 0:1:65536 -v "$T:/out" "$IMAGE" sh -c 'cat /proc/self/uid_map; id -u; touch /out/by-root'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ 0[[:space:]]+1[[:space:]]+65536 ]] || fail "no 0 -> 1 mapping"
  [ "$(stat -c %u:%g "$T/by-root")" = "$PR_BASE:$PR_BASE" ]
}

@test "podman rootless: --read-only root with --tmpfs" {
  pm_case_read_only_tmpfs
}

@test "podman rootless: -v rw and :ro bind mounts from the user's dir" {
  as_user mkdir -p "$T/rw" "$T/ro"
  echo host-data | as_user tee "$T/ro/file" >/dev/null
  pm_run -v "$T/rw:/rw" -v "$T/ro:/ro:ro" "$IMAGE" sh -c \
    'echo written > /rw/out; cat /ro/file; echo x > /ro/new 2>/dev/null && echo ro-writable; true'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "host-data"
  [[ "$output" != *ro-writable* ]] || fail ":ro is writable"
  [ "$(cat "$T/rw/out")" = written ]
  # Written by container root, which is the user on the host.
  [ "$(stat -c %u "$T/rw/out")" = "$PR_UID" ]
  [ ! -e "$T/ro/new" ]
}

@test "podman rootless: --cap-drop ALL and --cap-add" {
  pm_case_cap_drop_add
}

@test "podman rootless: -d, exec (-t, -u, -w, -e), stop, rm" {
  pm_case_detach_exec_stop_rm
}

@test "podman rootless: run -t allocates a terminal" {
  pm_case_run_tty
}

@test "podman rootless: run -i passes stdin" {
  pm_case_run_stdin
}

@test "podman rootless: ps, inspect and top of a running container" {
  pm_case_ps_inspect_top
  # The container's init is a process of the test user on the host.
  pid=$(pm inspect -f '{{.State.Pid}}' "$C")
  [ "$(stat -c %u "/proc/$pid")" = "$PR_UID" ]
  # The runtime keeps its state under the user's XDG_RUNTIME_DIR (podman passes no --root).
  id=$(pm inspect -f '{{.Id}}' "$C")
  [ -d "$(runtime_root)/$id" ] || fail "no state dir $(runtime_root)/$id"
}

@test "podman rootless: kill with KILL and with USR1 to a trap" {
  pm_case_kill_signals
}

@test "podman rootless: the default seccomp profile is active" {
  pm_case_default_seccomp
}

@test "podman rootless: --rm leaves no container, runtime state or host mount" {
  pm_case_rm_leaves_no_state
  # podman's mounts live in its own mount namespace, never in the host's.
  [ -z "$(mounts_under "$PR")" ] || fail "host mounts under $PR: $(mounts_under "$PR")"
}

@test "podman rootless: --hostname and --network=none" {
  pm_case_hostname_no_network
}

@test "podman rootless: the default network is slirp4netns, with a published port" {
  # busybox httpd in the container, reached from the host through rootlessport.
  port=$((20000 + RANDOM % 20000))
  run pm run -d --name "$C" -p "127.0.0.1:$port:8080" "$IMAGE" sh -c \
    'mkdir /www && echo served-by-container > /www/index.html && ip -o -4 addr show tap0 && exec httpd -f -p 8080 -h /www'
  echo "$output"
  [ "$status" -eq 0 ]
  wait_until 50 bash -c "pm logs $C 2>/dev/null | grep -q tap0"
  run pm logs "$C"
  echo "$output"
  # slirp4netns's fixed guest address.
  assert_contains "$output" "10.0.2.100/24"
  # shellcheck disable=SC2016
  get='import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())'
  wait_until 50 bash -c "'$PY' -c '$get' http://127.0.0.1:$port/ 2>/dev/null | grep -q served-by-container" ||
    fail "no answer on the published port"
}

@test "podman rootless: --init runs podman's init as pid 1" {
  pm_case_init
}

@test "podman rootless: logs of a detached container" {
  pm_case_logs_detached
}

@test "podman rootless: restart" {
  pm_case_restart
}

@test "podman rootless: --privileged has the user namespace's full set, host devices bound" {
  pm_run --privileged "$IMAGE" sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev | wc -l; echo x > /dev/null && echo null-ok'
  echo "$output"
  [ "$status" -eq 0 ]
  # A new user namespace starts with every capability, whatever the host's bounding set.
  full=$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))
  [[ "$output" =~ CapEff:[[:space:]]+$full ]]
  [[ "$output" =~ Seccomp:[[:space:]]+0 ]]
  assert_contains "$output" null-ok
  [ "$(printf '%s\n' "$output" | sed -n 3p)" -gt 15 ]
}

@test "podman rootless: cellrun-strict with an overlay workspace annotation" {
  cellrun_only
  as_user mkdir -p "$T/ws"
  echo original | as_user tee "$T/ws/file" >/dev/null
  pm_case_strict_workspace
}

# Runs last: the file's own cleanup, asserted (teardown_file repeats it only if this failed).
@test "podman rootless: nothing of the test user is left running or mounted" {
  run pm rm -a -f -t 0
  run pm ps -a -q
  [ -z "$output" ] || fail "containers left: $output"
  pr_kill_user_procs || true
  run pgrep -u "$PR_UID" -a
  [ -z "$output" ] || fail "processes of $PR_USER left: $output"
  [ -z "$(mounts_under "$PR")" ] || fail "host mounts under $PR: $(mounts_under "$PR")"
  run bash -c "ls $(runtime_root) 2>/dev/null | grep -E '^[0-9a-f]{64}$'"
  [ -z "$output" ] || fail "runtime state left: $output"
}
