#!/usr/bin/env bats
# Rootless (issue 13, docs/rootless.md): cellrun run by an unprivileged user this file creates
# (useradd with a unique name, a 65536-id /etc/subuid and /etc/subgid range), on bundles from
# `runc spec --rootless` and `cellrun spec --rootless`: the lifecycle, profiles and overlay
# workspaces, single and subordinate-range mappings (checked from inside), each degrade, each
# error, the comparison with `runc --rootless true`, and nothing left behind.

load helpers
load rootless_helpers

setup_file () { rl_setup_file; }
teardown_file () { rl_teardown_file; }
setup () { rl_setup; }
teardown () { rl_teardown; }

# ---------------------------------------------------------------- detection and --root

@test "rootless default --root: \$XDG_RUNTIME_DIR/cellrun, else a private /tmp/cellrun-<uid> with a one-line notice; --rootless false keeps /run/cellrun" {
  rl_runc_bundle
  cfg_args sleep 30
  mkdir -p "$T/xdg"
  chown "$RL_USER:" "$T/xdg"
  chmod 700 "$T/xdg"
  as_user env XDG_RUNTIME_DIR="$T/xdg" "$RL_CELLRUN" run -d --bundle "$BUNDLE" "$ID" < /dev/null > /dev/null 2> "$T/err"
  [ -d "$T/xdg/cellrun/$ID" ] || fail "no state in \$XDG_RUNTIME_DIR/cellrun: $(cat "$T/err")"
  [ "$(stat -c %U "$T/xdg/cellrun/$ID")" = "$RL_USER" ]
  refute_contains "$(cat "$T/err")" "state goes to"
  as_user env XDG_RUNTIME_DIR="$T/xdg" "$RL_CELLRUN" delete -f "$ID"
  [ ! -e "$T/xdg/cellrun/$ID" ]

  # no XDG_RUNTIME_DIR and no /run/user/<uid>: a private dir under /tmp, said once on stderr
  [ ! -e "/run/user/$RL_UID" ] || skip "/run/user/$RL_UID exists"
  run as_user "$RL_CELLRUN" list -q
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -c "state goes to /tmp/cellrun-$RL_UID" <<< "$output")" -eq 1 ]
  [ -d "/tmp/cellrun-$RL_UID" ] && [ ! -L "/tmp/cellrun-$RL_UID" ]
  [ "$(stat -c '%U %a' "/tmp/cellrun-$RL_UID")" = "$RL_USER 700" ]

  # --rootless false: the unprivileged caller is treated as root, and root's default is used
  run as_user "$RL_CELLRUN" --rootless false run --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -ne 0 ]
  assert_contains "$output" /run/cellrun
  run as_user "$RL_CELLRUN" --rootless maybe list
  [ "$status" -ne 0 ]
  assert_contains "$output" "--rootless: unknown value maybe"
}

@test "the private /tmp/cellrun-<uid> is refused when it is a symlink or someone else's" {
  [ ! -e "/run/user/$RL_UID" ] || skip "/run/user/$RL_UID exists"
  rm -rf "/tmp/cellrun-$RL_UID"
  mkdir -p "$T/elsewhere"
  chown "$RL_USER:" "$T/elsewhere"
  ln -s "$T/elsewhere" "/tmp/cellrun-$RL_UID"
  run as_user "$RL_CELLRUN" list
  echo "$output"
  rm -f "/tmp/cellrun-$RL_UID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "not a directory of yours"
  mkdir -m 700 "/tmp/cellrun-$RL_UID"
  run as_user "$RL_CELLRUN" list
  rmdir "/tmp/cellrun-$RL_UID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "not a directory of yours"
}

@test "as root in the initial user namespace the default --root stays /run/cellrun" {
  cfg_args sleep 30
  run timeout 30 "$CELLRUN" run -d --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [ -d "/run/cellrun/$ID" ] || fail "no /run/cellrun/$ID"
  timeout 10 "$CELLRUN" delete -f "$ID"
  [ ! -e "/run/cellrun/$ID" ]
  refute_contains "$output" rootless
}

