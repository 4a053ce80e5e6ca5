#!/usr/bin/env bats
# strict's seccomp allowlist (issue 17): real workloads run under it, and the calls it denies
# fail with the errno docs/profiles.md promises (EPERM for the denied groups, ENOSYS for
# anything the table does not allow, including numbers past the last syscall).
#
# The workloads run the host's own tools and all go through one helper, `workload`: by
# default `cellrun sandbox --profile strict` (the host's root read-only, no bundle filter of
# its own); WORKLOAD_VIA=bundle runs them from a *permissive* bundle instead (permissive_bundle
# in helpers.bash: every capability, no seccomp of its own, no masked or read-only paths,
# noNewPrivileges off) whose rootfs is an empty directory with read-only rbinds of the host's
# /usr and /etc (and /bin, /lib, ... as the host has them: symlinks on a usr-merged Debian,
# binds otherwise). Either way what fails is failed by the profile. The denied-call, exec and
# stacking cases use that permissive bundle.

load helpers

setup_file () {
  cellrun_setup_file
  HOSTFS=$CT_TMP/hostfs
  build_hostfs "$HOSTFS"
  export HOSTFS
}

setup () {
  cellrun_setup
  hostfs_bundle
}

# build_hostfs DIR: the mount points of the host-tools rootfs, and sysprobe under /probe (the
# root is read-only under strict, so the probe must be there before the run).
build_hostfs () {
  local dir=$1 d
  mkdir -p "$dir"/{usr,etc,proc,dev,sys,tmp,run,root,probe,var/tmp}
  chmod 1777 "$dir/tmp" "$dir/var/tmp"
  for d in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$d" ]; then
      ln -s "$(readlink "/$d")" "$dir/$d"
    elif [ -d "/$d" ]; then
      mkdir -p "$dir/$d"
    fi
  done
  local probe=$BUILDDIR/tests/probes/sysprobe
  [ -n "${BUILDDIR:-}" ] && [ -x "$probe" ] || probe=$TESTS_DIR/probes/sysprobe
  [ -x "$probe" ] && cp "$probe" "$dir/probe/sysprobe"
  return 0
}

# host_dirs: the host directories bound read-only into the rootfs.
host_dirs () {
  local d
  echo /usr
  echo /etc
  for d in /bin /sbin /lib /lib32 /lib64 /libx32; do
    [ -d "$d" ] && [ ! -L "$d" ] && echo "$d"
  done
  return 0
}

# hostfs_bundle: a permissive bundle on $HOSTFS with the host's tools bound read-only, a PATH,
# HOME in /tmp (strict's private tmpfs; the root is read-only) and /tmp as the cwd.
hostfs_bundle () {
  permissive_bundle "$BUNDLE"
  "$PY" - "$BUNDLE/config.json" "$HOSTFS" $(host_dirs) <<'PYEOF'
import json, sys
path, root, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path) as f:
    doc = json.load(f)
doc["root"] = {"path": root, "readonly": False}
for d in dirs:
    doc["mounts"].append({"destination": d, "type": "bind", "source": d,
                          "options": ["rbind", "ro", "nosuid", "nodev"]})
p = doc["process"]
p["cwd"] = "/tmp"
p["env"] = ["PATH=/usr/bin:/bin:/usr/sbin:/sbin:/probe", "HOME=/tmp/home", "LANG=C.UTF-8",
            "TERM=dumb", "P=/probe"]
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
PYEOF
}

have_probe () { [ -x "$HOSTFS/probe/sysprobe" ] && [ -s "$HOSTFS/probe/sysprobe" ]; }

# How the workloads run: "bundle" (the host-tools bundle above, `cellrun --profile strict run`)
# or "sandbox" (`cellrun sandbox --profile strict`, the host's root read-only, the probe dir
# bound at /tmp/probe). Scripts find the probe dir in $P either way.
WORKLOAD_VIA=${WORKLOAD_VIA:-sandbox}

