# Shared setup for the cellrun bats suites.  `load helpers` at the top of a .bats file.
#
# Per file:  CT_TMP (private temp dir), ROOTFS (busybox rootfs built once), ROOT (private --root).
# Per test:  T (scratch dir), BUNDLE (fresh bundle from `cellrun spec`), ID / ID2 (unique ids).
# Everything lives under /tmp/cellrun-test-<tag>.* so zz_leftovers.bats can find what leaked.

# `run ! cmd` (used across the suite) needs bats >= 1.5.
bats_require_minimum_version 1.5.0

CELLRUN=${CELLRUN:-${BUILDDIR:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}/cellrun}
export CELLRUN
TESTS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
# run_owner_pid: pid of the tests/run-tests.sh that runs this suite (0 when bats runs alone).
# The outermost match wins: run-tests.sh forks subshells (one per bats file) with its cmdline.
run_owner_pid () {
  local p=$$ owner=0 cmd _c _s ppid
  while [ "${p:-0}" -gt 1 ]; do
    cmd=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) || break
    case "$cmd" in *run-tests.sh*) owner=$p ;; esac
    read -r _c _c _s ppid _c < "/proc/$p/stat" 2>/dev/null || break
    p=$ppid
  done
  echo "$owner"
}
# A tag from the binary's path and the owning run-tests.sh keeps concurrent runs (other build
# dirs, other people's runs of the same build) apart; zz_leftovers.bats judges only its run.
# Computed once per file (setup_file exports it to the tests).
if [ -z "${RUN_TAG:-}" ]; then
  RUN_TAG=$(printf '%s:%s' "$CELLRUN" "$(run_owner_pid)" | sha256sum | cut -c1-6)
fi
TMP_PREFIX=/tmp/cellrun-test-$RUN_TAG
ID_PREFIX=crt$RUN_TAG
LEAK_DIR=/tmp/cellrun-test-leaks
export RUN_TAG TMP_PREFIX ID_PREFIX LEAK_DIR

# ---------------------------------------------------------------- rootfs