# ---------------------------------------------------------------- bundles and lifecycle

@test "runc spec --rootless bundle as the user: run shows the single mapping, setgroups deny, the caller's host uid" {
  rl_runc_bundle
  cfg_args sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; touch /x 2>/dev/null || echo ROOT-RO'
  run_ok_lines urun "$ID"
  [ "$(echo $(sed -n 1p <<< "$output"))" = "0 $RL_UID 1" ]
  [ "$(echo $(sed -n 2p <<< "$output"))" = "0 $RL_GID 1" ]
  [ "$(sed -n 3p <<< "$output")" = deny ]
  [ "$(sed -n 4p <<< "$output")" = 0 ]
  assert_contains "$output" ROOT-RO
  rl_no_state "$ID"
}

@test "runc spec --rootless bundle: create, state, start, exec, ps, kill, delete as the user (no cgroup: ps walks the pid namespace)" {
  rl_runc_bundle
  cfg_args sleep 60
  ucreate "$ID"
  [ "$(ucr state "$ID" | json_get .status)" = created ]
  # the exec fifo and the state stay the caller's (no chown)
  [ "$(stat -c '%U %a' "$RL_ROOT/$ID/exec.fifo")" = "$RL_USER 600" ]
  [ "$(stat -c %U "$RL_ROOT/$ID/state.json")" = "$RL_USER" ]
  ucr start "$ID"
  wait_ucr_status "$ID" running
  run_ok_lines ucr exec "$ID" sh -c 'id -u; cat /proc/self/uid_map'
  [ "$(sed -n 1p <<< "$output")" = 0 ]
  ucr exec -d "$ID" sleep 50 < /dev/null > /dev/null 2>&1
  run ucr ps --format json "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  local pid n
  pid=$(ucr state "$ID" | json_get .pid)
  n=$("$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))' <<< "$output")
  [ "$n" -eq 2 ] || fail "ps listed $n processes, expected 2 (init + exec -d)"
  assert_contains "$output" "$pid"
  ucr kill "$ID" KILL
  process_gone "$pid"
  wait_ucr_status "$ID" stopped
  ucr delete "$ID"
  rl_no_state "$ID"
  [ -z "$(rl_user_pids)" ] || fail "processes of $RL_USER left: $(rl_user_pids)"
}

# ct_lines: $output without cellrun's own lines (warnings go to the same stream).
ct_lines () { grep -v '^cellrun: ' <<< "$output" || true; }

# run_ok_lines CMD...: `run` CMD, which must succeed; $output is then its ct_lines.
run_ok_lines () {
  run "$@"
  echo "$output"
  [ "$status" -eq 0 ]
  output=$(ct_lines)
}

# run_refused WHY CMD...: `run` CMD, which must fail with one error line saying WHY and leave
# no state for $ID.
run_refused () {
  local why=$1; shift
  run "$@"
  echo "$output"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "$why"
  rl_no_state "$ID"
}

# wait_ucr_status ID STATUS
wait_ucr_status () {
  local i s
  for i in $(seq 50); do
    s=$(ucr state "$1" 2>/dev/null | json_get .status) || s=
    [ "$s" = "$2" ] && return 0
    sleep 0.1
  done
  echo "status $s, expected $2" >&2
  return 1
}

@test "cellrun spec --rootless bundle as the user: run, run -d, exec, ps, kill, delete" {
  rl_cellrun_bundle
  [ "$(cfg_get .linux.uidMappings)" = "[{\"containerID\": 0, \"hostID\": $RL_UID, \"size\": 1}]" ] ||
    [ "$(cfg_get '.linux.uidMappings[0].hostID')" = "$RL_UID" ]
  cfg_args sh -c 'cat /proc/self/uid_map; echo ok > /dev/null && echo DEVNULL'
  run_ok_lines urun "$ID"
  [ "$(echo $(sed -n 1p <<< "$output"))" = "0 $RL_UID 1" ]
  assert_contains "$output" DEVNULL
  cfg_args sleep 60
  urun_d "$ID2"
  run ucr exec "$ID2" cat /proc/1/cmdline
  [ "$status" -eq 0 ]
  assert_contains "$output" sleep
  run ucr ps "$ID2"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "$(cat "$T/$ID2.pid")"
  ucr kill "$ID2" KILL
  wait_ucr_status "$ID2" stopped
  ucr delete "$ID2"
  rl_no_state "$ID2"
}

# ---------------------------------------------------------------- profiles and workspaces

@test "strict as the user on a root-style bundle: the profile adds the user namespace; overlay workspace with userxattr, diff and commit (opaque dir read from user.overlay.*)" {
  # `cellrun spec` (as root) has no user namespace; gid=5 on devpts is not mappable rootless
  "$PY" - "$BUNDLE/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for m in c["mounts"]:
    if m["destination"] == "/dev/pts":
        m["options"] = [o for o in m["options"] if o != "gid=5"]
json.dump(c, open(sys.argv[1], "w"))
EOF
  local ws=$T/ws
  mkdir -p "$ws/dir"
  echo old > "$ws/a"
  echo gone > "$ws/dir/old"
  chown -R "$RL_USER:" "$ws"
  cfg_args sh -c 'cat /proc/self/uid_map; grep CapEff /proc/self/status; echo new > /mnt/b; rm /mnt/a; rm -rf /mnt/dir; mkdir /mnt/dir; echo n > /mnt/dir/new'
  # on /mnt: the shared rootfs is host root's, which the user namespace does not map
  run_ok_lines ucr --profile strict run --keep --workspace "$ws:/mnt:overlay" --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$(echo $(sed -n 1p <<< "$output"))" = "0 $RL_UID 1" ]
  assert_contains "$output" "CapEff:	0000000000000000"
  [ "$(ucr state "$ID" | json_get .profile)" = strict ]
  grep -q '"workspaceUserxattr": *true' "$RL_ROOT/$ID/state.json" || fail "state does not record userxattr"
  # the host directory is untouched until commit
  [ -f "$ws/a" ] && [ ! -e "$ws/b" ] && [ -f "$ws/dir/old" ]
  run ucr diff "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "D a"
  assert_contains "$output" "A b"
  assert_contains "$output" "dir/new"
  # dir was replaced by an opaque one (user.overlay.opaque): diff reports it deleted and re-added
  assert_contains "$output" "D dir"
  run ucr commit "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ ! -e "$ws/a" ] && [ "$(cat "$ws/b")" = new ] && [ "$(cat "$ws/dir/new")" = n ]
  [ ! -e "$ws/dir/old" ] || fail "commit kept dir/old, which the opaque dir hid"
  [ "$(stat -c %U "$ws/b")" = "$RL_USER" ]
  ucr delete "$ID"
  rl_no_state "$ID"
}

@test "balanced as the user on a cellrun spec --rootless bundle runs; strict's pids limit is named as not applied" {
  rl_cellrun_bundle
  cfg_args sh -c 'cat /proc/self/uid_map'
  run ucr --profile balanced run --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "$RL_UID"
  run ucr --profile strict run --bundle "$BUNDLE" "$ID2" < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
    assert_contains "$output" "linux.resources not applied: pids"
  fi
}

# ---------------------------------------------------------------- mappings

@test "subordinate ranges through newuidmap/newgidmap: both ranges mapped (checked inside), setgroups allowed, additionalGids work" {
  rl_need_helpers
  rl_runc_bundle
  rl_range_maps
  cfg_set .process.user.additionalGids '[5, 1000]'
  cfg_args sh -c 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; cat /proc/self/setgroups; id -G'
  run urun "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  output=$(ct_lines | awk '{ $1 = $1; print }')
  local uidmap gidmap
  uidmap=$(awk '/^--$/ { exit } { print }' <<< "$output")
  gidmap=$(awk '/^--$/ { n++; next } n == 1 { print }' <<< "$output")
  [ "$uidmap" = "$(printf '0 %s 1\n1 %s 65536' "$RL_UID" "$RL_SUBUID")" ] || fail "uid_map: $uidmap"
  [ "$gidmap" = "$(printf '0 %s 1\n1 %s 65536' "$RL_GID" "$RL_SUBGID")" ] || fail "gid_map: $gidmap"
  assert_contains "$output" allow
  [ "$(tail -n 1 <<< "$output")" = "0 5 1000" ]
}

@test "subordinate ranges + overlay workspace: files container uid 1000 wrote (a subordinate uid on the host) are removed by delete" {
  rl_need_helpers
  rl_runc_bundle
  rl_range_maps
  local ws=$T/ws
  mkdir -p "$ws/sub"
  chown -R "$RL_USER:" "$ws"
  chmod 777 "$ws/sub"
  cfg_set .process.user '{"uid":1000,"gid":1000}'
  cfg_args sh -c 'mkdir /mnt/sub/d && echo x > /mnt/sub/d/f && id -u'
  run ucr run --keep --workspace "$ws:/mnt:overlay" --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  local f=$RL_ROOT/$ID/workspace/upper/sub/d/f
  [ "$(stat -c %u "$f")" = $((RL_SUBUID + 999)) ] || fail "$f: owner $(stat -c %u "$f")"
  run ucr delete "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  rl_no_state "$ID"
}

@test "container root on a subordinate uid: the exec fifo stays the caller's (0622), the init opens it and starts" {
  rl_need_helpers
  rl_runc_bundle
  rl_maps "[{\"containerID\":0,\"hostID\":$RL_SUBUID,\"size\":65536}]" \
    "[{\"containerID\":0,\"hostID\":$RL_SUBGID,\"size\":65536}]"
  cfg_args sh -c 'cat /proc/self/uid_map; sleep 30'
  ucreate "$ID"
  [ "$(stat -c '%U %a' "$RL_ROOT/$ID/exec.fifo")" = "$RL_USER 622" ]
  ucr start "$ID"
  wait_ucr_status "$ID" running
  # on the host the init runs as the subordinate uid
  [ "$(awk '/^Uid:/ { print $2 }' "/proc/$(cat "$T/$ID.pid")/status")" = "$RL_SUBUID" ]
  ucr delete -f "$ID"
  rl_no_state "$ID"
}

# ---------------------------------------------------------------- degrades

@test "degrade: device nodes are the host's, bind mounted, and usable; no device cgroup" {
  rl_runc_bundle
  cfg_set .linux.resources '{"devices":[{"allow":false,"access":"rwm"}]}'
  cfg_args sh -c 'echo "BINDS=$(grep -c " /dev/null " /proc/self/mountinfo)"; stat -c %t:%T /dev/null /dev/zero; echo x > /dev/null && echo NULL-W; echo "ZERO=$(head -c 3 /dev/zero | wc -c)"; echo "RANDOM=$(head -c 4 /dev/urandom | wc -c)"'
  run urun "$ID" --debug
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" BINDS=1
  assert_contains "$output" "1:3"
  assert_contains "$output" "1:5"
  assert_contains "$output" NULL-W
  assert_contains "$output" ZERO=3
  assert_contains "$output" RANDOM=4
  assert_contains "$output" "no device cgroup"
}

@test "degrade: sysfs without a network namespace is the host's /sys bound read-only; /sys/fs/cgroup is bound read-only" {
  rl_runc_bundle
  cfg_sys_as_sysfs
  cfg_args sh -c 'ls /sys/kernel > /dev/null && echo SYS-LISTED; touch /sys/kernel/x 2>/dev/null || echo SYS-RO; mkdir /sys/fs/cgroup/x 2>/dev/null || echo CG-RO; awk '"'"'$5 == "/sys" || $5 == "/sys/fs/cgroup" { print $5, $6 }'"'"' /proc/self/mountinfo'
  run urun "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" SYS-LISTED
  assert_contains "$output" SYS-RO
  assert_contains "$output" CG-RO
  local opts
  while read -r mp opts; do
    case ",$opts," in *,ro,*) ;; *) fail "$mp mounted $opts" ;; esac
  done < <(grep '^/sys' <<< "$output")
}

