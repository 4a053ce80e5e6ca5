# Helpers of tests/rootless.bats: an unprivileged test user made for the file (as root), and
# cellrun run as that user.  `load rootless_helpers` after `load helpers`.
#
# RL_USER / RL_UID / RL_GID   the test user (a unique name, no home on disk but a temp one)
# RL_SUBUID / RL_SUBGID       the start of its /etc/subuid and /etc/subgid ranges (65536 ids)
# RL_CELLRUN                  a cellrun binary the user can execute
# RL_ROOT                     its --root (owned by the user)
# Before rl_setup_file: RL_PREFIX (default crl) names the user, RL_NO_SUBIDS=1 gives it no
# subordinate ranges (only the single mapping of its own ids).

# rl_add_subids FILE FLAG: give RL_USER a 65536-id range in FILE unless useradd already did,
# above every range of both files (so it collides with no existing line).
rl_add_subids () {
  local file=$1 flag=$2 start
  grep -q "^$RL_USER:" "$file" 2>/dev/null && return 0
  start=$(cat /etc/subuid /etc/subgid 2>/dev/null |
    awk -F: '{ e = $2 + $3; if (e > m) m = e } END { if (m < 100000) m = 100000; print m + 65536 }')
  usermod "$flag" "$start-$((start + 65535))" "$RL_USER"
}

# rl_first_range FILE: the start of RL_USER's first range with at least 65536 ids.
rl_first_range () {
  awk -F: -v u="$RL_USER" '$1 == u && $3 >= 65536 { print $2; exit }' "$1"
}

rl_setup_file () {
  cellrun_setup_file
  RL_SKIP=
  if [ "$(id -u)" != 0 ]; then
    RL_SKIP="needs root (the suite creates its unprivileged test user)"
  elif ! command -v useradd >/dev/null || ! command -v runuser >/dev/null; then
    RL_SKIP="useradd or runuser missing"
  fi
  export RL_SKIP
  [ -z "$RL_SKIP" ] || return 0
  RL_USER=${RL_PREFIX:-crl}$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  RL_HOME=$CT_TMP/home
  if [ "${RL_NO_SUBIDS:-0}" = 1 ]; then
    useradd -M -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -d "$RL_HOME" -s /bin/sh -U "$RL_USER"
  else
    useradd -M -d "$RL_HOME" -s /bin/sh -U "$RL_USER"
  fi
  mkdir -p "$RL_HOME"
  chown "$RL_USER:" "$RL_HOME"
  RL_UID=$(id -u "$RL_USER")
  RL_GID=$(id -g "$RL_USER")
  if [ "${RL_NO_SUBIDS:-0}" != 1 ]; then
    rl_add_subids /etc/subuid --add-subuids
    rl_add_subids /etc/subgid --add-subgids
    RL_SUBUID=$(rl_first_range /etc/subuid)
    RL_SUBGID=$(rl_first_range /etc/subgid)
  fi
  # The user must reach the binary: copy it when /work (or the build dir) is not traversable.
  RL_CELLRUN=$CELLRUN
  if ! runuser -u "$RL_USER" -- test -x "$CELLRUN"; then
    mkdir -p "$CT_TMP/bin"
    cp "$CELLRUN" "$CT_TMP/bin/cellrun"
    chmod 755 "$CT_TMP/bin" "$CT_TMP/bin/cellrun"
    RL_CELLRUN=$CT_TMP/bin/cellrun
  fi
  runuser -u "$RL_USER" -- test -r "$ROOTFS/bin/busybox" || RL_SKIP="the test user cannot read $ROOTFS"
  RL_ROOT=$CT_TMP/rlroot
  mkdir -p "$RL_ROOT"
  chown "$RL_USER:" "$RL_ROOT"
  chmod 700 "$RL_ROOT"
  export RL_USER RL_UID RL_GID RL_SUBUID RL_SUBGID RL_CELLRUN RL_ROOT RL_HOME RL_SKIP
}

