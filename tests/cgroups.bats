#!/usr/bin/env bats
# cgroups on the real host (hybrid here; works on v1 and v2 too where the files exist):
# limits are enforced, pause/resume, update, ps, kill --all, delete, events --stats,
# cgroupsPath placement and --systemd-cgroup.  Every cgroup a test names contains the file's
# random tag $R, so teardown can find (and record) whatever a test left behind.

load helpers

CG=/sys/fs/cgroup

setup_file () {
  cellrun_setup_file
  R=${CT_TMP##*.}
  export R
  : > "$CT_TMP/cg-leaks"
}

setup () {
  cellrun_setup
  R=${CT_TMP##*.}
}

teardown () {
  cleanup_containers
  cg_cleanup
  # helper daemons a test started (pids we own, never names)
  local p
  if [ -f "$T/daemon-pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$T/daemon-pids"
  fi
  cellrun_teardown
}

teardown_file () {
  cellrun_teardown_file
}

# ---------------------------------------------------------------- helpers

# cg_dirs PATTERN: every cgroup directory (all hierarchies) whose name matches PATTERN.
cg_dirs () {
  find "$CG" -mindepth 1 -maxdepth 5 -type d -name "$1" 2>/dev/null
}

# cg_cleanup: parents a test registered in $T/cg-parents are removed (runc-like, cellrun leaves
# them); any other directory carrying our tag is a leak: recorded, then removed deepest first.
cg_cleanup () {
  local p h d
  if [ -f "$T/cg-parents" ]; then
    while read -r p; do
      for h in "$CG"/*/; do rmdir "$h${p#/}" 2>/dev/null || true; done
    done < <(sort -r "$T/cg-parents")
  fi
  for d in $(cg_dirs "*$R*" | sort -r); do
    echo "test $BATS_TEST_NUMBER ($BATS_TEST_DESCRIPTION): $d" >> "$CT_TMP/cg-leaks"
    rmdir "$d" 2>/dev/null || true
  done
}

# cg_of PID CONTROLLER: the process's cgroup path in a v1 hierarchy ("0" = the unified one).
cg_of () {
  if [ "$2" = 0 ]; then
    awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup"
  else
    awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup"
  fi
}

# cg_file CONTROLLER PATH FILE: the host file of a v1 controller (falls back to unified/v2).
cg_file () {
  if [ -d "$CG/$1" ]; then echo "$CG/$1$2/$3"
  elif [ -d "$CG/unified" ]; then echo "$CG/unified$2/$3"
  else echo "$CG$2/$3"; fi
}

need_v1 () {
  [ -d "$CG/$1" ] || skip "no v1 $1 hierarchy on this host"
}

# A container with its own absolute cgroupsPath (tagged), running CMD in the background.
CGPATH=
start_ct () {
  CGPATH=/$ID_PREFIX-$R-$BATS_TEST_NUMBER
  cfg_set .linux.cgroupsPath "\"$CGPATH\""
  cfg_args "$@"
  run_d "$ID"
  wait_status "$ID" running
  PID1=$(cat "$T/$ID.pid")
}

# pids_of_cg CONTROLLER PATH: sorted pids from the host's cgroup.procs (recursive).
pids_of_cg () {
  local dir
  dir=$(dirname "$(cg_file "$1" "$2" cgroup.procs)")
  find "$dir" -name cgroup.procs -exec cat {} + | sort -n
}

# wait_cg_pids N: print the container's pids once its pids cgroup lists at
# least N processes (or whatever it lists after 3 s).
wait_cg_pids () {
  local i pids
  for i in $(seq 30); do
    pids=$(pids_of_cg pids "$CGPATH")
    [ "$(wc -l <<< "$pids")" -ge "$1" ] && break
    sleep 0.1
  done
  echo "$pids"
}

# run_d_global ID GLOBAL-FLAGS...: like run_d, with flags placed before the verb.
run_d_global () {
  local id=$1; shift
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" "$@" run -d --bundle "$BUNDLE" --pid-file "$T/$id.pid" \
    "$id" > "$T/$id.out" 2> "$T/$id.err" < /dev/null
  local rc=$?
  cat "$T/$id.err" >&2
  return $rc
}

wait_gone_all () {
  local p
  for p in "$@"; do process_gone "$p" || { echo "pid $p still alive" >&2; return 1; }; done
}

# ---------------------------------------------------------------- limits are enforced

@test "memory.limit: a memory hog is OOM-killed under 32 MiB" {
  need_v1 memory
  cfg_set .linux.resources.memory '{"limit":33554432}'
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-mem\""
  # the hog runs as a child so the init shell survives to report how it ended
  cfg_args sh -c 'sh -c '"'"'x=a; while :; do x=$x$x; done'"'"'; echo "hog-status=$?"'
  run timeout -k 2 20 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "hog-status=137"
}

@test "memory.limit: an init that is the hog itself exits 137" {
  need_v1 memory
  cfg_set .linux.resources.memory '{"limit":33554432}'
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-mem2\""
  cfg_args sh -c 'x=a; while :; do x=$x$x; done'
  run timeout -k 2 20 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -eq 137 ]
}

@test "pids.limit: a fork bomb hits EAGAIN and the container survives" {
  need_v1 pids
  cfg_set .linux.resources.pids '{"limit":20}'
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-pids\""
  # the bomb is a child shell: ash exits on a failed fork, its parent reports it
  cfg_args sh -c 'sh -c '"'"'i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done; echo bomb-finished'"'"' 2>&1; echo "survived rc=$?"; kill $(jobs -p) 2>/dev/null; exit 0'
  run timeout -k 2 20 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "can't fork"
  assert_contains "$output" "survived"
  refute_contains "$output" bomb-finished
}

# The issue's example. Fails while src/container.c allow_default_devices() appends its default
# allow rules (c 1:5 among them) after the bundle's, so the bundle's deny of /dev/zero loses.
@test "devices: a device denied after allow-all cannot be opened" {
  cfg_set .linux.resources.devices '[{"allow":true,"access":"rwm"},{"allow":false,"type":"c","major":1,"minor":5,"access":"rw"}]'
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-dev\""
  in_ct 'head -c1 /dev/null && echo null-ok; head -c1 /dev/zero > /dev/null; echo "zero-rc=$?"'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "null-ok"
  assert_contains "$output" "Operation not permitted"
  assert_contains "$output" "zero-rc=1"
}

# A host device outside the runtime's default set (/dev/fuse, c 10:229) bind-mounted in: opening
# it needs no capability, so EPERM can only come from the device cgroup.
bind_fuse () {
  [ -c /dev/fuse ] || skip "no /dev/fuse on this host"
  cfg_append .mounts '{"destination":"/fuse","type":"bind","source":"/dev/fuse","options":["bind","rw"]}'
}

@test "devices: a non-default device denied after allow-all cannot be opened" {
  bind_fuse
  cfg_set .linux.resources.devices '[{"allow":true,"access":"rwm"},{"allow":false,"type":"c","major":10,"minor":229,"access":"rw"}]'
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-dev2\""
  in_ct ': < /dev/null && echo null-ok; (: < /fuse); echo "fuse-rc=$?"'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "null-ok"
  assert_contains "$output" "Operation not permitted"
  assert_contains "$output" "fuse-rc=1"
}

@test "devices: deny-all then allow /dev/null; an unlisted device is refused" {
  bind_fuse
  cfg_set .linux.resources.devices '[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]'
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-dev3\""
  in_ct 'echo x > /dev/null && echo null-ok; (: < /fuse) || echo fuse-denied'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "null-ok"
  assert_contains "$output" "fuse-denied"
  assert_contains "$output" "Operation not permitted"
}

@test "devices: control: without a rule the same device opens" {
  bind_fuse
  cfg_set .linux.resources.devices '[{"allow":true,"access":"rwm"}]'
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-dev4\""
  in_ct '(: < /fuse) && echo fuse-ok'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "fuse-ok"
}

# ---------------------------------------------------------------- pause / resume

@test "pause freezes a counter writing to a host file; resume thaws it" {
  mkdir "$T/share"
  cfg_append .mounts "{\"destination\":\"/share\",\"type\":\"bind\",\"source\":\"$T/share\",\"options\":[\"rbind\",\"rw\"]}"
  start_ct sh -c 'i=0; while :; do i=$((i+1)); echo $i >> /share/n; sleep 0.02; done'
  wait_for_file "$T/share/n"
  run cr pause "$ID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID" status)" = paused ]
  local fz n1 n2 n3
  fz=$(cg_file freezer "$CGPATH" freezer.state)
  [ ! -d "$CG/freezer" ] || [ "$(cat "$fz")" = FROZEN ]
  n1=$(wc -l < "$T/share/n")
  sleep 0.4
  n2=$(wc -l < "$T/share/n")
  [ "$n1" = "$n2" ]
  run cr resume "$ID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID" status)" = running ]
  [ ! -d "$CG/freezer" ] || [ "$(cat "$fz")" = THAWED ]
  sleep 0.4
  n3=$(wc -l < "$T/share/n")
  [ "$n3" -gt "$n2" ]
}

@test "pause of a paused container and resume of a running one fail clearly" {
  start_ct sleep 1000
  cr pause "$ID"
  run cr pause "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "paused"
  cr resume "$ID"
  run cr resume "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "not paused"
}

@test "delete --force of a paused container kills it and removes its cgroups" {
  start_ct sh -c 'sleep 1000 & sleep 1000 & wait'
  local pids
  pids=$(pids_of_cg pids "$CGPATH")
  cr pause "$ID"
  run timeout 15 "$CELLRUN" --root "$ROOT" delete --force "$ID"
  [ "$status" -eq 0 ]
  wait_gone_all $pids
  [ -z "$(cg_dirs "$(basename "$CGPATH")")" ]
}

# ---------------------------------------------------------------- update

@test "update --memory and --pids-limit change the live limits" {
  need_v1 memory
  need_v1 pids
  start_ct sleep 1000
  [ "$(cg_of "$PID1" memory)" = "$CGPATH" ]
  run cr update --memory 67108864 --pids-limit 33 "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$CG/memory$CGPATH/memory.limit_in_bytes")" = 67108864 ]
  [ "$(cat "$CG/pids$CGPATH/pids.max")" = 33 ]
  run cr update --pids-limit 0 "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$CG/pids$CGPATH/pids.max")" = max ]
}

@test "update --resources - reads a resources object from stdin" {
  need_v1 memory
  need_v1 pids
  start_ct sleep 1000
  run cr update --resources - "$ID" <<'JSON'
{"memory":{"limit":50331648},"pids":{"limit":44},"cpu":{"shares":512}}
JSON
  [ "$status" -eq 0 ]
  [ "$(cat "$CG/memory$CGPATH/memory.limit_in_bytes")" = 50331648 ]
  [ "$(cat "$CG/pids$CGPATH/pids.max")" = 44 ]
  [ ! -d "$CG/cpu" ] || [ "$(cat "$CG/cpu$CGPATH/cpu.shares")" = 512 ]
}

@test "update --resources FILE and a limit below usage are handled" {
  need_v1 memory
  start_ct sleep 1000
  echo '{"memory":{"limit":41943040}}' > "$T/res.json"
  run cr update --resources "$T/res.json" "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$CG/memory$CGPATH/memory.limit_in_bytes")" = 41943040 ]
  run cr update --resources - "$ID" <<< '{"memory":{"limit":4096,"checkBeforeUpdate":true}}'
  [ "$status" -ne 0 ]
  assert_error_line
  [ "$(cat "$CG/memory$CGPATH/memory.limit_in_bytes")" = 41943040 ]
}

@test "update of a stopped container and a bad flag fail" {
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-$BATS_TEST_NUMBER\""
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  run cr update --pids-limit 5 "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "stopped"
  run cr update --memory lots "$ID"
  [ "$status" -ne 0 ]
}

# ---------------------------------------------------------------- ps, kill --all, delete

@test "ps lists every process of the container, as the host's cgroup.procs" {
  start_ct sh -c 'sleep 1000 & sleep 1000 & sh -c "sleep 1000 & wait" & wait'
  local want got
  want=$(wait_cg_pids 5)
  [ "$(wc -l <<< "$want")" -eq 5 ]
  run cr ps --format json "$ID"
  [ "$status" -eq 0 ]
  got=$("$PY" -c 'import json,sys; a = json.loads(sys.argv[1]); assert isinstance(a, list) and all(isinstance(p, int) for p in a); print("\n".join(map(str, sorted(a))))' "$output")
  [ "$got" = "$want" ]
  grep -qx "$PID1" <<< "$got"
  run cr ps "$ID"
  [ "$status" -eq 0 ]
  assert_contains "${lines[0]}" PID
  [ "${#lines[@]}" -eq 6 ]
  assert_contains "$output" sleep
}

@test "ps of a stopped container is an empty list" {
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-$BATS_TEST_NUMBER\""
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  run cr ps --format json "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "[]" ]
}

@test "kill --all KILL reaches children and grandchildren (no pid namespace)" {
  # without a pid namespace the init's death does not take the others with it
  cfg_ns_del pid
  start_ct sh -c 'sh -c "sleep 1000 & sleep 1000 & wait" & sleep 1000 & wait'
  local pids
  pids=$(wait_cg_pids 5)
  [ "$(wc -l <<< "$pids")" -eq 5 ]
  run cr kill --all "$ID" KILL
  [ "$status" -eq 0 ]
  wait_gone_all $pids
  wait_status "$ID" stopped
  [ -z "$(pids_of_cg pids "$CGPATH")" ]
}

@test "kill --all TERM reaches every process (no pid namespace)" {
  cfg_ns_del pid
  start_ct sh -c 'sh -c "sleep 1000 & wait" & sleep 1000 & wait'
  local pids
  pids=$(wait_cg_pids 4)
  run cr kill --all "$ID" TERM
  [ "$status" -eq 0 ]
  wait_gone_all $pids
}

@test "delete leaves no cgroup directory in any hierarchy" {
  start_ct sleep 1000
  local h n=0
  for h in "$CG"/*/; do
    [ -d "$h${CGPATH#/}" ] && n=$((n + 1))
  done
  [ "$n" -ge 2 ]
  cr kill "$ID" KILL
  wait_status "$ID" stopped
  run cr delete "$ID"
  [ "$status" -eq 0 ]
  for h in "$CG"/*/; do
    [ ! -e "$h${CGPATH#/}" ] || { echo "left: $h${CGPATH#/}" >&2; false; }
  done
  no_traces "$ID"
}

@test "delete --force on a running container kills every process first" {
  cfg_ns_del pid
  start_ct sh -c 'sh -c "sleep 1000 & wait" & sleep 1000 & wait'
  local pids
  pids=$(wait_cg_pids 4)
  [ "$(wc -l <<< "$pids")" -eq 4 ]
  run cr delete "$ID"
  [ "$status" -ne 0 ]
  run timeout 15 "$CELLRUN" --root "$ROOT" delete --force "$ID"
  [ "$status" -eq 0 ]
  wait_gone_all $pids
  for h in "$CG"/*/; do [ ! -e "$h${CGPATH#/}" ]; done
  no_traces "$ID"
}

# ---------------------------------------------------------------- events

@test "events --stats prints one JSON object with cpu, memory and pids" {
  start_ct sh -c 'sleep 1000 & sleep 1000 & wait'
  run cr events --stats "$ID"
  [ "$status" -eq 0 ]
  "$PY" - "$output" "$ID" <<'EOF'
import json, sys
ev = json.loads(sys.argv[1])
assert ev["type"] == "stats" and ev["id"] == sys.argv[2], ev
d = ev["data"]
assert d["pids"]["current"] == 3, d["pids"]
assert d["memory"]["usage"]["usage"] > 0, d["memory"]
assert "total" in d["cpu"]["usage"], d["cpu"]
EOF
}

@test "events --interval streams stats until the container stops" {
  start_ct sleep 1000
  ( timeout 5 "$CELLRUN" --root "$ROOT" events --interval 100ms "$ID" > "$T/events.out" 2>&1; echo $? > "$T/events.rc" ) &
  sleep 0.5
  cr kill "$ID" KILL
  wait
  cut -c1-200 "$T/events.out" >&2
  [ "$(cat "$T/events.rc")" -eq 0 ]
  [ "$(grep -c '"type":"stats"' "$T/events.out")" -ge 2 ]
}

@test "events reports an OOM kill" {
  need_v1 memory
  cfg_set .linux.resources.memory '{"limit":33554432}'
  # the hog (a child, so init survives) starts once events is listening
  start_ct sh -c 'sleep 1; sh -c '"'"'x=a; while :; do x=$x$x; done'"'"'; sleep 1000'

  ( timeout 8 "$CELLRUN" --root "$ROOT" events --interval 200ms "$ID" > "$T/events.out" 2>&1 ) &
  local i
  for i in $(seq 80); do grep -q '"type":"oom"' "$T/events.out" && break; sleep 0.1; done
  cr kill "$ID" KILL || true
  wait
  cut -c1-200 "$T/events.out" >&2
  grep -q '"type":"oom"' "$T/events.out"
}

# ---------------------------------------------------------------- placement

@test "cgroupsPath absolute: the same path in every hierarchy" {
  start_ct sleep 1000
  local c
  for c in pids memory freezer cpu devices; do
    [ -d "$CG/$c" ] || continue
    [ "$(cg_of "$PID1" "$c")" = "$CGPATH" ]
    grep -qx "$PID1" "$CG/$c$CGPATH/cgroup.procs"
  done
  [ ! -d "$CG/unified" ] || [ "$(cg_of "$PID1" 0)" = "$CGPATH" ]
}

@test "cgroupsPath absolute and nested: parents are created" {
  local parent=/$ID_PREFIX-$R-nest
  echo "$parent" >> "$T/cg-parents"
  cfg_set .linux.cgroupsPath "\"$parent/a/ct\""
  echo "$parent/a" >> "$T/cg-parents"
  cfg_args sleep 1000
  run_d "$ID"
  PID1=$(cat "$T/$ID.pid")
  [ "$(cg_of "$PID1" pids)" = "$parent/a/ct" ]
  cr delete -f "$ID"
  [ ! -e "$CG/pids$parent/a/ct" ]
}

@test "cgroupsPath relative: below the runtime's own cgroup" {
  local own rel=$ID_PREFIX-$R-rel
  own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  [ -n "$own" ] || own=$(awk -F: '$2 == "name=systemd" { print $3 }' /proc/self/cgroup)
  own=${own%/}
  cfg_set .linux.cgroupsPath "\"$rel\""
  cfg_args sleep 1000
  run_d "$ID"
  PID1=$(cat "$T/$ID.pid")
  [ "$(cg_of "$PID1" pids)" = "$own/$rel" ]
  [ -d "$CG/pids$own/$rel" ]
}

@test "cgroupsPath empty: <own cgroup>/<id>" {
  local own
  own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  [ -n "$own" ] || own=$(awk -F: '$2 == "name=systemd" { print $3 }' /proc/self/cgroup)
  own=${own%/}
  cfg_del .linux.cgroupsPath
  cfg_args sleep 1000
  run_d "$ID"
  PID1=$(cat "$T/$ID.pid")
  [ "$(cg_of "$PID1" pids)" = "$own/$ID" ]
  cr delete -f "$ID"
  [ -z "$(cg_dirs "$ID")" ]
}

@test "cgroupsPath with .. cannot climb above the hierarchy root" {
  cfg_set .linux.cgroupsPath "\"/../../$ID_PREFIX-$R-dots\""
  cfg_args sleep 1000
  run_d "$ID"
  PID1=$(cat "$T/$ID.pid")
  [ "$(cg_of "$PID1" pids)" = "/$ID_PREFIX-$R-dots" ]
}

@test "--systemd-cgroup slice:prefix:name is managed with cgroupfs" {
  local slice=${ID_PREFIX}s$R
  echo "/$slice.slice" >> "$T/cg-parents"
  echo "/$slice.slice/$slice-x.slice" >> "$T/cg-parents"
  cfg_set .linux.cgroupsPath "\"$slice-x.slice:cellrun:$ID\""
  cfg_args sleep 1000
  run run_d_global "$ID" --systemd-cgroup
  [ "$status" -eq 0 ]
  PID1=$(cat "$T/$ID.pid")
  local want=/$slice.slice/$slice-x.slice/cellrun-$ID.scope
  [ "$(cg_of "$PID1" pids)" = "$want" ]
  [ -d "$CG/pids$want" ]
  run cr delete -f "$ID"
  [ "$status" -eq 0 ]
  [ ! -e "$CG/pids$want" ]
}

# fake_systemd_host: a private bus with tests/tools/fake_systemd.py on it (systemd's Manager
# API, calls logged to $T/sd.log); `on_systemd_host CMD...` then runs CMD where systemd
# looks like PID 1 to it (/run/systemd/system in a private mount namespace) and the
# system bus is the fake's.
fake_systemd_host () {
  grep -q '+SYSTEMD' <<< "$("$CELLRUN" --version)" || skip "cellrun built without systemd/sd-bus.h"
  command -v dbus-daemon >/dev/null || skip "dbus-daemon not installed"
  "$PY" -c 'import dbus, dbus.service, dbus.mainloop.glib; from gi.repository import GLib' 2>/dev/null ||
    skip "python3-dbus / python3-gi not installed"
  local pid i
  # 3>&-: bats waits for whoever holds its fd 3
  pid=$(dbus-daemon --session --address="unix:path=$T/bus" --fork --print-pid 3>&-)
  echo "$pid" >> "$T/daemon-pids"
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/bus "$PY" "$BATS_TEST_DIRNAME/tools/fake_systemd.py" "$T/sd.log" \
    > "$T/fake.out" 2>&1 3>&- &
  echo "$!" >> "$T/daemon-pids"
  for i in $(seq 100); do grep -q ready "$T/fake.out" && break; sleep 0.05; done
  grep -q ready "$T/fake.out" || { cat "$T/fake.out" >&2; false; }
}

# Output goes to $T/sd-run.out (a detached container keeps cellrun's stdio open: no pipes).
on_systemd_host () {
  local rc=0
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/bus unshare -m sh -c \
    'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && exec "$@"' sh "$@" \
    > "$T/sd-run.out" 2>&1 < /dev/null 3>&- || rc=$?
  cat "$T/sd-run.out"
  return $rc
}

# sd_calls METHOD: the logged calls of METHOD, one JSON object per line.
sd_calls () { grep "\"method\": \"$1\"" "$T/sd.log" || true; }

@test "--systemd-cgroup on a systemd host: a transient scope (Delegate=yes) holds the init; delete stops it" {
  fake_systemd_host
  local slice=${ID_PREFIX}d$R
  echo "/$slice.slice" >> "$T/cg-parents"
  cfg_set .linux.cgroupsPath "\"$slice.slice:cellrun:$ID\""
  cfg_args sleep 1000
  run on_systemd_host "$CELLRUN" --root "$ROOT" --systemd-cgroup --debug run -d --bundle "$BUNDLE" \
    --pid-file "$T/$ID.pid" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "registered with systemd as a transient scope"
  PID1=$(cat "$T/$ID.pid")
  local unit=cellrun-$ID.scope want=/$slice.slice/cellrun-$ID.scope start
  start=$(sd_calls StartTransientUnit)
  echo "$start"
  [ "$(wc -l <<< "$start")" -eq 1 ]
  "$PY" - "$start" "$unit" "$slice.slice" "$PID1" "$want" <<'EOF'
import json, sys
call, unit, slice, pid, want = sys.argv[1:]
c = json.loads(call)
p = c["properties"]
assert c["unit"] == unit and c["mode"] == "fail", c
assert p["Slice"] == slice and p["Delegate"] is True and p["DefaultDependencies"] is False, p
assert p["PIDs"] == [int(pid)], p
assert "cellrun container" in p["Description"], p
# systemd is asked to adopt a pid that already sits at the scope's own path
assert any(l.split(":", 2)[2] == want for l in c["cgroups"][pid]), c["cgroups"]
EOF
  [ "$(cg_of "$PID1" pids)" = "$want" ]
  cr kill "$ID" KILL
  wait_status "$ID" stopped
  # delete needs no /run/systemd look-alike, only the bus: the state remembers the unit
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/bus
  run cr delete "$ID"
  [ "$status" -eq 0 ]
  [ "$(sd_calls StopUnit | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["unit"])')" = "$unit" ]
  [ ! -e "$CG/pids$want" ]
  no_traces "$ID"
}

@test "--systemd-cgroup on a systemd host: a refused scope fails create and leaves nothing" {
  fake_systemd_host
  local slice=${ID_PREFIX}d$R
  echo "/$slice.slice" >> "$T/cg-parents"
  cfg_set .linux.cgroupsPath "\"$slice.slice:refused:$ID\""
  cfg_args sleep 1000
  run on_systemd_host "$CELLRUN" --root "$ROOT" --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  assert_contains "$output" "cellrun: systemd scope refused-$ID.scope: StartTransientUnit: Access denied"
  [ "$(wc -l < <(sd_calls StartTransientUnit))" -eq 1 ]
  [ ! -e "$CG/pids/$slice.slice/refused-$ID.scope" ]
  no_traces "$ID"
}

@test "--cgroup-manager disabled creates no cgroup" {
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-$BATS_TEST_NUMBER\""
  cfg_args sleep 1000
  run run_d_global "$ID" --cgroup-manager disabled
  [ "$status" -eq 0 ]
  [ -z "$(cg_dirs "$ID_PREFIX-$R-$BATS_TEST_NUMBER")" ]
}

@test "a limit the kernel refuses fails naming the file; nothing is left" {
  need_v1 cpu
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-$BATS_TEST_NUMBER\""
  cfg_set .linux.resources.cpu '{"quota":500,"period":100}'
  cfg_args true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "cpu.cfs_"
  [ -z "$(cg_dirs "$ID_PREFIX-$R-$BATS_TEST_NUMBER")" ]
  run cr state "$ID"
  [ "$status" -ne 0 ]
}

@test "hybrid: a controller-free unified key is written into the unified cgroup" {
  [ -d "$CG/unified" ] || skip "not a hybrid host"
  cfg_set .linux.resources.unified '{"cgroup.max.descendants":"9"}'
  start_ct sleep 1000
  [ "$(cat "$CG/unified$CGPATH/cgroup.max.descendants")" = 9 ]
}

@test "hybrid: a unified key whose controller is bound to v1 fails naming the key" {
  [ -d "$CG/unified" ] || skip "not a hybrid host"
  if grep -qw memory "$CG/unified/cgroup.controllers"; then skip "memory is available in unified here"; fi
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-$BATS_TEST_NUMBER\""
  cfg_set .linux.resources.unified '{"memory.high":"50000000"}'
  cfg_args true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "unified.memory.high"
  assert_contains "$output" "not available"
  [ -z "$(cg_dirs "$ID_PREFIX-$R-$BATS_TEST_NUMBER")" ]
}

# ---------------------------------------------------------------- the init born in its v1 cgroups

# create_debug ID: create from $BUNDLE with --debug; the log is in $T/ID.err.
create_debug () {
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" --debug create --bundle "$BUNDLE" --pid-file "$T/$1.pid" "$1" \
    > "$T/$1.out" 2> "$T/$1.err" < /dev/null
}

@test "v1 late: the init joins every v1 cgroup through tasks (born in the unified one); cellrun is never in them" {
  need_v1 pids
  CGPATH=/$ID_PREFIX-$R-$BATS_TEST_NUMBER
  cfg_set .linux.cgroupsPath "\"$CGPATH\""
  # a prestart hook runs as cellrun's child after the cgroups are made: it has cellrun's cgroups
  cfg_set .hooks '{"prestart":[{"path":"/bin/sh","args":["sh","-c","cat /proc/self/cgroup > '"$T"'/hook-cg"]}]}'
  cfg_args sleep 1000
  cat /proc/self/cgroup > "$T/my-cg"
  create_debug "$ID" || { cat "$T/$ID.err"; false; }
  PID1=$(cat "$T/$ID.pid")
  local h n=0 lines
  for h in "$CG"/*/; do
    [ "$h" = "$CG/unified/" ] && continue
    [ -d "$h${CGPATH#/}" ] || continue
    n=$((n + 1))
    grep -q "the init joins $(basename "$h")$CGPATH through tasks" "$T/$ID.err" || fail "no join of $h"
    # the container's v1 cgroup holds the init alone: cellrun never was there
    [ "$(cat "$h${CGPATH#/}/tasks")" = "$PID1" ] || fail "$h tasks: $(cat "$h${CGPATH#/}/tasks")"
  done
  [ "$n" -ge 2 ] || fail "only $n v1 hierarchies have the cgroup"
  # every hierarchy of the init, v1 and unified, is the container's cgroup (seen from the host)
  lines=$(wc -l < "/proc/$PID1/cgroup")
  [ "$lines" -ge "$n" ] || fail "init: $(cat "/proc/$PID1/cgroup")"
  [ "$(cut -d: -f3 "/proc/$PID1/cgroup" | sort -u)" = "$CGPATH" ] || fail "init: $(cat "/proc/$PID1/cgroup")"
  [ ! -d "$CG/unified" ] || grep -qx "$PID1" "$CG/unified$CGPATH/cgroup.procs" || fail "not in unified"
  # never moved by a cgroup.procs write (v1: the migration lock)
  run ! grep -q "cgroup.procs = $PID1" "$T/$ID.err"
  # cellrun's cgroups (its hook's) and ours are what they were
  diff "$T/my-cg" "$T/hook-cg" || fail "cellrun's cgroups changed"
  cat /proc/self/cgroup | diff "$T/my-cg" - || fail "the test shell's cgroups changed"
  cr start "$ID"
  cr delete -f "$ID"
  for h in "$CG"/*/; do [ ! -e "$h${CGPATH#/}" ] || fail "left: $h${CGPATH#/}"; done
}

@test "v1 late: a cpuset: the init runs on the container's cpus, cellrun keeps its own affinity" {
  need_v1 cpuset
  [ "$(nproc)" -ge 2 ] || skip "needs 2 cpus"
  command -v taskset > /dev/null || skip "no taskset"
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-$BATS_TEST_NUMBER\""
  cfg_set .linux.resources.cpu '{"cpus":"1"}'
  cfg_set .hooks '{"prestart":[{"path":"/bin/sh","args":["sh","-c","grep Cpus_allowed_list /proc/$PPID/status > '"$T"'/hook-cpus"]}]}'
  cfg_args sleep 1000
  timeout -k 2 30 taskset -c 0 "$CELLRUN" --root "$ROOT" --debug create --bundle "$BUNDLE" --pid-file "$T/$ID.pid" \
    "$ID" > "$T/$ID.out" 2> "$T/$ID.err" < /dev/null || { cat "$T/$ID.err"; false; }
  grep -q "the init joins cpuset/" "$T/$ID.err" || fail "no join of cpuset"
  PID1=$(cat "$T/$ID.pid")
  [ "$(awk '/Cpus_allowed_list/ { print $2 }' "/proc/$PID1/status")" = 1 ] || fail "init: $(grep Cpus_allowed_list "/proc/$PID1/status")"
  # the hook's parent is cellrun, which never joined the cpuset
  [ "$(awk '{ print $2 }' "$T/hook-cpus")" = 0 ] || fail "cellrun: $(cat "$T/hook-cpus")"
  cr delete -f "$ID"
}

@test "v1 late: a pids limit of 1: the init joins, runs its program, which cannot fork" {
  need_v1 pids
  cfg_set .linux.cgroupsPath "\"/$ID_PREFIX-$R-$BATS_TEST_NUMBER\""
  cfg_set .linux.resources.pids '{"limit":1}'
  cfg_args sh -c 'echo ran-under-1; /bin/true && echo forked'
  run timeout -k 2 30 "$CELLRUN" --root "$ROOT" --debug run --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  assert_contains "$output" "ran-under-1"
  assert_contains "$output" "the init joins pids/$ID_PREFIX-$R-$BATS_TEST_NUMBER through tasks"
  # the limit holds for the program: its fork is refused
  run ! grep -qx "forked" <<< "$output"
  [ "$status" -ne 0 ] || fail "the fork under pids.max 1 succeeded"
  [ -z "$(cg_dirs "$ID_PREFIX-$R-$BATS_TEST_NUMBER")" ]
}

@test "v1 late: an ancestor's pids limit of 1: the init, cloned in cellrun's cgroups, joins below it" {
  need_v1 pids
  local parent=/$ID_PREFIX-$R-anc
  mkdir "$CG/pids$parent"
  echo "$parent" >> "$T/cg-parents"
  echo 1 > "$CG/pids$parent/pids.max"
  cfg_set .linux.cgroupsPath "\"$parent/ct\""
  cfg_args sleep 1000
  create_debug "$ID" || { cat "$T/$ID.err"; false; }
  PID1=$(cat "$T/$ID.pid")
  grep -q "the init joins pids$parent/ct through tasks" "$T/$ID.err" || fail "no join"
  [ "$(cg_of "$PID1" pids)" = "$parent/ct" ]
  [ "$(cat "$CG/pids$parent/ct/tasks")" = "$PID1" ]
  cr delete -f "$ID"
  [ ! -e "$CG/pids$parent/ct" ]
}

@test "v1 late: a limit refused after the clone leaves no cgroup, no process and no state" {
  need_v1 cpuset
  # cpus 999 does not exist: the cpuset.cpus write (after the clone, beside the init's mounts) fails
  CGPATH=/$ID_PREFIX-$R-$BATS_TEST_NUMBER
  cfg_set .linux.cgroupsPath "\"$CGPATH\""
  cfg_set .linux.resources.cpu '{"cpus":"999"}'
  cfg_args true
  run timeout -k 2 30 "$CELLRUN" --root "$ROOT" --debug create --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -ne 0 ]
  assert_contains "$output" "cloned into its cgroup"
  assert_contains "$output" "cpuset.cpus"
  local h
  for h in "$CG"/*/; do [ ! -e "$h${CGPATH#/}" ] || fail "left: $h${CGPATH#/}"; done
  run cr delete -f "$ID"
  no_traces "$ID"
}

@test "v1 late: the init's tasks write refused (a cpuset parent without cpus): one line, nothing left" {
  need_v1 cpuset
  # a new cpuset cgroup copies its parent's cpus and mems; a parent without them makes an empty
  # child, which refuses tasks: the init's own write fails, after the runtime made everything
  local parent=/$ID_PREFIX-$R-empty
  mkdir "$CG/cpuset$parent"
  echo "$parent" >> "$T/cg-parents"
  cfg_set .linux.cgroupsPath "\"$parent/ct\""
  cfg_args true
  run timeout -k 2 30 "$CELLRUN" --root "$ROOT" create --bundle "$BUNDLE" "$ID" < /dev/null
  echo "$output"
  [ "$status" -ne 0 ]
  [ "$output" = "cellrun: join the container's v1 cgroups: No space left on device" ] || fail "not one line: $output"
  local h
  for h in "$CG"/*/; do [ ! -e "$h${parent#/}/ct" ] || fail "left: $h${parent#/}/ct"; done
  [ -z "$(cat "$CG/cpuset$parent/tasks")" ]
  run cr delete -f "$ID"
  no_traces "$ID"
}

# ---------------------------------------------------------------- last

@test "zz: no cgroup of this file's containers is left in any hierarchy" {
  local left
  left=$(cg_dirs "*$R*")
  [ -z "$left" ] || { echo "left now: $left" >&2; false; }
  if [ -s "$CT_TMP/cg-leaks" ]; then
    echo "left behind by earlier tests:" >&2
    cat "$CT_TMP/cg-leaks" >&2
    false
  fi
}
