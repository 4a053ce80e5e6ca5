#!/usr/bin/env python3
"""The differential suite's cases: config.json shapes other tools write (configs/*.json) and
mutations of them.  difftest.py runs each case under runc and under cellrun.

A case is Case(name, group, base, mutate): `base` names a file in configs/, `mutate(cfg, ctx)`
edits the loaded config in place (ctx: the case's Context, for paths and ids).  Every case gets
process.terminal=false and process.args=["/bin/sh", "/compat-probe"] (the probe, probe.sh)
unless it sets `args`.  Optional: rootfs=fn(ctx) changes the case's private rootfs copy;
join=("network", ...) starts a namespace holder per run and points the config at it;
sandbox=("uts", "mount") runs both runtimes in throwaway namespaces; host_paths=[...] must not
exist on the host afterwards; timeout=N; needs=fn() -> skip reason or None.

Adding a case: append to the list its group's function returns (or write a new group function
and add it to GROUPS); run `tests/compat/difftest.py list`, then
`CELLRUN=$PWD/cellrun bats tests/compat/compat.bats` (or difftest.py run --case NAME ...)."""
import copy
import hashlib
import json
import os
import shutil
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "configs")
PROBE_ARGS = ["/bin/sh", "/compat-probe"]
BASES = ("runc", "runc-rootless", "crun", "podman", "ctr")

HOOK_SCRIPT = r"""h=$1; d=$2
exec >> "$d/$h" 2>&1
echo "@@ hook $h"
echo "argv $0 $*"
echo env-begin
tr '\0' '\n' < /proc/self/environ | sort
echo env-end
for n in mnt pid net uts ipc user cgroup; do echo "ns $n $(readlink /proc/self/ns/$n)"; done
if [ -e /compat-probe ]; then echo "in-root container"; else echo "in-root host"; fi
echo "cwd $(pwd)"
echo "state $(cat)"
"""


def has_cap(bit):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> bit & 1)
    return False


CAP_SYS_RESOURCE = 24


class Env:
    def __init__(self, rootfs, work, id_prefix):
        self.rootfs, self.work, self.id_prefix = rootfs, work, id_prefix
        self.cgparent = "/%s-compat" % id_prefix


class Holder:
    """A process that keeps one new namespace alive, for cases that join one by path."""

    FLAGS = {"network": ["--net"], "ipc": ["--ipc"], "uts": ["--uts"], "mount": ["--mount"],
             "cgroup": ["--cgroup"], "pid": ["--pid", "--fork", "--kill-child"],
             "user": ["--user", "--map-root-user"], "time": ["--time"]}
    PROC = {"network": "net", "mount": "mnt", "pid": "pid_for_children"}

    def __init__(self, nstype):
        self.type = nstype
        self.p = subprocess.Popen(["unshare"] + self.FLAGS[nstype] + ["sleep", "600"],
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        proc = self.PROC.get(nstype, nstype)
        self.path = "/proc/%d/ns/%s" % (self.p.pid, proc)
        host = os.readlink("/proc/self/ns/" + proc)
        for _ in range(200):
            try:
                v = os.readlink(self.path)
                if v != host:
                    break
            except OSError:
                pass
            time.sleep(0.01)
        key = {"network": "net", "mount": "mnt"}.get(nstype, nstype)
        self.ns = {key: os.readlink(self.path)}
        if nstype == "pid":
            self.ns["pid_for_children"] = self.ns["pid"]

    def stop(self):
        self.p.kill()
        self.p.wait()


class Context:
    def __init__(self, env, case, n):
        self.env, self.case = env, case
        tag = hashlib.sha256(case.name.encode()).hexdigest()[:6]
        self.id = "%s-x%s" % (env.id_prefix, tag)
        self.dir = os.path.join(env.work, "cases", case.name.replace("/", "_"))
        self.bundle = os.path.join(self.dir, "bundle")
        self.hooklog = os.path.join(self.dir, "hooklog")
        self.host_ns = {}
        for n_ in ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
                   "user", "uts"):
            try:
                self.host_ns[n_] = os.readlink("/proc/self/ns/" + n_)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.bundle)
        os.chmod(self.dir, 0o755)
        os.chmod(self.bundle, 0o755)
        self.cfg = load_config(case.base, self)
        self.cfg.setdefault("process", {})["terminal"] = False
        self.cfg["process"]["args"] = list(case.args) if case.args is not None else list(PROBE_ARGS)
        if case.legal_ambient:
            make_ambient_legal(self.cfg)
        if case.mutate:
            case.mutate(self.cfg, self)
        path = self.cfg.get("root", {}).get("path", "rootfs")
        self.rootfs = path if os.path.isabs(path) else os.path.join(self.bundle, path)
        self.write_config(self.cfg)

    def write_config(self, cfg):
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)

    def reset_rootfs(self):
        if os.path.lexists(self.rootfs):
            subprocess.run(["rm", "-rf", "--one-file-system", self.rootfs], check=True)
        subprocess.run(["cp", "-a", self.env.rootfs, self.rootfs], check=True)
        if self.case.rootfs:
            self.case.rootfs(self)

    def reset_hooklog(self):
        shutil.rmtree(self.hooklog, ignore_errors=True)
        os.makedirs(self.hooklog)

    def start_holders(self):
        holders = [Holder(t) for t in self.case.join]
        if holders:
            cfg = copy.deepcopy(self.cfg)
            for h in holders:
                set_ns(cfg, h.type, h.path)
            self.write_config(cfg)
        return holders

    def capture_source(self, kind, rel):
        path = os.path.join(self.dir, "capture", rel)
        if kind == "DIR":
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("# made by tests/compat for %s\n" % os.path.basename(rel))
        return path

    def remove(self):
        subprocess.run(["rm", "-rf", "--one-file-system", self.dir])


