#!/usr/bin/env bats
# Leaks and races (issue 12): create/start/delete cycles and exec loops leave no fd, mount,
# cgroup, state dir or zombie; parallel creates of distinct ids all succeed, of one id have
# exactly one winner; concurrent delete -f/kill/exec never crash or hang; valgrind finds no
# definite leak in the lifecycle verbs.
# Counts: the CI count by default, the full count with CELLRUN_LONG=1 (`make check-long`).

load helpers

long () { [ "${CELLRUN_LONG:-0}" = 1 ]; }
count () { if long; then echo "$2"; else echo "$1"; fi; }

# The probe a container runs to show its open fds: `ls -d` of /proc/self/fd/0..63 stats each
# path without opening a directory, so the listing is exactly the fds the process inherited.
FD_PROBE=()
for _n in $(seq 0 63); do FD_PROBE+=("/proc/self/fd/$_n"); done
unset _n

# fd_count PID: open fds of a host process.
fd_count () { ls "/proc/$1/fd" | wc -l; }

# exec_runtime_fds: open fds of a `cellrun exec $ID sleep 1` while its process runs.
exec_runtime_fds () {
  local p n
  "$CELLRUN" --root "$ROOT" exec "$ID" sleep 1 < /dev/null > /dev/null 2>&1 &
  p=$!
  sleep 0.5
  n=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
  wait "$p" || true
  echo "$n"
}

# ct_pid ID: the init pid from `state`.
ct_pid () { state_field "$1" pid; }

# zombies_in_pidns PID: processes in PID's pid namespace (PID excluded) that are zombies,
# as "pid state comm" lines; empty when there are none.
zombies_in_pidns () {
  local ns p st
  ns=$(readlink "/proc/$1/ns/pid") || return 0
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$1" ] && continue
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
    st=$(awk '/^State:/ { print $2 }' "$p/status" 2>/dev/null) || continue
    [ "$st" = Z ] && echo "${p#/proc/} $st $(cat "$p/comm" 2>/dev/null)"
  done
  return 0
}

# procs_in_pidns PID: how many processes share PID's pid namespace (PID included).
procs_in_pidns () {
  local ns p n=0
  ns=$(readlink "/proc/$1/ns/pid") || { echo 0; return 0; }
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && n=$((n + 1))
  done
  echo "$n"
}

# alive_in_ns NS [list]: succeeds when, within 3 s, no live (non-zombie) process is in pid
# namespace NS (a readlink of /proc/PID/ns/pid); with `list`, prints the ones there are.
alive_in_ns () {
  local i p left
  for i in $(seq 30); do
    left=
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] || continue
      [ "$(awk '/^State:/ { print $2 }' "$p/status" 2>/dev/null)" = Z ] && continue
      left="$left ${p#/proc/}($(cat "$p/comm" 2>/dev/null))"
    done
    [ -n "${2:-}" ] && { echo "$left"; return 0; }
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  return 1
}

# race_dump NS: what a hung race left (for the failure message): the verbs' errors, the
# container's freezer state, status, and every process in pid namespace NS with its state.
race_dump () {
  local p f
  for f in "$T"/r*.err; do [ -s "$f" ] && echo "${f##*/}: $(cat "$f")" >&2; done
  for f in $(find /sys/fs/cgroup -maxdepth 6 -name freezer.state -path "*$ID*" 2>/dev/null); do
    echo "$f: $(cat "$f")" >&2
  done
  echo "state: $(state_field "$ID" status 2>&1)" >&2
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] || continue
    echo "in the container: ${p#/proc/} $(tr '\0' ' ' < "$p/cmdline") $(awk '/^State:/ { print $2 }' "$p/status")" >&2
  done
  return 0
}

# our_cgroups: cgroup directories (any hierarchy) named after one of this file's ids.
our_cgroups () { find /sys/fs/cgroup -maxdepth 6 -type d -name "*$ID_PREFIX-${CT_TMP##*.}*" 2>/dev/null; }
our_mounts () { grep -cF -e "$CT_TMP" -e "$ID_PREFIX" /proc/self/mountinfo || true; }

