/* The cgroup facade: mode detection, cgroupsPath resolution, opening and
   creating the hierarchies, and the public API. Work that differs between
   v1, v2 and hybrid hosts goes through the backend table (struct
   cgroup_backend) chosen once when the manager is made. */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "base/log.h"
#include "base/utils.h"
/* ---- conversions --------------------------------------------------------- */

uint64_t
cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
cgroup_blkio_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

int
cgroup_swap_to_v2 (int64_t swap, int64_t limit, bool has_limit, int64_t *out, bool *max_out, struct cr_error *err)
{
  *max_out = false;
  *out = 0;
  /* v1 habit: an unlimited memory limit without a swap value means both
     are unlimited. */
  if (swap == -1 || (swap == 0 && has_limit && limit == -1))
    {
      *max_out = true;
      return 0;
    }
  if (swap == 0)
    return 0;
  if (!has_limit || limit <= 0)
    return cr_fail (err, EINVAL, "linux.resources.memory.swap: a swap limit needs a memory limit");
  if (swap < limit)
    return cr_fail (err, EINVAL, "linux.resources.memory.swap: %lld is below memory.limit %lld (swap is memory+swap)",
                    (long long) swap, (long long) limit);
  *out = swap - limit;
  return 0;
}

void
cgroup_device_rule_string (const struct spec_device_cgroup *d, char *buf, size_t len)
{
  char major[24] = "*", minor[24] = "*";
  if (d->has_major && d->major >= 0)
    snprintf (major, sizeof major, "%lld", (long long) d->major);
  if (d->has_minor && d->minor >= 0)
    snprintf (minor, sizeof minor, "%lld", (long long) d->minor);
  snprintf (buf, len, "%s %s:%s %s", d->type && *d->type ? d->type : "a", major, minor,
            d->access && *d->access ? d->access : "rwm");
}

/* ---- paths --------------------------------------------------------------- */

int
cgroup_own_from_proc (const char *content, char **out, struct cr_error *err)
{
  _cleanup_free_ char *systemd = NULL, *memory = NULL, *first = NULL;
  for (const char *line = content; line && *line;)
    {
      const char *nl = strchr (line, '\n');
      size_t len = nl ? (size_t) (nl - line) : strlen (line);
      _cleanup_free_ char *l = strndup (line, len);
      line = nl ? nl + 1 : NULL;
      char *c1 = l ? strchr (l, ':') : NULL;
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      const char *ctrls = c1 + 1, *path = c2 + 1;
      if (strcmp (l, "0") == 0 && *ctrls == '\0')
        {
          *out = xstrdup (path);
          return 0;
        }
      if (first == NULL)
        first = xstrdup (path);
      _cleanup_free_ char *copy = xstrdup (ctrls);
      char *save = NULL;
      for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
        {
          if (strcmp (t, "name=systemd") == 0 && systemd == NULL)
            systemd = xstrdup (path);
          else if (strcmp (t, "memory") == 0 && memory == NULL)
            memory = xstrdup (path);
        }
    }
  if (systemd)
    *out = TAKE_PTR (systemd);
  else if (memory)
    *out = TAKE_PTR (memory);
  else if (first)
    *out = TAKE_PTR (first);
  else
    return cr_fail (err, ENOENT, "/proc/self/cgroup: no cgroup entry");
  return 0;
}

/* systemd's limit on a unit name (UNIT_NAME_MAX - 1 in its sources). */
#define UNIT_NAME_MAX 255

static bool
valid_unit_part (const char *s)
{
  return *s && strchr (s, '/') == NULL && strcmp (s, ".") != 0 && strcmp (s, "..") != 0;
}