@test "degrade: an rlimit above the caller's hard limit is clamped with a warning (runc fails)" {
  rl_runc_bundle
  local hard
  hard=$(as_user sh -c 'ulimit -Hn')
  [ "$hard" != unlimited ] || skip "the caller's RLIMIT_NOFILE is unlimited"
  cfg_set .process.rlimits "[{\"type\":\"RLIMIT_NOFILE\",\"hard\":$((hard + 1000)),\"soft\":$((hard + 1000))}]"
  cfg_args sh -c 'ulimit -Hn; ulimit -Sn'
  run urun "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "RLIMIT_NOFILE: hard limit $((hard + 1000)) is above the caller's $hard: clamped"
  [ "$(grep -c "^$hard\$" <<< "$output")" -eq 2 ]
  run as_user runc --root "$T/runc" run --bundle "$BUNDLE" "$ID-runc" < /dev/null
  echo "runc: $output"
}

@test "degrade: resource limits without a delegated cgroup run with one warning naming them" {
  [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || skip "pure cgroup v2 host: the user's cgroup may be delegated"
  rl_runc_bundle
  cfg_set .linux.resources '{"pids":{"limit":10},"memory":{"limit":100000000},"cpu":{"shares":512}}'
  cfg_args true
  run urun "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -c 'rootless: no cgroup' <<< "$output")" -eq 1 ]
  assert_contains "$output" "linux.resources not applied: memory, cpu, pids"
  [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$ID*" 2>/dev/null)" ]
  # --cgroup-manager disabled is the caller's choice: no warning
  run ucr --cgroup-manager disabled run --bundle "$BUNDLE" "$ID2" < /dev/null
  [ "$status" -eq 0 ]
  refute_contains "$output" "no cgroup"
}

