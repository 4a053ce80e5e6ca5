#!/usr/bin/env bats
# The normal path of every lifecycle verb: spec, create, start, state, kill, delete, run, list,
# features, --version, logging.

load helpers

# A process that reports TERM and USR1 to its stdout and otherwise waits.
# (PID 1 of a pid namespace ignores signals it has no handler for.)
waiter () {
  cfg_args sh -c 'trap "echo got-term; exit 0" TERM; trap "echo got-usr1" USR1; echo started; while :; do sleep 0.1; done'
}

@test "--version prints the version on the first line" {
  run "$CELLRUN" --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^cellrun\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
}

@test "make install honours DESTDIR and PREFIX: cellrun, the profile names and the man page" {
  [ -f "$BUILDDIR/Makefile" ] || skip "no configured build tree at $BUILDDIR"
  run make -C "$BUILDDIR" install DESTDIR="$T/inst" PREFIX=/opt/cr
  echo "$output"
  [ "$status" -eq 0 ]
  local bin=$T/inst/opt/cr/bin
  [ -x "$bin/cellrun" ]
  [ "$(readlink "$bin/cellrun-strict")" = cellrun ]
  [ "$(readlink "$bin/cellrun-balanced")" = cellrun ]
  "$bin/cellrun-strict" --version | grep -q '^cellrun version'
  # rendered from docs/cellrun.1.md: roff, with every verb of the Markdown
  local man=$T/inst/opt/cr/share/man/man1/cellrun.1
  grep -q '^\.TH CELLRUN 1' "$man"
  grep -q '^\.SH VERBS' "$man"
  for verb in create start state kill delete run exec ps pause update events diff commit features; do
    grep -qF "\\fB$verb\\fR" "$man" || { echo "man page lacks $verb" >&2; false; }
  done
}

@test "--help lists the verbs and help VERB describes one" {
  run "$CELLRUN" --help
  [ "$status" -eq 0 ]
  for verb in create start state kill delete run list spec features; do
    assert_contains "$output" "$verb"
  done
  run "$CELLRUN" help create
  [ "$status" -eq 0 ]
  assert_contains "$output" "create"
  assert_contains "$output" "-b"
  assert_contains "$output" "--pid-file"
}

@test "spec writes a valid config.json and refuses to overwrite it" {
  local dir=$T/spec
  mkdir "$dir"
  run "$CELLRUN" spec --bundle "$dir"
  [ "$status" -eq 0 ]
  json_valid < "$dir/config.json"
  [ "$(CFG=$dir/config.json cfg_get .ociVersion | cut -c1-2)" = "1." ]
  [ "$(CFG=$dir/config.json cfg_get .root.path)" = rootfs ]
  CFG=$dir/config.json cfg_get .process.args
  CFG=$dir/config.json cfg_get .linux.namespaces
  cp "$dir/config.json" "$T/before"
  run "$CELLRUN" spec --bundle "$dir"
  [ "$status" -ne 0 ]
  assert_contains "$output" "config.json"
  cmp "$dir/config.json" "$T/before"
}

@test "spec without --bundle writes into the current directory" {
  mkdir "$T/cwd"
  cd "$T/cwd"
  run "$CELLRUN" spec
  [ "$status" -eq 0 ]
  json_valid < "$T/cwd/config.json"
}

@test "spec --rootless adds a user namespace with id mappings" {
  mkdir "$T/rl"
  run "$CELLRUN" spec --rootless --bundle "$T/rl"
  [ "$status" -eq 0 ]
  export CFG=$T/rl/config.json
  cfg_get .linux.namespaces | grep -q '"user"'
  [ "$(cfg_get '.linux.uidMappings[0].size')" -ge 1 ]
  [ "$(cfg_get '.linux.gidMappings[0].size')" -ge 1 ]
  [ "$(cfg_get '.linux.uidMappings[0].containerID')" = 0 ]
}

@test "create leaves a created container whose pid file holds its live host pid" {
  waiter
  run create_ct "$ID"
  [ "$status" -eq 0 ]
  run state_json "$ID"
  [ "$status" -eq 0 ]
  json_valid <<< "$output"
  [ "$(json_get .status <<< "$output")" = created ]
  [ "$(json_get .id <<< "$output")" = "$ID" ]
  [ "$(json_get .bundle <<< "$output")" = "$BUNDLE" ]
  json_get .ociVersion <<< "$output"
  json_get .created <<< "$output"
  local pid
  pid=$(json_get .pid <<< "$output")
  [ "$pid" -gt 1 ]
  [ "$(cat "$T/$ID.pid")" = "$pid" ]
  [ -d "/proc/$pid" ]
  # the user process has not run yet
  [ ! -s "$T/$ID.out" ]
}

