/* The runtime side of the lifecycle after create (create.c): state, start
   opens exec.fifo, which lets the blocked init exec the user's program; kill
   and delete. */
#include "config.h"
#include "core/container.h"
#include "linux/cgroups/cgroups.h"
#include "core/hooks.h"
#include "base/log.h"
#include "core/notify.h"
#include "state_json.h"
#include "linux/cgroups/systemd_scope.h"
#include "base/utils.h"
#include "linux/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>

const char *
container_cgroup_root (void)
{
  const char *r = getenv ("CELLRUN_CGROUP_ROOT");
  return r && *r ? r : "/sys/fs/cgroup";
}

/* The owner's user name, looked up when the state is shown (state files before ownerUid kept it). */
static const char *
container_owner_name (const struct container_state *st)
{
  if (st->owner || st->owner_uid < 0)
    return st->owner;
  struct passwd *pw = getpwuid ((uid_t) st->owner_uid);
  return pw ? pw->pw_name : "";
}

char *
container_state_to_json (const struct container_state *st, enum container_status status)
{
  bool live = status == STATUS_CREATED || status == STATUS_RUNNING || status == STATUS_PAUSED;
  struct oci_state os = { .id = st->id,
                          .status = container_status_name (status),
                          .pid = live ? st->pid : 0,
                          .bundle = st->bundle,
                          .annotations = st->annotations,
                          .annotations_len = st->annotations_len,
                          .created = st->created,
                          .owner = container_owner_name (st),
                          .profile = st->profile ? st->profile : "none" };
  return oci_state_to_json (&os, true);
}

int
container_load (const char *root, const char *id, struct container_state **st, enum container_status *status,
                struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  return state_open_status (root, id, false, &dirfd, st, status, err);
}

int
container_state_json (const char *root, const char *id, char **json, struct cr_error *err)
{
  _cleanup_state_ struct container_state *st = NULL;
  enum container_status status;
  int r = container_load (root, id, &st, &status, err);
  if (r < 0)
    return r;
  *json = container_state_to_json (st, status);
  return 0;
}

/* Wait, without polling, until the fifo's writer is gone (the init exec'd
   the program, or wrote its error and exited: what it wrote is all in the
   fifo then) or PID exited without ever opening it. One wake-up at the
   exec, not one for the "0" and another for the EOF. */
