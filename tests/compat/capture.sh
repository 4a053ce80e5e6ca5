#!/bin/bash
# Re-captures the config.json shapes in tests/compat/configs/ from the tools that write them.
#
#   tests/compat/capture.sh [NAME...]     NAME: runc runc-rootless crun podman ctr (default: all)
#
# runc/crun: `runc spec`, `runc spec --rootless`, `crun spec` in an empty directory.
# podman/ctr: the engine runs a busybox image with --runtime / --runc-binary pointing at a
# wrapper that copies the bundle's config.json on `create` and then execs runc.  podman uses
# private --root/--runroot/--tmpdir storage, cgroupfs and file events; containerd is a private
# daemon (own root, state, socket, no CRI plugin).  Everything lives under one temp dir that is
# removed at the end.  The captured files then go through sanitize.py, which replaces the
# capture's temp paths and random ids with placeholders (see cases.py: load_config).
# Needs root, runc, and for the engines podman+conmon / containerd+ctr.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$here/configs
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(runc runc-rootless crun podman ctr)
PY=${PY:-python3}
rc=0

tmp=$(mktemp -d /tmp/cellrun-compat-capture.XXXXXX)
chmod 755 "$tmp"
cleanup () {
  local m
  for m in $(awk -v d="$tmp" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# The busybox rootfs of the test suites (tests/helpers.bash: build_rootfs).
rootfs () {
  [ -d "$tmp/rootfs" ] && return 0
  ( BATS_TEST_DIRNAME=$here/.. BUILDDIR=${BUILDDIR:-} CELLRUN=/bin/true; source "$here/../helpers.bash"; build_rootfs "$tmp/rootfs" )
}

# wrapper NAME: a runtime that saves the config.json of every `create` as $tmp/NAME.json.
wrapper () {
  cat > "$tmp/$1-wrapper" <<EOF
#!/bin/sh
prev=
for a; do
  case "\$prev" in --bundle|-b) cp "\$a/config.json" "$tmp/$1.json" ;; esac
  case "\$a" in --bundle=*) cp "\${a#--bundle=}/config.json" "$tmp/$1.json" ;; esac
  prev=\$a
done
exec $(command -v runc) "\$@"
EOF
  chmod 755 "$tmp/$1-wrapper"
}

keep () {   # keep NAME FILE VERSION: sanitize into configs/NAME.json, note the tool's version
  if [ ! -s "$2" ]; then echo "capture: $1: no config.json was captured" >&2; rc=1; return 1; fi
  "$PY" "$here/sanitize.py" "$1" "$tmp" < "$2" > "$out/$1.json.new" && mv "$out/$1.json.new" "$out/$1.json" ||
    { rc=1; return 1; }
  touch "$out/SOURCES"
  { grep -v "^$1	" "$out/SOURCES"; printf '%s\t%s\t%s\n' "$1" "$3" "$(date -u +%Y-%m-%d)"; } | sort > "$out/SOURCES.new"
  mv "$out/SOURCES.new" "$out/SOURCES"
  echo "capture: $1 -> configs/$1.json"
}

spec_of () {   # spec_of NAME CMD...
  local name=$1; shift
  mkdir -p "$tmp/$name" && (cd "$tmp/$name" && "$@" >/dev/null) &&
    keep "$name" "$tmp/$name/config.json" "$* ($("$1" --version | head -1))"
}