def load_config(name, ctx):
    """configs/NAME.json with its capture placeholders filled in for this case."""
    with open(os.path.join(CONFIGS, name + ".json")) as f:
        cfg = json.load(f)
    root = cfg.setdefault("root", {})
    if root.get("path") == "@ROOTFS@":
        root["path"] = os.path.join(ctx.bundle, "rootfs")
    for m in cfg.get("mounts", []):
        src = m.get("source", "")
        for kind in ("DIR", "FILE"):
            tag = "@CAPTURE-%s@/" % kind
            if src.startswith(tag):
                m["source"] = ctx.capture_source(kind, src[len(tag):])
    linux = cfg.get("linux", {})
    if "cgroupsPath" in linux:
        linux["cgroupsPath"] = linux["cgroupsPath"].replace("@CGPARENT@", ctx.env.cgparent).replace("@ID@", ctx.id)
    # podman asks for RLIMIT_NOFILE 1048576: without CAP_SYS_RESOURCE (some CI hosts) neither
    # runtime can raise a hard limit, so clamp to ours (the case podman/rlimits-as-captured
    # keeps the captured values).
    if not has_cap(CAP_SYS_RESOURCE) and not ctx.case.raw_rlimits:
        import resource
        for r in cfg.get("process", {}).get("rlimits", []):
            rid = getattr(resource, r["type"], None)
            if rid is None:
                continue
            hard = resource.getrlimit(rid)[1]
            if hard != resource.RLIM_INFINITY and r["hard"] > hard:
                r["hard"] = hard
                r["soft"] = min(r["soft"], hard)
    return cfg


def make_ambient_legal(cfg):
    """`runc spec` and `crun spec` list ambient capabilities without inheritable ones, which the
    kernel refuses to raise (issue 10 item 1).  Cases that test something else start from the
    same shape with inheritable = ambient, so that one divergence does not hide the others; the
    */as-written cases and the caps group keep the shape as written."""
    c = cfg.get("process", {}).get("capabilities")
    if c and c.get("ambient") and not c.get("inheritable"):
        c["inheritable"] = list(c["ambient"])


class Case:
    def __init__(self, name, group, base="runc", mutate=None, rootfs=None, join=(), timeout=20, args=None,
                 needs=None, raw_rlimits=False, legal_ambient=None, host_paths=(), sandbox=()):
        self.name, self.group, self.base, self.mutate = name, group, base, mutate
        self.rootfs, self.join, self.timeout, self.args = rootfs, tuple(join), timeout, args
        self.needs, self.raw_rlimits = needs, raw_rlimits
        if legal_ambient is None:
            legal_ambient = group != "caps" and not name.endswith("/as-written")
        self.legal_ambient = legal_ambient
        # host paths (or fn(ctx) -> path) that must not exist after the run (a runtime that
        # followed a symlink out of the root would have made them)
        self.host_paths = tuple(host_paths)
        # namespaces ("uts", "mount") both runtimes run in a throwaway copy of (see difftest.py)
        self.sandbox = tuple(sandbox)

    def skip_reason(self):
        return self.needs() if self.needs else None


