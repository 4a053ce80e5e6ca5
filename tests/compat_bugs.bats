#!/usr/bin/env bats
# Drop-in compatibility (issue 10): bundles other tools write (`runc spec`, `crun spec`) run
# under cellrun, and where runc is installed the same bundle runs under runc as the oracle.
# docs/compat.md ("Fixed differences", "Deliberate differences") names the test of each item.

load helpers

teardown () {
  runc_cleanup
  cellrun_teardown
}

# tool_bundle TOOL: replace $BUNDLE/config.json with the one `TOOL spec` writes, pointed at the
# shared rootfs, without a terminal (skips when TOOL is not installed).
tool_bundle () {
  command -v "$1" >/dev/null || skip "$1 is not installed"
  rm -f "$BUNDLE/config.json"
  (cd "$BUNDLE" && "$1" spec) || fail "$1 spec failed"
  cfg_set .root.path "\"$ROOTFS\""
  cfg_set .process.terminal false
}

fail () { echo "$*" >&2; return 1; }

have_runc () { command -v runc >/dev/null; }
RUNC_ROOT () { printf '%s' "$T/runc-root"; }

# runc_fg: the same bundle under runc (the oracle), foreground, id $ID-runc.
runc_fg () {
  timeout -k 5 30 runc --root "$(RUNC_ROOT)" run --bundle "$BUNDLE" "$@" "$ID-runc" < /dev/null
}

runc_cleanup () {
  local id
  [ -d "${T:-}/runc-root" ] || return 0
  for id in $(runc --root "$T/runc-root" list -q 2>/dev/null); do
    timeout 10 runc --root "$T/runc-root" delete -f "$id" > /dev/null 2>&1 || true
  done
}

# run_fg_q / in_ct_q: run_fg / in_ct with the runtime's stderr (the ambient warning of a
# `runc spec` bundle) in $T/stderr instead of $output.
run_fg_q () { run_fg "$@" 2> "$T/stderr"; }
in_ct_q () {
  cfg_args sh -c "$*"
  run run_fg_q "$ID"
}
err_text () { cat "$T/stderr" 2>/dev/null; }

# both_fg CMD: run shell CMD under cellrun ($CR_OUT) and, when installed, runc ($RUNC_OUT);
# each must exit 0.
both_fg () {
  cfg_args sh -c "$1"
  CR_OUT=$(run_fg "$ID" 2> "$T/cr.err") || fail "cellrun: $(cat "$T/cr.err")"
  RUNC_OUT=
  if have_runc; then
    RUNC_OUT=$(runc_fg 2> "$T/runc.err") || fail "runc: $(cat "$T/runc.err")"
    [ "$CR_OUT" = "$RUNC_OUT" ] || fail "cellrun and runc differ: cellrun [$CR_OUT] runc [$RUNC_OUT]"
  fi
  return 0
}

# ---------------------------------------------------------------- 1. ambient capabilities

@test "runc spec: ambient caps missing from inheritable warn once and run; Cap* lines match runc" {
  tool_bundle runc
  cfg_args sh -c 'grep ^Cap /proc/self/status'
  run_fg "$ID" > "$T/out" 2> "$T/err" || fail "cellrun run failed: $(cat "$T/err")"
  [ "$(wc -l < "$T/err")" -eq 1 ] || fail "expected one warning line: $(cat "$T/err")"
  grep -q '^cellrun: warning: process.capabilities.ambient: 3 capabilities .*not raised' "$T/err" ||
    fail "no ambient warning: $(cat "$T/err")"
  grep -q CAP_KILL "$T/err" && fail "names without --debug: $(cat "$T/err")"
  grep -q '^CapAmb:[[:space:]]*0000000000000000$' "$T/out" || fail "ambient set not empty: $(cat "$T/out")"
  # --debug names every capability left out.
  timeout 30 "$CELLRUN" --debug --root "$ROOT" run --bundle "$BUNDLE" "$ID" > /dev/null 2> "$T/debug.err" < /dev/null
  for cap in CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE; do
    grep -q "not raised: .*$cap" "$T/debug.err" || fail "--debug does not name $cap: $(cat "$T/debug.err")"
  done
  if have_runc; then
    runc_fg > "$T/runc.out" 2> "$T/runc.err" || fail "runc: $(cat "$T/runc.err")"
    diff "$T/runc.out" "$T/out" >&2 || fail "Cap* lines differ from runc's"
  fi
}

