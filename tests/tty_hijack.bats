#!/usr/bin/env bats
# The caller's terminal (issue 9, finding 3): with process.terminal false the container gets the
# caller's tty as stdin, but must never own it. Each test runs cellrun as the foreground job of
# a "shell" on a pty the test owns (tests/tools/ttyshell.py), lets the container attack fd 0,
# and checks the terminal afterwards, where the damage would land: what waits in its input
# queue (what the shell would run next) and who is its foreground process group.

load helpers

TOOLS=$BATS_TEST_DIRNAME/tools

# on_tty CMD...: run CMD as a foreground job on a fresh pty; the report (JSON) in $output,
# the job's stdout/stderr in $T/job.out, $T/job.err.
on_tty () {
  run timeout -k 2 40 "$PY" "$TOOLS/ttyshell.py" --timeout 30 "$T/job.out" "$T/job.err" -- "$@"
  cat "$T/job.out" "$T/job.err" >&2 || true
  echo "report: $output" >&2
  [ "$status" -eq 0 ] || fail "ttyshell failed ($status)"
}

report () { json_get ".$1" <<< "$output"; }

setup () {
  cellrun_setup
  have_sysprobe || skip "tests/probes/sysprobe not built"
}

# The text a keyboard would type: a command that leaves a file on the host if a shell runs it.
inject_text () { printf 'touch %s\n' "$T/PWNED"; }

@test "no profile: the container cannot type into the caller's terminal with TIOCSTI" {
  cfg_args sysprobe tty-inject "$(inject_text)"
  on_tty "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  [ "$(report status)" = 0 ] || fail "run failed"
  grep -Eqx 'tty-inject (EPERM|EIO|ENOTTY)' "$T/job.out" || fail "TIOCSTI on the caller's tty was not refused"
  [ "$(report pending)" = "" ] || fail "bytes were injected into the terminal's input"
  [ ! -e "$T/PWNED" ]
  no_traces "$ID"
}

@test "no profile: the container's init has no controlling terminal" {
  cfg_args sysprobe tty-ctty
  on_tty "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  grep -qx 'tty-ctty ENXIO' "$T/job.out" || fail "/dev/tty opened: the init still has a controlling tty"
}

@test "no profile: the container cannot take the caller's terminal's foreground" {
  cfg_args sysprobe tty-foreground
  on_tty "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  grep -qx 'tcsetpgrp ENOTTY' "$T/job.out" || fail "tcsetpgrp on the caller's tty was not refused"
  [ "$(report fg_ok)" = true ] || fail "the terminal's foreground group changed"
}

@test "strict: setpgid + tcsetpgrp(0) fails with ENOTTY and the foreground stays the runtime's" {
  cfg_args sysprobe tty-foreground
  on_tty "$CELLRUN" --root "$ROOT" --profile strict run --bundle "$BUNDLE" "$ID"
  [ "$(report status)" = 0 ] || fail "run failed"
  grep -qx 'tcsetpgrp ENOTTY' "$T/job.out" || fail "tcsetpgrp on the caller's tty was not refused"
  [ "$(report fg_ok)" = true ] || fail "the terminal's foreground group changed"
  [ "$(report pending)" = "" ]
  no_traces "$ID"
}

@test "exec without -t: the process cannot type into or take over the caller's terminal" {
  cfg_args sleep 300
  run_d "$ID"
  on_tty "$CELLRUN" --root "$ROOT" exec "$ID" sh -c "sysprobe tty-inject '$(inject_text)'; sysprobe tty-foreground; true"
  grep -Eqx 'tty-inject (EPERM|EIO|ENOTTY)' "$T/job.out" || fail "TIOCSTI on the caller's tty was not refused"
  grep -qx 'tcsetpgrp ENOTTY' "$T/job.out" || fail "tcsetpgrp on the caller's tty was not refused"
  [ "$(report pending)" = "" ]
  [ "$(report fg_ok)" = true ]
}

@test "create then start from the terminal: the container cannot type into it either" {
  cfg_args sysprobe tty-inject "$(inject_text)"
  # The job lasts until the container's init is gone, so the report sees all it did.
  on_tty sh -c "'$CELLRUN' --root '$ROOT' create --pid-file '$T/$ID.pid' --bundle '$BUNDLE' '$ID' &&
    '$CELLRUN' --root '$ROOT' start '$ID' && while kill -0 \$(cat '$T/$ID.pid') 2>/dev/null; do sleep 0.1; done"
  [ "$(report status)" = 0 ] || fail "create/start failed"
  grep -Eqx 'tty-inject (EPERM|EIO|ENOTTY)' "$T/job.out" || fail "TIOCSTI on the caller's tty was not refused"
  [ "$(report pending)" = "" ]
  [ ! -e "$T/PWNED" ]
}

@test "the caller's tty still works as plain stdin/stdout: the container reads what is typed" {
  # Not a terminal attack: ordinary use of the tty as stdio must keep working after setsid.
  cfg_args sh -c 'test -t 0 && echo stdin-is-a-tty; echo done'
  on_tty "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  [ "$(report status)" = 0 ]
  grep -qx stdin-is-a-tty "$T/job.out"
  grep -qx done "$T/job.out"
}