# ---------------------------------------------------------------- config edits


def seq(*fns):
    def run(cfg, ctx):
        for fn in fns:
            fn(cfg, ctx)
    return run


def drop_mount(dest):
    def fn(cfg, ctx):
        cfg["mounts"] = [m for m in cfg.get("mounts", []) if m["destination"] != dest]
    return fn


def add_mount(**m):
    def fn(cfg, ctx):
        mm = dict(m)
        if "source" in mm and callable(mm["source"]):
            mm["source"] = mm["source"](ctx)
        cfg.setdefault("mounts", []).append(mm)
    return fn


def mount_opts(dest, opts):
    def fn(cfg, ctx):
        for m in cfg.get("mounts", []):
            if m["destination"] == dest:
                m["options"] = list(opts)
    return fn


def set_ns(cfg, nstype, path=None):
    nss = [n for n in cfg.setdefault("linux", {}).setdefault("namespaces", []) if n["type"] != nstype]
    nss.append({"type": nstype, "path": path} if path else {"type": nstype})
    cfg["linux"]["namespaces"] = nss


def add_ns(nstype):
    return lambda cfg, ctx: set_ns(cfg, nstype)


def drop_ns(nstype):
    def fn(cfg, ctx):
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"].get("namespaces", []) if n["type"] != nstype]
    return fn


def setp(path, value):
    """setp("process.user.uid", 1000); a value of DELETE removes the key."""
    def fn(cfg, ctx):
        keys = path.split(".")
        d = cfg
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        if value is DELETE:
            d.pop(keys[-1], None)
        else:
            d[keys[-1]] = copy.deepcopy(value)
    return fn


DELETE = object()


def caps(**sets):
    def fn(cfg, ctx):
        c = cfg["process"].setdefault("capabilities", {})
        for k, v in sets.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = list(v)
    return fn


def env_without(name):
    def fn(cfg, ctx):
        cfg["process"]["env"] = [e for e in cfg["process"].get("env", []) if not e.startswith(name + "=")]
    return fn


def hostdir(name, files=()):
    """A source directory under the case dir (made when the config is written)."""
    def src(ctx):
        d = os.path.join(ctx.dir, name)
        os.makedirs(d, exist_ok=True)
        for f in files:
            with open(os.path.join(d, f), "w") as fh:
                fh.write("data\n")
        return d
    return src


def device(path, dtype, major=0, minor=0, mode=0o666, uid=0, gid=0):
    def fn(cfg, ctx):
        d = {"path": path, "type": dtype, "fileMode": mode, "uid": uid, "gid": gid}
        if dtype != "p":
            d.update(major=major, minor=minor)
        cfg.setdefault("linux", {}).setdefault("devices", []).append(d)
    return fn


def hooks(stages, env=None, fail=None):
    def fn(cfg, ctx):
        hk = cfg.setdefault("hooks", {})
        for st in stages:
            h = {"path": "/bin/sh", "args": ["sh", "-c", HOOK_SCRIPT, "hook", st, ctx.hooklog]}
            if st == fail:
                h["args"][2] = HOOK_SCRIPT + "exit 3\n"
            if env is not None:
                h["env"] = list(env)
            hk.setdefault(st, []).append(h)
        cfg.setdefault("mounts", []).append(
            {"destination": ctx.hooklog, "type": "bind", "source": ctx.hooklog, "options": ["rbind", "rw"]})
    return fn


def in_rootfs(fn_path):
    """rootfs=... helper: fn_path(root) with the case's rootfs copy."""
    return lambda ctx: fn_path(ctx.rootfs)


def rm_in_root(*paths):
    def fn(root):
        for p in paths:
            full = os.path.join(root, p.lstrip("/"))
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            elif os.path.lexists(full):
                os.unlink(full)
    return in_rootfs(fn)


def need_cmd(cmd):
    return lambda: None if shutil.which(cmd) else "%s not installed" % cmd


# ---------------------------------------------------------------- the cases


