#!/usr/bin/env python3
"""console_recv: the receiving end of --console-socket.

Usage: console_recv.py SOCKET OUT [--input TEXT] [--timeout S]

Listens on the unix socket SOCKET, accepts one connection, takes the pty
master fd sent with SCM_RIGHTS and copies everything read from it into the
file OUT until the pty hangs up (every slave fd closed) or the timeout.
TEXT (with "\\n" for newlines) is written to the master once output starts.
Writes "OUT.info" with one line "pts N": the pty's number from TIOCGPTN.
Exit 0 when a terminal was received, 1 otherwise.
"""
import argparse
import array
import fcntl
import os
import select
import socket
import sys
import termios
import time

TIOCGPTN = 0x80045430


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("out")
    ap.add_argument("--input", default=None)
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.socket)
    srv.listen(1)
    srv.settimeout(a.timeout)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        sys.stderr.write("console_recv: nobody connected\n")
        return 1
    conn.settimeout(a.timeout)
    try:
        msg, fds, _, _ = socket.recv_fds(conn, 1024, 4)
    except (socket.timeout, OSError) as e:
        sys.stderr.write("console_recv: recvmsg: %s\n" % e)
        return 1
    conn.close()
    srv.close()
    if len(fds) != 1:
        sys.stderr.write("console_recv: got %d fds\n" % len(fds))
        return 1
    master = fds[0]
    n = array.array("I", [0])
    fcntl.ioctl(master, TIOCGPTN, n)
    with open(a.out + ".info", "w") as f:
        f.write("pts %d\n" % n[0])

    pending = a.input.replace("\\n", "\n").encode() if a.input is not None else b""
    deadline = time.monotonic() + a.timeout
    with open(a.out, "wb", buffering=0) as out:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.1)
            if not r:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: hung up
                break
            if not data:
                break
            out.write(data.replace(b"\r\n", b"\n"))
            if pending:
                os.write(master, pending)
                pending = b""
    return 0


if __name__ == "__main__":
    sys.exit(main())
