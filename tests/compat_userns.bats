#!/usr/bin/env bats
# User-namespace edge cases runc handles (issue 10, item 12), from the config `runc spec --rootless`
# writes, run as root with a real mapping (container 0-65535 = host 100000-165535): sysfs without
# a network namespace, cgroup mounts without a cgroup namespace, bind sources the mapped root
# cannot reach, idmapped mounts (uidMappings/gidMappings on a mount), one whose destination is a
# symlink inside the rootfs.  runc 1.1.5 is the oracle where it agrees with the runtime spec.

load helpers

MAP='[{"containerID":0,"hostID":100000,"size":65536}]'

# rootless_bundle: $BUNDLE/config.json from `runc spec --rootless`, on the shared rootfs, with the
# 0->100000 mapping.  runc spec lists ambient capabilities that are not inheritable (issue 10
# item 1, handled elsewhere); they are made inheritable so this file tests only userns cases.
rootless_bundle () {
  command -v runc >/dev/null || skip "runc not installed"
  rm -f "$BUNDLE/config.json"
  (cd "$BUNDLE" && runc spec --rootless) || return 1
  cfg_set .root.path "\"$ROOTFS\""
  cfg_set .process.terminal false
  cfg_set .linux.uidMappings "$MAP"
  cfg_set .linux.gidMappings "$MAP"
  cfg_set .process.capabilities.inheritable "$(cfg_get .process.capabilities.ambient)"
}

# mnt_opts MOUNTPOINT: per-mount options of the mount visible at MOUNTPOINT (the last one), from
# a mountinfo dump in $output.
mnt_opts () { awk -v p="$1" '$5 == p { o = $6 } END { print o }' <<< "$output"; }
# mnt_root MOUNTPOINT: the root (4th field) of the visible mount at MOUNTPOINT.
mnt_root () { awk -v p="$1" '$5 == p { r = $4 } END { print r }' <<< "$output"; }

# has_opts OPTS WANT...: the comma list OPTS contains every WANT.
has_opts () {
  local opts=",$1," w
  shift
  for w in "$@"; do
    case "$opts" in *",$w,"*) ;; *) echo "options '$1' lack $w"; return 1 ;; esac
  done
}

runc_run () {
  timeout -k 2 30 runc --root "$T/runc-root" run --bundle "$BUNDLE" "$1" < /dev/null
}

@test "runc spec --rootless with a mapping, run as root: the same uid_map, read-only root and /sys as runc" {
  rootless_bundle
  cfg_args sh -c 'cat /proc/self/uid_map; touch /x 2>/dev/null && echo ROOT-RW || echo ROOT-RO; touch /sys/x 2>/dev/null && echo SYS-RW || echo SYS-RO'
  run run_fg "$ID"
  echo "cellrun: $output"
  [ "$status" -eq 0 ]
  local mine=$output
  [ "$(echo $(head -1 <<< "$mine"))" = "0 100000 65536" ]
  assert_contains "$mine" ROOT-RO
  assert_contains "$mine" SYS-RO
  run runc_run "$ID-runc"
  echo "runc: $output"
  [ "$status" -eq 0 ]
  [ "$output" = "$mine" ]
}

@test "sysfs in a user namespace without a network namespace: the host /sys is bound read-only on every submount (runc 1.1.5 fails)" {
  rootless_bundle
  cfg_sys_as_sysfs
  cfg_args sh -c 'cat /proc/self/mountinfo; ls /sys/kernel >/dev/null && echo SYS-LISTED'
  run run_fg "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" SYS-LISTED
  # the bundle did not ask for ro: the fallback makes it ro, on /sys and on every mount below
  local lines
  lines=$(awk '$5 == "/sys" || index($5, "/sys/") == 1 { print $5, $6 }' <<< "$output")
  [ -n "$lines" ]
  while read -r mp opts; do
    has_opts "$opts" ro || { echo "$mp is not read-only: $opts"; false; }
  done <<< "$lines"
  [ "$(awk '$5 == "/sys" { print $9 }' <<< "$output" | head -1)" = sysfs ]
}

@test "cgroup mount in a user namespace without cgroup and network namespaces: the container's own cgroup, ro,nosuid,nodev,noexec like runc" {
  rootless_bundle
  cfg_args cat /proc/self/mountinfo
  run run_fg "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  local mine=$output ctl n=0
  for ctl in cpu memory pids; do
    [ -n "$(mnt_opts /sys/fs/cgroup/$ctl)" ] || continue
    n=$((n + 1))
    has_opts "$(mnt_opts /sys/fs/cgroup/$ctl)" ro nosuid nodev noexec
    # a bind of the container's cgroup directory, not the hierarchy's root
    [ "$(basename "$(mnt_root /sys/fs/cgroup/$ctl)")" = "$ID" ] || { echo "root of $ctl: $(mnt_root /sys/fs/cgroup/$ctl)"; false; }
  done
  [ "$n" -gt 0 ]
  run runc_run "$ID-r"
  [ "$status" -eq 0 ]
  for ctl in cpu pids; do
    [ -n "$(mnt_opts /sys/fs/cgroup/$ctl)" ] || continue
    has_opts "$(mnt_opts /sys/fs/cgroup/$ctl)" ro nosuid nodev noexec
  done
}