def g_bases():
    out = [Case(b + "/as-written", "bases", b) for b in BASES]
    out.append(Case("podman/rlimits-as-captured", "bases", "podman", raw_rlimits=True))
    # A few mutations every shape must survive.
    for b in BASES:
        out.append(Case(b + "/user-4242-no-passwd", "bases", b,
                        seq(setp("process.user.uid", 4242), setp("process.user.gid", 4242))))
        out.append(Case(b + "/cwd-missing", "bases", b, setp("process.cwd", "/compat/missing/cwd")))
        out.append(Case(b + "/root-readonly-" + ("off" if b in ("runc", "runc-rootless", "crun") else "on"), "bases",
                        b, setp("root.readonly", b not in ("runc", "runc-rootless", "crun"))))
    return out


def g_mounts():
    M = "mounts"
    out = [Case("runc/no-mount-%s" % d.strip("/").replace("/", "-"), M, "runc", drop_mount(d))
           for d in ("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup")]
    out += [
        Case("runc/no-mounts-at-all", M, "runc", setp("mounts", [])),
        Case("podman/no-mount-dev-shm", M, "podman", drop_mount("/dev/shm")),
        Case("runc/bind-dir-ro", M, "runc",
             add_mount(destination="/data", type="bind", source=hostdir("data", ["f"]), options=["bind", "ro"])),
        Case("runc/bind-dir-rw-nosuid", M, "runc",
             add_mount(destination="/data", type="none", source=hostdir("data", ["f"]),
                       options=["rbind", "nosuid", "nodev"])),
        Case("runc/bind-file", M, "runc",
             add_mount(destination="/etc/compat-file", type="bind",
                       source=lambda ctx: hostdir("files", ["one"])(ctx) + "/one", options=["bind"])),
        Case("runc/bind-missing-source", M, "runc",
             add_mount(destination="/data", type="bind", source="/nonexistent-compat-src", options=["bind"])),
        Case("runc/tmpfs-added", M, "runc",
             add_mount(destination="/scratch", type="tmpfs", source="tmpfs",
                       options=["nosuid", "mode=700", "size=1m", "uid=1000"])),
        Case("runc/tmpfs-nested-missing-dir", M, "runc",
             add_mount(destination="/a/b/c", type="tmpfs", source="tmpfs", options=["size=1m"])),
        Case("runc/dev-shm-mode-0700", M, "runc",
             mount_opts("/dev/shm", ["nosuid", "noexec", "nodev", "mode=0700", "size=1m"])),
        Case("runc/dev-tmpfs-mode-0711", M, "runc", mount_opts("/dev", ["nosuid", "mode=0711", "size=1m"])),
        Case("runc/cgroup-rw", M, "runc", mount_opts("/sys/fs/cgroup", ["nosuid", "noexec", "nodev"])),
        Case("runc/sysfs-rw", M, "runc", mount_opts("/sys", ["nosuid", "noexec", "nodev"])),
        Case("runc/proc-options", M, "runc", mount_opts("/proc", ["nosuid", "noexec", "nodev"])),
        Case("runc/dest-symlink-to-missing", M, "runc",
             add_mount(destination="/linkdir", type="tmpfs", source="tmpfs", options=["size=1m"]),
             rootfs=in_rootfs(lambda r: os.symlink("/made/by/runtime", os.path.join(r, "linkdir")))),
        Case("runc/dest-symlink-escaping", M, "runc",
             add_mount(destination="/esc", type="tmpfs", source="tmpfs", options=["size=1m"]),
             rootfs=lambda ctx: os.symlink("../../../../../../../.." + escape_target(ctx), os.path.join(ctx.rootfs, "esc")),
             host_paths=[escape_target]),
        Case("runc/bind-fifo-source", M, "runc",
             add_mount(destination="/fifo", type="bind", options=["bind"],
                       source=lambda ctx: mkfifo(os.path.join(ctx.dir, "fifo"))), timeout=8),
        Case("runc/masked-and-readonly-empty", M, "runc",
             seq(setp("linux.maskedPaths", []), setp("linux.readonlyPaths", []))),
        Case("runc/masked-missing-paths", M, "runc",
             seq(setp("linux.maskedPaths", ["/nonexistent", "/proc/kcore", "/etc"]),
                 setp("linux.readonlyPaths", ["/nonexistent-ro", "/bin"]))),
        Case("runc/mount-propagation-rslave", M, "runc", setp("linux.rootfsPropagation", "rslave")),
    ]
    return out


def escape_target(ctx):
    """A host path no one else uses: where a runtime that followed the symlink out would write."""
    return "/tmp/%s-compat-escape-target" % ctx.env.id_prefix


