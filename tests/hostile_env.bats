#!/usr/bin/env bats
# Hostile environment (issue 12): a full or read-only state filesystem, ENOSPC on state.json,
# a symlinked --root, a cgroup hierarchy that refuses mkdir, a rootfs whose filesystem is lazily
# unmounted during create. Each failure is one `cellrun: <what>: <why>` line, an exit status
# in 1..127, nothing left behind (state dir, cgroup dirs, mounts, processes), and the id works
# again once the condition is lifted. See docs/reliability.md "## Hostile environment".

load helpers

setup () {
  cellrun_setup
  CG=/$ID-cg
  cfg_set .linux.cgroupsPath "\"$CG\""
  cfg_args sleep 1000
  FIXTURES=()
}

teardown () {
  local m d
  if [ -n "${SROOT:-}" ]; then
    for d in $(ls "$SROOT" 2>/dev/null); do
      timeout 10 "$CELLRUN" --root "$SROOT" delete -f "$d" >/dev/null 2>&1 || true
    done
  fi
  cellrun_teardown_cgroups
  for m in "${FIXTURES[@]}"; do umount -l "$m" 2>/dev/null || true; done
  cellrun_teardown
}

# cellrun_teardown_cgroups: remove the parent cgroups a test made (children first).
cellrun_teardown_cgroups () {
  local d
  for d in $(find /sys/fs/cgroup "${CGMNT:-/nonexistent}" -maxdepth 3 -depth -type d -name "$ID*" 2>/dev/null); do
    rmdir "$d" 2>/dev/null || true
  done
}

# fixture_tmpfs DIR OPTS: a tmpfs this test made (unmounted in teardown).
fixture_tmpfs () {
  mkdir -p "$1"
  mount -t tmpfs -o "$2" "cellrun-hostile" "$1"
  FIXTURES=("$1" "${FIXTURES[@]}")
}

# create_in ROOT ID: create from $BUNDLE with state under ROOT; output in $output, status in $status.
# (Not bats' `run`: a created container keeps its stdio, so `run` would wait on the pipe.)
create_in () {
  status=0
  timeout -k 2 30 "$CELLRUN" --root "$1" create --bundle "$BUNDLE" --pid-file "$T/$2.pid" "$2" \
    < /dev/null > "$T/$2.out" 2> "$T/$2.err" || status=$?
  output=$(cat "$T/$2.err")
}

# assert_clean_failure: non-zero status below 128 (no signal, no timeout), exactly one line,
# and that line is `cellrun: <what>: <why>`.
assert_clean_failure () {
  [ "$status" -ne 0 ] || fail "expected a failure, got status 0"
  [ "$status" -lt 124 ] || fail "status $status: killed or timed out"
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ] || fail "expected one line, got: $output"
  assert_error_line
}

# procs_naming ID: pids whose command line names ID (a cellrun of this test, its init, a container).
procs_naming () {
  # The pattern comes from a file, so grep's own command line does not match it.
  printf '%s\n' "$1" > "$T/procs-pattern"
  grep -lsaF -f "$T/procs-pattern" /proc/[0-9]*/cmdline | cut -d/ -f3 || true
}

# nothing_left SROOT ID: no state dir, no cgroup dir in any hierarchy (ours included), no mount
# beyond the test's own fixtures, no process naming ID.
nothing_left () {
  local sroot=$1 id=$2 left
  [ ! -e "$sroot/$id" ] || fail "state dir $sroot/$id left behind: $(ls -la "$sroot/$id")"
  left=$(find /sys/fs/cgroup "${CGMNT:-/nonexistent}" -maxdepth 4 -type d -name "$id-cg" 2>/dev/null || true)
  [ -z "$left" ] || fail "cgroup dirs left behind: $left"
  left=$(awk '{ print $5 }' /proc/self/mountinfo | grep -F "$CT_TMP" | grep -vxF -f <(printf '%s\n' "${FIXTURES[@]}" "$ROOTFS_MNT") || true)
  [ -z "$left" ] || fail "mounts left behind: $left (fixtures: ${FIXTURES[*]})"
  left=$(procs_naming "$id")
  [ -z "$left" ] || fail "processes left behind: $left ($(for p in $left; do tr '\0' ' ' < /proc/$p/cmdline; echo; done))"
}

# works_again SROOT ID: the id creates, starts and deletes cleanly now.
works_again () {
  create_in "$1" "$2"
  [ "$status" -eq 0 ] || fail "create $2 after the condition was lifted: $output"
  timeout 10 "$CELLRUN" --root "$1" start "$2" || fail "start $2"
  [ "$(timeout 10 "$CELLRUN" --root "$1" state "$2" | json_get .status)" = running ] || fail "$2 is not running"
  timeout 10 "$CELLRUN" --root "$1" delete -f "$2" || fail "delete $2"
  nothing_left "$1" "$2"
}