# workload SCRIPT: run `sh -c SCRIPT` under strict (the ONE place that says how; output in
# $output, status in $status). Before SCRIPT the same shell checks the allowlist is the
# filter in force: sysfs(2), a harmless syscall the table leaves out, must answer ENOSYS.
# The script's own output follows the line "--- workload".
workload () {
  local check='sysprobe nr 139 3; echo "--- workload"'
  if [ "$WORKLOAD_VIA" = sandbox ]; then
    run timeout -k 2 120 "$CELLRUN" --root "$ROOT" sandbox --profile strict --ro-bind "$HOSTFS/probe:/tmp/probe" \
      --env P=/tmp/probe --env PATH=/usr/bin:/bin:/usr/sbin:/sbin:/tmp/probe --env HOME=/tmp/home \
      --env LANG=C.UTF-8 --cwd /tmp -- sh -c "$check; $1"
  else
    cfg_args sh -c "$check; $1"
    run prun strict "$ID"
  fi
  echo "strict via $WORKLOAD_VIA (status $status):"
  echo "$output"
  assert_contains "$output" "nr-139 ENOSYS"
  assert_contains "$output" "--- workload"
}

# -------------------------------------------------------------- workloads that must run

@test "allowlist: the host-tools bundle runs without a profile, and sysfs reaches the kernel there" {
  have_probe || skip "sysprobe not built"
  cfg_args sh -c 'sysprobe nr 139 3; ls /usr/bin/python3'
  run prun none "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "nr-139 OK"
}

@test "allowlist: a shell pipeline of coreutils (sort, uniq, wc, sha256sum, find, xargs) runs under strict" {
  have_probe || skip "sysprobe not built"
  workload 'set -e
    mkdir -p /tmp/w/a/b && cd /tmp/w
    for i in 3 1 2 3 1 3; do echo "line $i"; done > a/b/data.txt
    seq 1 500 > a/nums.txt
    sort a/b/data.txt | uniq -c | sort -rn | head -n 1
    find . -type f -name "*.txt" | sort | xargs wc -l | tail -n 1
    find . -type f -name "*.txt" -print0 | sort -z | xargs -0 cat | sha256sum > /tmp/sum1
    cat a/b/data.txt a/nums.txt | sha256sum > /tmp/sum2
    cmp /tmp/sum1 /tmp/sum2 && echo sums-agree
    find . -type f -print0 | xargs -0 -n 1 sha256sum | wc -l
    seq 1 10000 | awk "{ s += \$1 } END { print \"sum\", s }"
    cat a/nums.txt | tr 0-9 a-j | grep -c . ; date +%Y >/dev/null; stat -c %s a/nums.txt; sleep 0.1; echo done'
  [ "$status" -eq 0 ]
  assert_contains "$output" "3 line 3"
  assert_contains "$output" "506 total"
  assert_contains "$output" "sums-agree"
  assert_contains "$output" "sum 50005000"
  assert_contains "$output" "1892"
  assert_contains "$output" "done"
}

