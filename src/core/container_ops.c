#include "config.h"
#include "core/container_ops.h"

#include <errno.h>

#include "base/utils.h"
#include "core/container.h"
#include "core/state.h"
#include "linux/cgroups/cgroups.h"
#include "linux/process.h"

struct container_events
{
  char *root, *id;
  struct cgroup_manager *cgroup;
};

/* Load ID's state and open its cgroup; VERB names the command in errors.
   With LOCKFD, the state dir stays locked exclusively (the fd comes back in
   *LOCKFD) so that the status checked here still holds while the caller acts. */
static int
open_cgroup_locked (const char *root, const char *verb, const char *id, int *lockfd, struct cgroup_manager **m,
                    enum container_status *status, struct cr_error *err)
{
  _cleanup_state_ struct container_state *st = NULL;
  if (lockfd ? state_open_status (root, id, true, lockfd, &st, status, err) < 0
             : container_load (root, id, &st, status, err) < 0)
    return -1;
  if (st->cgroup_path == NULL)
    return cr_fail (err, 0, "%s %s: the container has no cgroup", verb, id);
  return cgroup_open (st->cgroup_root, st->cgroup_path, m, err);
}

static int
open_cgroup (const char *root, const char *verb, const char *id, struct cgroup_manager **m,
             enum container_status *status, struct cr_error *err)
{
  return open_cgroup_locked (root, verb, id, NULL, m, status, err);
}

static int
set_frozen (const char *root, const char *id, bool frozen, struct cr_error *err)
{
  const char *verb = frozen ? "pause" : "resume";
  _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
  enum container_status status;
  /* Locked from the status check to the freeze: a pause that checked
     "running" before a concurrent `delete -f` killed the container would
     otherwise freeze it with SIGKILL pending, and it could not die. */
  _cleanup_close_ int lockfd = -1;
  if (open_cgroup_locked (root, verb, id, &lockfd, &m, &status, err) < 0)
    return -1;
  int r = 0;
  if (frozen && status != STATUS_RUNNING)
    r = cr_fail (err, 0, "pause %s: container is %s, not running", id, container_status_name (status));
  else if (!frozen && status != STATUS_PAUSED)
    r = cr_fail (err, 0, "resume %s: container is %s, not paused", id, container_status_name (status));
  else
    r = cgroup_freeze (m, frozen, err);
  return r;
}

int
container_pause (const char *root, const char *id, struct cr_error *err)
{
  return set_frozen (root, id, true, err);
}

int
container_resume (const char *root, const char *id, struct cr_error *err)
{
  return set_frozen (root, id, false, err);
}

int
container_update (const char *root, const char *id, const struct spec_resources *res, struct cr_error *err)
{
  _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
  enum container_status status;
  int r = open_cgroup (root, "update", id, &m, &status, err);
  if (r == 0 && status == STATUS_STOPPED)
    r = cr_fail (err, 0, "update %s: container is stopped", id);
  if (r == 0)
    r = cgroup_update (m, res, err);
  return r;
}

int
container_ps (const char *root, const char *id, pid_t **pids, size_t *n, struct cr_error *err)
{
  _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
  enum container_status status;
  *pids = NULL;
  *n = 0;
  _cleanup_state_ struct container_state *st = NULL;
  if (container_load (root, id, &st, &status, err) < 0)
    return -1;
  int r;
  if (st->cgroup_path == NULL)
    {
      /* No cgroup (rootless without a delegated one, --cgroup-manager
         disabled): the processes are found through the init. */
      if (status == STATUS_STOPPED)
        return 0;
      r = process_list_container (st->pid, pids, n, err);
    }
  else if ((r = cgroup_open (st->cgroup_root, st->cgroup_path, &m, err)) == 0)
    r = cgroup_pids (m, pids, n, err);
  if (r < 0)
    return r;
  /* An exited process stays in cgroup.procs until it is reaped: it is not
     one of the container's processes any more. */
  size_t live = 0;
  for (size_t i = 0; i < *n; i++)
    if (state_pid_alive ((*pids)[i], 0))
      (*pids)[live++] = (*pids)[i];
  *n = live;
  return 0;
}

int
container_events_open (const char *root, const char *id, struct container_events **out, struct cr_error *err)
{
  struct cgroup_manager *m = NULL;
  enum container_status status;
  if (open_cgroup (root, "events", id, &m, &status, err) < 0)
    return -1;
  struct container_events *ev = xcalloc (1, sizeof *ev);
  ev->root = root ? xstrdup (root) : NULL;
  ev->id = xstrdup (id);
  ev->cgroup = m;
  *out = ev;
  return 0;
}

int
container_events_stats (struct container_events *ev, struct oci_stats *out, struct cr_error *err)
{
  return cgroup_stats (ev->cgroup, out, err);
}

int
container_events_oom_fd (struct container_events *ev)
{
  struct cr_error ignored;
  int fd = cgroup_oom_event_fd (ev->cgroup, &ignored);
  return fd >= 0 ? fd : -1;
}

bool
container_events_alive (struct container_events *ev)
{
  _cleanup_state_ struct container_state *st = NULL;
  enum container_status status;
  struct cr_error ignored;
  return container_load (ev->root, ev->id, &st, &status, &ignored) == 0 && status != STATUS_STOPPED;
}

void
container_events_free (struct container_events *ev)
{
  if (ev == NULL)
    return;
  cgroup_manager_free (ev->cgroup);
  free (ev->root);
  free (ev->id);
  free (ev);
}
