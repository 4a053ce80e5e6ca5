#!/usr/bin/env python3
"""ttyshell: run a command as a foreground job of a shell on a fresh pty, then
report what the job left behind on that terminal.

Usage: ttyshell.py [--timeout S] OUT ERR -- CMD [ARG...]

A "shell" process becomes the leader of a new session whose controlling
terminal is the pty, as a login shell is. It starts CMD in a process group
of its own with the pty as stdin (stdout to OUT, stderr to ERR), makes that
group the terminal's foreground, as job control does, and waits for it.
Then it prints one JSON object:

  status    CMD's exit status (128+N for signal N)
  fg_ok     true when the terminal's foreground process group after CMD is
            still CMD's (nobody else took the terminal)
  pending   the bytes waiting in the terminal's input queue: what the
            shell would read and run next (TIOCSTI injects them there)

Exits 0 with the report, 124 after the timeout (CMD's group is killed).
"""
import argparse
import json
import os
import select
import signal
import sys
import termios
import time


def shell(slave, out, err, cmd, report_fd, timeout):
    os.setsid()
    import fcntl

    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    # A shell ignores the job-control stop signals for itself.
    for s in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGTSTP):
        signal.signal(s, signal.SIG_IGN)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        for s in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGTSTP):
            signal.signal(s, signal.SIG_DFL)
        os.dup2(slave, 0)
        o = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        e = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(o, 1)
        os.dup2(e, 2)
        for fd in (slave, o, e, report_fd):
            if fd > 2:
                os.close(fd)
        try:
            os.execvp(cmd[0], cmd)
        except OSError as ex:
            os.write(2, ("ttyshell: %s: %s\n" % (cmd[0], ex)).encode())
            os._exit(127)
    try:
        os.setpgid(job, job)
    except OSError:
        pass
    os.tcsetpgrp(slave, job)
    deadline = time.monotonic() + timeout
    while True:
        w, st = os.waitpid(job, os.WNOHANG)
        if w == job:
            break
        if time.monotonic() > deadline:
            try:
                os.killpg(job, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(job, 0)
            os._exit(124)
        time.sleep(0.05)
    status = os.waitstatus_to_exitcode(st)
    if status < 0:
        status = 128 - status
    fg = os.tcgetpgrp(slave)
    os.tcsetpgrp(slave, os.getpgrp())
    # What the shell would read next, without waiting for a line.
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ICANON
    attrs[6][termios.VMIN] = 0
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    pending = b""
    while True:
        chunk = os.read(slave, 4096)
        if not chunk:
            break
        pending += chunk
    rep = {"status": status, "fg_ok": fg == job, "pending": pending.decode("latin-1")}
    os.write(report_fd, json.dumps(rep).encode() + b"\n")
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("out")
    ap.add_argument("err")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("missing command")
    master, slave = os.openpty()
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.close(rd)
        shell(slave, a.out, a.err, cmd, wr, a.timeout)
    os.close(slave)
    os.close(wr)
    report = b""
    # Drain the terminal's output (echo) so nothing blocks on a full pty.
    fds = [master, rd]
    while rd in fds:
        r, _, _ = select.select(fds, [], [], a.timeout + 5)
        if not r:
            break
        for fd in r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                fds.remove(fd)
            elif fd == rd:
                report += data
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    if code != 0:
        sys.stderr.write("ttyshell: shell exited with %d\n" % code)
        sys.exit(124 if code == 124 else 1)
    sys.stdout.write(report.decode())


if __name__ == "__main__":
    main()