@test "bind mount in a user namespace whose source is below a directory only host root may search (as runc 1.1.5)" {
  rootless_bundle
  mkdir -p "$T/priv/sub"
  echo reachable > "$T/priv/sub/file"
  chmod 700 "$T/priv"
  cfg_append .mounts "{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$T/priv/sub\",\"options\":[\"rbind\",\"ro\"]}"
  cfg_args sh -c 'cat /mnt/file; touch /mnt/new 2>/dev/null && echo MNT-RW || echo MNT-RO'
  run run_fg "$ID"
  echo "cellrun: $output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'reachable\nMNT-RO')" ]
  [ ! -e "$T/priv/sub/new" ]
  run runc_run "$ID-r"
  echo "runc: $output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'reachable\nMNT-RO')" ]
}

@test "idmapped bind mount: host uid 0 files appear as the container's root and its writes land as host uid 0; a plain bind shows nobody" {
  rootless_bundle
  mkdir -p "$T/data" "$T/plain"
  echo mapped > "$T/data/file"
  echo plain > "$T/plain/file"
  cfg_append .mounts "{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$T/data\",\"options\":[\"rbind\"],\"uidMappings\":$MAP,\"gidMappings\":$MAP}"
  cfg_append .mounts "{\"destination\":\"/root\",\"type\":\"bind\",\"source\":\"$T/plain\",\"options\":[\"rbind\"]}"
  cfg_args sh -c 'stat -c "%u:%g" /mnt/file /root/file; echo made > /mnt/new && echo WROTE; grep " /mnt " /proc/self/mountinfo'
  run run_fg "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p <<< "$output")" = 0:0 ]
  [ "$(sed -n 2p <<< "$output")" = 65534:65534 ]
  assert_contains "$output" WROTE
  assert_contains "$output" idmapped
  # on the host the new file belongs to uid 0, not to the mapped 100000
  [ "$(stat -c %u:%g "$T/data/new")" = 0:0 ]
  [ "$(cat "$T/data/new")" = made ]
}

@test "idmapped mount whose destination is a symlink inside the rootfs lands on the symlink's target inside the root" {
  rootless_bundle
  private_rootfs
  mkdir -p "$BUNDLE/rootfs/srv/data" "$BUNDLE/rootfs/srv/rel" "$T/data"
  # absolute and climbing symlinks: both must resolve inside the root, never on the host
  ln -s /srv/data "$BUNDLE/rootfs/data"
  ln -s ../../../../../srv/rel "$BUNDLE/rootfs/rel"
  echo mapped > "$T/data/file"
  local host_srv_before
  host_srv_before=$(ls -A /srv 2>/dev/null | sort | tr '\n' ' ')
  cfg_append .mounts "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/data\",\"options\":[\"rbind\",\"ro\"],\"uidMappings\":$MAP,\"gidMappings\":$MAP}"
  cfg_append .mounts "{\"destination\":\"/rel\",\"type\":\"bind\",\"source\":\"$T/data\",\"options\":[\"rbind\",\"ro\"],\"uidMappings\":$MAP,\"gidMappings\":$MAP}"
  cfg_args sh -c 'stat -c "%u %n" /srv/data/file /srv/rel/file; readlink /data; grep -E " /srv/(data|rel) " /proc/self/mountinfo | wc -l'
  run run_fg "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p <<< "$output")" = "0 /srv/data/file" ]
  [ "$(sed -n 2p <<< "$output")" = "0 /srv/rel/file" ]
  [ "$(sed -n 3p <<< "$output")" = /srv/data ]
  [ "$(sed -n 4p <<< "$output")" = 2 ]
  # the symlinks are untouched and nothing appeared under the host's /srv
  [ "$(readlink "$BUNDLE/rootfs/data")" = /srv/data ]
  [ "$(ls -A /srv 2>/dev/null | sort | tr '\n' ' ')" = "$host_srv_before" ]
  [ -z "$(ls -A "$BUNDLE/rootfs/srv/data")" ]
}

@test "idmapped mounts that cannot be done are refused with one error line and leave nothing: not a bind, or uidMappings without gidMappings" {
  rootless_bundle
  mkdir -p "$T/data"
  cp "$BUNDLE/config.json" "$T/base.json"
  cfg_append .mounts "{\"destination\":\"/mnt\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"uidMappings\":$MAP,\"gidMappings\":$MAP}"
  run run_fg "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "only bind mounts can be idmapped"
  no_traces "$ID"
  cp "$T/base.json" "$BUNDLE/config.json"
  cfg_append .mounts "{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$T/data\",\"options\":[\"rbind\"],\"uidMappings\":$MAP}"
  run run_fg "$ID2"
  echo "$output"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "needs both uidMappings and gidMappings"
  no_traces "$ID2"
}