@test "start runs the process; kill sends SIGTERM by default; delete removes it" {
  waiter
  create_ct "$ID"
  run cr start "$ID"
  [ "$status" -eq 0 ]
  wait_for_file "$T/$ID.out"
  grep -qx started "$T/$ID.out"
  [ "$(state_field "$ID" status)" = running ]
  run cr kill "$ID"
  [ "$status" -eq 0 ]
  wait_status "$ID" stopped
  grep -qx got-term "$T/$ID.out"
  run cr delete "$ID"
  [ "$status" -eq 0 ]
  run cr list -q
  [ "$status" -eq 0 ]
  if grep -qx "$ID" <<< "$output"; then fail "$ID still listed"; fi
  run cr state "$ID"
  [ "$status" -ne 0 ]
}

@test "the process can write to a bind-mounted host file" {
  mkdir "$T/share"
  cfg_append .mounts "{\"destination\":\"/share\",\"type\":\"bind\",\"source\":\"$T/share\",\"options\":[\"rbind\",\"rw\"]}"
  cfg_args sh -c 'echo from-container > /share/f'
  run run_fg "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$T/share/f")" = from-container ]
}

@test "state of a stopped container has no live pid" {
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  local pid
  pid=$(state_field "$ID" pid || echo 0)
  [ "$pid" -eq 0 ]
}

@test "run in the foreground prints the output and returns the exit status" {
  cfg_args sh -c 'echo hello from run; exit 3'
  run run_fg "$ID"
  [ "$status" -eq 3 ]
  assert_contains "$output" "hello from run"
}

@test "run in the foreground returns 0 for success" {
  in_ct 'true'
  [ "$status" -eq 0 ]
}

@test "run returns 128+N when the process dies from signal N" {
  # without a pid namespace the shell is not an init, so it can SIGKILL itself
  cfg_ns_del pid
  in_ct 'kill -9 $$'
  [ "$status" -eq 137 ]
}

@test "run returns 128+9 when the container is killed with KILL from outside" {
  cfg_args sleep 100
  ( rc=0; run_fg "$ID" > "$T/fg.out" 2>&1 || rc=$?; echo $rc > "$T/fg.rc" ) &
  wait_status "$ID" running
  cr kill "$ID" KILL
  wait
  [ "$(cat "$T/fg.rc")" -eq 137 ]
}

@test "a foreground run leaves the container in the list as stopped until deleted" {
  in_ct 'exit 0'
  [ "$status" -eq 0 ]
  # runc-compatible: run without --rm keeps nothing running; either it is gone or stopped
  if cr state "$ID" >/dev/null 2>&1; then
    [ "$(state_field "$ID" status)" = stopped ]
    cr delete "$ID"
  fi
}

@test "run -d returns while the container keeps running" {
  waiter
  run run_d "$ID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID" status)" = running ]
  wait_for_file "$T/$ID.out"
  [ "$(cat "$T/$ID.pid")" = "$(state_field "$ID" pid)" ]
  cr kill "$ID" KILL
  wait_status "$ID" stopped
  cr delete "$ID"
}

@test "create alone leaves the init waiting in the trampoline until start (no early release)" {
  waiter
  create_ct "$ID"
  local pid
  pid=$(cat "$T/$ID.pid")
  # Time for a wrongly released program to run: it would print "started" at once.
  sleep 0.5
  [[ "$(tr '\0' ' ' < "/proc/$pid/cmdline")" == cellrun-trampoline* ]] || fail "cmdline: $(tr '\0' ' ' < "/proc/$pid/cmdline")"
  [[ "$(readlink "/proc/$pid/exe")" == *memfd:cellrun-trampoline* ]] || fail "exe: $(readlink "/proc/$pid/exe")"
  [ ! -s "$T/$ID.out" ] || fail "the program ran before start: $(cat "$T/$ID.out")"
  [ "$(state_field "$ID" status)" = created ] || fail "status $(state_field "$ID" status)"
  cr start "$ID"
  [ "$(state_field "$ID" status)" = running ] || fail "status after start: $(state_field "$ID" status)"
  wait_for_file "$T/$ID.out"
  grep -qx started "$T/$ID.out"
  cr delete -f "$ID"
}

