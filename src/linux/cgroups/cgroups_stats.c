/* `cellrun events --stats`: cpu, memory, pids, blkio and hugetlb counters
   read from the v1 controllers or from the v2 files into struct
   oci_stats (libocispec renders them as runc's events JSON). */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/utils.h"

static void
set (struct oci_stat *s, uint64_t v)
{
  s->set = true;
  s->value = v;
}

/* *S = FILE as u64 when FILE can be read. */
static void
read_stat (struct oci_stat *s, int fd, const char *file)
{
  uint64_t v;
  if (fd >= 0 && cgroup_read_u64_at (fd, file, &v) == 0)
    set (s, v);
}

static void
read_pids (struct oci_stats *s, int fd)
{
  read_stat (&s->pids_current, fd, "pids.current");
  read_stat (&s->pids_limit, fd, "pids.max");
}

/* A readdir stream over the cgroup directory FD (FD itself stays open). */
static DIR *
opendir_at (int fd)
{
  int dfd = fd >= 0 ? openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (d == NULL && dfd >= 0)
    close (dfd);
  return d;
}

/* FILE's "key value" lines as the memory "raw" object. */
static void
read_memory_raw (struct oci_stats *s, int fd, const char *file)
{
  _cleanup_free_ char *body = NULL;
  s->has_memory_raw = true;
  if (cgroup_read_at (fd, file, &body, NULL) == 0)
    for (char *save = NULL, *line = strtok_r (body, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        char *sp = strchr (line, ' ');
        if (sp == NULL)
          continue;
        *sp = '\0';
        oci_stats_add_raw (s, line, strtoull (sp + 1, NULL, 10));
      }
}

/* ---- v1 ------------------------------------------------------------------ */

static int
stat_fd (struct cgroup_manager *m, const char *controller)
{
  struct cgroup_hierarchy *h = cgroup_v1_find (m, controller);
  return h ? h->fd : -1;
}

/* blkio "8:0 Read 123" lines. */
static void
read_blkio_entries (struct oci_stat_blkio **v, size_t *len, int fd, const char *file)
{
  _cleanup_free_ char *body = NULL;
  if (fd >= 0 && cgroup_read_at (fd, file, &body, NULL) == 0)
    for (char *save = NULL, *line = strtok_r (body, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        unsigned maj, min;
        char op[32];
        unsigned long long val;
        if (sscanf (line, "%u:%u %31s %llu", &maj, &min, op, &val) == 4)
          oci_stats_add_blkio (v, len, maj, min, op, val);
      }
}

static void
v1_cpu (struct oci_stats *s, int fd)
{
  uint64_t v;
  read_stat (&s->cpu_total, fd, "cpuacct.usage");
  _cleanup_free_ char *cpustat = NULL;
  if (fd >= 0 && cgroup_read_at (fd, "cpuacct.stat", &cpustat, NULL) == 0)
    {
      /* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds. */
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t ns_per_tick = 1000000000ULL / (hz > 0 ? hz : 100);
      if (cgroup_keyed_value (cpustat, "user", &v))
        set (&s->cpu_user, v * ns_per_tick);
      if (cgroup_keyed_value (cpustat, "system", &v))
        set (&s->cpu_kernel, v * ns_per_tick);
    }
}

static void
v1_hugetlb (struct oci_stats *s, int fd)
{
  DIR *d = opendir_at (fd);
  for (struct dirent *de; d && (de = readdir (d)) != NULL;)
    {
      char size[32];
      if (sscanf (de->d_name, "hugetlb.%31[^.].usage_in_bytes", size) != 1
          || strcmp (de->d_name + strlen (de->d_name) - 15, ".usage_in_bytes") != 0)
        continue;
      char file[96];
      struct oci_stat_hugetlb *h = oci_stats_add_hugetlb (s, size);
      read_stat (&h->usage, fd, de->d_name);
      snprintf (file, sizeof file, "hugetlb.%s.max_usage_in_bytes", size);
      read_stat (&h->max, fd, file);
      snprintf (file, sizeof file, "hugetlb.%s.failcnt", size);
      read_stat (&h->failcnt, fd, file);
    }
  if (d)
    closedir (d);
}

int
cgroup_v1_stats (struct cgroup_manager *m, struct oci_stats *s, struct cr_error *err)
{
  (void) err;
  v1_cpu (s, stat_fd (m, "cpuacct"));
  int fd = stat_fd (m, "memory");
  if (fd >= 0)
    {
      s->has_memory_usage = true;
      read_stat (&s->mem_usage, fd, "memory.usage_in_bytes");
      read_stat (&s->mem_limit, fd, "memory.limit_in_bytes");
      read_stat (&s->mem_max, fd, "memory.max_usage_in_bytes");
      read_stat (&s->mem_failcnt, fd, "memory.failcnt");
      read_memory_raw (s, fd, "memory.stat");
    }
  read_pids (s, stat_fd (m, "pids"));
  fd = stat_fd (m, "blkio");
  read_blkio_entries (&s->io_bytes, &s->io_bytes_len, fd, "blkio.throttle.io_service_bytes_recursive");
  read_blkio_entries (&s->io_ops, &s->io_ops_len, fd, "blkio.throttle.io_serviced_recursive");
  v1_hugetlb (s, stat_fd (m, "hugetlb"));
  return 0;
}

/* ---- v2 ------------------------------------------------------------------ */

/* io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." -> runc's blkio arrays. */
static void
read_io_entries (struct oci_stat_blkio **v, size_t *len, const char *body, const char *rkey, const char *wkey)
{
  for (const char *line = body; line && *line;)
    {
      unsigned maj, min;
      if (sscanf (line, "%u:%u", &maj, &min) == 2)
        {
          const char *keys[2] = { rkey, wkey }, *ops[2] = { "Read", "Write" };
          const char *nl = strchr (line, '\n');
          for (int k = 0; k < 2; k++)
            {
              const char *p = strstr (line, keys[k]);
              if (p == NULL || (nl && p > nl))
                continue;
              oci_stats_add_blkio (v, len, maj, min, ops[k], strtoull (p + strlen (keys[k]), NULL, 10));
            }
        }
      line = strchr (line, '\n');
      if (line)
        line++;
    }
}

static void
v2_hugetlb (struct oci_stats *s, int fd)
{
  DIR *d = opendir_at (fd);
  for (struct dirent *de; d && (de = readdir (d)) != NULL;)
    {
      size_t len = strlen (de->d_name);
      if (strncmp (de->d_name, "hugetlb.", 8) != 0 || len < 17 || strcmp (de->d_name + len - 8, ".current") != 0
          || strstr (de->d_name, ".rsvd."))
        continue;
      char size[32];
      snprintf (size, sizeof size, "%.*s", (int) (len - 16), de->d_name + 8);
      read_stat (&oci_stats_add_hugetlb (s, size)->usage, fd, de->d_name);
    }
  if (d)
    closedir (d);
}

int
cgroup_v2_stats (struct cgroup_manager *m, struct oci_stats *s, struct cr_error *err)
{
  int fd = m->unified.fd;
  if (fd < 0)
    return cr_fail (err, ENOENT, "cgroup %s", m->path);
  uint64_t v;
  _cleanup_free_ char *cpustat = NULL, *io = NULL;
  if (cgroup_read_at (fd, "cpu.stat", &cpustat, NULL) == 0)
    {
      if (cgroup_keyed_value (cpustat, "usage_usec", &v))
        set (&s->cpu_total, v * 1000);
      if (cgroup_keyed_value (cpustat, "user_usec", &v))
        set (&s->cpu_user, v * 1000);
      if (cgroup_keyed_value (cpustat, "system_usec", &v))
        set (&s->cpu_kernel, v * 1000);
    }
  s->has_memory_usage = true;
  read_stat (&s->mem_usage, fd, "memory.current");
  read_stat (&s->mem_limit, fd, "memory.max");
  read_stat (&s->mem_max, fd, "memory.peak");
  if (cgroup_read_u64_at (fd, "memory.swap.current", &v) == 0)
    {
      s->has_swap = true;
      set (&s->swap_usage, v);
      read_stat (&s->swap_limit, fd, "memory.swap.max");
    }
  read_memory_raw (s, fd, "memory.stat");
  read_pids (s, fd);
  if (cgroup_read_at (fd, "io.stat", &io, NULL) < 0)
    io = xstrdup ("");
  read_io_entries (&s->io_bytes, &s->io_bytes_len, io, "rbytes=", "wbytes=");
  read_io_entries (&s->io_ops, &s->io_ops_len, io, "rios=", "wios=");
  v2_hugetlb (s, fd);
  return 0;
}

int
cgroup_oom_kills (struct cgroup_manager *m, uint64_t *out)
{
  struct cgroup_hierarchy *h = m->mode == CGROUP_MODE_V2 ? NULL : cgroup_v1_find (m, "memory");
  const char *file = "memory.oom_control";
  if (h == NULL || h->fd < 0)
    {
      h = &m->unified;
      file = "memory.events";
    }
  if (h->fd < 0)
    return -ENOENT;
  _cleanup_free_ char *body = NULL;
  if (cgroup_read_at (h->fd, file, &body, NULL) < 0)
    return -ENOENT;
  *out = 0;
  return cgroup_keyed_value (body, "oom_kill", out) ? 0 : -ENOENT;
}