int
cgroup_systemd_expand (const char *spec_path, const char *id, char **out, struct cr_error *err)
{
  _cleanup_free_ char *slice = NULL, *prefix = NULL, *name = NULL;
  if (spec_path == NULL || *spec_path == '\0')
    {
      slice = xstrdup ("system.slice");
      prefix = xstrdup ("cellrun");
      name = xstrdup (id);
    }
  else
    {
      const char *c1 = strchr (spec_path, ':');
      const char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL || strchr (c2 + 1, ':'))
        return cr_fail (err, EINVAL, "linux.cgroupsPath %s: expected \"slice:prefix:name\"", spec_path);
      slice = strndup (spec_path, c1 - spec_path);
      prefix = strndup (c1 + 1, c2 - c1 - 1);
      name = xstrdup (c2 + 1);
      if (*slice == '\0')
        {
          free (slice);
          slice = xstrdup ("system.slice");
        }
    }
  size_t sl = strlen (slice);
  if (!valid_unit_part (slice) || sl < 7 || strcmp (slice + sl - 6, ".slice") != 0)
    return cr_fail (err, EINVAL, "linux.cgroupsPath: invalid slice \"%.64s\"", slice);
  if (!valid_unit_part (name) || (*prefix && !valid_unit_part (prefix)))
    return cr_fail (err, EINVAL, "linux.cgroupsPath: invalid scope name \"%.64s-%.64s\"", prefix, name);
  /* systemd refuses unit names over 255 bytes; the bound also keeps the
     nested expansion below (quadratic in the slice length) small. */
  if (sl > UNIT_NAME_MAX || strlen (prefix) + strlen (name) + strlen ("-.scope") > UNIT_NAME_MAX)
    return cr_fail (err, EINVAL, "linux.cgroupsPath: unit name longer than %d bytes", UNIT_NAME_MAX);

  /* systemd nests "a-b-c.slice" as a.slice/a-b.slice/a-b-c.slice; "-.slice"
     is the root slice. */
  size_t cap = 2 * sl * sl + strlen (prefix) + strlen (name) + 32;
  char *buf = xmalloc (cap);
  size_t o = 0;
  buf[0] = '\0';
  if (strcmp (slice, "-.slice") != 0)
    {
      size_t base = sl - 6;
      if (slice[0] == '-' || slice[base - 1] == '-' || strstr (slice, "--"))
        {
          free (buf);
          return cr_fail (err, EINVAL, "linux.cgroupsPath: invalid slice \"%s\"", slice);
        }
      for (size_t i = 0; i <= base; i++)
        if (i == base || slice[i] == '-')
          o += snprintf (buf + o, cap - o, "/%.*s.slice", (int) i, slice);
    }
  if (*prefix)
    snprintf (buf + o, cap - o, "/%s-%s.scope", prefix, name);
  else
    snprintf (buf + o, cap - o, "/%s.scope", name);
  *out = buf;
  return 0;
}

int
cgroup_resolve_path_own (const char *cgroups_path, const char *id, bool systemd, const char *own, char **out,
                         struct cr_error *err)
{
  if (systemd)
    return cgroup_systemd_expand (cgroups_path, id, out, err);
  _cleanup_free_ char *joined = NULL;
  /* runc's cgroupfs rule: absolute is relative to each hierarchy root,
     anything else (empty -> the container id) below our own cgroup. */
  if (cgroups_path && cgroups_path[0] == '/')
    joined = xstrdup (cgroups_path);
  else if (cgroups_path && cgroups_path[0])
    xasprintf (&joined, "%s/%s", own ? own : "/", cgroups_path);
  else
    {
      if (id == NULL || *id == '\0' || strchr (id, '/'))
        return cr_fail (err, EINVAL, "cgroup path: invalid container id");
      xasprintf (&joined, "%s/%s", own ? own : "/", id);
    }
  *out = path_clean (joined);
  return 0;
}

/* /proc/self/cgroup as this process last read it: the kernel's answer does
   not change unless the process moves, and cellrun never moves itself.
   Keyed by pid: a child (fork, clone) reads anew. */
static char *self_cgroup_cache;
static pid_t self_cgroup_pid;

int
cgroup_self_read (char **out, struct cr_error *err)
{
  if (self_cgroup_cache == NULL || self_cgroup_pid != getpid ())
    {
      _cleanup_free_ char *content = NULL;
      int r = read_file ("/proc/self/cgroup", &content, NULL, err);
      if (r < 0)
        return r;
      free (self_cgroup_cache);
      self_cgroup_cache = TAKE_PTR (content);
      self_cgroup_pid = getpid ();
    }
  *out = xstrdup (self_cgroup_cache);
  return 0;
}

