#!/usr/bin/env bats
# Terminals and stdio: `run`/`exec -t` driven through a real pty (tests/tools/ptyrun.py), the
# --console-socket hand-off (tests/tools/console_recv.py), and plain pipes.

load helpers

TOOLS=$BATS_TEST_DIRNAME/tools

# ptyrun [ptyrun flags] -- CMD...: run CMD on a fresh pty; output (with \r\n as \n) on stdout.
ptyrun () { timeout -k 2 30 "$PY" "$TOOLS/ptyrun.py" "$@"; }

# console_recv SOCKET OUT [flags]: start the receiver in the background (RECV is its pid) and
# wait until it listens.
console_recv () {
  "$PY" "$TOOLS/console_recv.py" "$@" &
  RECV=$!
  local i
  for i in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
  echo "console_recv did not listen on $1" >&2
  return 1
}

# a terminal container in the foreground, as typed at a shell
run_on_pty () {
  local id=$1; shift
  ptyrun "$@" -- "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$id"
}

start_ct () {
  cfg_args sleep 300
  run_d "$ID"
}

# ------------------------------------------------------------------ run with process.terminal

@test "run with terminal=true on a pty: the process has a /dev/pts tty of the outer size; status propagates" {
  cfg_set .process.terminal true
  cfg_args sh -c 'tty; stty size; test -t 0 && test -t 1 && test -t 2 && echo all-tty; exit 5'
  run run_on_pty "$ID" --rows 33 --cols 101
  [ "$status" -eq 5 ]
  [[ "$output" =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) ]]
  assert_contains "$output" "33 101"
  assert_contains "$output" all-tty
  no_traces "$ID"
}

@test "run with terminal=true: typed input reaches the process, its output comes back" {
  cfg_set .process.terminal true
  cfg_args sh -c 'echo prompt; read line; echo "got:$line"; exit 3'
  run run_on_pty "$ID" --input 'hello-tty\n'
  [ "$status" -eq 3 ]
  assert_contains "$output" "got:hello-tty"
}

@test "run with terminal=true and no tty on our side still relays output and exits" {
  cfg_set .process.terminal true
  cfg_args sh -c 'tty; echo no-outer-tty; exit 4'
  run run_fg "$ID"
  [ "$status" -eq 4 ]
  assert_contains "$output" no-outer-tty
  assert_contains "$output" /dev/pts/
}

# term_signal_check CELLRUN-ARGS...: run cellrun under a pty; once the process (a TERM trap
# that prints got-term and exits 9) says ready, send TERM to cellrun itself and expect the
# trap to fire and its status to come back.
term_signal_check () {
  "$PY" "$TOOLS/ptyrun.py" --timeout 8 -- "$CELLRUN" --root "$ROOT" "$@" > "$T/pty.out" &
  local pty=$! rc=0 cli i
  for i in $(seq 100); do grep -q ready "$T/pty.out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$T/pty.out"
  cli=$(pgrep -P "$pty")
  [ -n "$cli" ]
  kill -TERM "$cli"
  wait "$pty" || rc=$?
  cat "$T/pty.out"
  grep -q got-term "$T/pty.out"
  [ "$rc" -eq 9 ]
}

# The process of `run` must not inherit the mask `run` blocks its signals with (to forward
# them); see process_exec.
@test "a signal to run with a terminal reaches the process" {
  cfg_set .process.terminal true
  cfg_args sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  term_signal_check run --bundle "$BUNDLE" "$ID"
}

@test "create --console-socket then start: the receiver gets the master, consoleSize applies" {
  cfg_set .process.terminal true
  cfg_set .process.consoleSize '{"height":20,"width":70}'
  cfg_args sh -c 'tty; stty size; read line; echo "got:$line"; exit 2'
  console_recv "$T/console.sock" "$T/console.out" --input 'through-socket\n'
  create_ct "$ID" --console-socket "$T/console.sock"
  [ "$(state_field "$ID" status)" = created ]
  cr start "$ID"
  wait "$RECV"
  cat "$T/console.out"
  grep -Eqx '/dev/pts/[0-9]+' "$T/console.out"
  grep -qx '20 70' "$T/console.out"
  grep -qx 'got:through-socket' "$T/console.out"
  grep -Eqx 'pts [0-9]+' "$T/console.out.info"
  wait_status "$ID" stopped
  # nothing of the terminal went to the stdio create was given
  [ ! -s "$T/$ID.out" ]
}

@test "create with terminal=true and neither a console socket nor a foreground run fails clearly" {
  cfg_set .process.terminal true
  run create_ct "$ID"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" console-socket
}

@test "create --console-socket naming no listening socket fails clearly" {
  cfg_set .process.terminal true
  run create_ct "$ID" --console-socket "$T/nobody.sock"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" nobody.sock
}