# The user's processes: all were started by this file (the user is unique to it).
# Zombies waiting for their reaper are not counted.
rl_user_pids () { ps -o pid=,stat= -u "$RL_USER" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'; }

rl_teardown_file () {
  if [ -n "${RL_USER:-}" ] && id "$RL_USER" >/dev/null 2>&1; then
    rl_cleanup_containers
    local pids
    pids=$(rl_user_pids)
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    userdel "$RL_USER" 2>/dev/null || userdel -f "$RL_USER" 2>/dev/null || true
    getent group "$RL_USER" >/dev/null && groupdel "$RL_USER" 2>/dev/null
    # userdel removes the user's subordinate ranges; a line that stayed is removed here.
    local f
    for f in /etc/subuid /etc/subgid; do
      if grep -q "^$RL_USER:" "$f" 2>/dev/null; then sed -i "/^$RL_USER:/d" "$f"; fi
    done
    [ -n "${RL_UID:-}" ] && [ -d "/tmp/cellrun-$RL_UID" ] && [ ! -L "/tmp/cellrun-$RL_UID" ] &&
      rm -rf --one-file-system "/tmp/cellrun-$RL_UID"
  fi
  cellrun_teardown_file
}

rl_setup () {
  cellrun_setup
  [ -z "$RL_SKIP" ] || skip "$RL_SKIP"
  chown "$RL_USER:" "$T"
}

rl_teardown () {
  rl_cleanup_containers
  rl_cg2_teardown
  cellrun_teardown
}

# Force-delete every container of RL_ROOT (as the user, who owns them).
rl_cleanup_containers () {
  local id
  [ -n "${RL_ROOT:-}" ] && [ -d "$RL_ROOT" ] && [ -n "${RL_USER:-}" ] || return 0
  for id in $(ls "$RL_ROOT" 2>/dev/null); do
    timeout 10 runuser -u "$RL_USER" -- "$RL_CELLRUN" --root "$RL_ROOT" delete -f "$id" >/dev/null 2>&1 || true
  done
}

# as_user CMD...: CMD as the test user, without the caller's XDG_RUNTIME_DIR, bounded in time.
as_user () { timeout -k 5 "${CR_TIMEOUT:-60}" runuser -u "$RL_USER" -- env -u XDG_RUNTIME_DIR "$@"; }

# ucr ARGS...: cellrun as the test user with its private --root.
ucr () { as_user "$RL_CELLRUN" --root "$RL_ROOT" "$@"; }

# urun ID [global flags...]: foreground run of $BUNDLE as the user; stdin from /dev/null.
urun () {
  local id=$1; shift
  ucr "$@" run --bundle "$BUNDLE" "$id" < /dev/null
}

# urun_d ID [global flags...]: run -d as the user, stdio to $T/ID.out/.err (see create_ct).
urun_d () {
  local id=$1; shift
  ucr "$@" run -d --bundle "$BUNDLE" --pid-file "$T/$id.pid" "$id" > "$T/$id.out" 2> "$T/$id.err" < /dev/null
  local rc=$?
  cat "$T/$id.err" >&2
  return $rc
}

# ucreate ID [create flags]: create as the user with a pid file $T/ID.pid; the container's
# stdio goes to $T/ID.out/.err (a created container keeps its stdio: `run` would wait for it).
ucreate () {
  local id=$1; shift
  ucr create --bundle "$BUNDLE" --pid-file "$T/$id.pid" "$@" "$id" > "$T/$id.out" 2> "$T/$id.err" < /dev/null
  local rc=$?
  cat "$T/$id.err" >&2
  return $rc
}

# rl_maps UIDMAP GIDMAP: set linux.uidMappings / gidMappings (JSON lists).
rl_maps () {
  cfg_set .linux.uidMappings "$1"
  cfg_set .linux.gidMappings "$2"
}
rl_single_maps () {
  rl_maps "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}]" "[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1}]"
}
# rl_range_maps: container 0 = the user, 1..65536 = its subordinate range.
rl_range_maps () {
  rl_maps "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1},{\"containerID\":1,\"hostID\":$RL_SUBUID,\"size\":65536}]" \
    "[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1},{\"containerID\":1,\"hostID\":$RL_SUBGID,\"size\":65536}]"
}

# rl_runc_bundle: $BUNDLE/config.json from `runc spec --rootless` on the shared rootfs, mapping
# the test user (runc writes the uid of whoever runs `runc spec`).  Its ambient capabilities are
# made inheritable so cellrun has nothing to warn about.
rl_runc_bundle () {
  command -v runc >/dev/null || skip "runc not installed"
  rm -f "$BUNDLE/config.json"
  (cd "$BUNDLE" && runc spec --rootless) || return 1
  cfg_set .root.path "\"$ROOTFS\""
  cfg_set .process.terminal false
  cfg_set .process.capabilities.inheritable "$(cfg_get .process.capabilities.ambient)"
  rl_single_maps
  chmod 644 "$BUNDLE/config.json"
}

# rl_cellrun_bundle: $BUNDLE/config.json written by `cellrun spec --rootless` run as the user.
rl_cellrun_bundle () {
  rm -f "$BUNDLE/config.json"
  chown "$RL_USER:" "$BUNDLE"
  as_user sh -c "cd '$BUNDLE' && '$RL_CELLRUN' spec --rootless" || return 1
  cfg_set .root.path "\"$ROOTFS\""
  cfg_set .process.terminal false
  chmod 644 "$BUNDLE/config.json"
}

# rl_need_helpers: newuidmap and newgidmap (package uidmap) installed setuid.
rl_need_helpers () {
  [ -n "$RL_SUBUID" ] && [ -n "$RL_SUBGID" ] || skip "no 65536-id subordinate range for $RL_USER"
  [ -u "$(command -v newuidmap)" ] && [ -u "$(command -v newgidmap)" ] || skip "newuidmap/newgidmap (uidmap) not installed setuid"
}

# rl_no_state ID: the user's root holds nothing of ID.
rl_no_state () {
  [ ! -e "$RL_ROOT/$1" ] || { echo "state of $1 left in $RL_ROOT" >&2; ls -la "$RL_ROOT/$1" >&2; return 1; }
}

# rl_cg2_setup: a cgroup2 mount (outside $CT_TMP) with a subtree delegated to the user:
# $CG2/$DELEG owned by it (cgroup.procs, cgroup.subtree_control, cgroup.threads), and
# $DELEG/launch, where the runtime is started from.
rl_cg2_setup () {
  CG2=$(mktemp -d "$TMP_PREFIX-rlcg2.XXXXXX")
  if ! mount -t cgroup2 none "$CG2" 2>/dev/null; then rmdir "$CG2"; CG2=; skip "cannot mount cgroup2"; fi
  DELEG=$ID_PREFIX-rl-$BATS_TEST_NUMBER
  mkdir "$CG2/$DELEG"
  chown "$RL_USER:" "$CG2/$DELEG" "$CG2/$DELEG/cgroup.procs" "$CG2/$DELEG/cgroup.subtree_control" \
    "$CG2/$DELEG/cgroup.threads"
  as_user mkdir "$CG2/$DELEG/launch"
}

rl_cg2_teardown () {
  [ -n "${CG2:-}" ] || return 0
  rl_cleanup_containers
  local d
  for d in $(find "$CG2/$DELEG" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null; done
  [ ! -d "$CG2/$DELEG" ] || echo "cgroup $CG2/$DELEG left" >&2
  umount "$CG2" 2>/dev/null || umount -l "$CG2"
  rmdir "$CG2"
  CG2=
}

# in_deleg CMD...: CMD as the user, started from the delegated $DELEG/launch.
in_deleg () {
  sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG2/$DELEG/launch" \
    timeout -k 5 60 runuser -u "$RL_USER" -- env -u XDG_RUNTIME_DIR CELLRUN_CGROUP_ROOT="$CG2" "$@"
}
