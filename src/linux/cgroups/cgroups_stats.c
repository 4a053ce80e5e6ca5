/* `cellrun events --stats`: one JSON object with cpu, memory, pids, blkio and
   hugetlb, in the shape runc's events emit (containerd and podman read it),
   filled from the v1 controllers or from the v2 files. */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "base/utils.h"

static void
gen_key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

static void
gen_u64 (yajl_gen g, const char *k, uint64_t v)
{
  gen_key (g, k);
  /* "max" reads as UINT64_MAX: report 0 = unlimited, like runc. */
  yajl_gen_integer (g, v == UINT64_MAX ? 0 : (long long) v);
}

/* Write "KEY": <FILE as u64> when FILE can be read. */
static void
gen_u64_file (yajl_gen g, int fd, const char *key, const char *file)
{
  uint64_t v;
  if (fd >= 0 && cgroup_read_u64_at (fd, file, &v) == 0)
    gen_u64 (g, key, v);
}

/* {"major":8,"minor":0,"op":"Read","value":123} */
static void
gen_blkio_entry (yajl_gen g, unsigned maj, unsigned min, const char *op, uint64_t value)
{
  yajl_gen_map_open (g);
  gen_u64 (g, "major", maj);
  gen_u64 (g, "minor", min);
  gen_key (g, "op");
  yajl_gen_string (g, (const unsigned char *) op, strlen (op));
  gen_u64 (g, "value", value);
  yajl_gen_map_close (g);
}

