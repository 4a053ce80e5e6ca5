#include "config.h"
#include "core/exec.h"
#include "linux/capabilities.h"
#include "linux/cgroups/cgroups.h"
#include "core/container.h"
#include "core/runtime.h"
#include "core/sync.h"
#include "base/log.h"
#include "linux/namespaces.h"
#include "linux/process.h"
#include "policy/exec_ceiling.h"
#include "linux/seccomp_filter.h"
#include "linux/terminal.h"
#include "linux/userns.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void
exec_container_clear (struct exec_container *c)
{
  state_free (c->st);
  spec_free (c->spec);
  free (c->profile);
  free (c->env_policy);
  *c = (struct exec_container){ 0 };
}

int
exec_container_load (const char *root, const char *id, struct exec_container *c, struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  enum container_status status;
  *c = (struct exec_container){ 0 };
  int r = state_open_status (root, id, false, &dirfd, &c->st, &status, err);
  if (r < 0)
    return r;
  if (status != STATUS_RUNNING && status != STATUS_CREATED)
    r = cr_fail (err, 0, "exec %s: container is %s", id, container_status_name (status));
  else if ((r = state_load_spec (dirfd, &c->spec, err)) == 0)
    {
      c->profile = xstrdup (c->st->profile);
      c->env_policy = xstrdup (c->st->env_policy);
      c->env_policy_operator = c->st->env_policy_operator;
    }
  if (r < 0)
    exec_container_clear (c);
  return r;
}