@test "runc spec: an ambient cap that is also inheritable is raised, like runc" {
  tool_bundle runc
  cfg_set .process.capabilities.inheritable '["CAP_KILL"]'
  both_fg 'grep -E "^Cap(Amb|Inh)" /proc/self/status'
  # CAP_KILL is bit 5.
  assert_contains "$CR_OUT" "$(printf 'CapAmb:\t0000000000000020')"
  grep -q '^cellrun: warning: process.capabilities.ambient: 2 capabilities' "$T/cr.err" ||
    fail "expected a warning for the two others: $(cat "$T/cr.err")"
}

@test "exec with the runc spec process warns about the ambient caps and runs" {
  tool_bundle runc
  cfg_args sleep 60
  run_d "$ID"
  cr exec "$ID" sh -c 'grep ^CapAmb /proc/self/status' > "$T/out" 2> "$T/err" || fail "exec: $(cat "$T/err")"
  grep -q '^CapAmb:[[:space:]]*0000000000000000$' "$T/out" || fail "$(cat "$T/out")"
  grep -q '^cellrun: warning: process.capabilities.ambient' "$T/err" || fail "no warning: $(cat "$T/err")"
}

# ---------------------------------------------------------------- 2. built-in /dev/shm

@test "runc spec without /dev/shm: the built-in /dev/shm is tmpfs nosuid,nodev,noexec mode=1777" {
  tool_bundle runc
  "$PY" - "$BUNDLE/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/dev/shm"]
json.dump(c, open(sys.argv[1], "w"))
EOF
  in_ct_q 'awk '"'"'$2 == "/dev/shm" { print $3, $4 }'"'"' /proc/mounts; stat -c %a /dev/shm; touch /dev/shm/w && echo writable'
  [ "$status" -eq 0 ] || fail "$output $(err_text)"
  read -r fstype opts <<< "${lines[0]}"
  [ "$fstype" = tmpfs ] || fail "not tmpfs: ${lines[0]}"
  for o in nosuid nodev noexec size=65536k; do
    [[ ",$opts," == *",$o,"* ]] || fail "/dev/shm lacks $o: ${lines[0]}"
  done
  [ "${lines[1]}" = 1777 ]
  [ "${lines[2]}" = writable ]
}

@test "the built-in /dev and /dev/pts get their flags as flags, not as filesystem data" {
  tool_bundle crun
  "$PY" - "$BUNDLE/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] = [m for m in c["mounts"] if m["destination"] not in ("/dev", "/dev/pts", "/dev/shm")]
json.dump(c, open(sys.argv[1], "w"))
EOF
  in_ct_q 'awk '"'"'$2 == "/dev" || $2 == "/dev/pts" { print $2, $3, $4 }'"'"' /proc/mounts; stat -c %a /dev'
  [ "$status" -eq 0 ] || fail "$output $(err_text)"
  [[ "${lines[0]}" =~ ^/dev\ tmpfs\ .*nosuid.*mode=755 ]] || fail "${lines[0]}"
  [[ "${lines[1]}" =~ ^/dev/pts\ devpts\ .*nosuid,noexec.*ptmxmode=666 ]] || fail "${lines[1]}"
  [ "${lines[2]}" = 755 ]
}

@test "a bundle's tmpfs at /dev//shm/ keeps its mode= and size=; no built-in mount covers it" {
  tool_bundle runc
  "$PY" - "$BUNDLE/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for m in c["mounts"]:
    if m["destination"] == "/dev/shm":
        m["destination"] = "/dev//shm/"
        m["options"] = ["nosuid", "nodev", "mode=1770", "size=1m"]
json.dump(c, open(sys.argv[1], "w"))
EOF
  both_fg 'stat -c %a /dev/shm; awk '"'"'$5 == "/dev/shm"'"'"' /proc/self/mountinfo | wc -l; grep " /dev/shm " /proc/mounts | grep -o "size=[^,]*"'
  [ "$CR_OUT" = "$(printf '1770\n1\nsize=1024k')" ] || fail "$CR_OUT"
}

@test "a bundle's tmpfs /dev with mode=0711 is what the container sees (runc resets it to the directory's mode)" {
  tool_bundle runc
  "$PY" - "$BUNDLE/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for m in c["mounts"]:
    if m["destination"] == "/dev":
        m["destination"] = "/dev/"
        m["options"] = ["nosuid", "strictatime", "mode=0711", "size=1m"]
json.dump(c, open(sys.argv[1], "w"))
EOF
  in_ct_q 'stat -c %a /dev; awk '"'"'$5 == "/dev"'"'"' /proc/self/mountinfo | wc -l; ls /dev/null /dev/shm'
  [ "$status" -eq 0 ] || fail "$output $(err_text)"
  [ "${lines[0]}" = 711 ]
  [ "${lines[1]}" = 1 ]
}