# no_sanitizer_report FILE...: fails (prints the lines) when a sanitizer or a crash spoke.
# In the sanitizer build (.ci/run's second pass) every verb's stderr is checked with it, so
# LeakSanitizer covers the verbs valgrind cannot simulate (create, exec, kill).
no_sanitizer_report () {
  if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer|Segmentation|core dumped' "$@" >&2; then
    return 1
  fi
  return 0
}

@test "create/start/delete cycles leave no fd, mount, cgroup, process or state dir" {
  local n i id pid fds host_fds pids=()
  n=$(count 100 1000)
  cfg_args sleep 1000
  host_fds=$(fd_count $$)
  for i in $(seq "$n"); do
    id=$ID-c$i
    create_ct "$id" 2>> "$T/errs" || fail "cycle $i: create failed: $(cat "$T/$id.err")"
    cr start "$id" 2>> "$T/errs" || fail "cycle $i: start failed"
    pid=$(cat "$T/$id.pid")
    pids+=("$pid")
    # the init holds exactly its stdio: no fd of the runtime leaked into it
    fds=$(ls "/proc/$pid/fd" | tr '\n' ' ')
    [ "$fds" = "0 1 2 " ] || fail "cycle $i: init $pid holds fds [$fds]"
    cr delete -f "$id" 2>> "$T/errs" || fail "cycle $i: delete -f failed"
    [ ! -e "$ROOT/$id" ] || fail "cycle $i: state dir $ROOT/$id left"
    rm -f "$T/$id.out" "$T/$id.err"
  done
  [ ! -s "$T/errs" ] || fail "stderr: $(cat "$T/errs")"
  # nothing accumulates on the host
  [ -z "$(ls -A "$ROOT")" ] || fail "left under --root: $(ls -A "$ROOT")"
  # (the host's mount count is not compared: other suites may mount in parallel; every mount
  # a container makes on the host side lies under the test tree or names its id)
  [ "$(our_mounts)" -eq 0 ] || fail "a mount names the test tree: $(grep -F -e "$CT_TMP" -e "$ID_PREFIX" /proc/self/mountinfo)"
  [ -z "$(our_cgroups)" ] || fail "cgroups left: $(our_cgroups | head)"
  [ "$(fd_count $$)" -eq "$host_fds" ] || fail "the test shell's fds changed"
  for pid in "${pids[@]}"; do process_gone "$pid" || fail "init $pid still alive"; done
  echo "# $n cycles" >&3
}

@test "execs into one container: exact fds in every exec, no fd growth in the init, no zombies" {
  local m i pid fd0 rt0 out
  m=$(count 100 500)
  cfg_args sleep 1000
  create_ct "$ID"
  cr start "$ID"
  pid=$(cat "$T/$ID.pid")
  fd0=$(fd_count "$pid")
  rt0=$(exec_runtime_fds)
  for i in $(seq "$m"); do
    # ls fails for the fds that are not open: only its stdout (the open ones) matters
    cr exec "$ID" ls -d "${FD_PROBE[@]}" > "$T/ls.$i" 2> "$T/ls.$i.err" < /dev/null || true
  done
  # in the sanitizer build, LeakSanitizer reports a leak of `cellrun exec` on its stderr
  no_sanitizer_report "$T"/ls.*.err || fail "sanitizer report from cellrun exec"
  for i in $(seq "$m"); do
    out=$(tr '\n' ' ' < "$T/ls.$i")
    [ "$out" = "/proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 " ] ||
      fail "exec $i: the process held [$out]"
  done
  # the same with a preserved fd: 0,1,2 and fd 3, nothing more
  out=$(cr exec --preserve-fds 1 "$ID" ls -d "${FD_PROBE[@]}" 3< /dev/null 2> /dev/null | tr '\n' ' ') || true
  [ "$out" = "/proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 /proc/self/fd/3 " ] ||
    fail "exec --preserve-fds 1: the process held [$out]"
  [ "$(fd_count "$pid")" -eq "$fd0" ] || fail "init fds grew: $fd0 -> $(fd_count "$pid")"
  run zombies_in_pidns "$pid"
  [ -z "$output" ] || fail "zombies in the container: $output"
  [ "$(procs_in_pidns "$pid")" -eq 1 ] || fail "processes left in the container: $(procs_in_pidns "$pid")"
  # the runtime's own fds do not grow with the loop: a `cellrun exec` after the loop holds as
  # many fds (measured on the host while it waits for its process) as one before it did
  [ "$(exec_runtime_fds)" -eq "$rt0" ] || fail "cellrun exec held $rt0 fds before the loop, more after"
  echo "# $m execs; init fds $fd0 before and after" >&3
  cr delete -f "$ID"
  no_traces "$ID"
}

