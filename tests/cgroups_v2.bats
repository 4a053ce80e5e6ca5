#!/usr/bin/env bats
# The pure cgroup v2 code paths, on a cgroup2 filesystem this file mounts itself and hands to
# cellrun through CELLRUN_CGROUP_ROOT.  On a hybrid host the memory/pids controllers stay
# bound to v1, so what is checked is what v2 needs no controller for: placement, ps,
# freeze, cgroup.kill, removal, and clear errors for limits that cannot be applied.
# (A second cgroup2 mount shows the same hierarchy as /sys/fs/cgroup/unified, if any.)

load helpers

setup_file () {
  cellrun_setup_file
  R=${CT_TMP##*.}
  # outside $CT_TMP: no_traces and cleanup_dir treat mounts under it as leaks
  CG2=$(mktemp -d "$TMP_PREFIX-cg2.XXXXXX")
  CG2_OK=0
  CG2_WHY=
  if ! out=$(mount -t cgroup2 none "$CG2" 2>&1); then
    CG2_WHY="mount -t cgroup2 failed: $out"
  elif [ ! -f "$CG2/cgroup.procs" ]; then
    CG2_WHY="cgroup2 mount has no cgroup.procs"
    umount "$CG2" 2>/dev/null
  else
    CG2_OK=1
  fi
  export R CG2 CG2_OK CG2_WHY
  : > "$CT_TMP/cg-leaks"
}

teardown_file () {
  cleanup_containers
  if [ "${CG2_OK:-0}" = 1 ]; then
    find "$CG2" -mindepth 1 -depth -type d -name "*$R*" -exec rmdir {} \; 2>/dev/null
    umount "$CG2" 2>/dev/null || umount -l "$CG2"
  fi
  rmdir "$CG2" 2>/dev/null || true
  cellrun_teardown_file
}

setup () {
  cellrun_setup
  [ "$CG2_OK" = 1 ] || skip "$CG2_WHY"
  export CELLRUN_CGROUP_ROOT=$CG2
  CGPATH=/$ID_PREFIX-$R-$BATS_TEST_NUMBER
  cfg_set .linux.cgroupsPath "\"$CGPATH\""
  CGDIR=$CG2$CGPATH
}

teardown () {
  cleanup_containers
  local d
  if [ "${CG2_OK:-0}" = 1 ]; then
    for d in $(find "$CG2" -mindepth 1 -maxdepth 4 -type d -name "*$R*" 2>/dev/null | sort -r); do
      echo "test $BATS_TEST_NUMBER ($BATS_TEST_DESCRIPTION): $d" >> "$CT_TMP/cg-leaks"
      rmdir "$d" 2>/dev/null || true
    done
  fi
  cellrun_teardown
}

start_ct () {
  cfg_args "$@"
  run_d "$ID"
  wait_status "$ID" running
  PID1=$(cat "$T/$ID.pid")
}

# procs_of DIR: sorted pids of a v2 cgroup and its descendants.
procs_of () {
  find "$1" -name cgroup.procs -exec cat {} + | sort -n
}

wait_procs () {
  local n=$1 i
  for i in $(seq 30); do
    [ "$(procs_of "$CGDIR" | wc -l)" -ge "$n" ] && return 0
    sleep 0.1
  done
  return 1
}

@test "v2: the container is placed in <mount><cgroupsPath>" {
  start_ct sleep 1000
  [ -d "$CGDIR" ]
  grep -qx "$PID1" "$CGDIR/cgroup.procs"
  [ "$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID1/cgroup")" = "$CGPATH" ]
}

@test "v2: the init is cloned straight into its cgroup (clone3 CLONE_INTO_CGROUP), never moved" {
  cfg_args sleep 1000
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" --debug run -d --bundle "$BUNDLE" --pid-file "$T/$ID.pid" "$ID" \
    > "$T/$ID.out" 2> "$T/$ID.err" < /dev/null
  PID1=$(cat "$T/$ID.pid")
  cat "$T/$ID.err"
  grep -q "init $PID1 cloned into its cgroup (CLONE_INTO_CGROUP)" "$T/$ID.err"
  # no cgroup.procs write moved it there
  run ! grep -q "cgroup.procs = $PID1" "$T/$ID.err"
  [ "$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID1/cgroup")" = "$CGPATH" ]
}

@test "v2: relative cgroupsPath is below the runtime's own v2 cgroup" {
  local own
  own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  own=${own%/}
  cfg_set .linux.cgroupsPath "\"$ID_PREFIX-$R-rel\""
  start_ct sleep 1000
  [ "$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID1/cgroup")" = "$own/$ID_PREFIX-$R-rel" ]
  grep -qx "$PID1" "$CG2$own/$ID_PREFIX-$R-rel/cgroup.procs"
}

@test "v2: ps lists every pid of cgroup.procs; --format json is an array" {
  start_ct sh -c 'sleep 1000 & sh -c "sleep 1000 & wait" & wait'
  wait_procs 4
  local want got
  want=$(procs_of "$CGDIR")
  [ "$(wc -l <<< "$want")" -eq 4 ]
  run cr ps --format json "$ID"
  [ "$status" -eq 0 ]
  got=$("$PY" -c 'import json,sys; a = json.loads(sys.argv[1]); assert isinstance(a, list); print("\n".join(map(str, sorted(a))))' "$output")
  [ "$got" = "$want" ]
  run cr ps "$ID"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 5 ]
}

