#!/usr/bin/env python3
"""Turns a captured config.json into the stored shape (tests/compat/configs/NAME.json).

usage: sanitize.py NAME CAPTURE_TMPDIR < config.json > configs/NAME.json

Only what belongs to one capture run is replaced, by placeholders cases.py fills in again
(load_config):
  @ROOTFS@        an absolute root.path (podman's storage layer)
  @CAPTURE-DIR@/… @CAPTURE-FILE@/…  a bind source under the capture's temp dir (podman's
                  userdata/hosts, hostname, .containerenv, shm); the suite makes one per case
  @CGPARENT@/…@ID@  linux.cgroupsPath: the parent the engine chose and the container id
Everything else (options, capabilities, seccomp, masks, annotations) stays as captured."""
import json
import re
import sys

HEX64 = re.compile(r"[0-9a-f]{64}")
DIR_SOURCES = {"shm"}  # podman's userdata entries that are directories


def sanitize(cfg, tmp):
    root = cfg.get("root", {})
    if root.get("path", "").startswith(tmp):
        root["path"] = "@ROOTFS@"
    for m in cfg.get("mounts", []):
        src = m.get("source", "")
        if not src.startswith(tmp):
            continue
        parts = src.split("/")
        # keep what follows the container's own directory (…/<id>/userdata/hosts)
        tail = parts[-2:] if len(parts) >= 2 else parts[-1:]
        kind = "DIR" if parts[-1] in DIR_SOURCES else "FILE"
        m["source"] = "@CAPTURE-%s@/%s" % (kind, "/".join(tail))
    linux = cfg.get("linux", {})
    if "cgroupsPath" in linux:
        leaf = linux["cgroupsPath"].rstrip("/").split("/")[-1]
        leaf = HEX64.sub("@ID@", leaf)
        if "@ID@" not in leaf:
            leaf = "@ID@"
        linux["cgroupsPath"] = "@CGPARENT@/" + leaf
    text = json.dumps(cfg, indent=2)
    if tmp in text:
        raise SystemExit("sanitize: %s is still named in the config" % tmp)
    return text


def main():
    name, tmp = sys.argv[1], sys.argv[2]
    cfg = json.load(sys.stdin)
    sys.stdout.write(sanitize(cfg, tmp.rstrip("/")) + "\n")
    return 0 if name else 1


if __name__ == "__main__":
    sys.exit(main())