@test "delegated cgroup v2 subtree: the container's cgroup is made and used there (ps, delete removes it)" {
  rl_cg2_setup
  rl_runc_bundle
  cfg_set .linux.cgroupsPath "\"/$DELEG/ctr\""
  cfg_args sh -c 'cat /proc/self/cgroup; sleep 30'
  local rc=0
  in_deleg "$RL_CELLRUN" --root "$RL_ROOT" run -d --bundle "$BUNDLE" --pid-file "$T/$ID.pid" "$ID" \
    < /dev/null > "$T/$ID.out" 2> "$T/$ID.err" || rc=$?
  output=$(cat "$T/$ID.err")
  echo "$output"
  [ "$rc" -eq 0 ] || { rl_cg2_teardown; false; }
  refute_contains "$output" "no cgroup"
  local pid
  pid=$(cat "$T/$ID.pid")
  grep -qx "$pid" "$CG2/$DELEG/ctr/cgroup.procs" || { rl_cg2_teardown; fail "init $pid not in $DELEG/ctr"; }
  [ "$(stat -c %U "$CG2/$DELEG/ctr")" = "$RL_USER" ]
  run env CELLRUN_CGROUP_ROOT="$CG2" runuser -u "$RL_USER" -- "$RL_CELLRUN" --root "$RL_ROOT" ps "$ID"
  assert_contains "$output" "$pid"
  env CELLRUN_CGROUP_ROOT="$CG2" runuser -u "$RL_USER" -- "$RL_CELLRUN" --root "$RL_ROOT" delete -f "$ID"
  [ ! -d "$CG2/$DELEG/ctr" ] || { rl_cg2_teardown; fail "$DELEG/ctr left"; }
  # started outside the subtree, the move would need root's cgroup.procs: warned, not used
  run as_user env CELLRUN_CGROUP_ROOT="$CG2" "$RL_CELLRUN" --root "$RL_ROOT" run --bundle "$BUNDLE" "$ID2" < /dev/null
  rl_cg2_teardown
  assert_contains "$output" "outside the delegated subtree"
}