# ---------------------------------------------------------------- 3 + 9a. linux.devices

@test "linux.devices b, c, u, p (and a path with a trailing slash): nodes as runc makes them" {
  tool_bundle runc
  cfg_set .linux.devices '[
    {"path": "/dev/cblk", "type": "b", "major": 7, "minor": 250, "fileMode": 416, "uid": 1000, "gid": 2000},
    {"path": "/dev/cchr", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 0, "gid": 0},
    {"path": "/dev/cunb", "type": "u", "major": 1, "minor": 11, "fileMode": 384, "uid": 1000, "gid": 1000},
    {"path": "/dev/cfifo", "type": "p", "fileMode": 400, "uid": 1000, "gid": 5},
    {"path": "/dev/cslash/", "type": "c", "major": 1, "minor": 5, "fileMode": 420}]'
  both_fg 'stat -c "%n %F %t:%T %a %u:%g" /dev/cblk /dev/cchr /dev/cunb /dev/cfifo /dev/cslash; echo x > /dev/cchr && head -c 4 /dev/cslash | od -An -tx1'
  [ "$CR_OUT" = "$(printf '%s\n' \
    '/dev/cblk block special file 7:fa 640 1000:2000' \
    '/dev/cchr character special file 1:3 666 0:0' \
    '/dev/cunb character special file 1:b 600 1000:1000' \
    '/dev/cfifo fifo 0:0 620 1000:5' \
    '/dev/cslash character special file 1:5 644 0:0' \
    ' 00 00 00 00')" ] || fail "$CR_OUT"
}

@test "linux.devices: u gets a c rule and p no rule in the device cgroup (v1 devices.list)" {
  tool_bundle runc
  cfg_set .linux.devices '[
    {"path": "/dev/cunb", "type": "u", "major": 1, "minor": 11},
    {"path": "/dev/cfifo", "type": "p"}]'
  cfg_args sleep 60
  run_d "$ID"
  local list
  list=$(find /sys/fs/cgroup/devices -maxdepth 3 -type d -name "*$ID*" 2>/dev/null | head -1)
  [ -n "$list" ] && [ -f "$list/devices.list" ] || skip "no cgroup v1 devices controller here"
  grep -qx 'c 1:11 rwm' "$list/devices.list" || fail "no c 1:11 rule: $(cat "$list/devices.list")"
  grep -q '^[pu] ' "$list/devices.list" && fail "a p or u rule: $(cat "$list/devices.list")"
  # The FIFO (no major/minor) must not turn into a rule for every device.
  grep -q '^[abc] \*:\* ' "$list/devices.list" && fail "a wildcard rule: $(cat "$list/devices.list")"
  return 0
}

# ---------------------------------------------------------------- 5. HOME

@test "HOME without one in process.env: from the image's passwd by uid, / without an entry; like runc" {
  tool_bundle runc
  both_fg 'echo "$HOME"'
  [ "$CR_OUT" = /root ]
  cfg_set .process.user '{"uid": 1000, "gid": 1000}'
  both_fg 'echo "$HOME"'
  [ "$CR_OUT" = /home/user ]
  cfg_set .process.user '{"uid": 4242, "gid": 4242}'
  both_fg 'echo "$HOME"'
  [ "$CR_OUT" = / ]
  # An explicit HOME wins.
  cfg_set .process.user '{"uid": 1000, "gid": 1000}'
  cfg_append .process.env '"HOME=/custom"'
  both_fg 'echo "$HOME"; env | grep -c ^HOME='
  [ "$CR_OUT" = "$(printf '/custom\n1')" ]
}

@test "HOME for exec -u and exec --process follows the same rule" {
  tool_bundle runc
  cfg_args sleep 60
  run_d "$ID"
  run cr exec "$ID" sh -c 'echo "$HOME"'
  [ "$status" -eq 0 ] && [ "${lines[-1]}" = /root ] || fail "$output"
  run cr exec -u 1000:1000 "$ID" sh -c 'echo "$HOME"'
  [ "$status" -eq 0 ] && [ "${lines[-1]}" = /home/user ] || fail "$output"
  run cr exec -u 4242 "$ID" sh -c 'echo "$HOME"'
  [ "$status" -eq 0 ] && [ "${lines[-1]}" = / ] || fail "$output"
  cat > "$T/p.json" <<'EOF'
{"terminal": false, "user": {"uid": 1000, "gid": 1000}, "cwd": "/", "args": ["sh", "-c", "echo $HOME"],
 "env": ["PATH=/bin"]}
EOF
  run cr exec --process "$T/p.json" "$ID"
  [ "$status" -eq 0 ] && [ "${lines[-1]}" = /home/user ] || fail "$output"
  "$PY" "$TESTS_DIR/cfgedit.py" "$T/p.json" append .env '"HOME=/given"'
  run cr exec --process "$T/p.json" "$ID"
  [ "$status" -eq 0 ] && [ "${lines[-1]}" = /given ] || fail "$output"
}

