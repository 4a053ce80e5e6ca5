#!/usr/bin/env bats
# No mount namespace in linux.namespaces (issue 10, item 4). The runtime spec says an unlisted
# namespace type is inherited from the runtime; cellrun runs such a container chrooted into its
# rootfs and never changes the host's mount table (docs/compat.md, "No mount namespace").
# Bundles come from `runc spec` with the mount namespace removed. Every test compares the
# host's /proc/self/mountinfo before and after, byte for byte.

load helpers

setup () {
  cellrun_setup
  command -v runc > /dev/null || skip "runc is not installed"
  rm -f "$BUNDLE/config.json"
  (cd "$BUNDLE" && runc spec) || fail "runc spec failed"
  private_rootfs
  echo marker-in-rootfs > "$BUNDLE/rootfs/marker"
  cfg_ns_del mount
  cfg_set .process.terminal false
  # Until issue 10 item 1 (ambient caps without inheritable) is fixed on this branch.
  cfg_del .process.capabilities.ambient
  host_mounts > "$T/mountinfo.before"
}

# host_mounts: the host's mount table, without the mounts other concurrent test runs make
# under their own /tmp/cellrun-test-* dirs (another suite's podman storage, say): this test's
# own $CT_TMP and everything else on the host stay in.
host_mounts () {
  awk -v own="$CT_TMP" 'index($5, "/tmp/cellrun-test-") != 1 || index($5, own) == 1' /proc/self/mountinfo
}

# runc spec minus what needs a mount namespace: its mounts and the read-only root. Its
# maskedPaths and readonlyPaths stay: none of them exists in the busybox rootfs.
shareable () {
  cfg_set .mounts '[]'
  cfg_set .root.readonly false
}

mountinfo_unchanged () {
  host_mounts > "$T/mountinfo.after"
  cmp -s "$T/mountinfo.before" "$T/mountinfo.after" && return 0
  diff "$T/mountinfo.before" "$T/mountinfo.after" >&2
  fail "the host's mount table changed"
}

# refused: `run` fails with one line `cellrun: create ID: <what>: <why>` naming $1, leaves no
# state dir, and mounts nothing.
refused () {
  cfg_args sh -c 'echo container-ran'
  run run_fg "$ID"
  echo "$output"
  [ "$status" -ne 0 ] || fail "the container ran"
  [ "${#lines[@]}" -eq 1 ] || fail "expected one line"
  [[ "$output" =~ ^cellrun:\ create\ $ID:\ .+:\ .+ ]] || fail "not a create error line"
  assert_contains "$output" "$1"
  assert_contains "$output" "mount namespace"
  [ ! -e "$ROOT/$ID" ] || fail "state dir left behind"
  no_traces "$ID"
  mountinfo_unchanged
}

@test "runc spec without a mount namespace runs chrooted in the rootfs, in the host's mount namespace" {
  shareable
  cfg_args sh -c 'cat /marker; ls /proc | wc -l; touch /written-by-container && echo wrote'
  run run_fg "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = marker-in-rootfs ]
  [ "${lines[1]}" = 0 ] || fail "/proc is not the image's empty directory: something was mounted"
  [ "${lines[2]}" = wrote ]
  # the root is the rootfs: the file landed there, nowhere else
  [ -f "$BUNDLE/rootfs/written-by-container" ]
  [ ! -e /written-by-container ]
  no_traces "$ID"
  mountinfo_unchanged
}

@test "without a mount namespace the init shares the host's; exec joins the container's root" {
  shareable
  cfg_args sleep 300
  run_d "$ID"
  local pid
  pid=$(cat "$T/$ID.pid")
  [ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] || fail "a mount namespace was created"
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] || fail "the other namespaces are not new"
  [ "$(readlink "/proc/$pid/root")" = "$BUNDLE/rootfs" ]
  run cr exec "$ID" cat /marker
  [ "$status" -eq 0 ]
  [ "$output" = marker-in-rootfs ]
  cr delete -f "$ID"
  no_traces "$ID"
  mountinfo_unchanged
}

@test "runc spec as written (mounts, read-only root) without a mount namespace is refused" {
  refused "mounts[0] (/proc)"
}

@test "without a mount namespace: any bundle mount is refused" {
  shareable
  cfg_set .mounts '[{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid"]}]'
  refused "mounts[0] (/tmp)"
}

