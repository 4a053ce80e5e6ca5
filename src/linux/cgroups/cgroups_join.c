/* The init born in its v1 cgroups: the runtime's own thread joins them
   through `tasks` ("0": the writer's thread alone), clones the init there and
   goes back the same way. A `tasks` write of the writer's own thread does not
   take the kernel's thread-group migration lock, whose first write-side use
   waits for an RCU grace period (a `cgroup.procs` write); see docs/cgroups.md,
   "The migration lock". Used by create (cgroupfs manager, v1 and hybrid). */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/log.h"
#include "base/utils.h"

/* Below this memory limit cellrun does not enter the container's memory
   cgroup even for the clone: what the clone charges there (the child's page
   tables and kernel stack, cellrun's copy-on-write faults) must not make the
   cgroup's OOM killer pick cellrun. */
#define JOIN_MIN_MEMORY (16LL << 20)

/* A line's controllers ("cpu,cpuacct", "name=systemd") name the hierarchy
   as its directory below the root does. */
const char *
cgroup_own_path_of (const char *name, char *content)
{
  size_t hl = strlen (name);
  if (hl == 0)
    return NULL; /* the unified line "0::/..." */
  for (char *line = content; line && *line;)
    {
      char *nl = strchr (line, '\n');
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 && (!nl || c2 < nl))
        {
          const char *ctrls = c1 + 1;
          if (strncmp (ctrls, "name=", 5) == 0)
            ctrls += 5;
          if ((size_t) (c2 - ctrls) == hl && memcmp (ctrls, name, hl) == 0)
            {
              if (nl)
                *nl = '\0';
              return c2 + 1;
            }
        }
      line = nl ? nl + 1 : NULL;
    }
  return NULL;
}

