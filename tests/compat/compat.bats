#!/usr/bin/env bats
# The differential suite: config.json shapes other tools write (configs/), mutated by cases.py,
# each run under runc (the oracle, private --root) and under the built cellrun with the same
# bundle; difftest.py compares what the container's process and the host observe and fails on
# any divergence that known-differences does not list (and on a listed one that is gone).
# See docs/compat.md, "The differential suite".

# Run by hand (bats tests/compat/compat.bats), the binary is two levels up.
CELLRUN=${CELLRUN:-${BUILDDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}/cellrun}
export CELLRUN
load ../helpers
# helpers.bash finds cfgedit.py and the probes through TESTS_DIR: the parent directory.
TESTS_DIR=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
COMPAT=$BATS_TEST_DIRNAME

setup_file () {
  cellrun_setup_file
  cp "$COMPAT/probe.sh" "$ROOTFS/compat-probe"
  WORK=$CT_TMP/work
  mkdir -p "$WORK"
  HOST_NAMES_BEFORE="$(cat /proc/sys/kernel/hostname) $(cat /proc/sys/kernel/domainname)"
  export WORK HOST_NAMES_BEFORE
}

teardown_file () {
  # The cases' cgroup parent (podman and ctr shapes name one), in every hierarchy.
  local d
  for d in /sys/fs/cgroup/"$ID_PREFIX-compat" /sys/fs/cgroup/*/"$ID_PREFIX-compat"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  cellrun_teardown_file
}

setup () { T=$CT_TMP/t$BATS_TEST_NUMBER; mkdir -p "$T"; }
teardown () { cleanup_dir "$T"; }

need_oracle () {
  [ "$(id -u)" = 0 ] || skip "needs root"
  command -v runc >/dev/null || skip "runc (the oracle) is not installed"
  command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
}

difftest () { timeout -k 5 300 "$PY" "$COMPAT/difftest.py" "$@"; }

# group NAME: every case of the group agrees with runc or is listed in known-differences.
group () {
  need_oracle
  run difftest run --work "$WORK" --rootfs "$ROOTFS" --id-prefix "$ID_PREFIX" --group "$1"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *" with unlisted divergences"* ]]
}

@test "compat: configs/ still hold what runc spec, runc spec --rootless and crun spec write" {
  local name cmd bad=
  for name in runc runc-rootless crun; do
    case $name in
      runc) cmd="runc spec" ;; runc-rootless) cmd="runc spec --rootless" ;; crun) cmd="crun spec" ;;
    esac
    command -v "${cmd%% *}" >/dev/null || continue
    mkdir -p "$T/$name"
    (cd "$T/$name" && $cmd)
    run "$PY" -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:3]); sys.exit(a != b)' \
      "$T/$name/config.json" "$COMPAT/configs/$name.json"
    [ "$status" -eq 0 ] || bad="$bad $name"
  done
  [ -z "$bad" ] || { echo "configs/ differ from today's tool:$bad (run tests/compat/capture.sh)" >&2; return 1; }
}

@test "compat: the podman and ctr shapes are stored, with only their capture's paths replaced" {
  run "$PY" - "$COMPAT/configs" <<'EOF'
import json, os, sys
d = sys.argv[1]
pm = json.load(open(os.path.join(d, "podman.json")))
ctr = json.load(open(os.path.join(d, "ctr.json")))
text = open(os.path.join(d, "podman.json")).read() + open(os.path.join(d, "ctr.json")).read()
assert "/tmp/" not in text, "a capture path is left"
assert pm["root"]["path"] == "@ROOTFS@"
assert pm["linux"]["cgroupsPath"] == "@CGPARENT@/libpod-@ID@", pm["linux"]["cgroupsPath"]
assert "seccomp" in pm["linux"] and pm["annotations"]["io.container.manager"] == "libpod"
assert ctr["linux"]["cgroupsPath"] == "@CGPARENT@/@ID@"
assert any(m["source"].startswith("@CAPTURE-FILE@/") for m in pm["mounts"])
EOF
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "compat: every case group has a test here, and case names are unique" {
  run difftest groups
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "bases mounts namespaces devices caps users process rlimits hooks" ]
}

@test "compat: docs/compat.md's Known differences section is generated from known-differences" {
  local doc=$COMPAT/../../docs/compat.md
  [ -f "$doc" ] || skip "no docs/compat.md next to the tests"
  run difftest known-md
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" > "$T/want"
  # the section's body without the blank lines around it
  awk '/^## Known differences$/ { on = 1; next } on && /^## / { exit } on { l[++n] = $0 }
       END { s = 1; while (s <= n && l[s] == "") s++; while (n >= s && l[n] == "") n--; for (i = s; i <= n; i++) print l[i] }' \
    "$doc" > "$T/have"
  run diff -u "$T/want" "$T/have"
  echo "$output"
  [ "$status" -eq 0 ] || { echo "regenerate it: tests/compat/difftest.py known-md" >&2; return 1; }
}

@test "compat: an unlisted divergence fails, a listed one passes unless its value is pinned otherwise, a stale line fails" {
  need_oracle
  local case=runc/unknown-capability   # diverges in exit (deliberate: cellrun refuses an unknown name)
  grep -v "^$case " "$COMPAT/known-differences" > "$T/without"
  run difftest run --work "$T/w1" --rootfs "$ROOTFS" --id-prefix "$ID_PREFIX" --case "$case" --known "$T/without"
  echo "$output"
  [ "$status" -eq 1 ]
  assert_contains "$output" "exit"
  run difftest run --work "$T/w2" --rootfs "$ROOTFS" --id-prefix "$ID_PREFIX" --case "$case"
  echo "$output"
  [ "$status" -eq 0 ]
  { cat "$T/without"; echo "$case exit cellrun~^nothing-like-this open: a reason"; } > "$T/pinned"
  run difftest run --work "$T/w3" --rootfs "$ROOTFS" --id-prefix "$ID_PREFIX" --case "$case" --known "$T/pinned"
  echo "$output"
  [ "$status" -eq 1 ]
  { cat "$COMPAT/known-differences"; echo "$case env:NOPE open: a reason"; } > "$T/stale"
  run difftest stale --work "$T/w2" --known "$T/stale"
  echo "$output"
  [ "$status" -eq 1 ]
  assert_contains "$output" "env:NOPE no longer diverges"
}

@test "compat: bases (as written by runc, runc --rootless, crun, podman, ctr) agree with runc" { group bases; }
@test "compat: mounts removed, added and changed agree with runc" { group mounts; }
@test "compat: namespaces dropped, added and joined by path agree with runc" { group namespaces; }
@test "compat: linux.devices of type b, c, u, p agree with runc" { group devices; }
@test "compat: capability sets (ambient/inheritable combinations) agree with runc" { group caps; }
@test "compat: users (with and without passwd entries), umask and env agree with runc" { group users; }
@test "compat: cwd, read-only root, exit status, hostname, sysctl, seccomp agree with runc" { group process; }
@test "compat: rlimits agree with runc" { group rlimits; }
@test "compat: hooks (every stage, failing, with env) agree with runc" { group hooks; }

@test "compat: every line of known-differences still matches a divergence" {
  need_oracle
  [ -d "$WORK/results" ] || skip "no case group ran"
  [ "$(ls "$WORK/results" | wc -l)" -eq 9 ] || skip "not every group ran"
  run difftest stale --work "$WORK"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "compat: the host's hostname and mount table are as before the suite" {
  local now
  now="$(cat /proc/sys/kernel/hostname) $(cat /proc/sys/kernel/domainname)"
  [ "$now" = "$HOST_NAMES_BEFORE" ] ||
    { echo "host hostname/domainname changed during the suite (by it or by anything else running): '$HOST_NAMES_BEFORE' -> '$now'" >&2; return 1; }
  run grep -F "$CT_TMP" /proc/self/mountinfo
  echo "$output"
  [ -z "$output" ]
}