def mkfifo(path):
    if not os.path.exists(path):
        os.mkfifo(path)
    return path


def g_namespaces():
    N = "namespaces"
    # Without a UTS namespace the config's hostname would be the runtime's own: the runtimes run
    # in a throwaway UTS namespace (and mount namespace for the mount cases) so the host's
    # hostname and mount table stay as they are whatever a runtime does.
    out = [Case("runc/no-%s-ns" % t, N, "runc", drop_ns(t), sandbox=("uts", "mount") if t in ("uts", "mount") else ())
           for t in ("pid", "network", "ipc", "uts", "mount")]
    out.append(Case("runc/no-mount-ns-only-proc-no-masks", N, "runc",
                    seq(drop_ns("mount"), setp("mounts", [{"destination": "/proc", "type": "proc", "source": "proc"}]),
                        setp("linux.maskedPaths", []),
                        setp("linux.readonlyPaths", []), setp("root.readonly", False)), sandbox=("uts", "mount")))
    out += [Case("runc/join-%s-ns" % t, N, "runc", join=(t,), needs=need_cmd("unshare"))
            for t in ("pid", "network", "ipc", "uts", "mount", "cgroup", "user")]
    # the holder maps uid/gid 0 to the caller's 0 (unshare --map-root-user): say so in the config
    root_map = [{"containerID": 0, "hostID": 0, "size": 1}]
    out += [
        Case("runc-rootless/join-user-ns", N, "runc-rootless",
             seq(setp("linux.uidMappings", root_map), setp("linux.gidMappings", root_map)), join=("user",),
             needs=need_cmd("unshare")),
        Case("runc/no-uts-ns-no-hostname", N, "runc", seq(drop_ns("uts"), setp("hostname", DELETE))),
        Case("runc/add-cgroup-ns", N, "runc", add_ns("cgroup")),
        Case("runc/add-user-ns-mapped", N, "runc",
             seq(add_ns("user"),
                 setp("linux.uidMappings", [{"containerID": 0, "hostID": 100000, "size": 65536}]),
                 setp("linux.gidMappings", [{"containerID": 0, "hostID": 100000, "size": 65536}]))),
        Case("runc/add-user-ns-no-netns-sysfs", N, "runc",
             seq(add_ns("user"), drop_ns("network"),
                 setp("linux.uidMappings", [{"containerID": 0, "hostID": 100000, "size": 65536}]),
                 setp("linux.gidMappings", [{"containerID": 0, "hostID": 100000, "size": 65536}]))),
        Case("runc-rootless/no-user-ns", N, "runc-rootless",
             seq(drop_ns("user"), setp("linux.uidMappings", DELETE), setp("linux.gidMappings", DELETE))),
        Case("runc-rootless/add-network-ns", N, "runc-rootless", add_ns("network")),
        Case("runc/add-time-ns", N, "runc", add_ns("time")),
        Case("ctr/no-network-ns", N, "ctr", drop_ns("network")),
    ]
    return out


def g_devices():
    D = "devices"
    return [
        Case("runc/device-c", D, "runc", device("/dev/compat-c", "c", 1, 3)),
        Case("runc/device-u", D, "runc", device("/dev/compat-u", "u", 1, 5)),
        # Major 240 is "local/experimental use" (devices.txt): no driver, so opening the node
        # answers ENXIO when the device cgroup lets it through and EPERM when not.  (Never a
        # loop major: opening /dev/loopN makes the kernel create that loop device.)
        Case("runc/device-b", D, "runc", device("/dev/compat-b", "b", 240, 0, mode=0o660)),
        Case("runc/device-c-unlisted-major", D, "runc", device("/dev/compat-x", "c", 240, 0)),
        Case("runc/device-p", D, "runc", device("/dev/compat-p", "p", mode=0o600)),
        Case("runc/device-trailing-slash", D, "runc", device("/dev/compat-s/", "c", 1, 3)),
        Case("runc/device-in-subdir", D, "runc", device("/dev/compat-dir/zero", "c", 1, 5)),
        Case("runc/device-owner-1000", D, "runc", device("/dev/compat-o", "c", 1, 7, mode=0o600, uid=1000, gid=1000)),
        Case("runc/device-allowed-by-rule", D, "runc",
             seq(device("/dev/compat-r", "c", 1, 8),
                 setp("linux.resources.devices", [{"allow": False, "access": "rwm"},
                                                  {"allow": True, "type": "c", "major": 1, "minor": 8,
                                                   "access": "rwm"}]))),
        Case("runc/device-no-dev-tmpfs", D, "runc", seq(drop_mount("/dev"), device("/dev/compat-c", "c", 1, 3))),
        Case("ctr/device-c-and-p", D, "ctr",
             seq(device("/dev/compat-c", "c", 1, 3), device("/dev/compat-p", "p"))),
    ]