@test "run: the poststart hook sees the container running with the program exec'd; state says running" {
  cat > "$T/poststart.sh" <<EOF
#!/bin/sh
cat > "$T/poststart.json"
pid=\$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$T/poststart.json")
readlink "/proc/\$pid/exe" > "$T/poststart.exe"
EOF
  chmod 755 "$T/poststart.sh"
  cfg_append .hooks.poststart "{\"path\":\"$T/poststart.sh\",\"timeout\":10}"
  waiter
  run run_d "$ID"
  [ "$status" -eq 0 ] || fail "run -d: $output"
  # The hook ran before run returned, after the program's exec.
  [ "$(json_get .status < "$T/poststart.json")" = running ] || fail "$(cat "$T/poststart.json")"
  local exe
  exe=$(cat "$T/poststart.exe")
  [[ "$exe" != *trampoline* && -n "$exe" ]] || fail "poststart saw exe '$exe'"
  [ "$(state_field "$ID" status)" = running ]
  [ ! -e "$ROOT/$ID/exec.fifo" ] || fail "exec.fifo left after run"
  cr kill "$ID" KILL
  wait_status "$ID" stopped
  cr delete "$ID"
}

@test "run of a program that cannot be exec'd fails with the exec error and leaves no container" {
  cfg_args /no/such/program
  run run_fg "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "exec /no/such/program"
  run cr state "$ID"
  [ "$status" -ne 0 ] || fail "the container is still there: $output"
  [ ! -e "$ROOT/$ID" ] || fail "state dir left: $(ls -A "$ROOT/$ID")"
}

@test "list -q prints ids and --format json is an array of states" {
  waiter
  create_ct "$ID"
  create_ct "$ID2"
  run cr list -q
  [ "$status" -eq 0 ]
  grep -qx "$ID" <<< "$output"
  grep -qx "$ID2" <<< "$output"
  run cr list --format json
  [ "$status" -eq 0 ]
  "$PY" -c '
import json, sys
items = json.loads(sys.argv[1])
ids = {c["id"]: c for c in items}
for i in sys.argv[2:]:
    assert i in ids, i
    assert ids[i]["status"] == "created", ids[i]
' "$output" "$ID" "$ID2"
  run cr list
  [ "$status" -eq 0 ]
  assert_contains "${lines[0]}" "ID"
  assert_contains "$output" "$ID"
}

@test "list on an empty root prints nothing with -q and [] with json" {
  run cr list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run cr list --format json
  [ "$status" -eq 0 ]
  "$PY" -c 'import json,sys; assert json.loads(sys.argv[1]) in ([], None)' "$output"
}

@test "features prints JSON with ociVersionMax" {
  run "$CELLRUN" features
  [ "$status" -eq 0 ]
  json_valid <<< "$output"
  [ "$(json_get .ociVersionMax <<< "$output" | cut -c1-2)" = "1." ]
  json_get .ociVersionMin <<< "$output"
}

@test "--log-format json writes a JSON error line with level, msg and time" {
  run cr --log "$T/log.json" --log-format json state "$ID-nosuch"
  [ "$status" -ne 0 ]
  [ -s "$T/log.json" ]
  "$PY" - "$T/log.json" <<'EOF'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
errors = [l for l in lines if l.get("level") == "error"]
assert errors, lines
e = errors[-1]
assert e["msg"], e
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", e["time"]), e["time"]
EOF
}

@test "--log with text format writes the error to the file" {
  run cr --log "$T/log.txt" state "$ID-nosuch"
  [ "$status" -ne 0 ]
  grep -q "$ID-nosuch" "$T/log.txt"
}

@test "kill accepts SIGKILL, KILL and 9" {
  local sig n=0
  cfg_args sleep 100
  for sig in SIGKILL KILL 9; do
    n=$((n + 1))
    create_ct "$ID-$n"
    cr start "$ID-$n"
    run cr kill "$ID-$n" "$sig"
    [ "$status" -eq 0 ]
    wait_status "$ID-$n" stopped
    cr delete "$ID-$n"
  done
}

@test "kill accepts a lower-case signal name (sigusr1)" {
  waiter
  create_ct "$ID"
  cr start "$ID"
  wait_for_file "$T/$ID.out"
  run cr kill "$ID" sigusr1
  [ "$status" -eq 0 ]
  local i
  for i in $(seq 50); do grep -q got-usr1 "$T/$ID.out" && break; sleep 0.1; done
  grep -q got-usr1 "$T/$ID.out"
  [ "$(state_field "$ID" status)" = running ]
  cr kill "$ID" KILL
  wait_status "$ID" stopped
}

@test "kill --all signals every process of the container" {
  cfg_args sh -c 'sleep 100 & sleep 100'
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" running
  run cr kill --all "$ID" KILL
  [ "$status" -eq 0 ]
  wait_status "$ID" stopped
}

