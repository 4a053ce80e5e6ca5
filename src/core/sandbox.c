/* `cellrun sandbox` (docs/sandbox.md): the generated spec through the
   ordinary create/start/delete paths, with a private state root.

   Layout of one run, all below a fresh temp dir D ($TMPDIR, else /dev/shm,
   else /tmp; mkdtemp, 0700):
     D/state   the --root of the one container (id: D's name)
     D/root    the mount point of the host's / (a recursive copy, recursively
               read-only) when no --rootfs is given; the init attaches a
               detached copy there in its own mount namespace, or (rootless,
               a workspace size cap) cellrun binds it in a mount namespace of
               its own: either way the host never sees it
   The watchdog (sandbox_watchdog.c) removes the cgroup and D should cellrun
   be killed. */
#include "config.h"
#include "core/sandbox.h"
#include "core/diff.h"
#include "core/state.h"
#include "linux/cgroups/cgroups.h"
#include "linux/mounts.h"
#include "linux/terminal.h"
#include "policy/profile.h"
#include "policy/profile_select.h"
#include "base/log.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- result ---------------------------------------------------------------- */

static void
json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        fprintf (f, "\\%c", *p);
      else if (*p < 0x20 || *p >= 0x7f)
        fprintf (f, "\\u%04x", *p);
      else
        fputc (*p, f);
    }
  fputc ('"', f);
}

char *
sandbox_result_json (const struct sandbox_result *r)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return NULL;
  fprintf (f,
           "{\"exit_code\":%d,\"signal\":%d,\"timed_out\":%s,\"oom_killed\":%s,\"wall_ms\":%llu,\"user_ms\":%llu,"
           "\"sys_ms\":%llu,\"max_rss_kb\":%llu,\"error\":",
           r->exit_code, r->signal, r->timed_out ? "true" : "false", r->oom_killed ? "true" : "false",
           (unsigned long long) r->wall_ms, (unsigned long long) r->user_ms, (unsigned long long) r->sys_ms,
           (unsigned long long) r->max_rss_kb);
  if (r->failed)
    json_string (f, r->error.msg);
  else
    fputs ("null", f);
  fputs ("}\n", f);
  fclose (f);
  return buf;
}

int
sandbox_setup_exit_code (const struct cr_error *err)
{
  /* The init reports a program it cannot find at create ("exec X: ...")
     and a failed execve at start ("start ID: exec X: ..."). */
  const char *m = err->msg;
  if (has_prefix (m, "start ") && strstr (m, ": "))
    m = strstr (m, ": ") + 2;
  if (!has_prefix (m, "exec "))
    return SANDBOX_EXIT_SETUP;
  if (err->code == ENOENT || strstr (m, strerror (ENOENT)) || strstr (m, "not found in $PATH"))
    return SANDBOX_EXIT_NOT_FOUND;
  return SANDBOX_EXIT_CANNOT_EXEC;
}

static uint64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the private state ------------------------------------------------------ */

struct sandbox_ctx
{
  const struct sandbox_options *o;
  char dir[4096];             /* D */
  const char *id;             /* the container's id: D's name, unique (its cgroup is <own>/<id>) */
  char *cgroup;               /* that cgroup's path when limits are asked for (kind), else NULL */
  struct cgroup_manager *cgm; /* it, opened once after the run (OOM check, delete) */
  char *state_root;
  char *root_view; /* D/root, or NULL */
  int root_tree;   /* the default root as a detached tree the init attaches, or -1 */
  bool private_ns; /* cellrun is in a mount namespace of its own (the default root otherwise) */
  bool own_userns; /* unprivileged: in a user namespace of its own for that (no way back) */
  int host_ns;     /* the mount namespace it came from, and its cwd there */
  int cwd;
  bool created;
  bool started;                       /* created and started in one call (create_options.start) */
  enum cgroup_manager_kind kind_used; /* the one the container was created with */
  struct sandbox_watchdog wd;
  struct spec *spec;
  int mntns; /* the sandbox's mount namespace, for --collect */
  int pidfd; /* the init */
  pid_t pid;
  int master; /* -t */
  int forced_signal;
  enum cgroup_manager_kind kind; /* from check_limits */
  struct sandbox_result res;
};