@test "32 parallel creates of distinct ids all succeed and leave nothing after delete -f" {
  local i rc failed=0 pids=()
  cfg_args sleep 1000
  for i in $(seq 32); do
    create_ct "$ID-p$i" 2> /dev/null &
    pids+=($!)
  done
  for i in $(seq 32); do
    wait "${pids[i - 1]}" && rc=0 || rc=$?
    [ "$rc" -eq 0 ] || { failed=$((failed + 1)); echo "create $ID-p$i: rc $rc: $(cat "$T/$ID-p$i.err")" >&2; }
  done
  [ "$failed" -eq 0 ] || fail "$failed of 32 parallel creates failed"
  no_sanitizer_report "$T/$ID"-p*.err || fail "sanitizer report from cellrun create"
  for i in $(seq 32); do
    [ "$(state_field "$ID-p$i" status)" = created ] || fail "$ID-p$i is not created"
    [ "$(state_field "$ID-p$i" pid)" = "$(cat "$T/$ID-p$i.pid")" ] || fail "$ID-p$i: pid mismatch"
  done
  [ "$(cr list -q | grep -c "^$ID-p")" -eq 32 ] || fail "list shows $(cr list -q | grep -c "^$ID-p")"
  for i in $(seq 32); do cr delete -f "$ID-p$i" 2> "$T/d$i.err" & done
  wait
  no_sanitizer_report "$T"/d*.err || fail "sanitizer report from cellrun delete"
  for i in $(seq 32); do no_traces "$ID-p$i"; done
}