@test "delete --force removes a created (never started) container and its process" {
  waiter
  create_ct "$ID"
  local pid
  pid=$(cat "$T/$ID.pid")
  run cr delete --force "$ID"
  [ "$status" -eq 0 ]
  run cr state "$ID"
  [ "$status" -ne 0 ]
  process_gone "$pid"
}

@test "concurrent create of the same id: exactly one succeeds" {
  waiter
  local x
  for x in a b; do
    ( rc=0; timeout 30 "$CELLRUN" --root "$ROOT" create --bundle "$BUNDLE" "$ID" \
        > "$T/$x.out" 2> "$T/$x.err" < /dev/null || rc=$?; echo $rc > "$T/$x.rc" ) &
  done
  wait
  local a b
  a=$(cat "$T/a.rc") b=$(cat "$T/b.rc")
  echo "rc: $a $b" >&2
  cat "$T/a.err" "$T/b.err" >&2
  if [ "$a" -eq 0 ]; then
    [ "$b" -ne 0 ]
    grep -qi exist "$T/b.err"
  else
    [ "$b" -eq 0 ]
    grep -qi exist "$T/a.err"
  fi
  [ "$(state_field "$ID" status)" = created ]
}

# ---- exec, ps, pause/resume, update on a running container

start_sleeper () {
  cfg_set .hostname '"execbox"'
  cfg_args sleep 1000
  run_d "$ID"
  wait_status "$ID" running
  PID1=$(cat "$T/$ID.pid")
}

@test "exec runs in the container's namespaces and returns the exit status" {
  start_sleeper
  run cr exec "$ID" sh -c 'hostname; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; exit 5' < /dev/null
  [ "$status" -eq 5 ]
  [ "${lines[0]}" = execbox ]
  [ "${lines[1]}" = "$(readlink /proc/$PID1/ns/pid)" ]
  [ "${lines[2]}" = "$(readlink /proc/$PID1/ns/mnt)" ]
}

@test "exec with -e, --cwd and -u" {
  start_sleeper
  run cr exec -e GREETING=hi --cwd /home/user -u 1000:1000 "$ID" sh -c 'echo "$GREETING $(pwd) $(id -u):$(id -g)"' < /dev/null
  [ "$status" -eq 0 ]
  [ "$output" = "hi /home/user 1000:1000" ]
}

@test "exec -p reads a process.json" {
  start_sleeper
  cat > "$T/process.json" <<'JSON'
{"args":["sh","-c","echo from-process-json $X"],"env":["PATH=/bin","X=1"],"cwd":"/","user":{"uid":0,"gid":0}}
JSON
  run cr exec -p "$T/process.json" "$ID" < /dev/null
  [ "$status" -eq 0 ]
  [ "$output" = "from-process-json 1" ]
}

@test "exec into a container that is not running fails" {
  cfg_args true
  create_ct "$ID"
  cr start "$ID"
  wait_status "$ID" stopped
  run cr exec "$ID" true < /dev/null
  [ "$status" -ne 0 ]
  assert_error_line
}

@test "ps lists the container's processes" {
  start_sleeper
  run cr ps --format json "$ID"
  [ "$status" -eq 0 ]
  "$PY" -c 'import json,sys; assert int(sys.argv[2]) in json.loads(sys.argv[1])' "$output" "$PID1"
}

@test "pause freezes the processes and resume thaws them" {
  cfg_args sh -c 'while :; do echo tick; sleep 0.05; done'
  run_d "$ID"
  wait_for_file "$T/$ID.out"
  run cr pause "$ID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID" status)" = paused ]
  local n1 n2 n3
  n1=$(wc -l < "$T/$ID.out")
  sleep 0.5
  n2=$(wc -l < "$T/$ID.out")
  [ "$n1" -eq "$n2" ]
  run cr resume "$ID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$ID" status)" = running ]
  sleep 0.5
  n3=$(wc -l < "$T/$ID.out")
  [ "$n3" -gt "$n2" ]
  cr kill "$ID" KILL
  wait_status "$ID" stopped
}

@test "update --pids-limit changes the container's pids cgroup" {
  start_sleeper
  run cr update --pids-limit 57 "$ID"
  [ "$status" -eq 0 ]
  local rel max
  rel=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$PID1/cgroup")
  if [ -n "$rel" ]; then
    max=$(cat "/sys/fs/cgroup/pids$rel/pids.max")
  else
    rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID1/cgroup")
    max=$(cat "/sys/fs/cgroup/unified$rel/pids.max")
  fi
  [ "$max" = 57 ]
}