# build_rootfs DIR: static busybox with every applet linked in /bin, a passwd with uid 1000.
build_rootfs () {
  local dir=$1 applet
  mkdir -p "$dir"/{bin,dev,proc,sys,tmp,etc,root,home/user,mnt,run,var/tmp,usr}
  chmod 1777 "$dir/tmp" "$dir/var/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  # `busybox --install -s` would link to the host path of busybox; link relative instead.
  for applet in $("$dir/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
  ln -s bin "$dir/sbin"
  ln -s ../bin "$dir/usr/bin"
  ln -s ../bin "$dir/usr/sbin"
  cat > "$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:test user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat > "$dir/etc/group" <<'EOF'
root:x:0:
user:x:1000:
extra:x:2000:user
nogroup:x:65534:
EOF
  chown 1000:1000 "$dir/home/user"
  local probe=$BUILDDIR/tests/probes/sysprobe
  [ -n "${BUILDDIR:-}" ] && [ -x "$probe" ] || probe=$TESTS_DIR/probes/sysprobe
  [ -x "$probe" ] && cp "$probe" "$dir/bin/sysprobe"
  return 0
}

have_sysprobe () { [ -x "$ROOTFS/bin/sysprobe" ] && [ -s "$ROOTFS/bin/sysprobe" ]; }

# ---------------------------------------------------------------- setup / teardown

cellrun_setup_file () {
  mkdir -p /tmp
  CT_TMP=$(mktemp -d "$TMP_PREFIX.XXXXXX")
  chmod 755 "$CT_TMP"
  ROOTFS=$CT_TMP/rootfs
  ROOT=$CT_TMP/root
  mkdir -p "$ROOT"
  build_rootfs "$ROOTFS"
  export CT_TMP ROOTFS ROOT
}

cellrun_setup () {
  T=$CT_TMP/t$BATS_TEST_NUMBER
  rm -rf "$T"
  mkdir -p "$T"
  chmod 755 "$T"
  ID=$ID_PREFIX-${CT_TMP##*.}-$BATS_TEST_NUMBER
  ID2=$ID-b
  BUNDLE=$T/bundle
  # Tests that need no bundle (--version, features...) still run when `spec` is broken;
  # the others then fail at their first cfg_* call, which names the missing config.json.
  new_bundle "$BUNDLE" || true
}

cellrun_teardown () {
  cleanup_containers
  cleanup_dir "$T"
}

cellrun_teardown_file () {
  cleanup_containers
  cleanup_dir "$CT_TMP"
}

setup_file () { cellrun_setup_file; }
setup () { cellrun_setup; }
teardown () { cellrun_teardown; }
teardown_file () { cellrun_teardown_file; }

# Force-delete everything in our private root; then kill any container init we started
# that survived (pid files only, and only if it lives in another mount namespace).
cleanup_containers () {
  local id pidfile pid ids
  [ -n "${ROOT:-}" ] && [ -d "$ROOT" ] || return 0
  ids=$( (timeout 10 "$CELLRUN" --root "$ROOT" list -q 2>/dev/null; ls "$ROOT" 2>/dev/null) | sort -u)
  for id in $ids; do
    case "$id" in "$ID_PREFIX"*) ;; *) continue ;; esac
    timeout 10 "$CELLRUN" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
  done
  for pidfile in "${T:-/nonexistent}"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null) || continue
    case "$pid" in ''|*[!0-9]*) continue ;; esac
    [ -e "/proc/$pid" ] || continue
    if [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

# mounts_under DIR: mount points (from our mountinfo) at or below DIR.
mounts_under () {
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# Leaked mounts are recorded for zz_leftovers.bats, then detached so rm cannot walk into a
# host directory that was bind-mounted into the temp tree.
cleanup_dir () {
  local dir=$1 m
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  if [ -n "$(mounts_under "$dir")" ]; then
    mkdir -p "$LEAK_DIR"
    mounts_under "$dir" | sed "s|^|$(basename "$BATS_TEST_FILENAME"): |" >> "$LEAK_DIR/$RUN_TAG.mounts"
    for m in $(mounts_under "$dir" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -rf --one-file-system "$dir"
}

# ---------------------------------------------------------------- the CLI

# Every CLI call is bounded so a hung verb fails its test instead of hanging the suite.
# Note for `run cr create ...`: a created container keeps the stdio it was given, so bats'
# `run` would wait for it forever; use create_ct / run_d, which redirect to files.
cr () { timeout -k 5 "${CR_TIMEOUT:-60}" "$CELLRUN" --root "$ROOT" "$@"; }

# new_bundle DIR: `cellrun spec` in DIR, then pointed at the shared rootfs, no terminal,
# and a harmless default command.
new_bundle () {
  local dir=$1
  mkdir -p "$dir"
  (cd "$dir" && "$CELLRUN" spec) && [ -s "$dir/config.json" ] ||
    { echo "helpers: \`cellrun spec\` made no config.json in $dir" >&2; return 1; }
  CFG=$dir/config.json cfg_set .root.path "\"$ROOTFS\""
  CFG=$dir/config.json cfg_set .process.terminal false
  CFG=$dir/config.json cfg_args true
}

# private_rootfs: give this test's bundle its own copy of the rootfs (for tests that change it).
private_rootfs () {
  cp -a "$ROOTFS" "$BUNDLE/rootfs"
  cfg_set .root.path '"rootfs"'
}

# create_ct ID [create flags]: create from $BUNDLE with a pid file $T/ID.pid; the container's
# stdio goes to $T/ID.out and $T/ID.err so `run` never waits on a pipe the container holds.
create_ct () {
  local id=$1; shift
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" create --bundle "$BUNDLE" --pid-file "$T/$id.pid" \
    "$@" "$id" > "$T/$id.out" 2> "$T/$id.err" < /dev/null
  local rc=$?
  cat "$T/$id.err" >&2
  return $rc
}

# run_d ID [flags]: `run -d` with the same stdio arrangement as create_ct.
run_d () {
  local id=$1; shift
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" run -d --bundle "$BUNDLE" --pid-file "$T/$id.pid" \
    "$@" "$id" > "$T/$id.out" 2> "$T/$id.err" < /dev/null
  local rc=$?
  cat "$T/$id.err" >&2
  return $rc
}

# run_fg ID [flags]: foreground run with a time limit; a hung container is killed afterwards.
run_fg () {
  local id=$1; shift
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$@" "$id" < /dev/null
  local rc=$?
  case $rc in 124|137) "$CELLRUN" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 ;; esac
  return $rc
}

# in_ct CMD...: run a shell command line in a fresh container (foreground), output in $output.
in_ct () {
  cfg_args sh -c "$*"
  run run_fg "$ID"
}

ct_out () { cat "$T/$1.out"; }

state_json () { cr state "$1" 2>/dev/null; }
state_field () { state_json "$1" | json_get ".$2"; }

# wait_status ID STATUS [tries of 0.1s]
wait_status () {
  local i s
  for i in $(seq "${3:-50}"); do
    s=$(state_field "$1" status) || s=
    [ "$s" = "$2" ] && return 0
    sleep 0.1
  done
  echo "container $1: status '$s', expected '$2'" >&2
  return 1
}

# wait_for_file FILE [tries of 0.1s]
wait_for_file () {
  local i
  for i in $(seq "${2:-50}"); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- config.json editing

CFG_FILE () { printf '%s' "${CFG:-$BUNDLE/config.json}"; }
cfg_set () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" set "$1" "$2"; }
cfg_del () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" del "$1"; }
cfg_append () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" append "$1" "$2"; }
cfg_get () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" get "$1"; }
cfg_args () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" args "$@"; }
# annot KEY VALUE: set one bundle annotation (keys contain dots, which cfg_set cannot address).
annot () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" annot "$1" "$2"; }
cfg_ns_set () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" ns-set "$@"; }
# cfg_sys_as_sysfs: the bundle's /sys mount becomes a fresh sysfs (no bind, no "ro").
cfg_sys_as_sysfs () {
  "$PY" - "$(CFG_FILE)" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for m in c["mounts"]:
    if m["destination"] == "/sys":
        m.update(type="sysfs", source="sysfs", options=["nosuid", "noexec", "nodev"])
json.dump(c, open(sys.argv[1], "w"))
EOF
}
cfg_ns_del () { "$PY" "$TESTS_DIR/cfgedit.py" "$(CFG_FILE)" ns-del "$1"; }
# json_get PATH: read JSON on stdin, print the value at PATH (fails if absent).
json_get () { "$PY" "$TESTS_DIR/cfgedit.py" - get "$1"; }
# json_valid: stdin is one JSON document.
json_valid () { "$PY" -c 'import json,sys; json.load(sys.stdin)'; }

# ---------------------------------------------------------------- assertions

# no_traces ID: nothing of a container is left: no state under --root, no mount naming our
# temp tree, no cgroup directory, no process from its pid file.
no_traces () {
  local id=$1 pid
  if [ -n "$(find "$ROOT" -name "*$id*" 2>/dev/null)" ]; then
    echo "state for $id left under $ROOT:" >&2; find "$ROOT" -name "*$id*" >&2; return 1
  fi
  if cr state "$id" >/dev/null 2>&1; then echo "state $id still answers" >&2; return 1; fi
  if grep -F "$CT_TMP" /proc/self/mountinfo >&2; then echo "mount under $CT_TMP left behind" >&2; return 1; fi
  if [ -n "$(find /sys/fs/cgroup -maxdepth 5 -type d -name "*$id*" 2>/dev/null)" ]; then
    echo "cgroup of $id left behind" >&2; return 1
  fi
  if [ -s "$T/$id.pid" ]; then
    pid=$(cat "$T/$id.pid")
    if ! process_gone "$pid"; then echo "process $pid of $id still alive" >&2; return 1; fi
  fi
  return 0
}

# process_gone PID: the process exits (or is a zombie) within 3 seconds.
process_gone () {
  local i
  for i in $(seq 30); do
    [ -d "/proc/$1" ] || return 0
    [ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = Z ] && return 0
    sleep 0.1
  done
  return 1
}

# prun PROFILE ID [run flags]: foreground run of $BUNDLE with `--profile PROFILE` (none = no
# flag), bounded in time; a timed-out container is removed.
prun () {
  local profile=$1 id=$2; shift 2
  local g=()
  [ "$profile" = none ] || g=(--profile "$profile")
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" "${g[@]}" run --bundle "$BUNDLE" "$@" "$id" < /dev/null
  local rc=$?
  case $rc in 124|137) "$CELLRUN" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 ;; esac
  return $rc
}

# assert_error_line: $output's last line is `cellrun: <what>: <why>`.
assert_error_line () {
  local last
  last=$(printf '%s\n' "$output" | tail -n 1)
  [[ "$last" =~ ^cellrun:\ .+:\ .+ ]] || { echo "not a cellrun error line: $last" >&2; return 1; }
}

# assert_contains HAYSTACK NEEDLE
assert_contains () {
  case "$1" in *"$2"*) return 0 ;; esac
  printf 'expected to find [%s] in:\n%s\n' "$2" "$1" >&2
  return 1
}

# refute_contains HAYSTACK NEEDLE: fails when NEEDLE occurs in HAYSTACK.
refute_contains () {
  case "$1" in *"$2"*) printf 'did not expect [%s] in:\n%s\n' "$2" "$1" >&2; return 1 ;; esac
  return 0
}