@test "parallel creates of one id: exactly one winner, losers get one error line and leave nothing" {
  local trials t j rc winners pid wpid line pids=()
  trials=$(count 10 100)
  cfg_args sleep 1000
  for t in $(seq "$trials"); do
    pids=()
    for j in $(seq 8); do
      timeout -k 2 30 "$CELLRUN" --root "$ROOT" create --bundle "$BUNDLE" --pid-file "$T/w$j.pid" \
        "$ID" > /dev/null 2> "$T/w$j.err" < /dev/null &
      pids+=($!)
    done
    winners=0 wpid=
    for j in $(seq 8); do
      wait "${pids[j - 1]}" && rc=0 || rc=$?
      if [ "$rc" -eq 0 ]; then
        winners=$((winners + 1))
        wpid=$(cat "$T/w$j.pid")
        [ ! -s "$T/w$j.err" ] || fail "trial $t: the winner printed: $(cat "$T/w$j.err")"
      else
        [ "$rc" -lt 124 ] || fail "trial $t: create $j exit $rc (timeout or signal)"
        [ "$(wc -l < "$T/w$j.err")" -eq 1 ] || fail "trial $t: loser $j printed: $(cat "$T/w$j.err")"
        line=$(cat "$T/w$j.err")
        [[ "$line" =~ ^cellrun:\ .+:\ .+ ]] || fail "trial $t: loser $j: not an error line: $line"
        assert_contains "$line" "already exists"
        # a loser's pid file, if any, names no live process
        if [ -s "$T/w$j.pid" ]; then
          pid=$(cat "$T/w$j.pid")
          process_gone "$pid" || fail "trial $t: loser $j left process $pid"
        fi
      fi
    done
    [ "$winners" -eq 1 ] || fail "trial $t: $winners winners"
    # the losers did not touch the winner's container
    [ "$(state_field "$ID" status)" = created ] || fail "trial $t: winner's container is not created"
    [ "$(state_field "$ID" pid)" = "$wpid" ] || fail "trial $t: state pid is not the winner's"
    [ "$(procs_in_pidns "$wpid")" -eq 1 ] || fail "trial $t: more than the init in the container"
    # one cgroup per hierarchy, each holding the winner's init
    local d ncg=0
    for d in $(find /sys/fs/cgroup -maxdepth 6 -type d -name "$ID" 2>/dev/null); do
      grep -qx "$wpid" "$d/cgroup.procs" || fail "trial $t: $d does not hold the winner's init"
      ncg=$((ncg + 1))
    done
    [ "$ncg" -eq "$(wc -l < /proc/self/cgroup)" ] || fail "trial $t: $ncg cgroups for $ID"
    cr delete -f "$ID"
    process_gone "$wpid" || fail "trial $t: init survived delete -f"
    no_traces "$ID"
    rm -f "$T"/w*.pid "$T"/w*.err
  done
  echo "# $trials trials of 8 parallel creates" >&3
}

@test "concurrent delete -f, kill, exec, start, pause on one container: no crash, no hang, nothing left" {
  local trials t j rc pid pidns pids=() names=()
  trials=$(count 10 100)
  cfg_args sleep 1000
  for t in $(seq "$trials"); do
    create_ct "$ID"
    # a third of the trials race a created container, a third a running one, a third a paused one
    case $((t % 3)) in
      1) cr start "$ID" ;;
      2) cr start "$ID" && cr pause "$ID" ;;
    esac
    pid=$(cat "$T/$ID.pid")
    pidns=$(readlink "/proc/$pid/ns/pid")
    pids=() names=()
    for j in $(seq 10); do
      case $j in
        1 | 5) set -- delete -f "$ID" ;;
        2) set -- kill "$ID" KILL ;;
        3) set -- kill --all "$ID" TERM ;;
        4) set -- exec "$ID" true ;;
        6) set -- exec "$ID" sleep 1 ;;
        7) set -- state "$ID" ;;
        8) set -- start "$ID" ;;
        9) set -- pause "$ID" ;;
        10) set -- resume "$ID" ;;
      esac
      timeout -k 2 20 "$CELLRUN" --root "$ROOT" "$@" > /dev/null 2> "$T/r$j.err" < /dev/null &
      pids+=($!) names+=("$*")
    done
    # A foreground exec whose process a racing pause froze waits, as it must (runc's does too),
    # until something thaws the container: the other verbs are waited for first, then one
    # resume thaws whatever the race left paused, and only then the two execs must end.
    for j in 1 2 3 5 7 8 9 10 resume 4 6; do
      if [ "$j" = resume ]; then
        "$CELLRUN" --root "$ROOT" resume "$ID" > /dev/null 2>&1 || true
        continue
      fi
      wait "${pids[j - 1]}" && rc=0 || rc=$?
      [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || { race_dump "$pidns"; fail "trial $t: '${names[j - 1]}' hung"; }
      [ "$rc" -lt 128 ] || fail "trial $t: '${names[j - 1]}' died of signal $((rc - 128))"
      if [ "$rc" -ne 0 ]; then
        # a loser of the race says why in one line
        [ "$(wc -l < "$T/r$j.err")" -le 1 ] || fail "trial $t: '${names[j - 1]}' printed: $(cat "$T/r$j.err")"
      fi
    done
    no_sanitizer_report "$T"/r*.err || fail "trial $t: sanitizer report"
    # whatever order they ran in, a last delete -f leaves nothing
    cr delete -f "$ID" 2> "$T/r0.err" || true
    no_sanitizer_report "$T/r0.err" || fail "trial $t: sanitizer report"
    process_gone "$pid" || fail "trial $t: init $pid survived"
    # nor did an exec that raced the delete stay behind in the container's pid namespace
    alive_in_ns "$pidns" || fail "trial $t: processes left in the container: $(alive_in_ns "$pidns" list)"
    no_traces "$ID"
    rm -f "$T"/r*.err "$T/$ID.pid"
  done
  echo "# $trials trials" >&3
}