@test "v2: pause writes cgroup.freeze and stops a counter; resume thaws it" {
  mkdir "$T/share"
  cfg_append .mounts "{\"destination\":\"/share\",\"type\":\"bind\",\"source\":\"$T/share\",\"options\":[\"rbind\",\"rw\"]}"
  start_ct sh -c 'i=0; while :; do i=$((i+1)); echo $i >> /share/n; sleep 0.02; done'
  wait_for_file "$T/share/n"
  run cr pause "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$CGDIR/cgroup.freeze")" = 1 ]
  grep -qx "frozen 1" "$CGDIR/cgroup.events"
  [ "$(state_field "$ID" status)" = paused ]
  local n1 n2 n3
  n1=$(wc -l < "$T/share/n")
  sleep 0.4
  n2=$(wc -l < "$T/share/n")
  [ "$n1" = "$n2" ]
  run cr resume "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$CGDIR/cgroup.freeze")" = 0 ]
  [ "$(state_field "$ID" status)" = running ]
  sleep 0.4
  n3=$(wc -l < "$T/share/n")
  [ "$n3" -gt "$n2" ]
}

@test "v2: kill --all KILL uses cgroup.kill and reaches grandchildren (no pid namespace)" {
  # the root cgroup has no cgroup.kill: ask a fresh child (Linux >= 5.14 has it)
  local probe=$CG2/$ID_PREFIX-$R-probe has=0
  mkdir "$probe"
  [ -f "$probe/cgroup.kill" ] && has=1
  rmdir "$probe"
  [ "$has" = 1 ] || skip "kernel without cgroup.kill"
  cfg_ns_del pid
  start_ct sh -c 'sh -c "sleep 1000 & sleep 1000 & wait" & sleep 1000 & wait'
  wait_procs 5
  local pids p
  pids=$(procs_of "$CGDIR")
  [ "$(wc -l <<< "$pids")" -eq 5 ]
  [ -f "$CGDIR/cgroup.kill" ]
  run cr kill --all "$ID" KILL
  [ "$status" -eq 0 ]
  for p in $pids; do process_gone "$p"; done
  wait_status "$ID" stopped
  [ -z "$(procs_of "$CGDIR")" ]
}

@test "v2: kill --all TERM signals every pid (no pid namespace)" {
  cfg_ns_del pid
  start_ct sh -c 'sh -c "sleep 1000 & wait" & sleep 1000 & wait'
  wait_procs 4
  local pids p
  pids=$(procs_of "$CGDIR")
  run cr kill --all "$ID" TERM
  [ "$status" -eq 0 ]
  for p in $pids; do process_gone "$p"; done
}

@test "v2: delete removes the cgroup directory" {
  start_ct sleep 1000
  [ -d "$CGDIR" ]
  cr kill "$ID" KILL
  wait_status "$ID" stopped
  run cr delete "$ID"
  [ "$status" -eq 0 ]
  [ ! -e "$CGDIR" ]
  [ ! -e "/sys/fs/cgroup/unified$CGPATH" ]
}