int
cgroup_resolve_path (const char *cgroups_path, const char *id, bool systemd, char **out, struct cr_error *err)
{
  if (systemd)
    {
      /* The directories are made with cgroupfs either way (same paths);
         on a systemd host the create also registers a transient scope
         unit (systemd_scope.c). */
      return cgroup_systemd_expand (cgroups_path, id, out, err);
    }
  _cleanup_free_ char *content = NULL, *own = NULL;
  if (cgroups_path == NULL || cgroups_path[0] != '/')
    {
      int r = cgroup_self_read (&content, err);
      if (r < 0)
        return r;
      r = cgroup_own_from_proc (content, &own, err);
      if (r < 0)
        return r;
    }
  return cgroup_resolve_path_own (cgroups_path, id, false, own, out, err);
}

/* ---- detection and hierarchies ------------------------------------------- */

static bool
is_cgroup2_dir (int dirfd, const char *name)
{
  struct statfs st;
  _cleanup_close_ int fd = openat (dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (fstatfs (fd, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    return true;
  /* A plain directory laid out like a cgroup2 root (unit tests). */
  return faccessat (fd, "cgroup.controllers", F_OK, 0) == 0;
}

int
cgroup_detect_mode (const char *root, enum cgroup_mode *out, struct cr_error *err)
{
  _cleanup_close_ int fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return cr_fail (err, errno, "open cgroup root %s", root);
  if (is_cgroup2_dir (fd, "."))
    *out = CGROUP_MODE_V2;
  else if (is_cgroup2_dir (fd, "unified"))
    *out = CGROUP_MODE_HYBRID;
  else
    *out = CGROUP_MODE_V1;
  return 0;
}

static void
hierarchy_close (struct cgroup_hierarchy *h)
{
  if (h->fd >= 0)
    close (h->fd);
  if (h->rootfd >= 0)
    close (h->rootfd);
  free (h->name);
  h->fd = h->rootfd = -1;
  h->name = NULL;
}

void
cgroup_manager_free (struct cgroup_manager *m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->v1_len; i++)
    hierarchy_close (&m->v1[i]);
  free (m->v1);
  hierarchy_close (&m->unified);
  free (m->path);
  free (m);
}

void
cgroup_manager_freep (struct cgroup_manager **m)
{
  cgroup_manager_free (*m);
}

struct cgroup_hierarchy *
cgroup_v1_find (struct cgroup_manager *m, const char *controller)
{
  if (strncmp (controller, "name=", 5) == 0)
    controller += 5;
  size_t cl = strlen (controller);
  for (size_t i = 0; i < m->v1_len; i++)
    for (const char *p = m->v1[i].name; p;)
      {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t) (comma - p) : strlen (p);
        if (len == cl && memcmp (p, controller, cl) == 0)
          return &m->v1[i];
        p = comma ? comma + 1 : NULL;
      }
  return NULL;
}

/* v1 hierarchies are the directories below ROOT, named after their
   controllers ("cpu,cpuacct", "systemd" for name=systemd); symlinks such
   as cpu -> cpu,cpuacct are aliases and skipped. One getdents plus one
   O_PATH open per hierarchy: we never parse mountinfo. */
static int
open_v1_hierarchies (struct cgroup_manager *m, int rootfd, const char *root, struct cr_error *err)
{
  int dfd = openat (rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return cr_fail (err, errno, "open cgroup root %s", root);
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return cr_fail (err, errno, "open cgroup root %s", root);
    }
  struct dirent *de;
  size_t cap = 0;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || strcmp (de->d_name, "unified") == 0)
        continue;
      if (de->d_type != DT_DIR)
        continue;
      int fd = openat (dfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (m->v1_len == cap)
        m->v1 = xrealloc (m->v1, (cap = cap ? cap * 2 : 16) * sizeof *m->v1);
      m->v1[m->v1_len++] = (struct cgroup_hierarchy){ xstrdup (de->d_name), fd, -1, -1 };
    }
  closedir (d);
  if (m->v1_len == 0)
    return cr_fail (err, ENOENT, "no cgroup hierarchy below %s", root);
  return 0;
}

