#!/usr/bin/env python3
"""Differential runner: each case of cases.py runs under runc (the oracle) and under cellrun
with the same bundle; what the container's process and the host can observe is compared.

usage: difftest.py run --work DIR --rootfs DIR --id-prefix P [--group G] [--case GLOB] [--known FILE]
       difftest.py stale --work DIR     (after `run` of every group: known differences that no
                                         longer diverge, or that name no case)
       difftest.py list                 (case names with their group)
       difftest.py groups               (the group names, in order)
       difftest.py known-md             (known-differences as the body of docs/compat.md's
                                         "Known differences" section)
Env: CELLRUN (binary under test), RUNC (oracle, default runc), COMPAT_VERBOSE=1.

A case's observables are keys (exit, status:CapEff, env:HOME, mount:/dev/shm, limit:Max open
files, ns:net, device:/dev/null, hook:prestart:env, leftover:state, rootfs-created, ...);
tests/compat/known-differences lists the (case, key) pairs allowed to differ, with a reason.
Exit status: 0 when every divergence is listed, 1 otherwise."""
import fnmatch
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases as C  # noqa: E402

KNOWN = os.path.join(HERE, "known-differences")
STATUS_KEYS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
               "Uid", "Gid", "Groups", "Umask", "PPid")
NS_TYPES = ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts")

# ---------------------------------------------------------------- known differences