/* TMPDIR/cellrun-sandbox.XXXXXX, 0700. */
static int
make_temp_dir (struct sandbox_ctx *c, struct cr_error *err)
{
  /* $TMPDIR, else /dev/shm (a tmpfs: making and removing a directory on a
     busy disk filesystem costs more than the rest of a short run), else /tmp. */
  const char *tmp = getenv ("TMPDIR");
  struct stat st;
  if (tmp == NULL || *tmp != '/')
    tmp = stat ("/dev/shm", &st) == 0 && S_ISDIR (st.st_mode) ? "/dev/shm" : "/tmp";
  if ((size_t) snprintf (c->dir, sizeof c->dir, "%s/cellrun-sandbox.XXXXXX", tmp) >= sizeof c->dir)
    return cr_fail (err, ENAMETOOLONG, "TMPDIR %s", tmp);
  if (mkdtemp (c->dir) == NULL)
    {
      int e = errno;
      c->dir[0] = '\0';
      return cr_fail (err, e, "make the sandbox's temp dir in %s", tmp);
    }
  c->id = strrchr (c->dir, '/') + 1;
  return 0;
}

static int
write_self (const char *file, const char *data, struct cr_error *err)
{
  _cleanup_close_ int fd = open (file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_all (fd, data, strlen (data)) < 0)
    return cr_fail (err, errno, "sandbox: write %s", file);
  return 0;
}

static int enter_own_userns_maps (uid_t uid, gid_t gid, struct cr_error *err);

/* Unprivileged: a user namespace of cellrun's own with its ids mapped to
   themselves gives it the right to a mount namespace; the runtime stays
   rootless inside it (same ids, not the initial user namespace). */
static int
enter_own_userns (struct sandbox_ctx *c, struct cr_error *err)
{
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
    return cr_fail (err, errno, "sandbox: a user and mount namespace for the host's / as root");
  c->own_userns = true;
  /* /proc/self of a non-dumpable process belongs to root: ours for a moment. */
  prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  int r = enter_own_userns_maps (uid, gid, err);
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  return r;
}

static int
enter_own_userns_maps (uid_t uid, gid_t gid, struct cr_error *err)
{
  char map[64];
  snprintf (map, sizeof map, "%u %u 1\n", (unsigned) uid, (unsigned) uid);
  if (write_self ("/proc/self/uid_map", map, err) < 0 || write_self ("/proc/self/setgroups", "deny", err) < 0)
    return -1;
  snprintf (map, sizeof map, "%u %u 1\n", (unsigned) gid, (unsigned) gid);
  return write_self ("/proc/self/gid_map", map, err);
}

/* The default root needs a mount namespace of cellrun's own, where the
   host's / can be bound for the sandbox without touching the host's mount
   table. HOST_NS and CWD (opened before) take cellrun back at teardown. */
static int
enter_private_ns (struct sandbox_ctx *c, struct cr_error *err)
{
  c->host_ns = open ("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  c->cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->host_ns < 0)
    return cr_fail (err, errno, "sandbox: open /proc/self/ns/mnt");
  if (unshare (CLONE_NEWNS) < 0)
    {
      if (errno != EPERM || !c->o->rootless)
        return cr_fail (err, errno, "sandbox: a mount namespace for the host's / as root");
      if (enter_own_userns (c, err) < 0)
        return -1;
    }
  c->private_ns = true;
  /* Private: nothing mounted here shows on the host, nor in the root view. */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return cr_fail (err, errno, "sandbox: make / private");
  return 0;
}

/* The sandbox sees D through its own mounts only if none of them covers
   it: the last spec mount on D or a directory above it is a tmpfs (the
   default D is below /dev/shm, which is). */
static bool
dir_covered_by_spec (const struct spec *spec, const char *dir)
{
  const struct spec_mount *last = NULL;
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      if (spec->mounts[i].destination == NULL)
        continue;
      _cleanup_free_ char *d = path_clean (spec->mounts[i].destination);
      size_t n = strcmp (d, "/") == 0 ? 0 : strlen (d);
      if (strncmp (dir, d, n) == 0 && (dir[n] == '/' || dir[n] == '\0'))
        last = &spec->mounts[i];
    }
  return last && last->type && strcmp (last->type, "tmpfs") == 0;
}

/* An empty read-only tmpfs on D, first of the spec's mounts: the root the
   sandbox starts from then shows nothing of D. */
