/* The container's init before it becomes the user's program: namespaces,
   rootfs, hooks in the container, then it waits on exec.fifo for `start`. */
#include "config.h"
#include "core/container.h"
#include "core/container_init.h"
#include "core/hooks.h"
#include "core/sync.h"
#include "linux/mounts.h"
#include "linux/namespaces.h"
#include "linux/netlink.h"
#include "linux/process.h"
#include "linux/rootfs.h"
#include "linux/seccomp_filter.h"
#include "state_json.h"
#include "base/utils.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

static __attribute__ ((noreturn)) void
init_fail (int sync_fd, struct cr_error *err)
{
  sync_send (sync_fd, SYNC_ERROR, 0, err);
  _exit (1);
}

/* Until SYNC_CREATED the init dies with the create that cloned it. The
   signal is armed again after every credential change (which clears it),
   and a parent that died before it was armed is seen as a hang-up on the
   sync socket, whose other end only the runtime holds. */
static void
die_with_runtime (int sync_fd)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  struct pollfd p = { .fd = sync_fd, .events = POLLIN };
  if (poll (&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
    _exit (1);
}

static int
set_names (const struct spec *spec, struct cr_error *err)
{
  /* An empty name keeps the one the namespace started with, as in runc. */
  if (spec->hostname && *spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return cr_fail (err, errno, "set hostname %s", spec->hostname);
  if (spec->domainname && *spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return cr_fail (err, errno, "set domainname %s", spec->domainname);
  return 0;
}

/* The runtime moves the init into its cgroups while the init already sets
   up its mounts: on cgroup v1 the first migration waits for an RCU grace
   period, idle time worth overlapping. Anything that depends on the cgroup
   (the cgroup namespace, cgroup mounts, hooks, user code) waits for it here. */
struct cgroup_wait
{
  struct init_args *a;
  bool done;
};

static int
wait_for_cgroup (void *arg, struct cr_error *err)
{
  struct cgroup_wait *cw = arg;
  if (cw->done)
    return 0;
  int tasks[SYNC_MAX_FDS];
  size_t n = 0;
  if (!cw->a->cgroup_done_at_go && sync_expect_fds (cw->a->sync_fd, SYNC_CGROUP_DONE, tasks, &n, err) < 0)
    {
      for (size_t i = 0; i < n; i++)
        close (tasks[i]);
      return -1;
    }
  cw->done = true;
  /* The v1 cgroups the runtime made while we mounted: "0" is this thread
     (we have no other), which takes no migration lock. Our setup so far
     was charged to the runtime's cgroups; the program runs in these. */
  int e = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (e == 0 && write (tasks[i], "0", 1) != 1)
        e = errno ? errno : EIO;
      close (tasks[i]);
    }
  if (e)
    return cr_fail (err, e, "join the container's v1 cgroups");
  /* A new cgroup namespace is rooted at the cgroup the init is in now. */
  if (cw->a->ns->new_cgroup && unshare (CLONE_NEWCGROUP) < 0)
    return cr_fail (err, errno, "create cgroup namespace");
  return 0;
}

/* Everything the runtime had open (cgroup dirs, config files, the log) is a
   handle on the host: keep only what the init itself uses. */
static void
close_inherited_fds (const struct init_args *a)
{
  size_t nsrc = a->mount_sources ? a->mount_sources->len : 0;
  size_t cap = NS_MAX + 4 + 1024 + nsrc;
  int *keep = xcalloc (cap, sizeof (int));
  size_t n = 0;
  keep[n++] = a->sync_fd;
  keep[n++] = a->root_tree_fd;
  keep[n++] = a->fifo_fd;
  keep[n++] = a->console_fd;
  for (size_t i = 0; i < a->ns->join_len; i++)
    keep[n++] = a->ns->join_fd[i];
  for (size_t i = 0; i < nsrc; i++)
    if (a->mount_sources->fds[i] >= 0)
      keep[n++] = a->mount_sources->fds[i];
  for (int i = 0; i < a->opts->preserve_fds && n < cap; i++)
    keep[n++] = 3 + i;
  close_fds_except (3, keep, n);
  free (keep);
}

/* After SYNC_GO: root of the user namespace, the other namespaces joined,
   keyring, names and loopback. */
static int
enter_namespaces (struct init_args *a, struct cr_error *err)
{
  a->in_userns = a->ns->new_user || a->ns->join_user_fd >= 0;
  if (a->in_userns && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    return cr_fail (err, errno, "become root in the user namespace");
  /* Root of a non-initial user namespace already (the runtime under rootless
     podman): no new one, but the same limits as inside one (no mknod, no
     fresh sysfs without a network namespace of its own). */
  if (a->opts->rootless)
    a->in_userns = true;
  /* Made after becoming root of a new user namespace, so it (and its
     /dev/mqueue) belongs to the container's root. */
  if (a->ns->new_ipc_late && unshare (CLONE_NEWIPC) < 0)
    return cr_fail (err, errno, "create ipc namespace");
  /* Read on the host's /proc, before any container mount. */
  a->setgroups_ok = !a->in_userns || process_setgroups_allowed (0);
  if (ns_join_child (a->ns, err) < 0)
    return -1;
  if (!a->opts->no_new_keyring)
    syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, a->opts->id);
  if (set_names (a->spec, err) < 0)
    return -1;
  if (a->ns->new_net && netlink_loopback_up (err) < 0)
    return -1;
  return 0;
}

/* The mounts (or, without a mount namespace, just the rootfs opened); the
   cgroup is waited for on the way. *ROOTFD is the rootfs. */
/* The rootfs reached by path here must be the directory create resolved: a
   filesystem unmounted (or a directory swapped) in between would otherwise
   run the container on whatever the path names now. */
static int
check_rootfs_same (const struct init_args *a, int rootfd, struct cr_error *err)
{
  struct stat st;
  if (fstat (rootfd, &st) < 0)
    return cr_fail (err, errno, "stat rootfs %s", a->rootfs);
  if (a->rootfs_ino && (st.st_dev != a->rootfs_dev || st.st_ino != a->rootfs_ino))
    return cr_fail (err, 0, "rootfs %s: changed during create (its filesystem was unmounted or the directory replaced)",
                    a->rootfs);
  return 0;
}

static int
mount_rootfs (struct init_args *a, int *rootfd, struct cr_error *err)
{
  const struct spec *spec = a->spec;
  struct cgroup_wait cw = { .a = a };
  if (!a->ns->mount_ns)
    {
      /* The runtime's mount namespace is shared: nothing is mounted
         (rootfs_check_shared refused what would need it). */
      *rootfd = open (a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (*rootfd < 0)
        return cr_fail (err, errno, "open rootfs %s", a->rootfs);
      if (check_rootfs_same (a, *rootfd, err) < 0)
        return -1;
      return wait_for_cgroup (&cw, err);
    }
  if (rootfs_prepare (spec, a->rootfs, a->root_tree_fd, rootfd, err) < 0 || check_rootfs_same (a, *rootfd, err) < 0)
    return -1;
  struct mount_context mctx = { .rootfd = *rootfd,
                                .rootfs = a->rootfs,
                                .cgroup_root = container_cgroup_root (),
                                .cgroup_path = a->cgroup_path,
                                .new_cgroupns = a->ns->new_cgroup,
                                .new_netns = a->ns->new_net,
                                .in_userns = a->in_userns,
                                .sources = a->mount_sources,
                                .cgroup_ready = wait_for_cgroup,
                                .cgroup_ready_arg = &cw };
  if (rootfs_mount_all (spec, &mctx, err) < 0 || wait_for_cgroup (&cw, err) < 0)
    return -1;
  return 0;
}

/* The runtime's hooks, then createContainer, sysctls and the root switch.
   ROOTFD is closed here. */
static int
hooks_and_switch_root (const struct init_args *a, int rootfd, struct cr_error *err)
{
  const struct spec *spec = a->spec;
  struct sync_msg m;
  /* prestart/createRuntime hooks run in the runtime's namespaces, now. */
  if (a->runtime_step)
    {
      sync_send (a->sync_fd, SYNC_HOOKS_REQUEST, 0, NULL);
      if (sync_expect (a->sync_fd, SYNC_HOOKS_DONE, &m, err) < 0)
        return -1;
    }
  if (spec->hooks && spec->hooks->create_container_len)
    {
      struct oci_state st = { .oci_version = spec->oci_version,
                              .id = a->opts->id,
                              .status = "creating",
                              .pid = a->host_pid,
                              .bundle = a->bundle,
                              .annotations = spec->annotations,
                              .annotations_len = spec->annotations_len };
      _cleanup_free_ char *json = oci_state_to_json (&st, false);
      /* Their working directory is the root filesystem, as with runc (the
         runtime spec does not say); rootfs_switch changes it again. */
      if (chdir (a->rootfs) < 0)
        return cr_fail (err, errno, "createContainer hooks: chdir %s", a->rootfs);
      if (hooks_run (spec->hooks->create_container, spec->hooks->create_container_len, "createContainer", json, err)
          < 0)
        return -1;
    }
  if (rootfs_apply_sysctl (spec, rootfd, err) < 0 || (a->ns->mount_ns && rootfs_finalize (spec, rootfd, err) < 0))
    return -1;
  close (rootfd);
  return a->ns->mount_ns ? rootfs_switch (spec, a->rootfs, a->opts->no_pivot, err)
                         : rootfs_enter_shared (a->rootfs, err);
}

/* Inside the new root: terminal, cwd, the program resolved, early process
   settings, and a notify seccomp filter loaded while the runtime listens. */
static int
prepare_process (const struct init_args *a, struct process_plan *plan, struct cr_error *err)
{
  const struct spec *spec = a->spec;
  const struct spec_process *p = spec->process;
  if (p->terminal && sync_setup_terminal (p, a->console_fd, a->sync_fd, err) < 0)
    return -1;
  if (process_enter_cwd (p->cwd, err) < 0)
    return -1;
  *plan = (struct process_plan){ .proc = p,
                                 .lx = spec->linux,
                                 .seccomp_bundle = a->seccomp_bundle,
                                 .seccomp_profile = a->seccomp_profile,
                                 .preserve_fds = a->opts->preserve_fds,
                                 .setgroups_allowed = a->setgroups_ok };
  /* A missing program is an error of `create`, not a surprise at `start`. */
  if (process_resolve_exe (p, &plan->exe, err) < 0 || process_apply_early (p, spec->linux, err) < 0)
    return -1;
  /* A filter with SCMP_ACT_NOTIFY must be loaded now, while the runtime is
     still there to hand its listener fd to linux.seccomp.listenerPath. */
  const struct spec_seccomp *sc = spec->linux ? spec->linux->seccomp : NULL;
  if (sc && plan->seccomp_bundle && seccomp_uses_notify (sc))
    {
      int notify_fd = -1;
      scmp_filter_ctx ctx = plan->seccomp_bundle;
      plan->seccomp_bundle = NULL;
      if (seccomp_filter_load (ctx, sc, &notify_fd, err) < 0)
        return -1;
      if (notify_fd >= 0)
        {
          sync_send_fd (a->sync_fd, SYNC_SECCOMP_FD, notify_fd);
          close (notify_fd);
        }
    }
  return 0;
}

/* After SYNC_CREATED: blocks until `start` opens exec.fifo for reading, runs
   startContainer and execs the program. Failures go to `start` over the fifo. */
static __attribute__ ((noreturn)) void
wait_start_and_exec (const struct init_args *a, struct process_plan *plan, int self_fds, pid_t host_pid)
{
  const struct spec *spec = a->spec;
  struct cr_error err = { 0 };
  char fifo_name[16];
  snprintf (fifo_name, sizeof fifo_name, "%d", a->fifo_fd);
  int fifo = openat (self_fds, fifo_name, O_WRONLY | O_CLOEXEC);
  if (fifo < 0 || write (fifo, "0", 1) != 1)
    {
      dprintf (2, "cellrun: open %s: %s\n", STATE_FIFO, strerror (errno));
      _exit (1);
    }
  close (a->fifo_fd);
  close (self_fds);

  /* The fifo stays open (close-on-exec) until the program is running: `start`
     reads to EOF, so poststart hooks run only after the exec, and a failing
     startContainer hook or exec is reported by `start` itself. */
  if (spec->hooks && spec->hooks->start_container_len)
    {
      struct oci_state st = { .oci_version = spec->oci_version,
                              .id = a->opts->id,
                              .status = "created",
                              .pid = host_pid,
                              .bundle = a->bundle,
                              .annotations = spec->annotations,
                              .annotations_len = spec->annotations_len };
      _cleanup_free_ char *json = oci_state_to_json (&st, false);
      if (hooks_run (spec->hooks->start_container, spec->hooks->start_container_len, "startContainer", json, &err) < 0)
        {
          dprintf (fifo, "E%s", err.msg);
          _exit (1);
        }
    }
  process_exec (plan, &err);
  dprintf (fifo, "E%s", err.msg);
  _exit (127);
}

void
container_init (struct init_args *a)
{
  struct cr_error err = { 0 };
  int fd = a->sync_fd;
  struct sync_msg m;
  int rootfd = -1;

  die_with_runtime (fd);
  /* The runtime's setup must not be readable or ptrace-able from inside.
     Rootless, the id maps are written by the caller's uid (newuidmap
     checks /proc/<pid> is the caller's, which a non-dumpable process's is
     not): until SYNC_GO the init stays dumpable, which lets only that uid
     (and root) in, and nothing of the container runs yet. */
  prctl (PR_SET_DUMPABLE, a->maps_by_caller, 0, 0, 0);
  close_inherited_fds (a);
  /* A session of its own: the caller's controlling terminal (when it is our
     stdin) is then no container process's controlling terminal, so none can
     type into it (TIOCSTI) or take its foreground (tcsetpgrp); as plain
     stdio it keeps working. Signals reach the container through `run`'s
     forwarding, not from the caller's terminal. */
  if (setsid () < 0)
    {
      cr_fail (&err, errno, "setsid");
      init_fail (fd, &err);
    }
  if (sync_expect (fd, SYNC_GO, &m, &err) < 0)
    init_fail (fd, &err);
  pid_t host_pid = m.pid;
  a->host_pid = host_pid;
  a->cgroup_done_at_go = m.code == SYNC_GO_CGROUP_DONE;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (enter_namespaces (a, &err) < 0)
    init_fail (fd, &err);
  /* Becoming root of a user namespace cleared the parent-death signal. */
  die_with_runtime (fd);

  /* A handle on our own fd table that survives the root switch: exec.fifo
     is reopened through it without looking up the (0700) state dir, which a
     user-namespaced root may not search. */
  int self_fds = open ("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (self_fds < 0)
    {
      cr_fail (&err, errno, "open /proc/self/fd");
      init_fail (fd, &err);
    }
  struct process_plan plan = { 0 };
  if (mount_rootfs (a, &rootfd, &err) < 0 || hooks_and_switch_root (a, rootfd, &err) < 0
      || prepare_process (a, &plan, &err) < 0)
    init_fail (fd, &err);

  /* Setup is done: from here the init outlives the create process (but
     not a sandbox's: process_exec arms the signal again after setuid). */
  if (!a->opts->die_with_parent)
    prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  plan.pdeath_signal = a->opts->die_with_parent ? SIGKILL : 0;
  sync_send (fd, SYNC_CREATED, 0, NULL);
  if (a->trampoline)
    {
      /* Identity, filters and fds now; the trampoline waits for `start`.
         The runtime takes the sync socket's EOF at that exec as "created". */
      plan.trampoline = true;
      plan.fifo_dir = self_fds;
      plan.fifo_fd = a->fifo_fd;
      plan.sync_fd = fd;
      process_exec (&plan, &err);
      sync_send (fd, SYNC_ERROR, 0, &err);
      _exit (127);
    }
  close (fd);
  wait_start_and_exec (a, &plan, self_fds, host_pid);
}