@test "hostile: a full state filesystem fails create with one line and leaves nothing" {
  fixture_tmpfs "$T/fs" size=64k
  SROOT=$T/fs/state
  mkdir "$SROOT"
  dd if=/dev/zero of="$T/fs/fill" bs=4k 2>/dev/null || true
  create_in "$SROOT" "$ID"
  assert_clean_failure
  assert_contains "$output" "No space left on device"
  assert_contains "$output" "$ID"
  nothing_left "$SROOT" "$ID"
  rm "$T/fs/fill"
  works_again "$SROOT" "$ID"
}

@test "hostile: ENOSPC partway through the state files (room for the first only) fails cleanly, no temp file kept" {
  fixture_tmpfs "$T/fs" size=64k
  SROOT=$T/fs/state
  mkdir "$SROOT"
  # 16 pages; 15 filled: the first small state file (intent.json, under one page) fits, the
  # next one (config.json or state.json) does not.
  dd if=/dev/zero of="$T/fs/fill" bs=4k count=15 2>/dev/null
  create_in "$SROOT" "$ID"
  assert_clean_failure
  assert_contains "$output" "No space left on device"
  assert_contains "$output" "$ID"
  nothing_left "$SROOT" "$ID"
  [ -z "$(ls -A "$SROOT")" ] || fail "left in the state root: $(ls -A "$SROOT")"
  rm "$T/fs/fill"
  works_again "$SROOT" "$ID"
}

@test "hostile: a full disk under a live container leaves its state.json whole" {
  fixture_tmpfs "$T/fs" size=256k
  SROOT=$T/fs/state
  mkdir "$SROOT"
  create_in "$SROOT" "$ID"
  [ "$status" -eq 0 ] || fail "create: $output"
  before=$(cat "$SROOT/$ID/state.json")
  dd if=/dev/zero of="$T/fs/fill" bs=4k 2>/dev/null || true
  run timeout 10 "$CELLRUN" --root "$SROOT" start "$ID"
  [ "$status" -eq 0 ] || fail "start on a full disk: $output"
  timeout 10 "$CELLRUN" --root "$SROOT" kill "$ID" STOP || true
  timeout 10 "$CELLRUN" --root "$SROOT" kill "$ID" CONT || true
  run timeout 10 "$CELLRUN" --root "$SROOT" state "$ID"
  [ "$status" -eq 0 ] || fail "state on a full disk: $output"
  [ "$(printf '%s' "$output" | json_get .status)" = running ] || fail "not running: $output"
  json_valid < "$SROOT/$ID/state.json" || fail "state.json is no longer valid JSON"
  after=$(cat "$SROOT/$ID/state.json")
  # Whatever a verb rewrote, it is whole: same id and pid as before.
  [ "$(printf '%s' "$after" | json_get .pid)" = "$(printf '%s' "$before" | json_get .pid)" ] || fail "pid changed"
  [ -z "$(ls -A "$SROOT/$ID" | grep tmp)" ] || fail "temporary file left: $(ls -A "$SROOT/$ID")"
  run timeout 10 "$CELLRUN" --root "$SROOT" delete -f "$ID"
  [ "$status" -eq 0 ] || fail "delete -f on a full disk: $output"
  nothing_left "$SROOT" "$ID"
}

@test "hostile: a read-only state filesystem fails create with one line and leaves nothing" {
  fixture_tmpfs "$T/fs" size=1m
  SROOT=$T/fs/state
  mkdir "$SROOT"
  mount -o remount,ro "$T/fs"
  create_in "$SROOT" "$ID"
  assert_clean_failure
  assert_contains "$output" "Read-only file system"
  nothing_left "$SROOT" "$ID"
  # A --root that does not exist yet on a read-only filesystem: the same, nothing made.
  create_in "$T/fs/missing/state" "$ID"
  assert_clean_failure
  assert_contains "$output" "Read-only file system"
  [ ! -e "$T/fs/missing" ] || fail "made $T/fs/missing on a read-only filesystem"
  mount -o remount,rw "$T/fs"
  works_again "$SROOT" "$ID"
}

