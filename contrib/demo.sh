#!/bin/bash
# Quick start on a fresh Debian 12 machine:  sudo bash contrib/demo.sh
# Installs the build dependencies, builds cellrun, and runs a busybox container with it
# under the strict isolation profile.
# Env: SKIP_APT=1 skips apt-get; KEEP=1 keeps the demo bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: run as root: sudo bash contrib/demo.sh" >&2
  exit 1
fi

if [ "${SKIP_APT:-0}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends \
    build-essential gcc make autoconf automake libtool pkg-config \
    libyajl-dev libseccomp-dev libcap-dev busybox-static python3
fi

echo "== building cellrun"
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j2 cellrun

work=$(mktemp -d /tmp/cellrun-demo.XXXXXX)
root=$work/state
id=demo-$$
cleanup () {
  "$top/cellrun" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] && { echo "bundle kept in $work"; return; }
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

echo "== making a busybox bundle in $work/bundle"
bundle=$work/bundle
mkdir -p "$bundle/rootfs"/{bin,dev,proc,sys,tmp,etc,root}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $("$bundle/rootfs/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/tmp:/bin/sh\n' > "$bundle/rootfs/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' > "$bundle/rootfs/etc/group"
(cd "$bundle" && "$top/cellrun" spec)
python3 - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
cfg = json.load(open(path))
cfg["process"]["terminal"] = False
cfg["process"]["args"] = ["sh", "-c",
    "echo \"hello from $(hostname): I am $(id -u), pid $$\"; "
    "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; "
    "echo 'network:' $(ls /sys/class/net); "
    "touch /probe 2>/dev/null && echo 'root fs: writable' || echo 'root fs: read-only'"]
cfg["hostname"] = "cellrun-demo"
json.dump(cfg, open(path, "w"), indent=2)
PY

echo "== running under the strict profile"
rc=0
"$top/cellrun" --root "$root" --profile strict run --bundle "$bundle" "$id" < /dev/null || rc=$?
echo "== done: the container exited with status $rc"
exit $rc