ALLC = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def g_caps():
    K = "caps"
    return [
        Case("runc/ambient-with-inheritable", K, "runc", caps(inheritable=ALLC)),
        Case("runc/no-ambient", K, "runc", caps(ambient=None)),
        Case("runc/inheritable-no-ambient", K, "runc", caps(inheritable=ALLC, ambient=None)),
        Case("runc/ambient-not-permitted", K, "runc", caps(ambient=ALLC + ["CAP_SYS_ADMIN"], inheritable=ALLC)),
        Case("runc/caps-all-empty", K, "runc",
             caps(bounding=[], effective=[], permitted=[], inheritable=[], ambient=[])),
        Case("runc/no-capabilities", K, "runc", setp("process.capabilities", DELETE)),
        Case("runc/effective-not-permitted", K, "runc", caps(effective=ALLC + ["CAP_CHOWN"])),
        Case("runc/unknown-capability", K, "runc", caps(bounding=ALLC + ["CAP_COMPAT_NOPE"])),
        Case("runc/user-1000-ambient-inheritable", K, "runc",
             seq(setp("process.user.uid", 1000), setp("process.user.gid", 1000), caps(inheritable=ALLC))),
        Case("runc/user-1000-ambient-only", K, "runc",
             seq(setp("process.user.uid", 1000), setp("process.user.gid", 1000))),
        Case("crun/ambient-with-inheritable-1000", K, "crun",
             seq(setp("process.user.uid", 1000), caps(inheritable=ALLC))),
        Case("podman/cap-sys-admin-added", K, "podman",
             caps(bounding=ALLC + ["CAP_SYS_ADMIN"], effective=ALLC + ["CAP_SYS_ADMIN"],
                  permitted=ALLC + ["CAP_SYS_ADMIN"])),
    ]


def g_users():
    U = "users"
    no_passwd = rm_in_root("/etc/passwd", "/etc/group")
    return [
        Case("runc/user-1000", U, "runc", seq(setp("process.user.uid", 1000), setp("process.user.gid", 1000))),
        Case("runc/user-4242-gid-4343-groups", U, "runc",
             seq(setp("process.user.uid", 4242), setp("process.user.gid", 4343),
                 setp("process.user.additionalGids", [5000, 6000]))),
        Case("runc/user-0-no-passwd-file", U, "runc", rootfs=no_passwd),
        Case("runc/user-1000-no-passwd-file", U, "runc", setp("process.user.uid", 1000), rootfs=no_passwd),
        Case("runc/user-65534-nobody", U, "runc",
             seq(setp("process.user.uid", 65534), setp("process.user.gid", 65534))),
        Case("runc/umask-077", U, "runc", setp("process.user.umask", 0o77)),
        Case("runc/env-no-home-root", U, "runc", env_without("HOME")),
        Case("runc/env-home-set", U, "runc", lambda cfg, ctx: cfg["process"]["env"].append("HOME=/custom")),
        Case("runc/env-empty", U, "runc", setp("process.env", [])),
        Case("runc/env-duplicate", U, "runc", lambda cfg, ctx: cfg["process"]["env"].extend(["A=1", "A=2"])),
        Case("podman/user-1000", U, "podman", seq(setp("process.user.uid", 1000), setp("process.user.gid", 1000))),
        Case("ctr/user-4242-only-uid", U, "ctr", setp("process.user.uid", 4242)),
    ]