@test "without a mount namespace: a read-only root is refused" {
  shareable
  cfg_set .root.readonly true
  refused root.readonly
}

@test "without a mount namespace: rootfsPropagation is refused" {
  shareable
  cfg_set .linux.rootfsPropagation '"rslave"'
  refused linux.rootfsPropagation
}

@test "without a mount namespace: linux.devices is refused" {
  shareable
  cfg_set .linux.devices '[{"path":"/dev/fuse","type":"c","major":10,"minor":229}]'
  refused "linux.devices[0] (/dev/fuse)"
  [ ! -e "$BUNDLE/rootfs/dev/fuse" ] || fail "a node was made in the image"
}

@test "without a mount namespace: a masked path that exists in the rootfs is refused" {
  shareable
  cfg_append .linux.maskedPaths '"/etc/passwd"'
  refused "/etc/passwd"
}

@test "without a mount namespace: a read-only path that exists in the rootfs is refused" {
  shareable
  cfg_append .linux.readonlyPaths '"/etc"'
  refused "/etc"
}

@test "without a mount namespace: process.terminal uses the image's /dev/ptmx only if it is the multiplexer" {
  shareable
  cfg_set .process.terminal true
  cfg_args sh -c 'test -t 0 && echo on-a-pty'
  mknod "$BUNDLE/rootfs/dev/ptmx" c 1 3
  run run_fg "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "not the pty multiplexer"
  no_traces "$ID"
  # A real ptmx node finds its devpts at pts/ beside it: the image's empty directory is none.
  rm "$BUNDLE/rootfs/dev/ptmx"
  mknod "$BUNDLE/rootfs/dev/ptmx" c 5 2
  run run_fg "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  assert_error_line
  no_traces "$ID"
  mountinfo_unchanged
}

@test "without a mount namespace: process.terminal works when the rootfs has a devpts at /dev/pts" {
  shareable
  cfg_set .process.terminal true
  cfg_args sh -c 'test -t 0 && echo on-a-pty; exit 3'
  mknod "$BUNDLE/rootfs/dev/ptmx" c 5 2
  # The test, not cellrun, provides the devpts (the host's, under our temp tree).
  mkdir -p "$BUNDLE/rootfs/dev/pts"
  mount --bind /dev/pts "$BUNDLE/rootfs/dev/pts"
  cat /proc/self/mountinfo > "$T/mountinfo.before"
  run run_fg "$ID"
  echo "$output"
  local rc=0
  mountinfo_unchanged || rc=1
  umount "$BUNDLE/rootfs/dev/pts"
  [ "$rc" -eq 0 ]
  [ "$status" -eq 3 ]
  assert_contains "$output" on-a-pty
  no_traces "$ID"
}

# ------------------------------------------------------------------ other inherited namespaces

# in_own_uts CMD...: run CMD in a throw-away UTS namespace, then print that namespace's
# hostname, so a runtime that renamed "the host" can only rename the throw-away one.
in_own_uts () { unshare -u sh -c '"$@"; echo "rc=$?"; hostname' sh "$@"; }

@test "runc spec without a UTS namespace but with a hostname is refused; the hostname stays" {
  cfg_ns_set mount
  cfg_ns_del uts
  [ "$(cfg_get .hostname)" = runc ]
  cfg_args true
  local before
  before=$(hostname)
  run in_own_uts timeout -k 2 30 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  echo "$output"
  [ "${lines[0]}" = "cellrun: hostname: set without a UTS namespace (it would change the host's hostname)" ]
  [ "${lines[1]}" = rc=1 ]
  [ "${lines[2]}" = "$before" ] || fail "the runtime's hostname was changed"
  [ ! -e "$ROOT/$ID" ] || fail "state dir left behind"
  mountinfo_unchanged
}

@test "runc spec without a UTS namespace and without a hostname runs in the host's UTS namespace" {
  cfg_ns_set mount
  cfg_ns_del uts
  cfg_del .hostname
  cfg_args cat /proc/sys/kernel/hostname
  run in_own_uts timeout -k 2 30 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  echo "$output"
  [ "${lines[0]}" = "${lines[2]}" ] || fail "the container's hostname is not the runtime's"
  [ "${lines[1]}" = rc=0 ]
  no_traces "$ID"
}