@test "delegated cgroup v2 subtree: pids.max and memory.max land in the container's cgroup" {
  rl_cg2_setup
  local c
  for c in pids memory; do
    if ! grep -qw "$c" "$CG2/cgroup.subtree_control"; then
      rl_cg2_teardown
      skip "the $c controller is not delegated by the cgroup2 root (bound to cgroup v1 on this host)"
    fi
  done
  rl_runc_bundle
  cfg_set .linux.cgroupsPath "\"/$DELEG/ctr\""
  cfg_set .linux.resources '{"pids":{"limit":42},"memory":{"limit":67108864}}'
  cfg_args sleep 30
  in_deleg "$RL_CELLRUN" --root "$RL_ROOT" run -d --bundle "$BUNDLE" "$ID" < /dev/null > "$T/$ID.out" 2>&1 || true
  cat "$T/$ID.out"
  local pids mem
  pids=$(cat "$CG2/$DELEG/ctr/pids.max" 2>/dev/null)
  mem=$(cat "$CG2/$DELEG/ctr/memory.max" 2>/dev/null)
  rl_cg2_teardown
  [ "$pids" = 42 ] && [ "$mem" = 67108864 ] || fail "pids.max=$pids memory.max=$mem"
}

# ---------------------------------------------------------------- errors