@test "HOME: a FIFO at the image's /etc/passwd does not hang the runtime (HOME=/)" {
  tool_bundle runc
  private_rootfs
  rm "$BUNDLE/rootfs/etc/passwd"
  mkfifo "$BUNDLE/rootfs/etc/passwd"
  cfg_args sh -c 'echo "$HOME"'
  run timeout -k 2 15 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -eq 0 ] || fail "status $status: $output"
  [ "${lines[-1]}" = / ]
}

# ---------------------------------------------------------------- 6. run --keep

@test "run --keep leaves the container stopped after its process exits; delete then removes it" {
  tool_bundle runc
  cfg_args sh -c 'exit 3'
  run run_fg "$ID" --keep
  [ "$status" -eq 3 ] || fail "status $status: $output"
  [ "$(state_field "$ID" status)" = stopped ]
  run cr delete "$ID"
  [ "$status" -eq 0 ] || fail "$output"
  no_traces "$ID"
  if have_runc; then
    run runc_fg --keep
    [ "$status" -eq 3 ]
    [ "$(runc --root "$(RUNC_ROOT)" state "$ID-runc" | json_get .status)" = stopped ]
  fi
  # Without --keep nothing is left.
  run run_fg "$ID"
  [ "$status" -eq 3 ]
  run cr state "$ID"
  [ "$status" -ne 0 ]
}

@test "create rejects --keep (it belongs to run)" {
  tool_bundle runc
  run cr create --keep --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "--keep"
  no_traces "$ID"
}

# ---------------------------------------------------------------- 8. cwd on a read-only root

@test "runc spec (read-only root): a missing process.cwd is created inside the rootfs, like runc" {
  tool_bundle runc
  private_rootfs
  [ "$(cfg_get .root.readonly)" = true ]
  cfg_set .process.cwd '"/work/deep"'
  cfg_args sh -c 'pwd; touch /probe 2>/dev/null && echo root-writable || echo root-read-only'
  run run_fg "$ID"
  [ "$status" -eq 0 ] || fail "$output"
  [ "${lines[-2]}" = /work/deep ]
  [ "${lines[-1]}" = root-read-only ]
  [ -d "$BUNDLE/rootfs/work/deep" ]
  if have_runc; then
    rm -rf "$BUNDLE/rootfs/work"
    run runc_fg
    [ "$status" -eq 0 ] && [ "${lines[-2]}" = /work/deep ] || fail "runc: $output"
  fi
}

@test "process.cwd through a symlink that leaves the rootfs is created inside it" {
  tool_bundle runc
  private_rootfs
  local out=cellrun-compat-$ID-cwd
  ln -s "../../../../../../tmp/$out" "$BUNDLE/rootfs/up"
  cfg_set .process.cwd '"/up/sub"'
  cfg_args pwd
  run run_fg "$ID"
  [ "$status" -eq 0 ] || fail "$output"
  [ -d "$BUNDLE/rootfs/tmp/$out/sub" ] || fail "not created inside the rootfs"
  [ ! -e "/tmp/$out" ] || { rm -rf "/tmp/$out"; fail "created /tmp/$out on the host"; }
}

# ---------------------------------------------------------------- 9b. symlinked destinations