@test "v2: delete --force kills every process of a running container first" {
  cfg_ns_del pid
  start_ct sh -c 'sh -c "sleep 1000 & wait" & sleep 1000 & wait'
  wait_procs 4
  local pids p
  pids=$(procs_of "$CGDIR")
  run timeout 15 "$CELLRUN" --root "$ROOT" delete --force "$ID"
  [ "$status" -eq 0 ]
  for p in $pids; do process_gone "$p"; done
  [ ! -e "$CGDIR" ]
}

@test "v2: delete --force of a paused (frozen) container" {
  start_ct sh -c 'sleep 1000 & wait'
  cr pause "$ID"
  run timeout 15 "$CELLRUN" --root "$ROOT" delete --force "$ID"
  [ "$status" -eq 0 ]
  process_gone "$PID1"
  [ ! -e "$CGDIR" ]
}

@test "v2: events --stats prints JSON with pids and cpu" {
  start_ct sh -c 'sleep 1000 & wait'
  run cr events --stats "$ID"
  [ "$status" -eq 0 ]
  "$PY" - "$output" <<'EOF'
import json, sys
ev = json.loads(sys.argv[1])
assert ev["type"] == "stats", ev
d = ev["data"]
assert "cpu" in d and "usage" in d["cpu"], d
assert "pids" in d and "memory" in d, d
EOF
}

# ---- limits whose controller this mount does not have

need_missing () {
  if grep -qw "$1" "$CG2/cgroup.controllers"; then
    skip "controller $1 is available on cgroup v2 here"
  fi
}

@test "v2: a memory limit without the memory controller fails naming it; nothing is left" {
  need_missing memory
  cfg_set .linux.resources.memory '{"limit":33554432}'
  cfg_args true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "memory"
  assert_contains "$output" "not available"
  [ ! -e "$CGDIR" ]
  run cr state "$ID"
  [ "$status" -ne 0 ]
}

@test "v2: a pids limit without the pids controller fails naming it" {
  need_missing pids
  cfg_set .linux.resources.pids '{"limit":20}'
  cfg_args true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "pids"
  [ ! -e "$CGDIR" ]
}

@test "v2: a unified key of a missing controller fails naming the key" {
  need_missing memory
  cfg_set .linux.resources.unified '{"memory.high":"50000000"}'
  cfg_args true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "memory.high"
  [ ! -e "$CGDIR" ]
}

@test "v2: a refused unified key (cgroup.procs) fails" {
  cfg_set .linux.resources.unified '{"cgroup.procs":"1"}'
  cfg_args true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "cgroup.procs"
  [ ! -e "$CGDIR" ]
}

@test "v2: a controller-free unified key is written (cgroup.max.descendants)" {
  cfg_set .linux.resources.unified '{"cgroup.max.descendants":"7"}'
  start_ct sleep 1000
  [ "$(cat "$CGDIR/cgroup.max.descendants")" = 7 ]
}

@test "v2: update --pids-limit without the controller fails clearly, container keeps running" {
  need_missing pids
  start_ct sleep 1000
  run cr update --pids-limit 10 "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "pids"
  [ "$(state_field "$ID" status)" = running ]
}

@test "v2: a device denied by the BPF filter cannot be opened" {
  [ -c /dev/fuse ] || skip "no /dev/fuse on this host"
  cfg_append .mounts '{"destination":"/fuse","type":"bind","source":"/dev/fuse","options":["bind","rw"]}'
  cfg_set .linux.resources.devices '[{"allow":true,"access":"rwm"},{"allow":false,"type":"c","major":10,"minor":229,"access":"rw"}]'
  in_ct ': < /dev/null && echo null-ok; (: < /fuse); echo "fuse-rc=$?"'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "null-ok"
  assert_contains "$output" "Operation not permitted"
  assert_contains "$output" "fuse-rc=1"
}

@test "v2 zz: no cgroup of this file's containers is left" {
  local left
  left=$(find "$CG2" /sys/fs/cgroup -mindepth 1 -maxdepth 5 -type d -name "*$R*" 2>/dev/null)
  [ -z "$left" ] || { echo "left now: $left" >&2; false; }
  if [ -s "$CT_TMP/cg-leaks" ]; then
    echo "left behind by earlier tests:" >&2
    cat "$CT_TMP/cg-leaks" >&2
    false
  fi
}