@test "hostile: a read-only bind of the state root fails create with one line and leaves nothing" {
  SROOT=$T/state
  mkdir -p "$SROOT" "$T/state-src"
  mount --bind "$T/state-src" "$SROOT"
  FIXTURES=("$SROOT")
  mount -o remount,bind,ro "$SROOT"
  create_in "$SROOT" "$ID"
  assert_clean_failure
  assert_contains "$output" "Read-only file system"
  nothing_left "$SROOT" "$ID"
  mount -o remount,bind,rw "$SROOT"
  works_again "$SROOT" "$ID"
}

@test "hostile: a symlinked --root that only the caller controls is followed" {
  mkdir -m 0700 "$T/real" "$T/links"
  chmod 0755 "$T/links"
  ln -s "$T/real" "$T/links/root"
  SROOT=$T/links/root
  create_in "$SROOT" "$ID"
  [ "$status" -eq 0 ] || fail "create through a safe symlink: $output"
  [ -d "$T/real/$ID" ] || fail "state is not in the link's target"
  [ "$(timeout 10 "$CELLRUN" --root "$SROOT" state "$ID" | json_get .status)" = created ] || fail "state through the link"
  [ "$(timeout 10 "$CELLRUN" --root "$T/real" list -q)" = "$ID" ] || fail "list in the target"
  timeout 10 "$CELLRUN" --root "$SROOT" delete -f "$ID" || fail "delete through the symlink"
  nothing_left "$T/real" "$ID"
}

@test "hostile: a symlinked --root another user could redirect is refused" {
  mkdir -m 0700 "$T/real"
  SROOT=$T/real # teardown deletes whatever a (wrongly) followed link made there
  mkdir -m 0755 "$T/links"
  # 1. a link owned by another user.
  ln -s "$T/real" "$T/links/theirs"
  chown -h 1000:1000 "$T/links/theirs"
  create_in "$T/links/theirs" "$ID"
  assert_clean_failure
  assert_contains "$output" "symbolic link owned by uid 1000"
  # 2. our link, but in a directory others may write (not sticky): they could swap it.
  mkdir -m 0777 "$T/open"
  chmod 0777 "$T/open"
  ln -s "$T/real" "$T/open/root"
  create_in "$T/open/root" "$ID"
  assert_clean_failure
  assert_contains "$output" "which others can write"
  # 3. our link to a directory another user owns, or that others can write.
  mkdir -m 0700 "$T/alien" "$T/shared"
  chown 1000:1000 "$T/alien"
  chmod 0777 "$T/shared"
  ln -s "$T/alien" "$T/links/alien"
  ln -s "$T/shared" "$T/links/shared"
  for l in alien shared; do
    create_in "$T/links/$l" "$ID"
    assert_clean_failure
    assert_contains "$output" "not a directory that you own and only you can write"
  done
  # 4. a dangling link: nothing is created at its target.
  ln -s "$T/nowhere" "$T/links/dangling"
  create_in "$T/links/dangling" "$ID"
  assert_clean_failure
  [ ! -e "$T/nowhere" ] || fail "created the target of a dangling --root link"
  for d in real alien shared; do
    [ -z "$(ls -A "$T/$d")" ] || fail "state written in $T/$d"
  done
  nothing_left "$T/real" "$ID"
  works_again "$T/real" "$ID"
}

@test "hostile: a cgroup2 parent that refuses mkdir (hybrid host) fails cleanly and undoes v1" {
  [ -d /sys/fs/cgroup/unified ] || skip "no hybrid cgroup2 at /sys/fs/cgroup/unified"
  SROOT=$ROOT
  CG=/$ID-par/$ID-cg
  cfg_set .linux.cgroupsPath "\"$CG\""
  mkdir /sys/fs/cgroup/unified/$ID-par
  echo 0 > /sys/fs/cgroup/unified/$ID-par/cgroup.max.descendants
  create_in "$SROOT" "$ID"
  assert_clean_failure
  assert_contains "$output" "mkdir cgroup cgroup2/$ID-par/$ID-cg"
  assert_contains "$output" "cgroup.max.descendants"
  nothing_left "$SROOT" "$ID"
  # The v1 hierarchies made their part of the path first: it is all gone again.
  left=$(find /sys/fs/cgroup -maxdepth 2 -type d -name "$ID-par" | grep -v /unified/ || true)
  [ -z "$left" ] || fail "v1 parents left: $left"
  echo max > /sys/fs/cgroup/unified/$ID-par/cgroup.max.descendants
  works_again "$SROOT" "$ID"
}

