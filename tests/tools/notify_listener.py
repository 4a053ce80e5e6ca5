#!/usr/bin/env python3
"""Plays the host's sd_notify socket (what systemd or podman listens on).

Usage: notify_listener.py SOCKET OUT [TIMEOUT]

Binds an AF_UNIX SOCK_DGRAM socket at SOCKET (a path, or @name for an abstract
one), prints "bound" on stdout and closes it, so a caller reading stdout (a
FIFO) knows it may start the container without sleeping. Every datagram
received is appended to OUT: its lines as they came, then a line "--".
Exits 0 after a datagram with a line READY=1, 2 after TIMEOUT seconds
(default 30) without one. The socket path is removed on exit.
"""
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    addr = "\0" + path[1:] if path.startswith("@") else path
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(addr)
    try:
        s.settimeout(timeout)
        sys.stdout.write("bound\n")
        sys.stdout.flush()
        sys.stdout.close()
        with open(out, "a") as f:
            while True:
                try:
                    data, _ = s.recvfrom(65536)
                except socket.timeout:
                    return 2
                lines = data.decode("utf-8", "backslashreplace").split("\n")
                f.write("\n".join(lines) + "\n--\n")
                f.flush()
                if "READY=1" in lines:
                    return 0
    finally:
        s.close()
        if not path.startswith("@"):
            os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