def load_known(path=KNOWN):
    """Lines "CASE-GLOBS KEY-GLOBS [cellrun~REGEX] reason..." (globs separated by '|'); '#'
    starts a comment line.  With cellrun~REGEX the entry only covers a divergence where every
    value cellrun shows for the key matches REGEX (re.search; write spaces as \\s): a wide
    entry then still catches cellrun changing in another way."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                raise SystemExit("%s:%d: want CASE KEY REASON" % (path, n))
            entry = {"line": n, "case": parts[0], "key": parts[1], "reason": parts[2], "value": None}
            if entry["reason"].startswith("cellrun~"):
                rx, _, rest = entry["reason"].partition(" ")
                entry["value"], entry["reason"] = re.compile(rx[len("cellrun~"):]), rest.strip()
            out.append(entry)
    return out


def key_matches(key, pattern):
    """PATTERN: shell-style globs separated by '|' (any one matches); for case names too."""
    return any(fnmatch.fnmatchcase(key, p) for p in pattern.split("|"))


def known_reason(known, case, key, cellrun_value=()):
    for k in known:
        if not (key_matches(case, k["case"]) and key_matches(key, k["key"])):
            continue
        if k["value"] is not None and not all(k["value"].search(v) for v in cellrun_value or ["<absent>"]):
            continue
        return k
    return None


# ---------------------------------------------------------------- probe parsing


def sections(text):
    out, cur = {}, None
    for line in text.splitlines():
        if line.startswith("@@ "):
            cur = line[3:].strip()
            out.setdefault(cur, [])
        elif cur is not None:
            out[cur].append(line)
    return out


PROPAGATION = re.compile(r"^(shared|master|propagate_from):\d+$")


def norm_mountinfo(lines):
    mounts = {}
    for line in lines:
        f = line.split()
        if len(f) < 10 or "-" not in f:
            continue
        dash = f.index("-")
        root, point, opts = f[3], f[4], f[5]
        prop = sorted(PROPAGATION.sub(r"\1", x) for x in f[6:dash]) or ["private"]
        fstype, source, sopts = f[dash + 1], f[dash + 2], f[dash + 3] if len(f) > dash + 3 else ""
        sopts = ",".join(o for o in sopts.split(",") if not o.startswith("inode64"))
        val = "%s %s %s root=%s %s %s" % (fstype, source, opts, root, sopts, ",".join(prop))
        mounts.setdefault("mount:" + point, []).append(val)
    return mounts


def norm_probe(text, host_ns, joined_ns):
    s = sections(text)
    obs = {}
    if "probe" not in s:
        return obs
    if "end" not in s:
        obs["probe"] = ["incomplete"]
    for line in s.get("probe", []):
        if line.startswith("pid "):
            obs["pid"] = ["1" if line == "pid 1" else "not-1"]
    for line in s.get("status", []):
        k, _, v = line.partition(":")
        if k in STATUS_KEYS:
            v = " ".join(v.split())
            if k == "PPid" and v != "0":
                v = "nonzero"
            obs["status:" + k] = [v]
    for line in s.get("environ", []):
        if line:
            k, _, v = line.partition("=")
            obs.setdefault("env:" + k, []).append(v)
    obs["cwd"] = s.get("cwd", [])
    obs["hostname"] = s.get("hostname", [])
    obs["id"] = s.get("id", [])
    obs.update(norm_mountinfo(s.get("mountinfo", [])))
    for line in s.get("limits", [])[1:]:
        m = re.match(r"^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)", line)
        if m:
            obs["limit:" + m.group(1)] = ["%s %s" % (m.group(2), m.group(3))]
    probe_ns = {}
    for line in s.get("ns", []):
        n, _, v = line.partition(" ")
        probe_ns[n] = v
        if v == host_ns.get(n):
            where = "host"
        elif v and v == joined_ns.get(n):
            where = "joined"
        elif ":[" in v:
            where = "new"
        else:
            where = v.split(":")[-1].strip()
        obs["ns:" + n] = [where]
    obs["_ns"] = probe_ns
    # runc's foreground `run` hands the process pipes it copies from, cellrun the caller's own
    # stdio: what fds 0-2 are is not compared, only that they are open.
    fds = []
    for line in s.get("fds", []):
        n, _, target = line.partition(" ")
        if n in ("0", "1", "2"):
            target = "(stdio)"
        fds.append("%s %s" % (n, re.sub(r"(pipe|socket|anon_inode:\S+):\[\d+\]", r"\1:[]", target)))
    obs["fds"] = fds
    obs["oom_score_adj"] = s.get("oom", [])
    obs["cgroup"] = s.get("cgroup", [])
    for line in s.get("devices", []):
        name = line.split(" ", 1)[0].strip("'")
        if line.startswith("open-r "):
            obs["device-open:" + line.split()[1]] = [line.split(" ", 2)[2]]
        elif name.startswith("/dev/pts/") and name[9:].isdigit() or name.startswith("/dev/fd/"):
            continue  # other sessions' terminals; /dev/fd/N are stat's own fds
        else:
            obs["device:" + name] = [line]
    obs["root"] = s.get("rootfs", [])
    for line in s.get("sysprobe", []):
        k, _, v = line.partition(" ")
        obs["syscall:" + k] = [v]
    return obs


def norm_state(raw):
    """The state JSON a hook read on stdin; ociVersion is each runtime's own, and an empty
    annotations object is the same as none."""
    try:
        st = json.loads(raw)
    except ValueError:
        return "not JSON: " + raw[:80]
    st.pop("ociVersion", None)
    # fields beyond the spec's state (cellrun adds created/owner/profile, as its `state` does)
    for k in [k for k in st if k not in ("id", "status", "pid", "bundle", "annotations")]:
        del st[k]
    if st.get("annotations") == {}:
        del st["annotations"]
    if "pid" in st:
        st["pid"] = "<pid>" if st["pid"] else 0
    return json.dumps(st, sort_keys=True)


def norm_hooks(logdir, host_ns, probe_ns):
    obs = {}
    if not os.path.isdir(logdir):
        return obs
    for name in sorted(os.listdir(logdir)):
        with open(os.path.join(logdir, name), errors="replace") as f:
            text = f.read()
        runs = text.count("@@ hook ")
        obs["hook:%s:runs" % name] = [str(runs)]
        env, state = [], None
        in_env = False
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line == "env-begin":
                in_env = True
            elif line == "env-end":
                in_env = False
            elif in_env:
                env.append(line)
            elif line.startswith("ns "):
                _, n, v = (line.split(" ", 2) + [""])[:3]
                where = "host" if v == host_ns.get(n) else "container" if v == probe_ns.get(n) else "other"
                obs["hook:%s:ns:%s" % (name, n)] = [where]
            elif line.startswith("state "):
                # the state is the last thing a hook prints, and may span lines
                raw = "\n".join([line[6:]] + lines[i + 1:])
                raw = raw.split("@@ hook ", 1)[0]
                state = norm_state(raw)
                break
            elif line.startswith(("argv ", "cwd ", "in-root ")):
                k, _, v = line.partition(" ")
                obs["hook:%s:%s" % (name, k)] = [v]
        obs["hook:%s:env" % name] = sorted(env)
        obs["hook:%s:state" % name] = [state or "none"]
    return obs


# ---------------------------------------------------------------- running one runtime


def listing(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[os.path.relpath(p, top)] = "%o" % st.st_mode
    return out


def cgroup_dirs(name):
    found = []
    for d, dirs, _ in os.walk("/sys/fs/cgroup"):
        if d.count("/") > 9:
            dirs[:] = []
            continue
        for n in dirs:
            if name in n:
                found.append(os.path.join(d, n))
    return sorted(found)


def procs_under(top):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink("/proc/%s/root" % pid).startswith(top):
                found.append(pid)
        except OSError:
            pass
    return found


def mounts_under(top):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if top in line.split()[4] or top in line.split()[3]]


class Run:
    def __init__(self, name, binary):
        self.name, self.binary = name, binary


def run_runtime(rt, case, ctx, work):
    """Runs the case's bundle under one runtime; returns its observables."""
    root = os.path.join(work, "root-" + rt.name)
    os.makedirs(root, exist_ok=True)
    ctx.reset_rootfs()
    ctx.reset_hooklog()
    holders = ctx.start_holders()
    before = listing(ctx.rootfs)
    hps = [hp(ctx) if callable(hp) else hp for hp in case.host_paths]
    ctx.preexisting = {hp for hp in hps if os.path.lexists(hp)}
    cmd = [rt.binary, "--root", root, "run", "--bundle", ctx.bundle, ctx.id]
    if case.sandbox:
        # The case would change the runtime's own namespaces (a hostname without a UTS
        # namespace, mounts without a mount namespace): give both runtimes throwaway ones.
        cmd = ["unshare"] + ["--" + t for t in case.sandbox] + \
            (["--propagation", "private"] if "mount" in case.sandbox else []) + ["--"] + cmd
    out_path = os.path.join(ctx.dir, rt.name + ".out")
    err_path = os.path.join(ctx.dir, rt.name + ".err")
    obs = {}
    with open(out_path, "wb") as out, open(err_path, "wb") as err, open(os.devnull, "rb") as nul:
        p = subprocess.Popen(cmd, stdin=nul, stdout=out, stderr=err, cwd=ctx.bundle, start_new_session=True)
        try:
            rc = p.wait(timeout=case.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc = "timeout"
    with open(out_path, errors="replace") as f:
        text = f.read()
    with open(err_path, errors="replace") as f:
        stderr = f.read()
    joined = {}
    for h in holders:
        joined.update(h.ns)
    probe = norm_probe(text, ctx.host_ns, joined)
    started = "probe" in sections(text) or case.args is not None
    obs["exit"] = [str(rc) if started or rc in (0, "timeout") else "runtime-error"]
    probe_ns = probe.pop("_ns", {})
    obs.update(probe)
    obs.update(norm_hooks(ctx.hooklog, ctx.host_ns, probe_ns))
    obs["leftover:state"] = sorted(os.listdir(root))
    obs["leftover:cgroup"] = cgroup_dirs(ctx.id)
    obs["leftover:mounts"] = mounts_under(ctx.dir)
    obs["leftover:processes"] = procs_under(ctx.dir)
    after = listing(ctx.rootfs)
    created = sorted(p for p in after if p not in before)
    changed = sorted("%s %s->%s" % (p, before[p], after[p]) for p in after if p in before and after[p] != before[p])
    for hp in case.host_paths:
        hp = hp(ctx) if callable(hp) else hp
        obs["host-path:" + hp] = ["was there before" if hp in ctx.preexisting else
                                  "exists" if os.path.lexists(hp) else "absent"]
        if os.path.lexists(hp) and hp not in ctx.preexisting:
            subprocess.run(["rm", "-rf", "--one-file-system", hp])
    obs["rootfs-created"] = created
    obs["rootfs-changed"] = changed
    obs["_stderr"] = stderr
    obs["_stdout"] = text
    # Whatever was left, take it away before the other runtime runs.
    subprocess.run([rt.binary, "--root", root, "delete", "-f", ctx.id], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    for pid in procs_under(ctx.dir):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    for h in holders:
        h.stop()
    for m in sorted(mounts_under(ctx.dir), reverse=True):
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
    for d in sorted(cgroup_dirs(ctx.id), reverse=True):
        for _ in range(20):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)
    return obs


# ---------------------------------------------------------------- comparing


def compare(a, b):
    """(key, a-value, b-value) for every observable that differs."""
    if a["exit"] != b["exit"]:
        keys = ["exit"] + [k for k in a if k.startswith("leftover:")]
    else:
        keys = sorted(set(a) | set(b))
    out = []
    for k in keys:
        if k.startswith("_"):
            continue
        va, vb = a.get(k, ["<absent>"]), b.get(k, ["<absent>"])
        if va != vb:
            out.append((k, va, vb))
    return out


def cellrun_only_checks(obs):
    """What cellrun must do whatever runc does: leave nothing, and fail with one error line."""
    bad = []
    for k in ("leftover:state", "leftover:cgroup", "leftover:mounts", "leftover:processes"):
        if obs.get(k):
            bad.append((k + "(cellrun)", [], obs[k]))
    for k in obs:
        if k.startswith("host-path:") and obs[k] != ["absent"]:
            bad.append((k + "(cellrun)", ["absent"], obs[k]))
    if obs["exit"] == ["runtime-error"]:
        last = [line for line in obs["_stderr"].splitlines() if line.strip()][-1:] or [""]
        if not re.match(r"^cellrun: .+: .+", last[0]):
            bad.append(("error-line", ["cellrun: <what>: <why>"], last))
    return bad


def show(v):
    if not v:
        return "(empty)"
    return " | ".join(v) if len(v) <= 6 else " | ".join(v[:6]) + " | ... (%d more)" % (len(v) - 6)


def run_cases(args):
    known = load_known(args.get("--known") or KNOWN)
    runc = Run("runc", os.environ.get("RUNC", "runc"))
    cellrun = Run("cellrun", os.environ["CELLRUN"])
    work = os.path.abspath(args["--work"])
    os.makedirs(work, exist_ok=True)
    selected = [c for c in C.all_cases()
                if (not args.get("--group") or c.group == args["--group"]) and
                fnmatch.fnmatchcase(c.name, args.get("--case", "*"))]
    results = {}
    failed = 0
    env = C.Env(rootfs=os.path.abspath(args["--rootfs"]), work=work, id_prefix=args["--id-prefix"])
    for n, case in enumerate(selected):
        t0 = time.time()
        ctx = C.Context(env, case, n)
        if case.skip_reason():
            print("skip %s: %s" % (case.name, case.skip_reason()))
            results[case.name] = {"ran": False, "diverged": []}
            ctx.remove()
            continue
        a = run_runtime(runc, case, ctx, work)
        b = run_runtime(cellrun, case, ctx, work)
        diffs = compare(a, b) + cellrun_only_checks(b)
        for k in ("leftover:state", "leftover:cgroup", "leftover:mounts", "leftover:processes"):
            if a.get(k):
                print("  note: runc left %s: %s" % (k, show(a[k])))
        diverged, unlisted = [], []
        for key, va, vb in diffs:
            k = known_reason(known, case.name, key, vb)
            diverged.append(key)
            if k is None:
                unlisted.append((key, va, vb))
            elif os.environ.get("COMPAT_VERBOSE"):
                print("  known %s %s: %s" % (case.name, key, k["reason"]))
        results[case.name] = {"ran": True, "diverged": diverged}
        dt = time.time() - t0
        if unlisted:
            failed += 1
            print("DIFF %s (%.1fs)" % (case.name, dt))
            for key, va, vb in unlisted:
                print("  %s\n    runc:    %s\n    cellrun: %s" % (key, show(va), show(vb)))
            if "exit" in [u[0] for u in unlisted]:
                for rt, o in (("runc", a), ("cellrun", b)):
                    tail = [line for line in o["_stderr"].splitlines() if line.strip()][-2:]
                    print("    %s stderr: %s" % (rt, " / ".join(tail) or "(none)"))
        else:
            print("ok %s (%.1fs%s)" % (case.name, dt, ", %d known" % len(diverged) if diverged else ""))
        if not os.environ.get("COMPAT_KEEP"):
            ctx.remove()
    name = args.get("--group") or "all"
    rdir = os.path.join(work, "results")
    os.makedirs(rdir, exist_ok=True)
    with open(os.path.join(rdir, name + ".json"), "w") as f:
        json.dump(results, f)
    print("%d cases, %d with unlisted divergences" % (len(selected), failed))
    return 1 if failed else 0


def stale(args):
    """Every known difference must still diverge in some case it names."""
    known = load_known(args.get("--known") or KNOWN)
    rdir = os.path.join(os.path.abspath(args["--work"]), "results")
    results = {}
    for n in os.listdir(rdir):
        with open(os.path.join(rdir, n)) as f:
            results.update(json.load(f))
    names = {c.name for c in C.all_cases()}
    bad = 0
    for k in known:
        matching = [c for c in names if key_matches(c, k["case"])]
        ran = [c for c in matching if results.get(c, {}).get("ran")]
        if not matching:
            print("known-differences:%d: %s names no case" % (k["line"], k["case"]))
            bad += 1
            continue
        if not ran:
            continue
        hit = any(key_matches(key, k["key"]) for c in ran for key in results[c]["diverged"])
        if not hit:
            print("known-differences:%d: %s %s no longer diverges (%s): delete the line" %
                  (k["line"], k["case"], k["key"], k["reason"]))
            bad += 1
    print("%d known differences, %d stale" % (len(known), bad))
    return 1 if bad else 0


CATEGORIES = [("fixed by issue 10 item", "Fixed on other branches (issue 10); delete the line after the merge"),
              ("deliberate", "Deliberate (see Deliberate differences)"),
              ("runc deviates", "runc deviates from the runtime spec; cellrun follows the spec"),
              ("open", "Open")]


def known_md(args):
    """The Known differences section of docs/compat.md, generated from known-differences."""
    known = load_known(args.get("--known") or KNOWN)
    out = ["Generated from `tests/compat/known-differences` by `tests/compat/difftest.py known-md`",
           "(compat.bats fails when this section and the file disagree). Each entry: the cases",
           "(globs, `|` = or), the observable keys that differ, and why.", ""]
    for prefix, title in CATEGORIES:
        items = [k for k in known if k["reason"].startswith(prefix)]
        if not items:
            continue
        out.append("### " + title)
        out.append("")
        for k in items:
            shape = " (cellrun's value matches `%s`)" % k["value"].pattern if k["value"] else ""
            out.append("- `%s` `%s`%s: %s" % (k["case"], k["key"], shape, k["reason"]))
        out.append("")
    other = [k for k in known if not any(k["reason"].startswith(p) for p, _ in CATEGORIES)]
    if other:
        raise SystemExit("known-differences:%d: the reason must start with one of: %s" %
                         (other[0]["line"], ", ".join(p for p, _ in CATEGORIES)))
    print("\n".join(out).rstrip())
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    args, i = {}, 2
    while i < len(argv):
        args[argv[i]] = argv[i + 1] if i + 1 < len(argv) else ""
        i += 2
    if argv[1] == "run":
        return run_cases(args)
    if argv[1] == "stale":
        return stale(args)
    if argv[1] == "known-md":
        return known_md(args)
    if argv[1] == "groups":
        seen = []
        for c in C.all_cases():
            if c.group not in seen:
                seen.append(c.group)
        print("\n".join(seen))
        return 0
    if argv[1] == "list":
        for c in C.all_cases():
            print("%-12s %s" % (c.group, c.name))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