@test "pause and resume hold the container's lock from the status check to the freeze" {
  # A pause that read "running", then let a `delete -f` kill the container before it froze
  # it, left it frozen with SIGKILL pending: the init could not die, delete -f failed after
  # 5 s and an exec into it hung (seen once in 100 trials of the test above). pause now takes
  # the state dir's lock exclusively for its whole run, so it waits even for a shared holder
  # (another verb reading the state); before the fix it only took a shared lock for the read.
  local t0 t1
  cfg_args sleep 1000
  create_ct "$ID"
  cr start "$ID"
  flock -s "$ROOT/$ID" sleep 1.5 &
  sleep 0.3
  t0=$(date +%s%N)
  cr pause "$ID"
  t1=$(date +%s%N)
  wait
  [ $(((t1 - t0) / 1000000)) -ge 800 ] || fail "pause did not wait for the lock ($(((t1 - t0) / 1000000)) ms)"
  [ "$(state_field "$ID" status)" = paused ]
  flock -s "$ROOT/$ID" sleep 1.5 &
  sleep 0.3
  t0=$(date +%s%N)
  cr resume "$ID"
  t1=$(date +%s%N)
  wait
  [ $(((t1 - t0) / 1000000)) -ge 800 ] || fail "resume did not wait for the lock"
  [ "$(state_field "$ID" status)" = running ]
  cr delete -f "$ID"
  no_traces "$ID"
}

@test "delete -f kills a container that was frozen behind the runtime's back" {
  # the freezer written directly (not by `cellrun pause`): delete -f still thaws and kills it
  local pid fz
  cfg_args sleep 1000
  create_ct "$ID"
  cr start "$ID"
  pid=$(cat "$T/$ID.pid")
  fz=$(find /sys/fs/cgroup/freezer -maxdepth 5 -type d -name "$ID" 2>/dev/null | head -1)
  [ -n "$fz" ] || skip "no v1 freezer cgroup for the container"
  echo FROZEN > "$fz/freezer.state"
  run cr delete -f "$ID"
  [ "$status" -eq 0 ] || fail "delete -f of a frozen container: $output"
  process_gone "$pid" || fail "init $pid survived"
  no_traces "$ID"
}

# ---------------------------------------------------------------- valgrind

# The valgrind run is for the plain build: an ASan binary (its dynamic symbols name
# __asan_init; configure --enable-asan) cannot run under memcheck, and LeakSanitizer checks it
# in the sanitizer pass of .ci/run instead.
is_asan_build () { grep -qa __asan_init "$CELLRUN"; }

# vg NAME VERB...: one cellrun verb under memcheck, logs in $T/vg/NAME.<pid>, exit status in
# $T/vg/NAME.rc. CELLRUN_UNSAFE_NO_SEAL=1: no re-exec from a sealed memfd (src/linux/selfexe.c),
# which valgrind would not follow with --trace-children=no. Forked children (the init until
# it execs the container process) stay under memcheck; what they exec does not.
vg () {
  local name=$1 rc
  shift
  CELLRUN_UNSAFE_NO_SEAL=1 timeout -k 5 120 valgrind -q --trace-children=no --leak-check=full \
    --errors-for-leak-kinds=definite --error-exitcode=99 --suppressions="$T/vg.supp" \
    --log-file="$T/vg/$name.%p" "$CELLRUN" --root "$ROOT" "$@" > "$T/vg/$name.out" 2> "$T/vg/$name.err" < /dev/null &&
    rc=0 || rc=$?
  echo "$rc" > "$T/vg/$name.rc"
  return 0
}

