#!/usr/bin/env python3
"""ptyrun: run a command on a fresh pty, as if typed at a terminal.

Usage: ptyrun.py [--rows R] [--cols C] [--input TEXT] [--timeout S] -- CMD [ARG...]

The command gets the pty slave as stdin/stdout/stderr and controlling
terminal (size ROWSxCOLS, default 24x80). Everything it writes to the pty is
copied to our stdout as it comes, with "\\r\\n" turned into "\\n". TEXT (with "\\n" for
newlines) is typed once the command has printed something. Exits with the
command's status (128+N for signal N); 124 and kills the command's process
group after the timeout.
"""
import argparse
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--input", default=None)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("missing command")

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, ("ptyrun: %s: %s\n" % (cmd[0], e)).encode())
            os._exit(127)
    os.close(slave)

    deadline = time.monotonic() + a.timeout
    pending = a.input.replace("\\n", "\n").encode() if a.input is not None else b""
    seen_output = False
    carry = b""
    status = None

    def emit(data, final=False):
        nonlocal carry
        data = carry + data
        carry = b""
        if data.endswith(b"\r") and not final:
            data, carry = data[:-1], b"\r"
        os.write(1, data.replace(b"\r\n", b"\n"))
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(pid, 0)
            emit(b"", final=True)
            sys.stderr.write("ptyrun: timeout\n")
            sys.exit(124)
        r, _, _ = select.select([master], [], [], min(left, 0.1))
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: every slave fd is closed
                data = b""
            if not data:
                break
            emit(data)
            seen_output = True
        if pending and seen_output:
            os.write(master, pending)
            pending = b""
        if status is None:
            w, st = os.waitpid(pid, os.WNOHANG)
            if w == pid:
                status = st
                # the slave may be held by a grandchild; drain what is there and stop
                while select.select([master], [], [], 0.2)[0]:
                    try:
                        data = os.read(master, 4096)
                    except OSError:
                        data = b""
                    if not data:
                        break
                    emit(data)
                break
    if status is None:
        _, status = os.waitpid(pid, 0)
    emit(b"", final=True)
    if os.WIFEXITED(status):
        sys.exit(os.WEXITSTATUS(status))
    sys.exit(128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