static int
wait_fifo_or_exit (int fifo, pid_t pid, struct cr_error *err)
{
  _cleanup_close_ int pidfd = syscall (SYS_pidfd_open, pid, 0);
  /* No events asked of the fifo: POLLHUP comes anyway, and only once a
     writer has come and gone (not for a fifo no writer opened yet). */
  struct pollfd p[2] = { { .fd = fifo, .events = 0 }, { .fd = pidfd, .events = POLLIN } };
  for (;;)
    {
      int n = poll (p, pidfd >= 0 ? 2 : 1, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cr_fail (err, errno, "wait for container init");
      if (p[0].revents & (POLLHUP | POLLERR))
        return 0;
      if (p[1].revents & POLLIN)
        {
          /* An exiting process closes its files before it is reported
             exited: had it opened the fifo, the hang-up shows by now. */
          struct pollfd q = { .fd = fifo, .events = 0 };
          if (poll (&q, 1, 0) > 0 && (q.revents & (POLLHUP | POLLERR)))
            return 0;
          return cr_fail (err, ESRCH, "container init exited before start");
        }
    }
}

int
container_fifo_open (int dirfd, const char *id, struct cr_error *err)
{
  int fifo = openat (dirfd, STATE_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return cr_fail (err, errno, "open %s of %s", STATE_FIFO, id);
  return fifo;
}

/* The init's verdict on FIFO: "0" when it got the go, then EOF once its exec
   succeeded (the fd is close-on-exec), or "E<message>" if it failed. */
int
container_fifo_verdict (int dirfd, int fifo, const char *id, pid_t pid, struct cr_error *err)
{
  int r = wait_fifo_or_exit (fifo, pid, err);
  if (r < 0)
    return r;
  if (fcntl (fifo, F_SETFL, 0) < 0)
    return cr_fail (err, errno, "start %s", id);
  char buf[CR_ERROR_MSG_MAX + 2];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof buf - 1 && (n = read (fifo, buf + got, sizeof buf - 1 - got)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      got += n;
    }
  buf[got] = '\0';
  if (got == 0)
    return cr_fail (err, EIO, "start %s: container init did not respond", id);
  if (got > 1 && buf[1] == 'E')
    {
      unlinkat (dirfd, STATE_FIFO, 0);
      return cr_fail (err, 0, "start %s: %s", id, buf + 2);
    }
  return 0;
}

void
container_run_poststart (const struct spec *spec, const struct container_state *st)
{
  if (!spec || !spec->hooks || !spec->hooks->poststart_len)
    return;
  _cleanup_free_ char *json = container_state_to_json (st, STATUS_RUNNING);
  struct cr_error herr = { 0 };
  if (hooks_run (spec->hooks->poststart, spec->hooks->poststart_len, "poststart", json, &herr) < 0)
    log_warning ("%s", herr.msg);
}

/* Opening exec.fifo for reading releases the init. */
int
container_start (const char *root, const char *id, struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  enum container_status status;
  int r = state_open_status (root, id, true, &dirfd, &st, &status, err);
  if (r < 0)
    return r;
  if (status != STATUS_CREATED)
    return cr_fail (err, 0, "start %s: container is %s, not created", id, container_status_name (status));
  _cleanup_close_ int fifo = container_fifo_open (dirfd, id, err);
  if (fifo < 0)
    return fifo;
  if ((r = container_fifo_verdict (dirfd, fifo, id, st->pid, err)) < 0)
    return r;
  unlinkat (dirfd, STATE_FIFO, 0);
  struct spec *spec = NULL;
  if (state_load_spec_with (dirfd, "poststart", &spec, err) == 0)
    container_run_poststart (spec, st);
  spec_free (spec);
  return r;
}

static int
signal_init (const struct container_state *st, int sig, struct cr_error *err)
{
  int pidfd = syscall (SYS_pidfd_open, st->pid, 0);
  if (pidfd < 0)
    return cr_fail (err, errno == ESRCH ? ESRCH : errno, "kill %s", st->id);
  /* The pidfd pins the process: re-check the start time so a recycled pid is never signalled. */
  if (!state_pid_alive (st->pid, st->pid_start_time))
    {
      close (pidfd);
      return cr_fail (err, 0, "kill %s: container is not running", st->id);
    }
  int r = syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
  int e = errno;
  close (pidfd);
  if (r < 0)
    return cr_fail (err, e, "kill %s", st->id);
  return 0;
}

int
container_kill (const char *root, const char *id, int sig, bool all, struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_state_ struct container_state *st = NULL;
  enum container_status status;
  int r = state_open_status (root, id, false, &dirfd, &st, &status, err);
  if (r < 0)
    return r;
  if (status == STATUS_STOPPED && !all)
    r = cr_fail (err, 0, "kill %s: container is not running", id);
  else if (all && st->cgroup_path)
    {
      struct cgroup_manager *m = NULL;
      if ((r = cgroup_open (st->cgroup_root, st->cgroup_path, &m, err)) == 0)
        {
          r = cgroup_kill_all (m, sig, err);
          cgroup_manager_free (m);
        }
    }
  else
    r = signal_init (st, sig, err);
  return r;
}

static int
wait_pid_gone (pid_t pid, unsigned long long start, int timeout_ms)
{
  if (!state_pid_alive (pid, start))
    return 0;
  _cleanup_close_ int pidfd = syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return 0;
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  while (poll (&p, 1, timeout_ms) < 0 && errno == EINTR)
    ;
  return state_pid_alive (pid, start) ? -ETIMEDOUT : 0;
}

/* --force on a live container: kill everything in its cgroup and the init,
   thaw it, and wait (up to 5 s) for the init to be gone. The thaw comes
   after the SIGKILL (a frozen process cannot die until thawed, and none
   runs again before it dies) and whatever the saved status: the container
   may have been frozen after it was read (another tool, a racing pause). */
static int
delete_stop (const char *id, const struct container_state *st, struct cgroup_manager *cg, struct cr_error *err)
{
  struct cr_error kerr = { 0 };
  if (cg)
    {
      cgroup_kill_all (cg, SIGKILL, &kerr);
      cgroup_freeze (cg, false, &kerr);
    }
  signal_init (st, SIGKILL, &kerr);
  if (wait_pid_gone (st->pid, st->pid_start_time, 5000) < 0)
    return cr_fail (err, ETIMEDOUT, "delete %s: container init did not exit", id);
  return 0;
}

/* The poststop hooks of the saved spec; a failing one is only a warning. */
static void
delete_run_poststop (int dirfd, const struct container_state *st)
{
  struct spec *spec = NULL;
  struct cr_error herr = { 0 };
  if (state_load_spec_with (dirfd, "poststop", &spec, &herr) == 0 && spec && spec->hooks && spec->hooks->poststop_len)
    {
      _cleanup_free_ char *json = container_state_to_json (st, STATUS_STOPPED);
      if (hooks_run (spec->hooks->poststop, spec->hooks->poststop_len, "poststop", json, &herr) < 0)
        log_warning ("%s", herr.msg);
    }
  spec_free (spec);
}

static void umount_under_state_dir (const char *root, const char *id);

/* The state dir goes, or, with KEPT (--keep-workspace), everything but the
   overlay upper layer, whose path comes back in *KEPT. */
static int
delete_state_dir (const char *root, const char *id, int dirfd, const struct container_state *st, char **kept,
                  struct cr_error *err)
{
  if (st->workspace_upper)
    {
      _cleanup_free_ char *ws = NULL;
      xasprintf (&ws, "%s/%s/workspace", root, id);
      if (st->workspace_tmpfs)
        umount2 (ws, MNT_DETACH);
      if (kept)
        {
          /* The upper layer stays where it was; everything else goes, so the
             id no longer names a container (state/list skip it). */
          rm_rf_at (dirfd, "workspace/work", err);
          rm_rf_at (dirfd, NOTIFY_STATE_DIR, err);
          unlinkat (dirfd, STATE_CONFIG_FILE, 0);
          unlinkat (dirfd, STATE_FIFO, 0);
          unlinkat (dirfd, STATE_INTENT, 0);
          if (unlinkat (dirfd, STATE_FILE, 0) < 0)
            return cr_fail (err, errno, "delete %s: remove state", id);
          *kept = xstrdup (st->workspace_upper);
          return 0;
        }
    }
  umount_under_state_dir (root, id);
  /* Rootless with subordinate ids, the overlay's upper layer may hold files
     the caller cannot remove: the saved mappings are read first, for
     removing them as root of a user namespace with those mappings. */
  _cleanup_spec_ struct spec *spec = NULL;
  struct cr_error ignored = { 0 };
  if (st->workspace_upper && geteuid () != 0)
    state_load_spec (dirfd, &spec, &ignored);
  int r = state_remove_dir (root, id, err);
  if (r < 0 && (err->code == EACCES || err->code == EPERM) && spec && spec->linux && spec->linux->uid_mappings_len)
    {
      /* What the namespace's root cannot reach (the caller's own dirs, when
         the caller is not mapped) is left for one more pass as the caller. */
      _cleanup_close_ int rfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (rfd >= 0 && userns_remove_mapped (spec, rfd, id, &ignored) == 0)
        return 0;
      r = state_remove_dir (root, id, err);
    }
  return r;
}

/* Tear down a loaded container: checks, stop (--force), systemd scope,
   cgroup CG (may be NULL), poststop hooks, then the state dir. */
static int
delete_loaded (const char *root, const char *id, int dirfd, const struct container_state *st,
               enum container_status status, struct cgroup_manager *cg, bool force, char **kept, struct cr_error *err)
{
  /* Checked before anything is torn down: the size-capped upper layer lives
     on a tmpfs that cannot outlive the container. */
  if (kept && st->workspace_tmpfs)
    return cr_fail (err, 0, "delete %s: --keep-workspace is not possible with a size-capped (max-bytes) workspace", id);
  if (status != STATUS_STOPPED && !force)
    return cr_fail (err, 0, "delete %s: container is %s: stop it first or use --force", id,
                    container_status_name (status));
  int r;
  if (status != STATUS_STOPPED && (r = delete_stop (id, st, cg, err)) < 0)
    return r;
  if (st->systemd_unit)
    {
      /* systemd would otherwise keep a failed or abandoned unit around. */
      struct cr_error serr = { 0 };
      if (systemd_scope_stop (st->systemd_unit, &serr) < 0)
        log_warning ("delete %s: %s", id, serr.msg);
    }
  if (cg && (r = cgroup_destroy (cg, err)) < 0)
    return r;
  delete_run_poststop (dirfd, st);
  return delete_state_dir (root, id, dirfd, st, kept, err);
}

/* Mounts create made in the state dir (the size-capped workspace tmpfs) go
   before the dir is removed, even when no record says they exist. */
static void
umount_under_state_dir (const char *root, const char *id)
{
  _cleanup_free_ char *path = NULL, *dir = NULL;
  xasprintf (&path, "%s/%s", root, id);
  /* mountinfo names mount points by their absolute, resolved path. */
  _cleanup_free_ char *real = realpath (path, NULL);
  if (real == NULL)
    return;
  xasprintf (&dir, "%s/", real);
  size_t n = strlen (dir);
  static char buf[32768];
  for (int round = 0; round < 8; round++)
    {
      FILE *f = fopen ("/proc/self/mountinfo", "re");
      if (f == NULL)
        return;
      /* Large reads: every read(2) of mountinfo walks the mount table again. */
      setvbuf (f, buf, _IOFBF, sizeof buf);
      char line[4096];
      bool found = false;
      while (fgets (line, sizeof line, f))
        {
          /* The fifth field is the mount point: skipped to by hand (sscanf
             was most of delete's user time). */
          char *mp = line;
          for (int k = 0; k < 4 && mp; k++)
            if ((mp = strchr (mp, ' ')) != NULL)
              mp++;
          if (mp == NULL || strncmp (mp, dir, n) != 0)
            continue;
          mp[strcspn (mp, " \n")] = '\0';
          found = umount2 (mp, MNT_DETACH) == 0 || found;
        }
      fclose (f);
      if (!found)
        return;
    }
}

/* What delete --force knows of a container whose state.json is missing or
   unreadable: the intent record create wrote before making anything or,
   when that is gone too, the cgroup the saved spec names (no pid: the
   cgroup's processes are killed). */
static int
delete_recover_state (int dirfd, const char *id, struct container_state **out)
{
  struct cr_error ignored = { 0 };
  if (state_load_intent (dirfd, id, out, &ignored) == 0)
    return 0;
  struct spec *spec = NULL;
  if (state_load_spec (dirfd, &spec, &ignored) < 0)
    return -1;
  char *path = NULL;
  int r = cgroup_resolve_path (spec->linux ? spec->linux->cgroups_path : NULL, id, false, &path, &ignored);
  spec_free (spec);
  if (r < 0)
    return -1;
  struct container_state *st = xcalloc (1, sizeof *st);
  st->id = xstrdup (id);
  st->cgroup_root = xstrdup (container_cgroup_root ());
  st->cgroup_path = path;
  *out = st;
  return 0;
}

static int
delete_with (const char *root, const char *id, bool force, char **kept_workspace, struct cgroup_manager *given,
             struct cr_error *err)
{
  if (kept_workspace)
    *kept_workspace = NULL;
  _cleanup_close_ int dirfd = -1;
  int r = state_open_dir (root, id, true, &dirfd, err);
  /* As with runc, --force on a container that is already gone succeeds: podman
     and the containerd shim clean up after a failed create with `delete --force`
     and would report its error on top of the create's own. */
  if (r < 0 && force && err->code == ENOENT)
    return 0;
  if (r < 0)
    return r;
  _cleanup_state_ struct container_state *st = NULL;
  if ((r = state_load (dirfd, id, &st, err)) < 0)
    {
      /* No state.json (create was killed before it was written) or an
         unreadable one: with --force, clean up from the intent record create
         wrote before it made anything; a dir with neither made nothing yet. */
      if (!force && err->code != ENOENT)
        return r;
      if (delete_recover_state (dirfd, id, &st) < 0)
        {
          if (!force)
            return r;
          umount_under_state_dir (root, id);
          return state_remove_dir (root, id, err);
        }
    }
  enum container_status status;
  state_status (dirfd, st, &status, err);
  struct cgroup_manager *cg = NULL;
  bool mine = false;
  if (st->cgroup_path && given && cgroup_manager_is (given, st->cgroup_path))
    cg = given;
  else if (st->cgroup_path)
    mine = cgroup_open (st->cgroup_root, st->cgroup_path, &cg, err) == 0;
  r = delete_loaded (root, id, dirfd, st, status, cg, force, kept_workspace, err);
  if (mine)
    cgroup_manager_free (cg);
  return r;
}

int
container_delete (const char *root, const char *id, bool force, char **kept_workspace, struct cr_error *err)
{
  return delete_with (root, id, force, kept_workspace, NULL, err);
}

int
container_delete_cgroup (const char *root, const char *id, bool force, struct cgroup_manager *cg, struct cr_error *err)
{
  return delete_with (root, id, force, NULL, cg, err);
}