# vg_ok NAME: the verb exited 0 (memcheck would have made it 99 on an error or definite leak).
vg_ok () {
  [ "$(cat "$T/vg/$1.rc")" -eq 0 ] || fail "valgrind $1: exit $(cat "$T/vg/$1.rc"): $(cat "$T/vg/$1.err" "$T/vg/$1".[0-9]*)"
}

# vg_unsimulated NAME: valgrind met a syscall it does not know (3.19 lacks openat2 and
# pidfd_open), so the verb failed there: its error path is still leak-checked.
vg_unsimulated () { grep -qs 'unhandled amd64-linux syscall' "$T/vg/$1".[0-9]*; }

@test "valgrind: the lifecycle verbs have no definite leak and no memory error" {
  command -v valgrind > /dev/null || skip "valgrind is not installed"
  is_asan_build && skip "sanitizer build: LeakSanitizer checks it"
  mkdir -p "$T/vg"
  # mount(2) with a NULL filesystem type (bind and remount) is valid; memcheck flags it
  cat > "$T/vg.supp" <<'SUPP'
{
   mount-null-type
   Memcheck:Param
   mount(type)
   fun:mount
}
SUPP
  cfg_args sleep 1000
  mkdir -p "$T/spec"
  vg spec spec --bundle "$T/spec"
  vg_ok spec
  json_valid < "$T/spec/config.json"
  vg create create --bundle "$BUNDLE" "$ID"
  local verb partial=
  if vg_unsimulated create; then
    partial="create"
    cr delete -f "$ID" 2> /dev/null || true
    create_ct "$ID"
  else
    vg_ok create
  fi
  vg start start "$ID"
  vg_ok start
  [ "$(state_field "$ID" status)" = running ]
  vg state state "$ID"
  vg_ok state
  json_valid < "$T/vg/state.out"
  vg list list
  vg_ok list
  assert_contains "$(cat "$T/vg/list.out")" "$ID"
  vg ps ps "$ID"
  vg_ok ps
  vg pause pause "$ID"
  vg_ok pause
  vg resume resume "$ID"
  vg_ok resume
  vg events events --stats "$ID"
  vg_ok events
  vg update update --pids-limit 100 "$ID"
  vg_ok update
  vg exec exec "$ID" true
  if vg_unsimulated exec; then partial="$partial exec"; else vg_ok exec; fi
  vg kill kill "$ID" KILL
  if vg_unsimulated kill; then
    partial="$partial kill"
    cr kill "$ID" KILL
  else
    vg_ok kill
  fi
  process_gone "$(cat "$T/$ID.pid")"
  vg delete delete "$ID"
  if vg_unsimulated delete; then partial="$partial delete"; else vg_ok delete; fi
  cr delete -f "$ID" 2> /dev/null || true
  # a failed verb: the error path frees what it took
  vg missing state "$ID-none"
  [ "$(cat "$T/vg/missing.rc")" -eq 1 ] || fail "state of a missing container: exit $(cat "$T/vg/missing.rc")"
  # every process valgrind watched (forked children included): no definite leak, no error
  if grep -l -E 'definitely lost|Invalid (read|write|free)|uninitialised|Mismatched free' "$T/vg/"*.[0-9]* >&2; then
    grep -h -A12 -E 'definitely lost|Invalid (read|write|free)|uninitialised|Mismatched free' "$T/vg/"*.[0-9]* >&2
    fail "memcheck found errors"
  fi
  echo "# valgrind $(valgrind --version): verbs failing on an unknown syscall (error path checked): ${partial:-none}" >&3
  no_traces "$ID"
}