static void
gen_pids (yajl_gen g, int fd)
{
  gen_key (g, "pids");
  yajl_gen_map_open (g);
  gen_u64_file (g, fd, "current", "pids.current");
  gen_u64_file (g, fd, "limit", "pids.max");
  yajl_gen_map_close (g);
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

void
cgroup_gen_keyed_file (void *gen, int fd, const char *file)
{
  yajl_gen g = gen;
  _cleanup_free_ char *body = NULL;
  yajl_gen_map_open (g);
  if (cgroup_read_at (fd, file, &body, NULL) == 0)
    for (char *save = NULL, *line = strtok_r (body, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        char *sp = strchr (line, ' ');
        if (sp == NULL)
          continue;
        *sp = '\0';
        gen_u64 (g, line, strtoull (sp + 1, NULL, 10));
      }
  yajl_gen_map_close (g);
}

/* ---- v1 ------------------------------------------------------------------ */

static int
stat_fd (struct cgroup_manager *m, const char *controller)
{
  struct cgroup_hierarchy *h = cgroup_v1_find (m, controller);
  return h ? h->fd : -1;
}

/* blkio "8:0 Read 123" lines -> [{"major":8,"minor":0,"op":"Read","value":123}] */
static void
gen_blkio_entries (yajl_gen g, int fd, const char *key, const char *file)
{
  _cleanup_free_ char *body = NULL;
  gen_key (g, key);
  yajl_gen_array_open (g);
  if (fd >= 0 && cgroup_read_at (fd, file, &body, NULL) == 0)
    for (char *save = NULL, *line = strtok_r (body, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
      {
        unsigned maj, min;
        char op[32];
        unsigned long long v;
        if (sscanf (line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
          gen_blkio_entry (g, maj, min, op, v);
      }
  yajl_gen_array_close (g);
}

int
cgroup_v1_stats (struct cgroup_manager *m, void *gen, struct cr_error *err)
{
  (void) err;
  yajl_gen g = gen;
  uint64_t v;
  int fd = stat_fd (m, "cpuacct");
  gen_key (g, "cpu");
  yajl_gen_map_open (g);
  gen_key (g, "usage");
  yajl_gen_map_open (g);
  gen_u64_file (g, fd, "total", "cpuacct.usage");
  _cleanup_free_ char *cpustat = NULL;
  if (fd >= 0 && cgroup_read_at (fd, "cpuacct.stat", &cpustat, NULL) == 0)
    {
      /* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds. */
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t ns_per_tick = 1000000000ULL / (hz > 0 ? hz : 100);
      if (cgroup_keyed_value (cpustat, "user", &v))
        gen_u64 (g, "user", v * ns_per_tick);
      if (cgroup_keyed_value (cpustat, "system", &v))
        gen_u64 (g, "kernel", v * ns_per_tick);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  fd = stat_fd (m, "memory");
  gen_key (g, "memory");
  yajl_gen_map_open (g);
  if (fd >= 0)
    {
      gen_key (g, "usage");
      yajl_gen_map_open (g);
      gen_u64_file (g, fd, "usage", "memory.usage_in_bytes");
      gen_u64_file (g, fd, "limit", "memory.limit_in_bytes");
      gen_u64_file (g, fd, "max", "memory.max_usage_in_bytes");
      gen_u64_file (g, fd, "failcnt", "memory.failcnt");
      yajl_gen_map_close (g);
      gen_key (g, "raw");
      cgroup_gen_keyed_file (g, fd, "memory.stat");
    }
  yajl_gen_map_close (g);

  gen_pids (g, stat_fd (m, "pids"));

  fd = stat_fd (m, "blkio");
  gen_key (g, "blkio");
  yajl_gen_map_open (g);
  gen_blkio_entries (g, fd, "ioServiceBytesRecursive", "blkio.throttle.io_service_bytes_recursive");
  gen_blkio_entries (g, fd, "ioServicedRecursive", "blkio.throttle.io_serviced_recursive");
  yajl_gen_map_close (g);

  fd = stat_fd (m, "hugetlb");
  gen_key (g, "hugetlb");
  yajl_gen_map_open (g);
  DIR *d = opendir_at (fd);
  for (struct dirent *de; d && (de = readdir (d)) != NULL;)
    {
      char size[32];
      if (sscanf (de->d_name, "hugetlb.%31[^.].usage_in_bytes", size) != 1
          || strcmp (de->d_name + strlen (de->d_name) - 15, ".usage_in_bytes") != 0)
        continue;
      char file[96];
      gen_key (g, size);
      yajl_gen_map_open (g);
      gen_u64_file (g, fd, "usage", de->d_name);
      snprintf (file, sizeof file, "hugetlb.%s.max_usage_in_bytes", size);
      gen_u64_file (g, fd, "max", file);
      snprintf (file, sizeof file, "hugetlb.%s.failcnt", size);
      gen_u64_file (g, fd, "failcnt", file);
      yajl_gen_map_close (g);
    }
  if (d)
    closedir (d);
  yajl_gen_map_close (g);
  return 0;
}

/* ---- v2 ------------------------------------------------------------------ */

/* io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." -> runc's blkio arrays. */
static void
gen_io_entries (yajl_gen g, const char *body, const char *key, const char *rkey, const char *wkey)
{
  gen_key (g, key);
  yajl_gen_array_open (g);
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
              gen_blkio_entry (g, maj, min, ops[k], strtoull (p + strlen (keys[k]), NULL, 10));
            }
        }
      line = strchr (line, '\n');
      if (line)
        line++;
    }
  yajl_gen_array_close (g);
}

int
cgroup_v2_stats (struct cgroup_manager *m, void *gen, struct cr_error *err)
{
  yajl_gen g = gen;
  int fd = m->unified.fd;
  if (fd < 0)
    return cr_fail (err, ENOENT, "cgroup %s", m->path);
  uint64_t v;
  _cleanup_free_ char *cpustat = NULL, *io = NULL;
  gen_key (g, "cpu");
  yajl_gen_map_open (g);
  gen_key (g, "usage");
  yajl_gen_map_open (g);
  if (cgroup_read_at (fd, "cpu.stat", &cpustat, NULL) == 0)
    {
      if (cgroup_keyed_value (cpustat, "usage_usec", &v))
        gen_u64 (g, "total", v * 1000);
      if (cgroup_keyed_value (cpustat, "user_usec", &v))
        gen_u64 (g, "user", v * 1000);
      if (cgroup_keyed_value (cpustat, "system_usec", &v))
        gen_u64 (g, "kernel", v * 1000);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  gen_key (g, "memory");
  yajl_gen_map_open (g);
  gen_key (g, "usage");
  yajl_gen_map_open (g);
  gen_u64_file (g, fd, "usage", "memory.current");
  gen_u64_file (g, fd, "limit", "memory.max");
  gen_u64_file (g, fd, "max", "memory.peak");
  yajl_gen_map_close (g);
  if (cgroup_read_u64_at (fd, "memory.swap.current", &v) == 0)
    {
      gen_key (g, "swap");
      yajl_gen_map_open (g);
      gen_u64 (g, "usage", v);
      gen_u64_file (g, fd, "limit", "memory.swap.max");
      yajl_gen_map_close (g);
    }
  gen_key (g, "raw");
  cgroup_gen_keyed_file (g, fd, "memory.stat");
  yajl_gen_map_close (g);

  gen_pids (g, fd);

  gen_key (g, "blkio");
  yajl_gen_map_open (g);
  if (cgroup_read_at (fd, "io.stat", &io, NULL) < 0)
    io = xstrdup ("");
  gen_io_entries (g, io, "ioServiceBytesRecursive", "rbytes=", "wbytes=");
  gen_io_entries (g, io, "ioServicedRecursive", "rios=", "wios=");
  yajl_gen_map_close (g);

  gen_key (g, "hugetlb");
  yajl_gen_map_open (g);
  DIR *d = opendir_at (fd);
  for (struct dirent *de; d && (de = readdir (d)) != NULL;)
    {
      size_t len = strlen (de->d_name);
      if (strncmp (de->d_name, "hugetlb.", 8) != 0 || len < 17 || strcmp (de->d_name + len - 8, ".current") != 0
          || strstr (de->d_name, ".rsvd."))
        continue;
      char size[32];
      snprintf (size, sizeof size, "%.*s", (int) (len - 16), de->d_name + 8);
      gen_key (g, size);
      yajl_gen_map_open (g);
      gen_u64_file (g, fd, "usage", de->d_name);
      yajl_gen_map_close (g);
    }
  if (d)
    closedir (d);
  yajl_gen_map_close (g);
  return 0;
}
