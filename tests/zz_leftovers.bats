#!/usr/bin/env bats
# Runs last (file names sort): after every other suite, nothing may be left behind.
# Each suite's temp tree is /tmp/cellrun-test-<tag>.*, its ids start with crt<tag>, where
# <tag> is derived from $CELLRUN, so runs from other build directories are not counted.

load helpers

# No per-test bundles here: only look.
setup_file () { :; }
setup () { :; }
teardown () { :; }
teardown_file () { :; }

@test "no mount mentions the test temp dirs or cellrun" {
  # other build dirs' suites (another tag) may be running right now: not ours to judge
  run awk -v ours="$TMP_PREFIX" -v ids="$ID_PREFIX" '
    index($0, ours) || index($0, ids) { print; next }
    /cellrun/ && !/\/tmp\/cellrun-test-/ { print }' /proc/self/mountinfo
  echo "$output" >&2
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "no mount was leaked and cleaned up by a suite's teardown" {
  local f=$LEAK_DIR/$RUN_TAG.mounts
  if [ -s "$f" ]; then
    cat "$f" >&2
    rm -f "$f"
    return 1
  fi
}

@test "no cgroup directory carries a test container id" {
  run find /sys/fs/cgroup -maxdepth 6 -type d -name "*$ID_PREFIX*"
  echo "$output" >&2
  [ -z "$output" ]
}

@test "no process mentions the test roots or ids, and no stray cellrun process" {
  local self_exe
  self_exe=$(readlink -f "$CELLRUN")
  run "$PY" - "$TMP_PREFIX" "$ID_PREFIX" "$self_exe" <<'EOF'
import os, sys
prefix, ids, exe = sys.argv[1:4]
me = os.getpid()
found = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) in (me, os.getppid()):
        continue
    try:
        cmd = open("/proc/%s/cmdline" % pid, "rb").read().replace(b"\0", b" ").decode(errors="replace")
        stat = open("/proc/%s/stat" % pid).read()
    except OSError:
        continue
    if ") Z " in stat:
        continue
    try:
        pexe = os.readlink("/proc/%s/exe" % pid)
    except OSError:
        pexe = ""
    if prefix in cmd or ids in cmd or pexe == exe:
        found.append("%s: %s" % (pid, cmd))
print("\n".join(found))
EOF
  echo "$output" >&2
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "no test temp dir is left in /tmp" {
  run sh -c "ls -d $TMP_PREFIX.* 2>/dev/null"
  echo "$output" >&2
  [ -z "$output" ]
}

@test "no network namespace created by the tests is left" {
  run sh -c "ip netns list 2>/dev/null | grep $ID_PREFIX"
  [ -z "$output" ]
}