@test "error: newuidmap not setuid (a copy first in PATH), or missing from PATH; nothing left" {
  rl_need_helpers
  rl_runc_bundle
  rl_range_maps
  mkdir -p "$T/path" "$T/empty"
  cp /usr/bin/newuidmap /usr/bin/newgidmap "$T/path/"
  chmod 755 "$T/path/newuidmap" "$T/path/newgidmap"
  run_refused "$T/path/newuidmap: not setuid root" as_user env PATH="$T/path:$PATH" "$RL_CELLRUN" --root "$RL_ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  run_refused "newuidmap not found in PATH" as_user env PATH="$T/empty" "$RL_CELLRUN" --root "$RL_ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
}

@test "error: host ids not granted in /etc/subuid; additionalGids or a gid= option under a single mapping; idmapped mount; size-capped workspace (a missing user namespace is added)" {
  rl_runc_bundle
  rl_maps "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1},{\"containerID\":1,\"hostID\":7,\"size\":10}]" \
    "[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1}]"
  run_refused "host ids 7-16 are not granted to $RL_USER in /etc/subuid" urun "$ID"

  rl_single_maps
  cfg_set .process.user.additionalGids '[0]'
  run_refused "process.user.additionalGids: a single gid mapping" urun "$ID"

  cfg_del .process.user.additionalGids
  "$PY" - "$BUNDLE/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for m in c["mounts"]:
    if m["destination"] == "/dev/pts":
        m["options"].append("gid=5")
json.dump(c, open(sys.argv[1], "w"))
EOF
  run_refused "option gid=5: gid 5 is not mapped in the user namespace" urun "$ID"

  # an idmapped mount and a size-capped workspace need the host's root
  "$PY" - "$BUNDLE/config.json" "$T" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] = [m for m in c["mounts"] if "gid=5" not in m.get("options", [])] + [{
    "destination": "/mnt", "type": "bind", "source": sys.argv[2], "options": ["bind"],
    "uidMappings": [{"containerID": 0, "hostID": 0, "size": 1}],
    "gidMappings": [{"containerID": 0, "hostID": 0, "size": 1}]}]