# fail MESSAGE: fail the test with MESSAGE on stderr.  Use as `[ ... ] || fail "why"`.
fail () {
  echo "${1:-failed}" >&2
  return 1
}

# A negated command (`! cmd`) only fails a bats test when it is the test's last command, so the
# suite never uses one: write `run ! cmd`, `refute_contains`, or `[ ... ] || fail`.
# tests/lint-bats.py (part of `make check`) rejects a bare `! cmd` line.
# ---------------------------------------------------------------- permissive bundle

# all_cap_names: every capability the running kernel knows and our own bounding set holds
# (a caller without one, e.g. CAP_SYS_RESOURCE, cannot give it), as a JSON list.
all_cap_names () {
  local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
    LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
    SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
    SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
    WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)
  local last i bnd out=
  last=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null) || last=40
  [ "$last" -lt ${#names[@]} ] || last=$((${#names[@]} - 1))
  bnd=$((16#$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)))
  for ((i = 0; i <= last; i++)); do
    (((bnd >> i) & 1)) && out="$out${out:+,}\"CAP_${names[i]}\""
  done
  printf '[%s]\n' "$out"
}

# permissive_bundle [DIR]: a bundle that restricts as little as an OCI bundle can, so that a
# profile's effect measured in it is the profile's own: every capability in all five sets,
# no maskedPaths/readonlyPaths, rw root, rw sysfs and cgroupfs, no linux.seccomp, no /dev/shm
# mount, noNewPrivileges false. Written by `runc spec` when runc is installed (a config shape
# another tool writes), else by `cellrun spec`. Points at $ROOTFS, no terminal, runs `true`.
permissive_bundle () {
  local dir=${1:-$BUNDLE} caps
  rm -rf "$dir"
  mkdir -p "$dir"
  if command -v runc >/dev/null 2>&1; then
    (cd "$dir" && runc spec) || return 1
  else
    (cd "$dir" && "$CELLRUN" spec) || return 1
  fi
  caps=$(all_cap_names)
  "$PY" - "$dir/config.json" "$ROOTFS" "$caps" <<'PYEOF' || return 1
import json, sys
path, rootfs, caps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with open(path) as f:
    doc = json.load(f)
proc = doc.setdefault("process", {})
proc["terminal"] = False
proc["args"] = ["true"]
proc["noNewPrivileges"] = False
proc["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted", "inheritable", "ambient")}
proc.pop("apparmorProfile", None)
proc.pop("selinuxLabel", None)
doc["root"] = {"path": rootfs, "readonly": False}
mounts = []
for m in doc.get("mounts", []):
    if m.get("destination") == "/dev/shm":
        continue
    if m.get("type") in ("sysfs", "cgroup", "cgroup2") or m.get("destination", "").startswith("/sys"):
        m["options"] = [o for o in m.get("options", []) if o not in ("ro", "rw")] + ["rw"]
    mounts.append(m)
doc["mounts"] = mounts
linux = doc.setdefault("linux", {})
for key in ("seccomp", "maskedPaths", "readonlyPaths", "sysctl"):
    linux.pop(key, None)
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
PYEOF
}

# ---------------------------------------------------------------- tests/probes/sysprobe answers

# probe_result NAME: the probe's answer for NAME in $output.
probe_result () { awk -v n="$1" '$1 == n { print $2 }' <<< "$output"; }

# probe_expect WANT NAME...: every NAME answered WANT.
probe_expect () {
  local want=$1 n got bad=0; shift
  for n in "$@"; do
    got=$(probe_result "$n")
    [ "$got" = "$want" ] || { echo "$n: got '${got:-nothing}', want $want"; bad=1; }
  done
  return $bad
}