static const struct
{
  const char *name;
  int flag;
} ns_files[] = {
  { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },  { "net", CLONE_NEWNET },       { "ipc", CLONE_NEWIPC },
  { "uts", CLONE_NEWUTS },   { "pid", CLONE_NEWPID }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

/* The namespaces of PID that differ from ours: joining our own would fail
   for user namespaces and is pointless for the rest. */
static int
differing_namespaces (pid_t pid)
{
  int flags = 0;
  for (size_t i = 0; i < ARRAY_SIZE (ns_files); i++)
    {
      char a[64], b[64];
      struct stat sa, sb;
      snprintf (a, sizeof a, "/proc/%d/ns/%s", (int) pid, ns_files[i].name);
      snprintf (b, sizeof b, "/proc/self/ns/%s", ns_files[i].name);
      if (stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_ino != sb.st_ino)
        flags |= ns_files[i].flag;
    }
  return flags;
}

struct exec_child
{
  const struct exec_options *o;
  const struct spec *spec;
  int pidfd;
  int rootfd;
  int ns_flags;
  int sync_fd;
  int console_fd;
  struct cgroup_manager *cgroup;
  scmp_filter_ctx sc_bundle;
  struct seccomp_prog *sc_profile;
  bool setgroups_allowed;
  /* The program starts from the sealed trampoline, which forks it into the
     pid namespace: this child never enters it (docs/security.md). */
  bool trampoline;
};

/* linux/trampoline.c writes these messages itself. */
_Static_assert(SYNC_ERROR == 5 && SYNC_EXEC_PID == 9 && sizeof (struct sync_msg) == 3 * sizeof (int) + 1024,
               "linux/trampoline.c's copy of struct sync_msg");

/* PR_SET_PDEATHSIG, and an exit if the runtime is already gone (its end of
   the sync socket hung up). */
static void
exec_die_with_runtime (int sync_fd)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  struct pollfd p = { .fd = sync_fd, .events = POLLIN };
  if (poll (&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
    _exit (1);
}

static __attribute__ ((noreturn)) void
exec_child_run (struct exec_child *c)
{
  struct cr_error err = { 0 };
  const struct spec_process *p = c->o->process;
  /* Until it runs the program, the child dies with the runtime: a killed
     `exec` leaves no half-joined process in the container. */
  exec_die_with_runtime (c->sync_fd);
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Into the cgroup first, while host paths still resolve; then the namespaces. */
  if (c->cgroup && cgroup_enter (c->cgroup, 0, &err) < 0)
    goto fail;
  /* Nothing else the runtime had open may follow us into the container. */
  {
    int keep[4 + 1024];
    size_t n = 0;
    keep[n++] = c->sync_fd;
    keep[n++] = c->pidfd;
    keep[n++] = c->rootfd;
    keep[n++] = c->console_fd;
    for (int i = 0; i < c->o->preserve_fds && n < ARRAY_SIZE (keep); i++)
      keep[n++] = 3 + i;
    close_fds_except (3, keep, n);
  }
  /* Through the trampoline, the pid (time) namespace is for our children
     only (one setns joins them all, the user namespace first), and the
     container's /proc has no /proc/self for us: what process_apply_early
     writes there (oom_score_adj) is written now. */
  if (c->trampoline && process_apply_early (p, NULL, &err) < 0)
    goto fail;
  int rest = c->trampoline ? c->ns_flags : c->ns_flags & ~(CLONE_NEWPID | CLONE_NEWTIME);
  if (rest && setns (c->pidfd, rest) < 0)
    {
      cr_fail (&err, errno, "join the namespaces of container %s", c->o->id);
      goto fail;
    }
  close (c->pidfd);
  /* Joining a user namespace changed our credentials, clearing the signal. */
  exec_die_with_runtime (c->sync_fd);
  /* setns(mnt) puts us at the namespace's root; the container may have
     chrooted (--no-pivot), so take its root explicitly. */
  if (fchdir (c->rootfd) < 0 || chroot (".") < 0)
    {
      cr_fail (&err, errno, "enter the root of container %s", c->o->id);
      goto fail;
    }
  close (c->rootfd);
  if (chdir (p->cwd) < 0)
    {
      cr_fail (&err, errno, "chdir %s", p->cwd);
      goto fail;
    }
  if (p->terminal && sync_setup_terminal (p, c->console_fd, c->sync_fd, &err) < 0)
    goto fail;
  if (!p->terminal)
    setsid ();
  struct process_plan plan = { .proc = p,
                               .lx = c->spec->linux,
                               .seccomp_bundle = c->sc_bundle,
                               .seccomp_profile = c->sc_profile,
                               .preserve_fds = c->o->preserve_fds,
                               .setgroups_allowed = c->setgroups_allowed,
                               .trampoline = c->trampoline,
                               .exec_mode = true,
                               .fifo_dir = -1,
                               .fifo_fd = -1,
                               .sync_fd = c->sync_fd };
  if (process_resolve_exe (p, &plan.exe, &err) < 0 || (!c->trampoline && process_apply_early (p, NULL, &err) < 0))
    goto fail;
  /* The foreground exec blocked every signal to forward them; a mask survives
     execve, and the program's own handlers would never run under it. */
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* The program (a detached one too) outlives the runtime. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  process_exec (&plan, &err);
fail:
  sync_send (c->sync_fd, SYNC_ERROR, 0, &err);
  _exit (127);
}

static void
exec_child_clear (struct exec_child *c)
{
  if (c->console_fd >= 0)
    close (c->console_fd);
  if (c->pidfd >= 0)
    close (c->pidfd);
  if (c->rootfd >= 0)
    close (c->rootfd);
  if (c->sc_bundle)
    seccomp_release (c->sc_bundle);
  seccomp_prog_free (c->sc_profile);
  if (c->cgroup)
    cgroup_manager_free (c->cgroup);
}

/* Everything the child needs, opened while we still see the host: the
   container's pidfd and root, the namespaces to join, its cgroup, the seccomp
   filters (the bundle's and, under a profile, the profile's, as the container
   has) and the console socket. */
static int
exec_prepare (struct exec_child *c, const struct container_state *st, struct spec *spec, struct cr_error *err)
{
  const struct exec_options *o = c->o;
  int r;
  if ((r = process_validate (o->process, err)) < 0)
    return r;
  caps_warn_unraisable_ambient (o->process->capabilities);
  c->pidfd = syscall (SYS_pidfd_open, st->pid, 0);
  if (c->pidfd < 0 || !state_pid_alive (st->pid, st->pid_start_time))
    return cr_fail (err, ESRCH, "exec %s: container is not running", o->id);
  char rootpath[64];
  snprintf (rootpath, sizeof rootpath, "/proc/%d/root", (int) st->pid);
  c->rootfd = open (rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->rootfd < 0)
    return cr_fail (err, errno, "exec %s: open container root", o->id);
  c->ns_flags = differing_namespaces (st->pid);
  c->setgroups_allowed = process_setgroups_allowed (st->pid);
  if (st->cgroup_path && (r = cgroup_open (st->cgroup_root, st->cgroup_path, &c->cgroup, err)) < 0)
    return r;
  if (spec->linux && spec->linux->seccomp && (r = seccomp_filter_build (spec->linux->seccomp, &c->sc_bundle, err)) < 0)
    return r;
  struct spec_seccomp *ps = spec->linux ? spec->linux->profile_seccomp : NULL;
  if (ps && (r = seccomp_filter_build_profile (ps, &c->sc_profile, err)) < 0)
    return r;
  if (o->console_socket && (r = terminal_connect (o->console_socket, &c->console_fd, err)) < 0)
    return r;
  return 0;
}

/* Rootless, the runtime never joins the container's pid (time) namespace
   itself: joining one may need CAP_SYS_ADMIN in our own user namespace,
   which only the container's (if it has one) gives us, and our own pid
   namespace could not be entered again (EPERM), so every later child of the
   runtime would start in the container's (LeakSanitizer's tracer at exit
   did: it found no parent there and exited, and the sanitizer build waited
   for it forever). A short-lived child joins the user (when the container
   has its own) and pid (time) namespaces and clones the exec child as the
   runtime's own child (CLONE_PARENT), reporting its pid in a pipe. */
static pid_t
exec_fork_via_helper (struct exec_child *c, int sync[2], struct cr_error *err)
{
  int join = c->ns_flags & (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWTIME);
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return cr_fail (err, errno, "exec %s: pipe", c->o->id);
  pid_t mid = fork ();
  if (mid == 0)
    {
      int res;
      close (p[0]);
      if (setns (c->pidfd, join) < 0)
        res = -errno;
      else
        {
          pid_t k = syscall (SYS_clone, (unsigned long) CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
          if (k == 0)
            {
              close (p[1]);
              close (sync[0]);
              c->ns_flags &= ~join;
              c->sync_fd = sync[1];
              exec_child_run (c);
            }
          res = k < 0 ? -errno : k;
        }
      write_all (p[1], &res, sizeof res);
      _exit (0);
    }
  int e = errno;
  close (p[1]);
  int res = 0;
  ssize_t n = -1;
  if (mid > 0)
    do
      n = read (p[0], &res, sizeof res);
    while (n < 0 && errno == EINTR);
  close (p[0]);
  if (mid < 0)
    return cr_fail (err, e, "exec %s: fork", c->o->id);
  while (waitpid (mid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof res)
    return cr_fail (err, EIO, "exec %s: the helper joining the container's namespaces exited", c->o->id);
  if (res < 0)
    return cr_fail (err, -res, "exec %s: join the container's %s namespaces", c->o->id,
                    (join & CLONE_NEWUSER) ? "user and pid" : "pid");
  return res;
}

/* Fork the child, which runs exec_child_run on SYNC[1]. A pid namespace can
   only be entered by children: as root, join it for the one child, then
   return to our own so nothing else we fork lands inside; rootless, through
   the helper (returning may be refused). */
static pid_t
exec_fork (struct exec_child *c, int sync[2], struct cr_error *err)
{
  if (!c->trampoline && userns_detect_rootless () && (c->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME)))
    return exec_fork_via_helper (c, sync, err);
  int saved_pid = -1, saved_time = -1;
  if (!c->trampoline && (c->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME)))
    {
      ns_save_children_ns (&saved_pid, &saved_time);
      if (setns (c->pidfd, c->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME)) < 0)
        {
          cr_fail (err, errno, "exec %s: join pid namespace", c->o->id);
          ns_restore_children_ns (&saved_pid, &saved_time, err);
          return -1;
        }
    }
  pid_t child = fork ();
  if (child == 0)
    {
      if (saved_pid >= 0)
        close (saved_pid);
      if (saved_time >= 0)
        close (saved_time);
      close (sync[0]);
      c->sync_fd = sync[1];
      exec_child_run (c);
    }
  if (saved_pid >= 0 || saved_time >= 0)
    {
      struct cr_error rerr = { 0 };
      if (ns_restore_children_ns (&saved_pid, &saved_time, &rerr) < 0)
        log_warning ("%s", rerr.msg);
    }
  if (child < 0)
    cr_fail (err, errno, "exec %s: fork", c->o->id);
  return child;
}

/* Read SYNC_FD until the child's execve closes it (close-on-exec: EOF means
   success), handing a pty master it sends to O->terminal_master. Through the
   trampoline, *CHILD becomes the process it forked (our child too), and the
   trampoline, which exits at once, is reaped. */
static int
exec_wait_ready (int sync_fd, const struct exec_options *o, bool trampoline, pid_t *child, struct cr_error *err)
{
  pid_t forked = -1;
  for (;;)
    {
      struct sync_msg m;
      int passed = -1;
      if (sync_recv (sync_fd, &m, &passed) < 0)
        {
          if (!trampoline)
            return 0;
          while (waitpid (*child, NULL, 0) < 0 && errno == EINTR)
            ;
          if (forked < 0)
            return cr_fail (err, EIO, "exec %s: the trampoline exited without starting the process", o->id);
          *child = forked;
          return 0;
        }
      if (m.type == SYNC_EXEC_PID)
        {
          forked = m.pid;
          continue;
        }
      if (m.type == SYNC_TERMINAL)
        {
          if (o->terminal_master)
            *o->terminal_master = passed;
          else if (passed >= 0)
            close (passed);
          continue;
        }
      if (m.type == SYNC_ERROR)
        {
          err->code = m.code;
          memcpy (err->msg, m.msg, sizeof err->msg);
          waitpid (*child, NULL, 0);
          if (forked > 0)
            waitpid (forked, NULL, 0);
          return -1;
        }
    }
}

/* Before anything is opened: the program starts through the sealed
   trampoline, or this runtime re-executes from its sealed copy (the checks
   see the profile's filter, kept in the spec for exec_prepare). */
static int
exec_protect (struct exec_child *c, struct spec *spec, const char *profile, struct cr_error *err)
{
  struct spec_seccomp *ps = profile_exec_seccomp (profile);
  if (spec->linux)
    {
      spec_seccomp_free (spec->linux->profile_seccomp);
      spec->linux->profile_seccomp = ps;
    }
  else
    spec_seccomp_free (ps);
  return runtime_protect_for_exec (spec, c->o->process, &c->trampoline, err);
}

int
exec_start (const struct exec_options *o, pid_t *pid, struct cr_error *err)
{
  /* Loaded once: by exec_build_process for the CLI, here otherwise. */
  struct exec_container own = { 0 };
  struct exec_container *ld = o->loaded;
  int r = 0;
  if (ld == NULL || ld->spec == NULL)
    {
      ld = &own;
      if ((r = exec_container_load (o->root, o->id, ld, err)) < 0)
        return r;
    }
  struct container_state *st = TAKE_PTR (ld->st);
  struct spec *spec = TAKE_PTR (ld->spec);
  _cleanup_free_ char *profile = TAKE_PTR (ld->profile);
  exec_container_clear (ld);
  struct exec_child c = { .o = o, .spec = spec, .pidfd = -1, .rootfd = -1, .sync_fd = -1, .console_fd = -1 };
  int sync[2] = { -1, -1 };
  if ((r = exec_protect (&c, spec, profile, err)) < 0 || (r = exec_prepare (&c, st, spec, err)) < 0)
    goto out;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0)
    {
      r = cr_fail (err, errno, "socketpair");
      goto out;
    }
  pid_t child = exec_fork (&c, sync, err);
  if (child < 0)
    {
      r = -1;
      goto out;
    }
  close (sync[1]);
  sync[1] = -1;
  if ((r = exec_wait_ready (sync[0], o, c.trampoline, &child, err)) < 0)
    goto out;
  if (o->pid_file)
    {
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%d", (int) child);
      if ((r = write_file_atomic (o->pid_file, buf, n, 0644, err)) < 0)
        goto out;
    }
  *pid = child;
out:
  if (sync[0] >= 0)
    close (sync[0]);
  if (sync[1] >= 0)
    close (sync[1]);
  exec_child_clear (&c);
  state_free (st);
  spec_free (spec);
  return r;
}