static bool
single_threaded (void)
{
  struct stat st;
  /* procfs: 2 + the number of threads. */
  return stat ("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}

/* Where the fast path is not safe (docs/cgroups.md): the old way instead. */
static const char *
join_refused (struct cgroup_manager *m, const struct spec_resources *res)
{
  if (m->mode == CGROUP_MODE_V2)
    return "cgroup v2";
  if (res && res->has_pids_limit && res->pids_limit > 0 && res->pids_limit < 2)
    return "a pids limit below 2 (cellrun and the init)";
  if (res && res->memory && res->memory->has_limit && res->memory->limit > 0 && res->memory->limit < JOIN_MIN_MEMORY)
    return "a memory limit below 16 MiB";
  for (size_t i = 0; i < m->v1_len; i++)
    {
      struct statfs st;
      if (m->v1[i].fd < 0)
        continue;
      if (m->v1[i].created_from < 0)
        return "the cgroup existed before (it may be shared)";
      /* Not a plain directory laid out like one (unit tests, a test root). */
      if (fstatfs (m->v1[i].fd, &st) < 0 || st.f_type != CGROUP_SUPER_MAGIC)
        return "not a cgroup v1 mount";
    }
  if (!single_threaded ())
    return "cellrun has more than one thread";
  return NULL;
}

static int
write_self (int dirfd)
{
  int fd = openat (dirfd, "tasks", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int r = write (fd, "0", 1) == 1 ? 0 : -errno;
  close (fd);
  return r;
}

static void
join_clear (struct cgroup_manager *m)
{
  for (size_t i = 0; m->self_orig && i < m->v1_len; i++)
    if (m->self_orig[i] >= 0)
      close (m->self_orig[i]);
  free (m->self_orig);
  m->self_orig = NULL;
  free (m->self_before);
  m->self_before = NULL;
  m->self_joined = false;
}

/* The `tasks` file of our own cgroup in every hierarchy we are to join,
   opened before we move. */
static int
open_own (struct cgroup_manager *m)
{
  m->self_orig = xmalloc (m->v1_len * sizeof *m->self_orig);
  for (size_t i = 0; i < m->v1_len; i++)
    m->self_orig[i] = -1;
  for (size_t i = 0; i < m->v1_len; i++)
    {
      if (m->v1[i].fd < 0)
        continue;
      _cleanup_free_ char *copy = xstrdup (m->self_before);
      const char *own = cgroup_own_path_of (m->v1[i].name, copy);
      /* "/../x": outside our cgroup namespace's root, not below the mount. */
      if (own == NULL || own[0] != '/' || strstr (own, "/.."))
        return -ENOENT;
      _cleanup_free_ char *tasks = NULL;
      xasprintf (&tasks, "%s/tasks", own[1] ? own + 1 : ".");
      m->self_orig[i] = openat (m->v1[i].rootfd, tasks, O_WRONLY | O_CLOEXEC);
      if (m->self_orig[i] < 0)
        return -errno;
    }
  return 0;
}

int
cgroup_self_join (struct cgroup_manager *m, const struct spec_resources *res, struct cr_error *err)
{
  if (m == NULL)
    return 0;
  const char *why = join_refused (m, res);
  if (why)
    {
      log_debug ("cgroup: the init is moved into its cgroup: %s", why);
      return 0;
    }
  struct cr_error ignored = { 0 };
  int r = cgroup_self_read (&m->self_before, &ignored);
  if (r >= 0)
    r = open_own (m);
  struct cgroup_hierarchy *cpuset = cgroup_v1_find (m, "cpuset");
  m->self_affinity_saved = false;
  if (r >= 0 && cpuset && cpuset->fd >= 0)
    m->self_affinity_saved = sched_getaffinity (0, sizeof m->self_affinity, &m->self_affinity) == 0;
  if (r < 0)
    {
      log_debug ("cgroup: the init is moved into its cgroup: own cgroup not found (%s)", strerror (-r));
      join_clear (m);
      return 0;
    }
  m->self_joined = true;
  m->self_pid = getpid ();
  cgroup_self_remember (NULL); /* moving now: the after-check reads for real */
  for (size_t i = 0; i < m->v1_len; i++)
    {
      if (m->v1[i].fd < 0)
        continue;
      if ((r = write_self (m->v1[i].fd)) < 0)
        {
          /* Not ours to join (no permission, ...): back, then the old way. */
          log_debug ("cgroup: join %s/%s through tasks: %s", m->v1[i].name, m->path, strerror (-r));
          close (m->self_orig[i]);
          m->self_orig[i] = -1;
          for (size_t j = i + 1; j < m->v1_len; j++)
            if (m->self_orig[j] >= 0)
              {
                close (m->self_orig[j]);
                m->self_orig[j] = -1;
              }
          return cgroup_self_leave (m, false, err) < 0 ? -1 : 0;
        }
      log_debug ("cgroup: cellrun joined %s/%s through tasks", m->v1[i].name, m->path);
    }
  return 1;
}

int
cgroup_self_leave (struct cgroup_manager *m, bool child_born, struct cr_error *err)
{
  /* Not in a child cloned meanwhile: it stays where it was born. */
  if (m == NULL || !m->self_joined || getpid () != m->self_pid)
    return 0;
  int r = 0;
  const char *failed = NULL;
  for (size_t i = m->v1_len; i-- > 0;)
    {
      int w = m->self_orig[i] < 0 || write (m->self_orig[i], "0", 1) == 1 ? 0 : -errno;
      if (w < 0 && r == 0)
        {
          r = w;
          failed = m->v1[i].name;
        }
    }
  if (m->self_affinity_saved)
    sched_setaffinity (0, sizeof m->self_affinity, &m->self_affinity);
  /* We must not stay in the container's cgroup (nor anywhere but where we
     were): check what the kernel says against what it said before. */
  _cleanup_free_ char *now = NULL;
  struct cr_error ignored = { 0 };
  bool back = read_file ("/proc/self/cgroup", &now, NULL, &ignored) >= 0 && strcmp (now, m->self_before) == 0;
  join_clear (m);
  if (r < 0)
    return cr_fail (err, -r, "leave cgroup %s/%s", failed, m->path);
  if (!back)
    return cr_fail (err, EIO, "leave cgroup %s: /proc/self/cgroup differs from before", m->path);
  cgroup_self_remember (now);
  m->v1_born = child_born;
  log_debug ("cgroup: cellrun is back in its own cgroups%s", child_born ? "; the init was born in the v1 ones" : "");
  return 0;
}