capture_podman () {
  local pm=$tmp/podman
  mkdir -p "$pm"/{storage,runroot,tmp,net}
  rootfs || return 1
  wrapper podman
  : > "$pm/containers.conf"
  P () { (cd "$pm" && CONTAINERS_CONF=$pm/containers.conf timeout -k 5 120 podman --root "$pm/storage" \
    --runroot "$pm/runroot" --tmpdir "$pm/tmp" --network-config-dir "$pm/net" --storage-driver vfs \
    --cgroup-manager=cgroupfs --events-backend=file "$@"); }
  [ -e /run/containers ] && local had_run=1 || local had_run=0
  tar -C "$tmp/rootfs" -c . | P import - localhost/busybox >/dev/null || { rc=1; return 1; }
  # A private cgroup parent (the stored config names a placeholder for it anyway).
  P run --rm --runtime "$tmp/podman-wrapper" --network none --cgroup-parent "/$cgp" localhost/busybox true
  local st=$?
  P rm -a -f -t 0 >/dev/null 2>&1
  P system reset -f >/dev/null 2>&1
  rm_cgroups "$cgp"
  [ "$had_run" = 0 ] && rmdir /run/containers/networks /run/containers 2>/dev/null
  # The config is saved at `create`; the run itself may fail after that (e.g. podman's default
  # RLIMIT_NOFILE of 1048576 needs CAP_SYS_RESOURCE, which some CI hosts lack).
  [ $st -eq 0 ] || echo "capture: note: podman run exited $st (the config was taken at create)" >&2
  keep podman "$tmp/podman.json" "podman run --rm --network none IMAGE true ($(podman --version))"
}

capture_ctr () {
  local cd=$tmp/containerd ns=$cgp i pid
  mkdir -p "$cd"/{root,state,runc-root}
  rootfs || return 1
  wrapper ctr
  cat > "$cd/config.toml" <<EOF
version = 2
root = "$cd/root"
state = "$cd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$cd/containerd.sock"
[ttrpc]
  address = "$cd/containerd.ttrpc.sock"
EOF
  [ -e /run/containerd ] && local had_run=1 || local had_run=0
  setsid containerd --config "$cd/config.toml" > "$cd/log" 2>&1 < /dev/null &
  pid=$!
  C () { timeout -k 5 60 ctr -a "$cd/containerd.sock" -n "$ns" "$@"; }
  for i in $(seq 100); do C version >/dev/null 2>&1 && break; sleep 0.1; done
  "$PY" "$here/../integration/oci-archive.py" "$tmp/rootfs" localhost/busybox:latest "$cd/img.tar" &&
    C images import "$cd/img.tar" >/dev/null &&
    C run --rm --runc-binary "$tmp/ctr-wrapper" --runc-root "$cd/runc-root" localhost/busybox:latest capture true
  local st=$?
  C task delete -f capture >/dev/null 2>&1
  C containers delete capture >/dev/null 2>&1
  C images rm localhost/busybox:latest >/dev/null 2>&1
  kill "$pid" 2>/dev/null
  for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
  rm_cgroups "$ns"
  [ "$had_run" = 0 ] && rmdir /run/containerd/fifo /run/containerd/s /run/containerd 2>/dev/null
  [ $st -eq 0 ] || { echo "capture: ctr run exited $st" >&2; cat "$cd/log" >&2; }
  keep ctr "$tmp/ctr.json" "ctr run --rm IMAGE ID true (containerd $(containerd --version | awk '{print $3}'))"
}

# rm_cgroups NAME: remove the top-level cgroup NAME (and what is below) in every hierarchy;
# conmon or a shim may take a moment to leave it.
rm_cgroups () {
  local i d left
  for i in $(seq 30); do
    left=
    for d in /sys/fs/cgroup/"$1" /sys/fs/cgroup/*/"$1"; do
      [ -d "$d" ] || continue
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
      [ -d "$d" ] && left=1
    done
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  echo "capture: cgroup $1 could not be removed" >&2
}
cgp=cellrun-compat-capture-$$

mkdir -p "$out"
for n in "${names[@]}"; do
  case "$n" in
    runc) spec_of runc runc spec || rc=1 ;;
    runc-rootless) spec_of runc-rootless runc spec --rootless || rc=1 ;;
    crun) spec_of crun crun spec || rc=1 ;;
    podman) capture_podman || rc=1 ;;
    ctr) capture_ctr || rc=1 ;;
    *) echo "capture: unknown config $n" >&2; rc=1 ;;
  esac
done
exit $rc