static void
cover_dir_in_spec (struct spec *spec, const char *dir)
{
  static const char *const opts[] = { "ro", "nosuid", "nodev", "noexec", "size=4k", "mode=0755" };
  spec->mounts = xrealloc (spec->mounts, (spec->mounts_len + 1) * sizeof *spec->mounts);
  memmove (&spec->mounts[1], &spec->mounts[0], spec->mounts_len * sizeof *spec->mounts);
  spec->mounts_len++;
  struct spec_mount *m = &spec->mounts[0];
  memset (m, 0, sizeof *m);
  m->destination = xstrdup (dir);
  m->type = xstrdup ("tmpfs");
  m->source = xstrdup ("cellrun-sandbox");
  m->options_len = ARRAY_SIZE (opts);
  m->options = xcalloc (m->options_len + 1, sizeof (char *));
  for (size_t i = 0; i < m->options_len; i++)
    m->options[i] = xstrdup (opts[i]);
}

/* The default root as a detached copy of the host's / (every mount of it
   read-only, nosuid, nodev, private), which the init attaches on the empty
   D/root in its own mount namespace: nothing is mounted in cellrun's, so
   it needs no namespace of its own (no copy of the host's mounts, no RCU
   grace period in a setns back). 1: not possible here (open_tree needs
   CAP_SYS_ADMIN over the host's mount namespace; a kernel before 5.12), or
   not wanted: a workspace's size cap is a tmpfs create mounts in cellrun's
   namespace, which must then be a private one (the sandbox's spec asks
   for none today; an overlay workspace is otherwise all the init's). */
static int
prepare_root_tree (struct sandbox_ctx *c, struct cr_error *err)
{
  if (spec_annotation (c->spec, PROFILE_ANNOTATION_WORKSPACE_MAX))
    return 1;
  struct cr_error e = { 0 };
  c->root_tree = mount_tree_open_readonly ("/", &e);
  if (c->root_tree < 0)
    {
      if (e.code == EPERM || e.code == ENOSYS || e.code == EINVAL)
        {
          log_debug ("sandbox: %s: the root view in a mount namespace of cellrun's own", e.msg);
          return 1;
        }
      *err = e;
      return -1;
    }
  xasprintf (&c->root_view, "%s/root", c->dir);
  if (mkdir (c->root_view, 0700) < 0)
    return cr_fail (err, errno, "mkdir %s", c->root_view);
  if (!dir_covered_by_spec (c->spec, c->dir))
    cover_dir_in_spec (c->spec, c->dir);
  free (c->spec->root->path);
  c->spec->root->path = xstrdup (c->root_view);
  return 0;
}

/* Otherwise: the host's / bound recursively on D/root in cellrun's own
   mount namespace, made read-only recursively (every submount too, as bind
   mounts keep their own flags), with D itself covered by an empty
   read-only tmpfs in the view. (Covered, not unmounted: an unmount waits
   for an RCU grace period, which costs more than the rest of the setup.) */