json.dump(c, open(sys.argv[1], "w"))
EOF
  run_refused "an idmapped mount needs the host's root" urun "$ID"
  rl_runc_bundle
  annot run.cellrun.workspace.max-bytes 1M
  mkdir -p "$T/ws"
  chown "$RL_USER:" "$T/ws"
  run_refused "the size cap is a tmpfs mounted on the host" ucr run --workspace "$T/ws:/mnt:overlay" --bundle "$BUNDLE" "$ID" < /dev/null

  # without a user namespace (and mappings) the profile layer adds one mapping the caller
  rl_runc_bundle
  cfg_ns_del user
  cfg_del .linux.uidMappings
  cfg_del .linux.gidMappings
  cfg_args cat /proc/self/uid_map
  run_ok_lines urun "$ID"
  [ "$(echo $output)" = "0 $RL_UID 1" ]
}

@test "error: user namespaces disabled (user.max_user_namespaces=0, set only inside a user namespace of the test's own)" {
  command -v unshare >/dev/null || skip "unshare missing"
  rl_runc_bundle
  # inside `unshare -U -r` the caller is uid 0 of a user namespace: it maps its own 0
  rl_maps '[{"containerID":0,"hostID":0,"size":1}]' '[{"containerID":0,"hostID":0,"size":1}]'
  # The limit is per user namespace: writing it in the test's own namespace changes nothing on
  # the host (no restore needed), and the host value is checked unchanged afterwards.
  local before
  before=$(cat /proc/sys/user/max_user_namespaces)
  run as_user unshare -U -r sh -c \
    'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" --root "$1" run --bundle "$2" "$3" < /dev/null' \
    "$RL_CELLRUN" "$RL_ROOT" "$BUNDLE" "$ID"
  echo "$output"
  [ "$(cat /proc/sys/user/max_user_namespaces)" = "$before" ]
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "disabled by sysctl user.max_user_namespaces=0"
  rl_no_state "$ID"
  # the same, allowed: euid 0 in a non-initial user namespace is rootless and runs
  run as_user unshare -U -r sh -c 'exec "$0" --root "$1" run --bundle "$2" "$3" < /dev/null' \
    "$RL_CELLRUN" "$RL_ROOT" "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
}

# ---------------------------------------------------------------- runc --rootless

@test "runc --rootless true as the same user: the same run output; where runc fails (ps without cgroups, resources) cellrun runs" {
  rl_runc_bundle
  cfg_args sh -c 'id; cat /proc/self/uid_map /proc/self/gid_map; touch /x 2>/dev/null || echo ROOT-RO'
  run urun "$ID"
  [ "$status" -eq 0 ]
  local mine
  mine=$(ct_lines)
  run as_user runc --rootless true --root "$T/runc" run --bundle "$BUNDLE" "$ID-runc" < /dev/null
  echo "runc: $output"
  [ "$status" -eq 0 ] || skip "runc --rootless does not run here"
  [ "$output" = "$mine" ] || fail "cellrun: $mine"

  cfg_args sleep 30
  cfg_set .linux.resources '{"pids":{"limit":10}}'
  local rc=0
  as_user runc --rootless true --root "$T/runc" run -d --bundle "$BUNDLE" "$ID-runc" < /dev/null \
    > "$T/runc.out" 2>&1 || rc=$?
  echo "runc with resources: $rc $(cat "$T/runc.out")"
  as_user runc --rootless true --root "$T/runc" delete -f "$ID-runc" > /dev/null 2>&1 || true
  urun_d "$ID"
  run ucr ps "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "$(cat "$T/$ID.pid")"
  ucr delete -f "$ID"
}

# ---------------------------------------------------------------- leftovers

@test "nothing left behind: no process of the test user, no state, no mount under the temp dir" {
  [ -z "$(rl_user_pids)" ] || fail "processes of $RL_USER: $(ps -o pid,args -u "$RL_USER")"
  [ -z "$(ls -A "$RL_ROOT")" ] || fail "state left: $(ls -A "$RL_ROOT")"
  [ -z "$(mounts_under "$CT_TMP")" ] || fail "mounts left: $(mounts_under "$CT_TMP")"
}