def g_process():
    P = "process"
    return [
        Case("runc/cwd-missing-readonly-root", P, "runc", setp("process.cwd", "/compat/missing")),
        Case("runc/cwd-missing-rw-root", P, "runc",
             seq(setp("process.cwd", "/compat/missing"), setp("root.readonly", False))),
        Case("runc/cwd-is-file", P, "runc", setp("process.cwd", "/bin/busybox")),
        Case("runc/cwd-relative", P, "runc", setp("process.cwd", "tmp")),
        Case("runc/cwd-user-1000-unreadable", P, "runc",
             seq(setp("process.cwd", "/root"), setp("process.user.uid", 1000)),
             rootfs=in_rootfs(lambda r: os.chmod(os.path.join(r, "root"), 0o700))),
        Case("crun/root-readonly-on", P, "crun", setp("root.readonly", True)),
        Case("runc/exit-code-7", P, "runc", args=["/bin/sh", "-c", "exit 7"]),
        Case("runc/killed-by-signal", P, "runc", args=["/bin/sh", "-c", "kill -9 $$"]),
        Case("runc/args-not-found", P, "runc", args=["/nonexistent-binary"]),
        Case("runc/args-not-executable", P, "runc", args=["/etc/passwd"]),
        Case("runc/args-relative-path-lookup", P, "runc", args=["sh", "/compat-probe"]),
        Case("runc/hostname-domainname", P, "runc", seq(setp("hostname", "compat-host"),
                                                          setp("domainname", "compat.example"))),
        Case("runc/oom-score-adj", P, "runc", setp("process.oomScoreAdj", 100)),
        Case("runc/no-new-privileges-off", P, "runc", setp("process.noNewPrivileges", False)),
        Case("runc/sysctl", P, "runc",
             setp("linux.sysctl", {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1"})),
        Case("runc/seccomp-errno-mkdir", P, "runc",
             setp("linux.seccomp", {"defaultAction": "SCMP_ACT_ALLOW",
                                    "syscalls": [{"names": ["mkdir", "mkdirat", "keyctl"],
                                                  "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})),
        Case("podman/seccomp-removed", P, "podman", setp("linux.seccomp", DELETE)),
        Case("runc/annotations", P, "runc", setp("annotations", {"org.example.compat": "yes"})),
    ]


def g_rlimits():
    R = "rlimits"
    return [
        Case("runc/rlimits-none", R, "runc", setp("process.rlimits", [])),
        Case("runc/rlimit-nofile-low", R, "runc",
             setp("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}])),
        Case("runc/rlimits-several", R, "runc",
             setp("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
                                      {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
                                      {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
                                      {"type": "RLIMIT_STACK", "soft": 4194304, "hard": 8388608},
                                      {"type": "RLIMIT_MEMLOCK", "soft": 65536, "hard": 65536}])),
        Case("runc/rlimit-soft-above-hard", R, "runc",
             setp("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 300, "hard": 200}])),
        Case("runc/rlimit-above-host-hard", R, "runc",
             setp("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 1048576, "hard": 1048576}]),
             raw_rlimits=True),
        Case("runc/rlimit-unknown-type", R, "runc",
             setp("process.rlimits", [{"type": "RLIMIT_COMPAT_NOPE", "soft": 1, "hard": 1}])),
        Case("runc/rlimit-duplicate", R, "runc",
             setp("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
                                      {"type": "RLIMIT_NOFILE", "soft": 300, "hard": 400}])),
    ]


STAGES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]


def g_hooks():
    H = "hooks"
    return [
        Case("runc/hooks-all-stages", H, "runc", hooks(STAGES)),
        Case("runc/hooks-with-env", H, "runc", hooks(STAGES, env=["COMPAT_HOOK=1", "PATH=/usr/bin:/bin"])),
        Case("runc/hook-createRuntime-fails", H, "runc", hooks(STAGES, fail="createRuntime")),
        Case("runc/hook-prestart-fails", H, "runc", hooks(STAGES, fail="prestart")),
        Case("runc/hook-poststart-fails", H, "runc", hooks(STAGES, fail="poststart")),
        Case("runc/hook-poststop-fails", H, "runc", hooks(STAGES, fail="poststop")),
        Case("runc/hook-path-missing", H, "runc",
             setp("hooks", {"createRuntime": [{"path": "/nonexistent-compat-hook"}]})),
        Case("podman/hooks-all-stages", H, "podman", hooks(STAGES)),
    ]


GROUPS = [g_bases, g_mounts, g_namespaces, g_devices, g_caps, g_users, g_process, g_rlimits, g_hooks]


def all_cases():
    out = []
    for g in GROUPS:
        out.extend(g())
    names = [c.name for c in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit("cases.py: duplicate case names: %s" % ", ".join(sorted(dup)))
    return out


if __name__ == "__main__":
    for c in all_cases():
        print("%-12s %s" % (c.group, c.name))