@test "allowlist: python3 imports the stdlib, runs threads, a subprocess, a process pool, asyncio and a loopback TCP socket under strict" {
  have_probe || skip "sysprobe not built"
  [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
  cat > "$HOSTFS/probe/work.py" <<'EOF'
import importlib
mods = """os sys re json hashlib zlib gzip bz2 lzma base64 binascii collections itertools functools
datetime time calendar decimal fractions random statistics math cmath struct array io pathlib
tempfile shutil glob fnmatch csv sqlite3 ssl socket select selectors asyncio threading
multiprocessing subprocess signal unittest logging argparse textwrap uuid urllib.parse
urllib.request http.client http.server email.message xml.etree.ElementTree html.parser ctypes
mmap queue concurrent.futures pickle copy inspect dataclasses enum typing locale platform
getpass pwd grp resource fcntl termios tty pty zipfile tarfile configparser difflib heapq
bisect weakref contextlib traceback string secrets hmac shlex sched sysconfig venv ensurepip
""".split()
for m in mods:
    importlib.import_module(m)
print("imported", len(mods))

import hashlib, threading, subprocess, socket, multiprocessing, asyncio, sqlite3, tempfile, os
out = [None] * 8
def work(i):
    out[i] = hashlib.sha256(str(i).encode() * 100000).hexdigest()[:8]
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("threads", sum(1 for o in out if o))

r = subprocess.run(["sh", "-c", "echo from-child; exit 3"], capture_output=True, text=True)
print("subprocess", r.stdout.strip(), r.returncode)

def sq(x): return x * x
with multiprocessing.Pool(2) as pool:
    print("pool", sum(pool.map(sq, range(10))))

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
def serve():
    c, _ = srv.accept()
    c.sendall(c.recv(100).upper()); c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection(("127.0.0.1", port), timeout=10)
cl.sendall(b"ping"); print("tcp", cl.recv(100).decode()); cl.close(); t.join()

async def main():
    await asyncio.sleep(0.01)
    p = await asyncio.create_subprocess_exec("true")
    return await p.wait()
print("asyncio", asyncio.run(main()))

db = sqlite3.connect(os.path.join(tempfile.mkdtemp(), "t.db"))
db.execute("create table t (x)"); db.executemany("insert into t values (?)", [(i,) for i in range(100)])
db.commit(); print("sqlite", db.execute("select sum(x) from t").fetchone()[0])
print("python-ok")
EOF
  workload 'cd /tmp && python3 "$P/work.py"'
  [ "$status" -eq 0 ]
  assert_contains "$output" "imported"
  assert_contains "$output" "threads 8"
  assert_contains "$output" "subprocess from-child 3"
  assert_contains "$output" "pool 285"
  assert_contains "$output" "tcp PING"
  assert_contains "$output" "asyncio 0"
  assert_contains "$output" "sqlite 4950"
  assert_contains "$output" "python-ok"
}

@test "allowlist: gcc compiles a threaded C program in /tmp and it runs, and make builds a two-file project, under strict" {
  have_probe || skip "sysprobe not built"
  command -v gcc >/dev/null && command -v make >/dev/null || skip "no gcc or make"
  mkdir -p "$HOSTFS/probe/proj"
  cat > "$HOSTFS/probe/proj/main.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
int twice (int);
static void *run (void *p) { *(int *) p = twice (*(int *) p); return NULL; }
int main (void)
{
  pthread_t t[4];
  int v[4] = { 1, 2, 3, 4 }, s = 0;
  for (int i = 0; i < 4; i++) pthread_create (&t[i], NULL, run, &v[i]);
  for (int i = 0; i < 4; i++) { pthread_join (t[i], NULL); s += v[i]; }
  printf ("c-program %d\n", s);
  return 0;
}
EOF
  echo 'int twice (int x) { return 2 * x; }' > "$HOSTFS/probe/proj/lib.c"
  printf 'prog: main.o lib.o\n\t$(CC) -pthread -o $@ main.o lib.o\n%%.o: %%.c\n\t$(CC) -O2 -c -o $@ $<\n' > "$HOSTFS/probe/proj/Makefile"
  workload 'set -e
    cp -r "$P/proj" /tmp/proj && cd /tmp/proj
    gcc -O2 -pthread -o one main.c lib.c && ./one
    make -j2 >/dev/null && ./prog && make -q && echo make-uptodate'
  [ "$status" -eq 0 ]
  [ "$(grep -c 'c-program 20' <<< "$output")" -eq 2 ] || fail "the compiled programs did not both run"
  assert_contains "$output" "make-uptodate"
}

@test "allowlist: git init, commit, branch and log under strict (HOME and identity from the env)" {
  have_probe || skip "sysprobe not built"
  command -v git >/dev/null || skip "no git"
  workload 'set -e
    export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.invalid
    mkdir -p "$HOME" && cd /tmp && git init -q -b main repo && cd repo
    git config user.name T
    echo one > a.txt && git add a.txt && git commit -q -m first
    echo two >> a.txt && git commit -q -am second
    git checkout -q -b side && echo three > b.txt && git add b.txt && git commit -q -m third
    git checkout -q main && git merge -q --no-edit side
    git log --format=%s | tr "\n" " "; echo
    git gc -q && git fsck --no-progress && git status --porcelain | wc -l'
  [ "$status" -eq 0 ]
  assert_contains "$output" "third second first"
}

@test "allowlist: tar and gzip round-trip a tree under strict" {
  have_probe || skip "sysprobe not built"
  workload 'set -e
    mkdir -p /tmp/src/d && cd /tmp && seq 1 20000 > src/d/n.txt && ln -s d/n.txt src/link && chmod 640 src/d/n.txt
    tar -czf t.tgz src && gzip -t t.tgz && mkdir out && tar -xzf t.tgz -C out
    cmp src/d/n.txt out/src/d/n.txt && [ "$(readlink out/src/link)" = d/n.txt ] && stat -c %a out/src/d/n.txt
    gzip -9 -c src/d/n.txt | gzip -dc | sha256sum | cut -c1-12; sha256sum < src/d/n.txt | cut -c1-12
    echo tar-ok'
  [ "$status" -eq 0 ]
  assert_contains "$output" "640"
  assert_contains "$output" "tar-ok"
  local sums
  sums=$(sed -n '/--- workload/,$p' <<< "$output" | grep -E '^[0-9a-f]{12}$' | sort -u | wc -l)
  [ "$sums" -eq 1 ] || fail "gzip round trip changed the data"
}

@test "allowlist: a static busybox runs its applets under strict" {
  have_probe || skip "sysprobe not built"
  [ -x /bin/busybox ] || skip "no busybox"
  if ldd /bin/busybox >/dev/null 2>&1; then skip "/bin/busybox is not static"; fi
  workload 'set -e
    B=/bin/busybox
    $B sh -c "echo a b c | $B tr \" \" \"\\n\" | $B sort -r | $B head -n 1"
    $B mkdir -p /tmp/bb && $B seq 1 1000 > /tmp/bb/n && $B sha256sum /tmp/bb/n | $B cut -c1-8
    $B tar -czf /tmp/bb.tgz -C /tmp bb && $B tar -tzf /tmp/bb.tgz | $B wc -l
    $B find /usr/bin -maxdepth 1 -name "py*" | $B head -n 1 >/dev/null; $B ps >/dev/null; $B sleep 0.1
    echo busybox-ok'
  [ "$status" -eq 0 ]
  assert_contains "$output" "busybox-ok"
  [ "$(sed -n '/--- workload/{n;p}' <<< "$output")" = c ] || fail "busybox pipeline gave the wrong first line"
}

@test "allowlist: exec into a strict container runs python3 and a pipeline, and the exec'd process gets the allowlist too" {
  have_probe || skip "sysprobe not built"
  cfg_args sleep 30
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" --profile strict run -d --bundle "$BUNDLE" "$ID" \
    > "$T/$ID.out" 2> "$T/$ID.err" < /dev/null || fail "strict container did not start: $(cat "$T/$ID.err")"
  run cr exec "$ID" sh -c 'sysprobe nr 139 3 unshare-mnt; python3 -c "import threading, subprocess; print(subprocess.run([\"echo\", \"exec-ok\"], capture_output=True, text=True).stdout.strip())"; seq 1 10 | sort -rn | head -n 1'
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "nr-139 ENOSYS"
  assert_contains "$output" "unshare-mnt EPERM"
  assert_contains "$output" "exec-ok"
  assert_contains "$output" "10"
}

# -------------------------------------------------------------- calls that must fail

# Denied with EPERM: each probe passes arguments that make an allowed call fail harmlessly
# (tests/probes/sysprobe.c), so without a profile none of them answers EPERM (a kernel built
# without modules or kexec answers ENOSYS for those: the filter's EPERM still differs).
DENIED_EPERM="mount unshare-user unshare-mnt ptrace keyctl bpf perf_event_open io_uring_setup userfaultfd kexec_load init_module finit_module clock_settime settimeofday pidfd_getfd process_vm_readv process_vm_writev"

@test "allowlist: the denied calls fail with EPERM under strict, and reach the kernel without a profile" {
  have_probe || skip "sysprobe not built"
  cfg_args sysprobe $DENIED_EPERM getpid
  run prun none "$ID"
  echo "no profile: $output"
  [ "$status" -eq 0 ]
  local n got bad=0
  for n in $DENIED_EPERM; do
    got=$(probe_result "$n")
    case "$got" in "" | EPERM | SIG* | UNKNOWN) echo "no profile: $n got '${got:-nothing}'"; bad=1 ;; esac
  done
  [ "$bad" -eq 0 ] || fail "a probe did not reach the kernel without a profile"
  cr delete -f "$ID" >/dev/null 2>&1 || true

  run prun strict "$ID"
  echo "strict: $output"
  [ "$status" -eq 0 ]
  probe_expect EPERM $DENIED_EPERM || fail "strict: a denied call did not fail with EPERM"
  probe_expect OK getpid || fail "strict: getpid failed"
}

