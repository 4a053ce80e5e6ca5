/* Leaf helpers of the cgroup backends: read and write one cgroup file on
   a directory fd, walk cgroup.procs of a tree, remove a tree, format
   throttle and rdma lines. No knowledge of v1, v2 or hybrid. */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/utils.h"

/* rmdir returns EBUSY for a short while after the last task exited (the
   kernel frees css asynchronously); retry up to about this long. */
#define CGROUP_RMDIR_BUDGET_US 100000

void
cgroup_sleep_us (long us)
{
  struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

long
cgroup_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* ---- small file helpers ------------------------------------------------ */

int
cgroup_write_at (int dirfd, const char *file, const char *value, struct cr_error *err)
{
  /* No O_CREAT: a missing file means the kernel lacks the knob. */
  _cleanup_close_ int fd = openat (dirfd, file, O_WRONLY | O_CLOEXEC | O_TRUNC);
  if (fd < 0)
    return cr_fail (err, errno, "cgroup %s", file);
  int r = write_all (fd, value, strlen (value));
  if (r < 0)
    return cr_fail (err, -r, "cgroup %s", file);
  log_debug ("cgroup: %s = %s", file, value);
  return 0;
}

int
cgroup_read_at (int dirfd, const char *file, char **out, struct cr_error *err)
{
  _cleanup_close_ int fd = openat (dirfd, file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cr_fail (err, errno, "cgroup %s", file);
  size_t len = 0;
  int r = read_all_fd (fd, file, out, &len, err);
  if (r < 0)
    return r;
  while (len > 0 && (*out)[len - 1] == '\n')
    (*out)[--len] = '\0';
  return 0;
}

int
cgroup_read_u64_at (int dirfd, const char *file, uint64_t *out)
{
  _cleanup_free_ char *s = NULL;
  int r = cgroup_read_at (dirfd, file, &s, NULL);
  if (r < 0)
    return r;
  if (strcmp (s, "max") == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  unsigned long long v;
  if (parse_uint64 (s, &v) < 0)
    return -EINVAL;
  *out = v;
  return 0;
}

bool
cgroup_file_exists (int dirfd, const char *file)
{
  return dirfd >= 0 && faccessat (dirfd, file, F_OK, 0) == 0;
}

bool
cgroup_keyed_value (const char *body, const char *key, uint64_t *out)
{
  size_t klen = strlen (key);
  for (const char *p = body; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    if (strncmp (p, key, klen) == 0 && p[klen] == ' ')
      {
        *out = strtoull (p + klen + 1, NULL, 10);
        return true;
      }
  return false;
}

static int
append_pid (pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
  if (*n == *cap)
    {
      *cap = *cap ? *cap * 2 : 16;
      *pids = xrealloc (*pids, *cap * sizeof **pids);
    }
  (*pids)[(*n)++] = pid;
  return 0;
}

int
cgroup_collect_pids (int dirfd, pid_t **pids, size_t *n, size_t *cap, struct cr_error *err)
{
  _cleanup_free_ char *procs = NULL;
  int r = cgroup_read_at (dirfd, "cgroup.procs", &procs, err);
  if (r < 0)
    return r;
  for (char *p = procs; *p;)
    {
      char *end;
      long v = strtol (p, &end, 10);
      if (end == p)
        break;
      append_pid (pids, n, cap, (pid_t) v);
      p = end;
      while (*p == '\n' || *p == ' ')
        p++;
    }
  int dfd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return cr_fail (err, errno, "open cgroup directory");
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return cr_fail (err, errno, "open cgroup directory");
    }
  struct dirent *de;
  r = 0;
  while (r == 0 && (de = readdir (d)) != NULL)
    {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      _cleanup_close_ int child = openat (dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (child < 0)
        continue; /* removed while we walk: nothing to report */
      r = cgroup_collect_pids (child, pids, n, cap, err);
    }
  closedir (d);
  return r;
}

int
cgroup_remove_tree (int parentfd, const char *name, struct cr_error *err)
{
  if (unlinkat (parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY && errno != ENOTEMPTY)
    return cr_fail (err, errno, "rmdir cgroup %s", name);

  /* Children first: a cgroup with sub-cgroups can never be removed. */
  int dfd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      DIR *d = fdopendir (dfd);
      if (d == NULL)
        close (dfd);
      else
        {
          struct dirent *de;
          while ((de = readdir (d)) != NULL)
            if (de->d_type == DT_DIR && de->d_name[0] != '.')
              {
                int r = cgroup_remove_tree (dfd, de->d_name, err);
                if (r < 0)
                  {
                    closedir (d);
                    return r;
                  }
              }
          closedir (d);
        }
    }
  long waited = 0, step = 1000;
  for (;;)
    {
      if (unlinkat (parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || waited >= CGROUP_RMDIR_BUDGET_US)
        return cr_fail (err, errno, "rmdir cgroup %s", name);
      log_debug ("cgroup: rmdir %s: busy, retrying in %ld us", name, step);
      cgroup_sleep_us (step);
      waited += step;
      if (step < 20000)
        step *= 2;
    }
}

int
cgroup_write_u64_at (int dirfd, const char *file, uint64_t value, struct cr_error *err)
{
  char buf[24];
  snprintf (buf, sizeof buf, "%" PRIu64, value);
  return cgroup_write_at (dirfd, file, buf, err);
}

int
cgroup_write_cpuset (int dirfd, const struct spec_cpu *cpu, struct cr_error *err)
{
  int r;
  if (cpu->cpus && *cpu->cpus && (r = cgroup_write_at (dirfd, "cpuset.cpus", cpu->cpus, err)) < 0)
    return r;
  if (cpu->mems && *cpu->mems && (r = cgroup_write_at (dirfd, "cpuset.mems", cpu->mems, err)) < 0)
    return r;
  return 0;
}

int
cgroup_write_throttle (int dirfd, const char *file, const char *key, const struct spec_throttle_device *d, size_t n,
                       struct cr_error *err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[96];
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s%s%" PRIu64, d[i].major, d[i].minor, key ? key : "",
                key ? "=" : "", d[i].rate);
      int r = cgroup_write_at (dirfd, file, buf, err);
      if (r < 0)
        return r;
    }
  return 0;
}

char *
cgroup_rdma_line (const struct spec_rdma *rd)
{
  char h[24] = "max", o[24] = "max";
  if (rd->has_hca_handles)
    snprintf (h, sizeof h, "%u", rd->hca_handles);
  if (rd->has_hca_objects)
    snprintf (o, sizeof o, "%u", rd->hca_objects);
  char *line;
  xasprintf (&line, "%s hca_handle=%s hca_object=%s", rd->device, h, o);
  return line;
}