static int
manager_new (const char *root, const char *path, struct cgroup_manager **out, struct cr_error *err)
{
  _cleanup_cgroup_manager_ struct cgroup_manager *m = xcalloc (1, sizeof *m);
  m->unified = (struct cgroup_hierarchy){ NULL, -1, -1, -1 };
  if (root == NULL || *root == '\0')
    root = "/sys/fs/cgroup";
  _cleanup_free_ char *clean = path_clean (path ? path : "");
  if (strcmp (clean, "/") == 0)
    return cr_fail (err, EINVAL, "cgroup path \"%s\": refusing to use the root cgroup", path ? path : "");
  m->path = xstrdup (clean + 1);
  int r = cgroup_detect_mode (root, &m->mode, err);
  if (r < 0)
    return r;
  /* The backend is chosen once, here; the facade only dispatches. */
  m->ops = m->mode == CGROUP_MODE_V2       ? &cgroup_backend_v2
           : m->mode == CGROUP_MODE_HYBRID ? &cgroup_backend_hybrid
                                           : &cgroup_backend_v1;
  _cleanup_close_ int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return cr_fail (err, errno, "open cgroup root %s", root);
  if (m->mode != CGROUP_MODE_V1)
    {
      const char *sub = m->mode == CGROUP_MODE_V2 ? "." : "unified";
      m->unified.rootfd = openat (rootfd, sub, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (m->unified.rootfd < 0)
        return cr_fail (err, errno, "open cgroup2 root %s/%s", root, sub);
      m->unified.name = xstrdup ("");
    }
  if (m->mode != CGROUP_MODE_V2)
    {
      r = open_v1_hierarchies (m, rootfd, root, err);
      if (r < 0)
        return r;
    }
  *out = TAKE_PTR (m);
  return 0;
}

static size_t
count_components (const char *path)
{
  size_t n = 1;
  for (const char *p = path; *p; p++)
    n += *p == '/';
  return n;
}

/* Length of the first DEPTH+1 components of PATH. */
static size_t
prefix_len (const char *path, size_t depth)
{
  const char *p = path;
  for (size_t i = 0; i <= depth; i++)
    {
      p = strchr (p, '/');
      if (p == NULL)
        return strlen (path);
      if (i < depth)
        p++;
    }
  return p - path;
}

/* A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks:
   inherit the parent's values. */
static int
cpuset_inherit (int rootfd, const char *path, size_t depth, struct cr_error *err)
{
  _cleanup_free_ char *child = strndup (path, prefix_len (path, depth));
  _cleanup_free_ char *parent = depth ? strndup (path, prefix_len (path, depth - 1)) : xstrdup (".");
  _cleanup_close_ int cfd = openat (rootfd, child, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int pfd = openat (rootfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0 || pfd < 0)
    return cr_fail (err, errno, "open cpuset cgroup %s", child);
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      /* The child was just created, so it is empty (or already a copy when
         the parent sets cgroup.clone_children): no need to read it. */
      _cleanup_free_ char *val = NULL;
      if (cgroup_read_at (pfd, files[i], &val, NULL) < 0 || *val == '\0')
        continue;
      int r = cgroup_write_at (cfd, files[i], val, err);
      if (r < 0)
        return r;
    }
  return 0;
}

static void
hierarchy_rollback (struct cgroup_hierarchy *h, const char *path)
{
  if (h->created_from < 0)
    return;
  if (h->fd >= 0)
    {
      close (h->fd);
      h->fd = -1;
    }
  for (int d = (int) count_components (path) - 1; d >= h->created_from; d--)
    {
      _cleanup_free_ char *pre = strndup (path, prefix_len (path, d));
      unlinkat (h->rootfd, pre, AT_REMOVEDIR);
    }
  h->created_from = -1;
}

/* Which hierarchy refused which directory, and for cgroup2's EAGAIN the
   reason, which strerror does not tell. */
static int
mkdir_failed (const struct cgroup_hierarchy *h, const char *dir, int e, struct cr_error *err)
{
  const char *why = e == EAGAIN && *h->name == '\0' ? " (a parent's cgroup.max.descendants or cgroup.max.depth)" : "";
  return cr_fail (err, e, "mkdir cgroup %s/%s%s", *h->name ? h->name : "cgroup2", dir, why);
}

static int
hierarchy_create (struct cgroup_hierarchy *h, const char *path, bool cpuset, struct cr_error *err)
{
  size_t n = count_components (path);
  /* Fast path: the parent usually exists, so one mkdirat does it. */
  if (mkdirat (h->rootfd, path, 0755) == 0)
    h->created_from = n - 1;
  else if (errno == ENOENT)
    {
      for (size_t d = 0; d < n; d++)
        {
          _cleanup_free_ char *pre = strndup (path, prefix_len (path, d));
          if (mkdirat (h->rootfd, pre, 0755) == 0)
            {
              if (h->created_from < 0)
                h->created_from = d;
              if (cpuset && d + 1 < n && cpuset_inherit (h->rootfd, path, d, err) < 0)
                return -1;
            }
          else if (errno != EEXIST)
            return mkdir_failed (h, pre, errno, err);
        }
    }
  else if (errno != EEXIST)
    return mkdir_failed (h, path, errno, err);
  if (cpuset && h->created_from >= 0)
    {
      int r = cpuset_inherit (h->rootfd, path, n - 1, err);
      if (r < 0)
        return r;
    }
  h->fd = openat (h->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (h->fd < 0)
    return cr_fail (err, errno, "open cgroup %s%s%s", h->name, *h->name ? "/" : "", path);
  return 0;
}

static int
apply_resources (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err)
{
  return res == NULL ? 0 : m->ops->apply (m, res, update, err);
}

/* Is any controller of hierarchy H (a comma list) one RES needs? */
static bool
hierarchy_needed (const struct cgroup_hierarchy *h, const struct spec_resources *res)
{
  for (const char *p = h->name; p && *p;)
    {
      const char *comma = strchr (p, ',');
      size_t len = comma ? (size_t) (comma - p) : strlen (p);
      char one[32];
      if (len < sizeof one)
        {
          memcpy (one, p, len);
          one[len] = '\0';
          if (cgroup_v1_needed (res, one))
            return true;
        }
      p = comma ? comma + 1 : NULL;
    }
  return false;
}

/* Hierarchy I gets the container's cgroup: all of them, or with
   needed_only only those RES writes to. */
static bool
v1_wanted (const struct cgroup_manager *m, size_t i, const struct spec_resources *res)
{
  return !m->needed_only || hierarchy_needed (&m->v1[i], res);
}

static int
create_v1_hierarchies (struct cgroup_manager *m, const struct spec_resources *res, struct cr_error *err)
{
  int r = 0;
  for (size_t i = 0; r == 0 && i < m->v1_len; i++)
    if (v1_wanted (m, i, res))
      r = hierarchy_create (&m->v1[i], m->path, cgroup_v1_find (m, "cpuset") == &m->v1[i], err);
  return r;
}

static int
create_in (const char *root, const char *path, const struct spec_resources *res, bool needed_only, bool late,
           struct cgroup_manager **out, struct cr_error *err)
{
  _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
  int r = manager_new (root, path, &m, err);
  if (r < 0)
    return r;
  m->needed_only = needed_only;
  /* v1 or hybrid, late: only the unified cgroup now (cgroup_create_v1).
     More hierarchies than one message can carry fds for: all made now. */
  size_t made = 0;
  for (size_t i = 0; i < m->v1_len; i++)
    made += v1_wanted (m, i, res);
  m->v1_late = late && m->mode != CGROUP_MODE_V2 && made <= CGROUP_V1_LATE_MAX;
  if (!m->v1_late)
    r = create_v1_hierarchies (m, res, err);
  if (r == 0 && m->unified.rootfd >= 0)
    r = hierarchy_create (&m->unified, m->path, false, err);
  if (r == 0 && !m->v1_late)
    r = apply_resources (m, res, false, err);
  if (r < 0)
    {
      for (size_t i = 0; i < m->v1_len; i++)
        hierarchy_rollback (&m->v1[i], m->path);
      if (m->unified.rootfd >= 0)
        hierarchy_rollback (&m->unified, m->path);
      return r;
    }
  *out = TAKE_PTR (m);
  return 0;
}

int
cgroup_create (const char *root, const char *path, const struct spec_resources *res, struct cgroup_manager **out,
               struct cr_error *err)
{
  return create_in (root, path, res, false, false, out, err);
}

int
cgroup_create_needed (const char *root, const char *path, const struct spec_resources *res, struct cgroup_manager **out,
                      struct cr_error *err)
{
  return create_in (root, path, res, true, false, out, err);
}

int
cgroup_create_late (const char *root, const char *path, const struct spec_resources *res, bool needed_only,
                    struct cgroup_manager **out, struct cr_error *err)
{
  return create_in (root, path, res, needed_only, true, out, err);
}

bool
cgroup_v1_pending (const struct cgroup_manager *m)
{
  return m && m->v1_late;
}

int
cgroup_create_v1 (struct cgroup_manager *m, const struct spec_resources *res, int *tasks, size_t max, size_t *n,
                  struct cr_error *err)
{
  int r = 0;
  *n = 0;
  if (!m->v1_late)
    return 0;
  m->v1_late = false;
  r = create_v1_hierarchies (m, res, err);
  if (r == 0)
    r = apply_resources (m, res, false, err);
  for (size_t i = 0; r == 0 && i < m->v1_len; i++)
    {
      if (m->v1[i].fd < 0)
        continue;
      if (*n == max)
        r = cr_fail (err, E2BIG, "cgroup %s: more than %zu v1 hierarchies", m->path, max);
      else if ((tasks[*n] = openat (m->v1[i].fd, "tasks", O_WRONLY | O_CLOEXEC)) < 0)
        r = cr_fail (err, errno, "open cgroup %s/%s/tasks", m->v1[i].name, m->path);
      else
        {
          ++*n;
          log_debug ("cgroup: the init joins %s/%s through tasks", m->v1[i].name, m->path);
        }
    }
  if (r < 0)
    {
      for (size_t i = 0; i < *n; i++)
        close (tasks[i]);
      *n = 0;
      for (size_t i = 0; i < m->v1_len; i++)
        hierarchy_rollback (&m->v1[i], m->path);
      return r;
    }
  /* The init joins them itself (the fds): cgroup_enter leaves them out. */
  m->v1_born = true;
  return 0;
}

/* EXISTING: the v1 hierarchies where PATH is not (ENOENT) are left out, as
   cgroup_create_needed's, unless one failed otherwise (then all are tried). */
static int
open_in (const char *root, const char *path, bool existing, struct cgroup_manager **out, struct cr_error *err)
{
  _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
  int r = manager_new (root, path, &m, err);
  if (r < 0)
    return r;
  m->needed_only = existing;
  for (size_t i = 0; i < m->v1_len; i++)
    if ((m->v1[i].fd = openat (m->v1[i].rootfd, m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 && errno != ENOENT)
      m->needed_only = false;
  if (m->unified.rootfd >= 0)
    m->unified.fd = openat (m->unified.rootfd, m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *out = TAKE_PTR (m);
  return 0;
}

int
cgroup_open (const char *root, const char *path, struct cgroup_manager **out, struct cr_error *err)
{
  return open_in (root, path, false, out, err);
}

int
cgroup_open_existing (const char *root, const char *path, struct cgroup_manager **out, struct cr_error *err)
{
  return open_in (root, path, true, out, err);
}

bool
cgroup_manager_is (const struct cgroup_manager *m, const char *path)
{
  _cleanup_free_ char *clean = path_clean (path ? path : "");
  return m && strcmp (clean[0] == '/' ? clean + 1 : clean, m->path) == 0;
}

int
cgroup_v2_dirfd (struct cgroup_manager *m)
{
  return m ? m->unified.fd : -1;
}

int
cgroup_clone_target (struct cgroup_manager *m)
{
  return m && (m->mode == CGROUP_MODE_V2 || m->v1_late) ? m->unified.fd : -1;
}

int
cgroup_enter (struct cgroup_manager *m, pid_t pid, struct cr_error *err)
{
  char buf[24];
  snprintf (buf, sizeof buf, "%d", pid ? (int) pid : (int) getpid ());
  /* The init joined them itself (cgroup_create_v1); an exec's process is
     entered everywhere (a manager from cgroup_open). */
  for (size_t i = 0; !m->v1_born && i < m->v1_len; i++)
    {
      if (m->v1[i].fd < 0 && m->needed_only)
        continue; /* left out on purpose (cgroup_create_needed) */
      if (m->v1[i].fd < 0)
        return cr_fail (err, ENOENT, "enter cgroup %s/%s", m->v1[i].name, m->path);
      int r = cgroup_write_at (m->v1[i].fd, "cgroup.procs", buf, err);
      if (r < 0)
        return cr_wrap (err, "enter cgroup %s/%s", m->v1[i].name, m->path);
    }
  if (m->unified.rootfd >= 0)
    {
      if (m->unified.fd < 0)
        return cr_fail (err, ENOENT, "enter cgroup %s", m->path);
      int r = cgroup_write_at (m->unified.fd, "cgroup.procs", buf, err);
      if (r < 0)
        return cr_wrap (err, "enter cgroup %s", m->path);
    }
  return 0;
}

int
cgroup_update (struct cgroup_manager *m, const struct spec_resources *res, struct cr_error *err)
{
  return apply_resources (m, res, true, err);
}

/* ---- freezer (each backend has its own) ---------------------------------- */

int
cgroup_freeze (struct cgroup_manager *m, bool frozen, struct cr_error *err)
{
  return m->ops->freeze (m, frozen, err);
}

int
cgroup_is_frozen (struct cgroup_manager *m, bool *out, struct cr_error *err)
{
  return m->ops->is_frozen (m, out, err);
}
/* ---- processes ----------------------------------------------------------- */

static int
compare_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

/* The hierarchy whose tree lists every container process: the unified
   one when present (we enter it on hybrid too), else a v1 controller
   that is rarely shared with other managers. */
static int
pids_dirfd (struct cgroup_manager *m)
{
  if (m->unified.fd >= 0)
    return m->unified.fd;
  static const char *const pref[] = { "pids", "freezer", "systemd", "memory", "cpu" };
  for (size_t i = 0; i < ARRAY_SIZE (pref); i++)
    {
      struct cgroup_hierarchy *h = cgroup_v1_find (m, pref[i]);
      if (h && h->fd >= 0)
        return h->fd;
    }
  for (size_t i = 0; i < m->v1_len; i++)
    if (m->v1[i].fd >= 0)
      return m->v1[i].fd;
  return -1;
}

int
cgroup_pids (struct cgroup_manager *m, pid_t **pids, size_t *n, struct cr_error *err)
{
  *pids = NULL;
  *n = 0;
  int fd = pids_dirfd (m);
  if (fd < 0)
    return 0; /* already removed: no processes */
  size_t cap = 0;
  pid_t *list = NULL;
  int r = cgroup_collect_pids (fd, &list, n, &cap, err);
  if (r < 0)
    {
      free (list);
      *n = 0;
      return r;
    }
  if (*n > 1) /* an empty cgroup has no list at all: qsort must not see NULL */
    qsort (list, *n, sizeof *list, compare_pid);
  *pids = list;
  return 0;
}

int
cgroup_kill_all (struct cgroup_manager *m, int sig, struct cr_error *err)
{
  if (sig == SIGKILL && m->unified.fd >= 0 && cgroup_file_exists (m->unified.fd, "cgroup.kill"))
    return cgroup_write_at (m->unified.fd, "cgroup.kill", "1", err);

  /* Without cgroup.kill a forking process could escape the pid snapshot:
     freeze first so the set cannot grow, then thaw so SIGKILL is delivered. */
  bool froze = false;
  if (sig == SIGKILL)
    {
      struct cr_error ignored;
      froze = cgroup_freeze (m, true, &ignored) == 0;
    }
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  int r = cgroup_pids (m, &pids, &n, err);
  for (size_t i = 0; r == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      r = cr_fail (err, errno, "kill %d", (int) pids[i]);
  if (froze)
    {
      struct cr_error ignored;
      cgroup_freeze (m, false, &ignored);
    }
  return r;
}

int
cgroup_destroy (struct cgroup_manager *m, struct cr_error *err)
{
  int ret = 0;
  struct cr_error tmp;
  for (size_t i = 0; i <= m->v1_len; i++)
    {
      struct cgroup_hierarchy *h = i < m->v1_len ? &m->v1[i] : &m->unified;
      if (h->rootfd < 0)
        continue;
      /* Never made here (cgroup_create_needed) or not there (cgroup_open_existing). */
      if (h->fd < 0 && m->needed_only && i < m->v1_len)
        continue;
      if (h->fd >= 0)
        {
          close (h->fd);
          h->fd = -1;
        }
      /* Keep going so one busy hierarchy does not leak the others. */
      int r = cgroup_remove_tree (h->rootfd, m->path, ret < 0 ? &tmp : err);
      if (r < 0 && ret == 0)
        ret = cr_wrap (err, "%s%s", *h->name ? "cgroup " : "cgroup2", h->name);
    }
  return ret;
}

/* ---- stats and OOM ------------------------------------------------------- */

int
cgroup_stats (struct cgroup_manager *m, struct oci_stats *out, struct cr_error *err)
{
  *out = (struct oci_stats){ 0 };
  int r = m->ops->stats (m, out, err);
  if (r < 0)
    oci_stats_clear (out);
  return r;
}

int
cgroup_oom_event_fd (struct cgroup_manager *m, struct cr_error *err)
{
  return m->ops->oom_event_fd (m, err);
}