# Not in the table: sysfs(2) (obsolete, harmless: counts filesystem types), listmount(2) (458,
# newer than this libseccomp, so no name could list it), syscall numbers past the last one of
# the x86_64 and i386 tables.  Strict answers ENOSYS; balanced, a denylist, lets the known ones
# through; x32 is refused as a whole with EPERM.  open_tree_attr (467, Linux 6.15, also newer
# than libseccomp) is in the mount group by number: EPERM under both.
@test "allowlist: a syscall not in the table, one newer than libseccomp and numbers past the last syscall get ENOSYS under strict; open_tree_attr EPERM under both" {
  have_probe || skip "sysprobe not built"
  cfg_args sysprobe nr 139 3 nr 458 0 0 0 0 nr 1000 int80 1000 int80 20 x32 39 nr 467 -1 0 0 0 0 int80 467 -1 0 0 0 0
  run prun none "$ID"
  echo "no profile: $output"
  [ "$status" -eq 0 ]
  probe_expect OK nr-139 int80-20 || fail "no profile: sysfs or i386 getpid failed"
  case "$(probe_result nr-458)" in "" | ENOSYS | EPERM) fail "no profile: listmount did not reach the kernel" ;; esac
  local ota=nr-467
  case "$(probe_result nr-467)$(probe_result int80-467)" in *ENOSYS* | *EPERM* | "") ota= ;; esac # a kernel before 6.15
  cr delete -f "$ID" >/dev/null 2>&1 || true

  run prun strict "$ID"
  echo "strict: $output"
  [ "$status" -eq 0 ]
  probe_expect ENOSYS nr-139 nr-458 nr-1000 int80-1000 || fail "strict: not ENOSYS"
  probe_expect OK int80-20 || fail "strict: i386 getpid must be allowed"
  probe_expect EPERM x32-39 || fail "strict: x32 must be refused with EPERM"
  [ -z "$ota" ] || probe_expect EPERM nr-467 int80-467 || fail "strict: open_tree_attr (newer than libseccomp) must be EPERM"
  cr delete -f "$ID" >/dev/null 2>&1 || true

  run prun balanced "$ID"
  echo "balanced: $output"
  [ "$status" -eq 0 ]
  probe_expect OK nr-139 || fail "balanced is a denylist: sysfs must pass"
  [ -z "$ota" ] || probe_expect EPERM nr-467 int80-467 || fail "balanced: open_tree_attr, the twin of open_tree, must be EPERM"
  case "$(probe_result nr-458)" in "" | ENOSYS | EPERM) fail "balanced: listmount did not reach the kernel" ;; esac
}