@test "mount destinations that are dangling symlinks (absolute and ../../..) get their targets inside the rootfs" {
  tool_bundle runc
  private_rootfs
  local out=cellrun-compat-$ID-dest
  mkdir "$T/src"
  echo marker > "$T/src/marker"
  ln -s "/srv/$out/abs" "$BUNDLE/rootfs/abs"
  ln -s "../../../../../../../tmp/$out/rel" "$BUNDLE/rootfs/mnt/rel"
  cfg_append .mounts "{\"destination\": \"/abs\", \"type\": \"bind\", \"source\": \"$T/src\", \"options\": [\"bind\", \"ro\"]}"
  cfg_append .mounts '{"destination": "/mnt/rel", "type": "tmpfs", "source": "tmpfs", "options": ["mode=0710"]}'
  cfg_args sh -c "cat /abs/marker /srv/$out/abs/marker; stat -c %a /mnt/rel/ /tmp/$out/rel; awk '\$5 ~ /$out/ { print \$5 }' /proc/self/mountinfo"
  run run_fg_q "$ID"
  rm -rf "/tmp/$out" "/srv/$out" 2>/dev/null || true
  [ "$status" -eq 0 ] || fail "$output $(err_text)"
  [ "${lines[0]}" = marker ] && [ "${lines[1]}" = marker ] || fail "$output"
  [ "${lines[2]}" = 710 ] && [ "${lines[3]}" = 710 ] || fail "$output"
  [ "${lines[4]}" = "/srv/$out/abs" ] && [ "${lines[5]}" = "/tmp/$out/rel" ] || fail "$output"
  [ -d "$BUNDLE/rootfs/srv/$out/abs" ] && [ -d "$BUNDLE/rootfs/tmp/$out/rel" ] || fail "targets not in the rootfs"
}

@test "host: a dangling destination symlink never creates anything outside the rootfs" {
  tool_bundle runc
  private_rootfs
  local out=cellrun-compat-$ID-host
  ln -s "/tmp/$out/a" "$BUNDLE/rootfs/abs"
  ln -s "../../../../../../../tmp/$out/b" "$BUNDLE/rootfs/rel"
  cfg_append .mounts '{"destination": "/abs/x", "type": "tmpfs", "source": "tmpfs"}'
  cfg_append .mounts '{"destination": "/rel/y", "type": "tmpfs", "source": "tmpfs"}'
  cfg_args true
  run run_fg "$ID"
  local leaked=no
  [ -e "/tmp/$out" ] && leaked=yes
  rm -rf "/tmp/$out"
  [ "$leaked" = no ] || fail "created /tmp/$out on the host"
  [ "$status" -eq 0 ] || fail "$output"
  [ -d "$BUNDLE/rootfs/tmp/$out/a/x" ] && [ -d "$BUNDLE/rootfs/tmp/$out/b/y" ]
}

# ---------------------------------------------------------------- 10. FIFO mount sources

@test "bind mounts of a FIFO (onto a new path and onto a FIFO in the image) never block create" {
  tool_bundle runc
  private_rootfs
  mkfifo "$T/fifo" "$BUNDLE/rootfs/imagefifo"
  cfg_append .mounts "{\"destination\": \"/newfifo\", \"type\": \"bind\", \"source\": \"$T/fifo\", \"options\": [\"bind\"]}"
  cfg_append .mounts "{\"destination\": \"/imagefifo\", \"type\": \"bind\", \"source\": \"$T/fifo\", \"options\": [\"bind\"]}"
  cfg_args sh -c 'test -p /newfifo && test -p /imagefifo && echo fifos'
  run timeout -k 2 15 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -eq 0 ] || fail "status $status (124/137: it hung): $output"
  [ "${lines[-1]}" = fifos ]
}

@test "a FIFO at the image's /proc (no proc mount) does not block sysctl or oom_score_adj" {
  tool_bundle runc
  private_rootfs
  "$PY" - "$BUNDLE/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/proc"]
c["linux"]["maskedPaths"] = []
c["linux"]["readonlyPaths"] = []
c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
json.dump(c, open(sys.argv[1], "w"))
EOF
  mkdir -p "$BUNDLE/rootfs/proc/sys/net/ipv4"
  mkfifo "$BUNDLE/rootfs/proc/sys/net/ipv4/ip_forward"
  run timeout -k 2 15 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "it hung"
  [ "$status" -ne 0 ]
  assert_contains "$output" "sysctl net.ipv4.ip_forward"
  assert_error_line
  no_traces "$ID"
}

@test "a bundle whose config.json is a FIFO is refused at once, not waited on" {
  tool_bundle runc
  rm "$BUNDLE/config.json"
  mkfifo "$BUNDLE/config.json"
  run timeout -k 2 15 "$CELLRUN" --root "$ROOT" create --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "it hung"
  [ "$status" -ne 0 ]
  assert_contains "$output" "config.json: not a regular file"
  assert_error_line
  no_traces "$ID"
}

# ---------------------------------------------------------------- 13. deliberate differences

@test "deliberate: delete of a created container without --force is refused (runc deletes it)" {
  tool_bundle runc
  cfg_args true
  create_ct "$ID"
  run cr delete "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "container is created: stop it first or use --force"
  [ "$(state_field "$ID" status)" = created ]
  run cr delete --force "$ID"
  [ "$status" -eq 0 ]
  no_traces "$ID"
}