@test "hostile: a private cgroup2 mount whose parent refuses mkdir fails cleanly (pure v2)" {
  CGMNT=$T/cg
  mkdir "$CGMNT"
  mount -t cgroup2 none "$CGMNT" || skip "cannot mount cgroup2"
  FIXTURES=("$CGMNT")
  export CELLRUN_CGROUP_ROOT=$CGMNT
  SROOT=$ROOT
  CG=/$ID-par/$ID-cg
  cfg_set .linux.cgroupsPath "\"$CG\""
  mkdir "$CGMNT/$ID-par"
  echo 0 > "$CGMNT/$ID-par/cgroup.max.descendants"
  create_in "$SROOT" "$ID"
  assert_clean_failure
  assert_contains "$output" "cgroup.max.descendants"
  nothing_left "$SROOT" "$ID"
  # cgroup.max.depth refuses the same way.
  echo max > "$CGMNT/$ID-par/cgroup.max.descendants"
  echo 0 > "$CGMNT/$ID-par/cgroup.max.depth"
  create_in "$SROOT" "$ID"
  assert_clean_failure
  nothing_left "$SROOT" "$ID"
  echo max > "$CGMNT/$ID-par/cgroup.max.depth"
  works_again "$SROOT" "$ID"
  unset CELLRUN_CGROUP_ROOT
}

# vanish_setup: the bundle's rootfs lives on its own tmpfs ($ROOTFS_MNT), with a marker file;
# a minimal rootfs (busybox as /bin/cat) keeps each of the many trials cheap.
vanish_setup () {
  ROOTFS_MNT=$T/rootfs-fs
  mkdir -p "$ROOTFS_MNT"
  mount -t tmpfs -o size=4m cellrun-hostile "$ROOTFS_MNT"
  FIXTURES=("$ROOTFS_MNT" "${FIXTURES[@]}")
  mkdir "$ROOTFS_MNT"/{bin,dev,proc,sys,tmp}
  cp "$ROOTFS/bin/busybox" "$ROOTFS_MNT/bin/busybox"
  ln -s busybox "$ROOTFS_MNT/bin/cat"
  echo present > "$ROOTFS_MNT/marker"
}

vanish_bundle () {
  cfg_set .root.path "\"$T/rootfs-fs\""
  cfg_args cat /marker
}

@test "hostile: a createRuntime hook that lazily unmounts the rootfs's filesystem: error or a correct container" {
  vanish_bundle
  vanish_setup
  cfg_set .hooks "{\"createRuntime\": [{\"path\": \"/bin/umount\", \"args\": [\"umount\", \"-l\", \"$ROOTFS_MNT\"]}]}"
  SROOT=$ROOT
  run timeout -k 2 30 "$CELLRUN" --root "$SROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -lt 124 ] || fail "run hung or was killed: $status"
  if [ "$status" -eq 0 ]; then
    [ "$output" = present ] || fail "the container saw another root: $output"
  else
    assert_clean_failure
  fi
  if grep -qF " $ROOTFS_MNT " /proc/self/mountinfo; then fail "the hook did not unmount"; fi
  FIXTURES=()
  ROOTFS_MNT=
  nothing_left "$SROOT" "$ID"
}

@test "hostile: the rootfs's filesystem lazily unmounted at random moments of create" {
  n=$([ "${CELLRUN_LONG:-0}" = 1 ] && echo 300 || echo 30)
  SROOT=$ROOT
  ok=0 failed=0
  vanish_bundle
  : > "$T/errors"
  for i in $(seq "$n"); do
    vanish_setup
    timeout -k 2 30 "$CELLRUN" --root "$SROOT" run --bundle "$BUNDLE" "$ID" < /dev/null > "$T/out" 2> "$T/err" &
    pid=$!
    # 0 to 59 ms: a run takes about 45 ms here, so the unmount lands before, during and after it.
    sleep "0.0$((RANDOM % 6))$((RANDOM % 10))"
    umount -l "$ROOTFS_MNT"
    FIXTURES=()
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -lt 124 ] || fail "trial $i: run hung or was killed ($rc)"
    if [ "$rc" -eq 0 ]; then
      [ "$(cat "$T/out")" = present ] || fail "trial $i: the container saw another root: $(cat "$T/out" "$T/err")"
      ok=$((ok + 1))
    else
      output=$(cat "$T/err")
      status=$rc
      assert_clean_failure
      echo "$output" >> "$T/errors"
      failed=$((failed + 1))
    fi
    timeout 10 "$CELLRUN" --root "$SROOT" delete -f "$ID" > /dev/null 2>&1 || true
    ROOTFS_MNT=
    nothing_left "$SROOT" "$ID"
  done
  echo "# $n trials: $ok ran correctly, $failed failed with one error line" >&3
  sed "s/$ID/ID/g; s/^/#   /" "$T/errors" | sort | uniq -c >&3
}