@test "allowlist: stacked with the bundle's filter, a call runs only if both allow it" {
  have_probe || skip "sysprobe not built"
  # The bundle's own filter denies uname (allowed by strict) with EACCES.
  cfg_set .linux.seccomp '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["uname"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}'
  cfg_args sh -c 'uname -s; echo "uname=$?"; sysprobe nr 139 3 getpid'
  run prun strict "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "uname=1"
  assert_contains "$output" "nr-139 ENOSYS"
  assert_contains "$output" "getpid OK"
  refute_contains "$output" "Linux"
}

@test "profile show strict prints the allowlist groups, their reasons, and the errno policy" {
  run cr profile show strict
  [ "$status" -eq 0 ]
  for w in "default: ENOSYS" "allow basic-io:" "allow network:" "allow arguments:" "EPERM mount:" "EPERM debug-fast-io:" \
    "why:" " socketcall" " execve" "TIOCLINUX" "x32: every call EPERM"; do
    assert_contains "$output" "$w"
  done
  run cr profile show balanced
  [ "$status" -eq 0 ]
  assert_contains "$output" "default: allow"
  refute_contains "$output" "allow basic-io"
  refute_contains "$output" "EPERM debug-fast-io"
}

@test "allowlist: an execve that fails after the filter is loaded is reported as usual (the error path is allowed)" {
  printf '\x7fELF garbage' > "$HOSTFS/probe/badexec"
  chmod 755 "$HOSTFS/probe/badexec"
  cfg_args /probe/badexec
  run prun strict "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  assert_error_line
  assert_contains "$output" "badexec"
  assert_contains "$output" "Exec format error"
}