static int
prepare_root_view (struct sandbox_ctx *c, struct cr_error *err)
{
  if (strcmp (c->spec->root->path, "/") != 0)
    return 0;
  int r = prepare_root_tree (c, err);
  if (r <= 0)
    return r;
  r = enter_private_ns (c, err);
  if (r < 0)
    return r;
  xasprintf (&c->root_view, "%s/root", c->dir);
  if (mkdir (c->root_view, 0700) < 0)
    return cr_fail (err, errno, "mkdir %s", c->root_view);
  if (mount ("/", c->root_view, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cr_fail (err, errno, "sandbox: bind / on %s", c->root_view);
  _cleanup_free_ char *inner = NULL;
  xasprintf (&inner, "%s%s", c->root_view, c->dir);
  if (mount ("cellrun-sandbox", inner, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0755") < 0)
    return cr_fail (err, errno, "sandbox: hide %s from the sandbox", c->dir);
  _cleanup_close_ int fd = open (c->root_view, O_PATH | O_DIRECTORY | O_CLOEXEC);
  r = fd < 0 ? -errno : mount_setattr_fd (fd, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0);
  if (r < 0)
    return cr_fail (err, -r, "sandbox: make the host's / read-only for the sandbox");
  free (c->spec->root->path);
  c->spec->root->path = xstrdup (c->root_view);
  return 0;
}

/* --memory, --cpus, --pids: the limits that need a cgroup. */
static bool
limits_asked (const struct sandbox_flags *f)
{
  return f->has_memory || f->has_cpus || f->has_pids;
}

static bool
cgroups_writable (enum cgroup_manager_kind kind)
{
  if (kind == CGROUP_MANAGER_DISABLED)
    return false;
  if (geteuid () == 0)
    return true;
  char *own = NULL;
  struct cr_error ignored = { 0 };
  if (cgroup_resolve_path (NULL, "x", false, &own, &ignored) < 0)
    return false;
  char *slash = strrchr (own, '/');
  if (slash)
    *slash = '\0';
  _cleanup_free_ char *path = NULL, *unified = NULL;
  xasprintf (&path, "%s%s", container_cgroup_root (), own);
  xasprintf (&unified, "%s/unified%s", container_cgroup_root (), own);
  bool ok = access (path, W_OK) == 0 || access (unified, W_OK) == 0;
  free (own);
  return ok;
}

static int
check_limits (struct sandbox_ctx *c, enum cgroup_manager_kind *kind, struct cr_error *err)
{
  const struct sandbox_options *o = c->o;
  *kind = o->cgroup_manager;
  /* No limit asked for, no cgroup: a cgroup costs more than the rest of a
     short run, and the pid namespace already holds every process. */
  if (!limits_asked (o->flags))
    {
      *kind = CGROUP_MANAGER_DISABLED;
      return 0;
    }
  if (cgroups_writable (*kind))
    return 0;
  if (o->require_limits)
    return cr_fail (err, EPERM,
                    "sandbox: --memory/--cpus/--pids cannot be enforced: no writable cgroup "
                    "(--require-limits)");
  log_warning ("sandbox: no writable cgroup: --memory/--cpus/--pids are NOT enforced");
  *kind = CGROUP_MANAGER_DISABLED;
  return 0;
}

/* ---- create, start, wait ------------------------------------------------------ */

static void
profile_request_fill (const struct sandbox_options *o, struct profile_request *pr, char ***binds)
{
  memset (pr, 0, sizeof *pr);
  pr->operator_profile = o->operator_profile;
  pr->operator_source = o->operator_source;
  pr->workspace = o->workspace;
  pr->env_pass = o->env_pass ? o->env_pass : SANDBOX_DEFAULT_ENV_PASS;
  pr->rootless = o->rootless;
  pr->caller_uid = geteuid ();
  pr->caller_gid = getegid ();
  size_t n = 0;
  *binds = xcalloc (o->flags->mounts_len + 1, sizeof (char *));
  for (size_t i = 0; i < o->flags->mounts_len; i++)
    if (o->flags->mounts[i].kind == SANDBOX_BIND)
      (*binds)[n++] = xstrdup (o->flags->mounts[i].source);
  pr->operator_binds = *binds;
}

/* The operator's floor wins: a sandbox asking for less gets the floor
   instead of an error (the annotation may only raise it). */
static void
raise_to_floor (struct spec *spec, const struct sandbox_options *o)
{
  enum profile_level floor = PROFILE_NONE, asked = PROFILE_STRICT;
  struct cr_error ignored = { 0 };
  const char *op = o->operator_profile ? o->operator_profile : o->config ? o->config->profile : NULL;
  if (profile_parse_name (op, &floor, &ignored) < 0)
    return; /* profile_apply reports it */
  for (size_t i = 0; i < spec->annotations_len; i++)
    if (strcmp (spec->annotations[i].key, PROFILE_ANNOTATION_PROFILE) == 0
        && profile_parse_name (spec->annotations[i].value, &asked, &ignored) == 0 && asked < floor)
      {
        free (spec->annotations[i].value);
        spec->annotations[i].value = xstrdup (profile_level_name (floor));
      }
}

/* The init to the watchdog (its pidfd; the --timeout clock starts), just
   before the command is let go: from then on the watchdog can kill it. */
static int
hand_to_watchdog (void *arg, pid_t pid, struct cr_error *err)
{
  struct sandbox_ctx *c = arg;
  if (c->pidfd >= 0)
    close (c->pidfd); /* an earlier try of create_container */
  c->pidfd = syscall (SYS_pidfd_open, pid, 0);
  if (c->pidfd < 0)
    return cr_fail (err, errno, "sandbox: pidfd_open");
  if (sandbox_watchdog_start (&c->wd, c->pidfd) < 0)
    return cr_fail (err, errno, "sandbox: hand the init to the watchdog");
  return 0;
}

static int
create_container (struct sandbox_ctx *c, enum cgroup_manager_kind kind, struct cr_error *err)
{
  const struct sandbox_options *o = c->o;
  struct profile_request pr;
  _cleanup_strv_ char **binds = NULL;
  profile_request_fill (o, &pr, &binds);
  /* Created and started in one call (no state bookkeeping between the
     trampoline and the command), except for --collect: its mount namespace
     is opened once the trampoline runs in the sandbox's user namespace and
     before the command may end, so the command waits for that. */
  bool start = o->collect_len == 0;
  struct create_options co = { .root = c->state_root,
                               .id = c->id,
                               .bundle = c->dir,
                               .cgroup_manager = kind,
                               .profile = &pr,
                               .config = o->config,
                               .caller_env = o->caller_env,
                               .spec = c->spec,
                               .die_with_parent = true,
                               .has_root_tree = c->root_tree >= 0,
                               .root_tree_fd = c->root_tree,
                               .rootless = o->rootless,
                               .terminal_master = o->flags->terminal ? &c->master : NULL,
                               .start = start,
                               .on_release = hand_to_watchdog,
                               .on_release_arg = c };
  int r = container_create (&co, &c->pid, err);
  if (r < 0)
    return r;
  /* Attached in the init's namespace by now: cellrun needs it no more. */
  if (c->root_tree >= 0)
    close (c->root_tree);
  c->root_tree = -1;
  c->created = true;
  c->started = start;
  c->kind_used = kind;
  if (start)
    return 0;
  /* Unprivileged too: the init already runs the trampoline inside the
     sandbox's user namespace, where cellrun passes the ptrace check. */
  _cleanup_free_ char *ns = NULL;
  xasprintf (&ns, "/proc/%d/ns/mnt", (int) c->pid);
  if ((c->mntns = open (ns, O_RDONLY | O_CLOEXEC)) < 0)
    return cr_fail (err, errno, "--collect: open the sandbox's mount namespace");
  return hand_to_watchdog (c, c->pid, err);
}

/* SIG's default action ends the process. */
static bool
signal_terminates (int sig)
{
  switch (sig)
    {
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU: return false;
    default: return true;
    }
}

/* The command is pid 1 of its namespace, which the kernel shields from
   every signal it has no handler for. A signal that would have ended it
   outside a pid namespace ends it here too: SIGKILL, reported as SIG. */
static void
forward_signal (struct sandbox_ctx *c, int sig)
{
  _cleanup_free_ char *path = NULL, *status = NULL;
  xasprintf (&path, "/proc/%d/status", (int) c->pid);
  unsigned long long caught = 0;
  size_t len = 0;
  struct cr_error ignored = { 0 };
  if (read_file (path, &status, &len, &ignored) == 0)
    {
      const char *p = strstr (status, "\nSigCgt:");
      if (p)
        caught = strtoull (p + 8, NULL, 16);
    }
  if (!(caught & (1ULL << (sig - 1))) && signal_terminates (sig))
    {
      c->forced_signal = sig;
      sig = SIGKILL;
    }
  syscall (SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0);
}

/* Forward signals until the init exits; no polling: signalfd and pidfd. */
static void
wait_plain (struct sandbox_ctx *c, const sigset_t *forward)
{
  _cleanup_close_ int sfd = signalfd (-1, forward, SFD_CLOEXEC);
  struct pollfd p[2] = { { .fd = c->pidfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
  for (;;)
    {
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return;
        }
      if (p[0].revents & POLLIN)
        return;
      struct signalfd_siginfo si;
      if ((p[1].revents & POLLIN) && read (sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
        forward_signal (c, si.ssi_signo);
    }
}

static void
collect_status (struct sandbox_ctx *c, int status, const struct rusage *ru)
{
  struct sandbox_result *r = &c->res;
  r->timed_out = sandbox_watchdog_timed_out (&c->wd);
  if (WIFSIGNALED (status))
    {
      r->signal = WTERMSIG (status);
      if (r->signal == SIGKILL && c->forced_signal)
        r->signal = c->forced_signal;
      r->exit_code = 128 + r->signal;
    }
  else
    r->exit_code = WEXITSTATUS (status);
  if (r->timed_out)
    r->exit_code = SANDBOX_EXIT_TIMEOUT;
  r->user_ms = ru->ru_utime.tv_sec * 1000ULL + ru->ru_utime.tv_usec / 1000;
  r->sys_ms = ru->ru_stime.tv_sec * 1000ULL + ru->ru_stime.tv_usec / 1000;
  r->max_rss_kb = ru->ru_maxrss;
}

/* The container's cgroup after the run, opened once for the OOM check and
   delete: only where it was made (named after D, no one else makes it). */
static struct cgroup_manager *
sandbox_cgroup (struct sandbox_ctx *c)
{
  struct cr_error ignored = { 0 };
  if (c->cgm == NULL && c->cgroup && c->kind_used != CGROUP_MANAGER_DISABLED)
    cgroup_open_existing (container_cgroup_root (), c->cgroup, &c->cgm, &ignored);
  return c->cgm;
}

static void
check_oom (struct sandbox_ctx *c)
{
  uint64_t kills = 0;
  struct cgroup_manager *m = sandbox_cgroup (c);
  if (m && cgroup_oom_kills (m, &kills) == 0)
    c->res.oom_killed = kills > 0;
}

/* Back to the host's mount namespace as soon as the command runs: the
   kernel tears ours down (the root view) when cellrun leaves it, which waits
   for an RCU grace period; now that wait overlaps with the command instead
   of following it. Not with a workspace: its size-capped tmpfs in the state
   dir is mounted in our namespace, and --diff, --commit and delete need it. */
static void
leave_private_ns_early (struct sandbox_ctx *c)
{
  if (!c->private_ns || c->own_userns || c->o->workspace)
    return;
  if (setns (c->host_ns, CLONE_NEWNS) < 0)
    return; /* teardown tries again and reports it */
  c->private_ns = false;
  if (c->cwd >= 0 && fchdir (c->cwd) < 0)
    log_warning ("sandbox: return to the working directory: %s", strerror (errno));
}

static int
start_and_wait (struct sandbox_ctx *c, const sigset_t *forward, struct cr_error *err)
{
  int r = c->started ? 0 : container_start (c->state_root, c->id, err);
  if (r < 0)
    return r;
  leave_private_ns_early (c);
  if (c->master >= 0)
    {
      struct cr_error ignored = { 0 };
      terminal_relay (c->master, c->pid, &ignored);
      close (c->master);
      c->master = -1;
    }
  else
    wait_plain (c, forward);
  int status = 0;
  struct rusage ru = { 0 };
  while (wait4 (c->pid, &status, 0, &ru) < 0)
    if (errno != EINTR)
      return cr_fail (err, errno, "sandbox: wait for the command");
  c->pid = -1;
  collect_status (c, status, &ru);
  if (c->o->flags->has_memory)
    check_oom (c);
  return 0;
}

/* ---- after the run ------------------------------------------------------------ */

static int
diff_and_commit (struct sandbox_ctx *c, struct cr_error *err)
{
  struct workspace_change *ch = NULL;
  size_t n = 0;
  int r = 0;
  if (c->o->diff)
    {
      if ((r = container_diff (c->state_root, c->id, &ch, &n, err)) < 0)
        return r;
      for (size_t i = 0; i < n; i++)
        {
          _cleanup_free_ char *q = workspace_quote_path (ch[i].path);
          printf ("%c %s\n", ch[i].op, q);
        }
      workspace_changes_free (ch, n);
      fflush (stdout);
    }
  if (c->o->commit)
    {
      if ((r = container_commit (c->state_root, c->id, false, &ch, &n, err)) < 0)
        return r;
      workspace_changes_free (ch, n);
    }
  return 0;
}

/* The container after the run. A reaped init without a workspace (its
   tmpfs, the overlay) or poststop hooks leaves only its state dir, which
   goes with D, and its cgroup (the init's exit emptied its pid namespace),
   so delete's rereading of the state, the spec and mountinfo is skipped:
   nothing to do without a cgroup, only its removal with cgroupfs. */
static int
remove_container (struct sandbox_ctx *c, struct cr_error *err)
{
  const struct spec_hooks *h = c->spec ? c->spec->hooks : NULL;
  bool ended = c->started && c->pid <= 0 && !c->o->workspace && !(h && h->poststop_len);
  if (ended && c->kind_used == CGROUP_MANAGER_DISABLED)
    return 0;
  struct cgroup_manager *cg = sandbox_cgroup (c);
  if (ended && c->kind_used == CGROUP_MANAGER_CGROUPFS && cg)
    return cgroup_destroy (cg, err);
  return container_delete_cgroup (c->state_root, c->id, true, cg, err);
}

/* Everything goes: the container (its cgroup, state, overlay), the root
   view and the tmpfs, the temp dir; then the watchdog is told and reaped. */
static void
teardown (struct sandbox_ctx *c)
{
  struct cr_error derr = { 0 };
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      while (waitpid (c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (c->created && remove_container (c, &derr) < 0)
    log_warning ("%s", derr.msg);
  cgroup_manager_free (c->cgm);
  if (c->mntns >= 0)
    close (c->mntns);
  if (c->root_tree >= 0)
    close (c->root_tree);
  if (c->pidfd >= 0)
    close (c->pidfd);
  if (c->master >= 0)
    close (c->master);
  /* Back to the host's mount namespace: ours (the root view) goes with it. */
  if (c->own_userns && c->root_view)
    umount2 (c->root_view, MNT_DETACH); /* the host's namespace is out of reach from our user namespace */
  else if (c->private_ns && (setns (c->host_ns, CLONE_NEWNS) < 0 || (c->cwd >= 0 && fchdir (c->cwd) < 0)))
    log_warning ("sandbox: return to the host's mount namespace: %s", strerror (errno));
  if (c->host_ns >= 0)
    close (c->host_ns);
  if (c->cwd >= 0)
    close (c->cwd);
  if (c->dir[0] && rm_rf_at (AT_FDCWD, c->dir, &derr) < 0)
    log_warning ("%s", derr.msg);
  sandbox_watchdog_finish (&c->wd);
  free (c->state_root);
  free (c->cgroup);
  free (c->root_view);
  spec_free (c->spec);
}

static int
print_spec (const struct sandbox_options *o, struct spec *spec, struct cr_error *err)
{
  struct profile_request pr;
  _cleanup_strv_ char **binds = NULL;
  profile_request_fill (o, &pr, &binds);
  pr.state_dir = "$TMPDIR/cellrun-sandbox.XXXXXX/state/cellrun-sandbox.XXXXXX";
  struct spec *out = NULL;
  struct profile_result res;
  int r = profile_apply (spec, &pr, o->config, o->caller_env, &out, &res, err);
  if (r < 0)
    return r;
  char *json = spec_to_json (out, err);
  spec_free (out);
  profile_result_clear (&res);
  if (json == NULL)
    return -1;
  puts (json);
  free (json);
  return 0;
}

static void
write_result (const struct sandbox_options *o, const struct sandbox_result *r)
{
  if (o->result_path == NULL)
    return;
  _cleanup_free_ char *json = sandbox_result_json (r);
  if (json == NULL)
    return;
  if (strcmp (o->result_path, "-") == 0)
    {
      fputs (json, stdout);
      fflush (stdout);
      return;
    }
  struct cr_error err = { 0 };
  if (write_file (o->result_path, json, strlen (json), 0644, &err) < 0)
    log_warning ("sandbox: --result: %s", err.msg);
}

/* A create that failed on the cgroup or its limits (linux.resources). */
static bool
limits_failure (const struct cr_error *err)
{
  return has_prefix (err->msg, "linux.resources") || strstr (err->msg, "cgroup") != NULL;
}

/* Without --require-limits, limits the host cannot hold are a warning
   (ERR says why) and the run goes on without them. */
static void
limits_not_enforced (struct cr_error *err)
{
  log_warning ("sandbox: the limits cannot be applied (%s): --memory/--cpus/--pids are NOT enforced", err->msg);
  cr_error_clear (err);
}

/* The temp dir and the watchdog, before the spec is built. */
static int
sandbox_early (struct sandbox_ctx *c, struct cr_error *err)
{
  int r;
  if ((r = check_limits (c, &c->kind, err)) < 0 || (r = make_temp_dir (c, err)) < 0)
    return r;
  /* The cgroup create makes (<own>/<id>), known now: the watchdog gets it
     with its arguments, before it exists. Not resolvable: as a create that
     failed on the cgroup (sandbox_steps), without one unless required. */
  if (c->kind != CGROUP_MANAGER_DISABLED && cgroup_resolve_path (NULL, c->id, false, &c->cgroup, err) < 0)
    {
      if (c->o->require_limits)
        return -1;
      limits_not_enforced (err);
      c->kind = CGROUP_MANAGER_DISABLED;
    }
  return sandbox_watchdog_spawn (c->dir, c->o->timeout_ms, c->cgroup ? container_cgroup_root () : NULL, c->cgroup,
                                 &c->wd, err);
}

/* From the root view to the command's end; the first failure lands in ERR. */
static int
sandbox_steps (struct sandbox_ctx *c, sigset_t *forward, struct cr_error *err)
{
  enum cgroup_manager_kind kind = c->kind;
  int r;
  if ((r = prepare_root_view (c, err)) < 0)
    return r;
  xasprintf (&c->state_root, "%s/state", c->dir);
  if (mkdir (c->state_root, 0700) < 0)
    return cr_fail (err, errno, "mkdir %s", c->state_root);
  /* Blocked before the init exists, so none is lost (as `run`). */
  sigfillset (forward);
  sigdelset (forward, SIGSEGV);
  sigdelset (forward, SIGBUS);
  sigdelset (forward, SIGILL);
  sigdelset (forward, SIGFPE);
  sigprocmask (SIG_BLOCK, forward, NULL);
  r = create_container (c, kind, err);
  if (r < 0 && kind != CGROUP_MANAGER_DISABLED && !c->o->require_limits && limits_failure (err))
    {
      /* Tried for real, not guessed: the cgroup exists but cannot hold the
         limits (a controller missing, say). The undo of create removed it. */
      limits_not_enforced (err);
      /* A fresh copy: the first init may have attached the old one. */
      if (c->root_tree >= 0)
        {
          close (c->root_tree);
          if ((c->root_tree = mount_tree_open_readonly ("/", err)) < 0)
            return -1;
        }
      r = create_container (c, CGROUP_MANAGER_DISABLED, err);
    }
  if (r < 0)
    return r;
  return start_and_wait (c, forward, err);
}

int
sandbox_run (const struct sandbox_options *o)
{
  struct sandbox_ctx c = { .o = o,
                           .root_tree = -1,
                           .mntns = -1,
                           .pidfd = -1,
                           .pid = -1,
                           .master = -1,
                           .host_ns = -1,
                           .cwd = -1,
                           .wd = { .sock = -1, .pid = -1 } };
  uint64_t t0 = now_ms ();
  struct cr_error *err = &c.res.error;
  /* Holding host fds and a view of the host: not for ptrace or core dumps. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* The watchdog first: it exists before anything it would remove. */
  int r = 0;
  if (!o->print_spec)
    r = sandbox_early (&c, err);
  if (r == 0)
    r = sandbox_spec_build (o->flags, &c.spec, err);
  if (r == 0)
    raise_to_floor (c.spec, o);
  if (r == 0 && o->print_spec)
    {
      r = print_spec (o, c.spec, err);
      spec_free (c.spec);
      if (r < 0)
        log_error ("sandbox: %s", err->msg);
      return r < 0 ? SANDBOX_EXIT_SETUP : 0;
    }
  sigset_t forward;
  sigset_t saved;
  sigprocmask (SIG_SETMASK, NULL, &saved);
  if (r == 0)
    r = sandbox_steps (&c, &forward, err);
  if (r == 0 && o->collect_len)
    r = sandbox_collect_all (c.mntns, o->collect, o->collect_len, err);
  if (r == 0 && (o->diff || o->commit))
    r = diff_and_commit (&c, err);
  if (r < 0)
    {
      /* Before the command ran, or what was asked for after it (collect,
         diff, commit) failed: cellrun's own failure either way. */
      c.res.failed = true;
      c.res.exit_code = sandbox_setup_exit_code (err);
      log_error ("%s%s", has_prefix (err->msg, "sandbox: ") ? "" : "sandbox: ", err->msg);
    }
  teardown (&c);
  sigprocmask (SIG_SETMASK, &saved, NULL);
  c.res.wall_ms = now_ms () - t0;
  write_result (o, &c.res);
  return c.res.exit_code;
}