# ------------------------------------------------------------------ exec -t

@test "exec -t on a pty: a /dev/pts tty of the outer size; status propagates" {
  start_ct
  run ptyrun --rows 40 --cols 120 -- "$CELLRUN" --root "$ROOT" exec -t "$ID" sh -c 'tty; stty size; exit 6'
  [ "$status" -eq 6 ]
  [[ "$output" =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) ]]
  assert_contains "$output" "40 120"
}

@test "exec -t on a pty: an interactive shell reads what is typed" {
  start_ct
  run ptyrun --input 'echo typed-$((6*7))\nexit 3\n' -- "$CELLRUN" --root "$ROOT" exec -t "$ID" sh
  [ "$status" -eq 3 ]
  assert_contains "$output" typed-42
}

@test "a signal to exec -t reaches the process" {
  start_ct
  term_signal_check exec -t "$ID" sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
}

# ------------------------------------------------------------------ stdio without a terminal

@test "run passes stdin through pipes; stdout and stderr stay separate" {
  cfg_args sh -c 'cat; echo to-stderr >&2'
  printf 'line one\nline two\n' | timeout -k 2 30 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" \
    > "$T/out" 2> "$T/err"
  [ "$(cat "$T/out")" = "$(printf 'line one\nline two')" ]
  [ "$(cat "$T/err")" = to-stderr ]
}

@test "run copies a megabyte of binary data through unchanged" {
  head -c 1048576 /dev/urandom > "$T/data"
  cfg_args cat
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" < "$T/data" > "$T/copy"
  cmp "$T/data" "$T/copy"
}

@test "run with a closed stdin: the process sees EOF or EBADF and does not hang" {
  cfg_args sh -c 'cat; echo cat-done'
  local rc=0
  # not under `run`: bash would put the read end of run's own output pipe on the closed fd 0
  timeout -k 2 20 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" <&- > "$T/out" 2>&1 || rc=$?
  cat "$T/out"
  [ "$rc" -eq 0 ]
  grep -qx cat-done "$T/out"
}

@test "a signal to run without a terminal reaches the process" {
  cfg_args sh -c 'trap "echo got-usr1" USR1; trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" > "$T/fg.out" 2>&1 < /dev/null &
  local cli=$! rc=0 i
  wait_for_file "$T/fg.out"
  kill -USR1 "$cli"
  for i in $(seq 30); do grep -q got-usr1 "$T/fg.out" && break; sleep 0.1; done
  kill -TERM "$cli"
  for i in $(seq 30); do kill -0 "$cli" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$cli" 2>/dev/null; then cr kill "$ID" KILL || true; kill -9 "$cli" 2>/dev/null || true; fi
  wait "$cli" || rc=$?
  cat "$T/fg.out"
  grep -qx got-usr1 "$T/fg.out"
  grep -qx got-term "$T/fg.out"
  [ "$rc" -eq 9 ]
}

# With process.terminal false the init leads a session of its own (tests/tty_hijack.bats), so
# the caller's terminal no longer signals it directly: Ctrl-C and a kill of `run` reach it
# because `run` forwards them.
@test "Ctrl-C typed at the caller's terminal reaches a terminal=false process through run" {
  cfg_args sh -c 'trap "echo got-int; exit 7" INT; echo ready; while :; do sleep 0.1; done'
  run run_on_pty "$ID" --input $'\x03'
  echo "$output"
  [ "$status" -eq 7 ]
  assert_contains "$output" got-int
  no_traces "$ID"
}

@test "a signal to run on a pty with terminal=false reaches the process" {
  cfg_args sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  term_signal_check run --bundle "$BUNDLE" "$ID"
}

@test "Ctrl-C typed at the caller's terminal reaches a terminal=true process through its pty" {
  cfg_set .process.terminal true
  cfg_args sh -c 'trap "echo got-int; exit 7" INT; echo ready; while :; do sleep 0.1; done'
  run run_on_pty "$ID" --input $'\x03'
  echo "$output"
  [ "$status" -eq 7 ]
  assert_contains "$output" got-int
}

@test "exec -t returns when its process exits, even if a background child keeps the pty open" {
  start_ct
  local t0 t1
  t0=$(date +%s%N)
  run ptyrun --timeout 10 -- "$CELLRUN" --root "$ROOT" exec -t "$ID" sh -c 'sleep 60 & echo bg-started; exit 2'
  t1=$(date +%s%N)
  [ "$status" -eq 2 ]
  assert_contains "$output" bg-started
  (( (t1 - t0) / 1000000 < 5000 ))
}

@test "exec -t loses no output written just before the exit" {
  start_ct
  run ptyrun -- "$CELLRUN" --root "$ROOT" exec -t "$ID" seq 1 50000
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 50000 ]
  [ "${lines[49999]}" = 50000 ]
}
