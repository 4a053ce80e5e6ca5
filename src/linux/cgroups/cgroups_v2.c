/* cgroup v2 (unified): one tree, controllers enabled per level through
   cgroup.subtree_control, v1-style spec values converted as runc documents. */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/inotify.h>
#include <string.h>

#include "base/log.h"
#include "base/utils.h"

#define MAX_CONTROLLERS 16

/* FIELDS[i] is the spec field that first asked for NAMES[i]: errors name
   what the user wrote, not only the controller. */
struct controller_set
{
  const char *names[MAX_CONTROLLERS];
  const char *fields[MAX_CONTROLLERS];
  bool unified_key[MAX_CONTROLLERS];
  size_t len;
};

static void
set_add_field (struct controller_set *s, const char *name, const char *field, bool unified_key)
{
  for (size_t i = 0; i < s->len; i++)
    if (strcmp (s->names[i], name) == 0)
      return;
  if (s->len < MAX_CONTROLLERS)
    {
      s->fields[s->len] = field;
      s->unified_key[s->len] = unified_key;
      s->names[s->len++] = name;
    }
}

static void
set_add (struct controller_set *s, const char *name, const char *field)
{
  set_add_field (s, name, field, false);
}

static bool
word_in (const char *list, const char *word)
{
  size_t wl = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += wl)
    if ((p == list || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '+')
        && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
      return true;
  return false;
}

static bool
cpu_any (const struct spec_cpu *c)
{
  return (c->has_shares && c->shares) || (c->has_quota && c->quota) || (c->has_period && c->period) || c->has_burst
         || c->has_idle;
}

static bool
blkio_any (const struct spec_blkio *b)
{
  return (b->has_weight && b->weight) || b->weight_device_len || b->throttle_read_bps_device_len
         || b->throttle_write_bps_device_len || b->throttle_read_iops_device_len || b->throttle_write_iops_device_len;
}

/* Controllers whose files RES makes us write. Unified keys are named
   "<controller>.<knob>"; the same name is the controller's. Kept static:
   the strings point into RES or are literals. */
static void
needed_controllers (const struct spec_resources *res, struct controller_set *s, char keys[][32])
{
  const struct spec_memory *mem = res->memory;
  if (mem && (mem->has_limit || mem->has_reservation || (mem->has_swap && mem->swap)))
    set_add (s, "memory", "memory");
  if (res->cpu && cpu_any (res->cpu))
    set_add (s, "cpu", "cpu");
  if (res->cpu && ((res->cpu->cpus && *res->cpu->cpus) || (res->cpu->mems && *res->cpu->mems)))
    set_add (s, "cpuset", "cpu.cpus/mems");
  if (res->has_pids_limit)
    set_add (s, "pids", "pids");
  if (res->block_io && blkio_any (res->block_io))
    set_add (s, "io", "blockIO");
  if (res->hugepage_limits_len)
    set_add (s, "hugetlb", "hugepageLimits");
  if (res->rdma_len)
    set_add (s, "rdma", "rdma");
  for (size_t i = 0; i < res->unified_len && i < MAX_CONTROLLERS; i++)
    {
      const char *dot = strchr (res->unified[i].key, '.');
      size_t len = dot ? (size_t) (dot - res->unified[i].key) : 0;
      if (len == 0 || len >= 32)
        continue;
      memcpy (keys[i], res->unified[i].key, len);
      keys[i][len] = '\0';
      if (strcmp (keys[i], "cgroup") != 0)
        set_add_field (s, keys[i], res->unified[i].key, true);
    }
}

int
cgroup_v2_enable_controllers (struct cgroup_manager *m, const struct spec_resources *res, struct cr_error *err)
{
  struct controller_set need = { { 0 }, { 0 }, { 0 }, 0 };
  char keys[MAX_CONTROLLERS][32];
  needed_controllers (res, &need, keys);
  if (need.len == 0)
    return 0;
  _cleanup_free_ char *avail = NULL;
  int r = cgroup_read_at (m->unified.rootfd, "cgroup.controllers", &avail, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < need.len; i++)
    if (!word_in (avail, need.names[i]))
      return cr_fail (err, EOPNOTSUPP, "linux.resources.%s%s: cgroup v2 controller %s is not available",
                      need.unified_key[i] ? "unified." : "", need.fields[i], need.names[i]);

  /* Every level above the container must delegate the controller. Levels
     that already list it are left alone (the host root is never written
     when it already delegates what we need). */
  size_t plen = strlen (m->path);
  /* Walk "." then every proper prefix of the path. */
  for (size_t end = 0; end <= plen; end++)
    {
      bool level = end == 0 || (end < plen && m->path[end] == '/');
      if (!level)
        continue;
      _cleanup_free_ char *dir = end == 0 ? xstrdup (".") : strndup (m->path, end);
      _cleanup_close_ int fd = openat (m->unified.rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return cr_fail (err, errno, "open cgroup %s", dir);
      _cleanup_free_ char *cur = NULL;
      if (cgroup_read_at (fd, "cgroup.subtree_control", &cur, err) < 0)
        return cr_wrap (err, "cgroup %s", dir);
      char line[256] = "";
      size_t o = 0;
      for (size_t i = 0; i < need.len; i++)
        if (!word_in (cur, need.names[i]))
          o += snprintf (line + o, sizeof line - o, "%s+%s", o ? " " : "", need.names[i]);
      if (o == 0)
        continue;
      if (cgroup_write_at (fd, "cgroup.subtree_control", line, err) < 0)
        return cr_wrap (err, "enable controllers in %s", dir);
    }
  return 0;
}

static int
write_i64_or_max (int fd, const char *file, int64_t v, struct cr_error *err)
{
  char buf[32];
  if (v < 0)
    strcpy (buf, "max");
  else
    snprintf (buf, sizeof buf, "%" PRId64, v);
  return cgroup_write_at (fd, file, buf, err);
}

static int
apply_memory (int fd, const struct spec_memory *mem, bool update, struct cr_error *err)
{
  int r;
  if (mem->has_kernel || mem->has_kernel_tcp)
    log_debug ("cgroup: linux.resources.memory.kernel/kernelTCP are deprecated and ignored");
  /* No v2 equivalents: swappiness is a global knob now and the OOM killer
     cannot be disabled per cgroup. Accepting them keeps v1-era configs
     (docker, podman defaults) working. */
  if (mem->has_swappiness)
    log_debug ("cgroup: linux.resources.memory.swappiness ignored on cgroup v2");
  if (mem->has_disable_oom_killer && mem->disable_oom_killer)
    log_debug ("cgroup: linux.resources.memory.disableOOMKiller ignored on cgroup v2");

  if (update && mem->has_check_before_update && mem->check_before_update && mem->has_limit && mem->limit > 0)
    {
      uint64_t usage;
      if (cgroup_read_u64_at (fd, "memory.current", &usage) == 0 && usage > (uint64_t) mem->limit)
        return cr_fail (err, EBUSY, "linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRIu64,
                        mem->limit, usage);
    }
  int64_t swap;
  bool swap_max;
  r = cgroup_swap_to_v2 (mem->has_swap ? mem->swap : 0, mem->limit, mem->has_limit, &swap, &swap_max, err);
  if (r < 0)
    return r;
  if (mem->has_limit && (r = write_i64_or_max (fd, "memory.max", mem->limit, err)) < 0)
    return r;
  if (swap_max)
    {
      /* Implied by limit -1 alone: a host without swap accounting is fine. */
      if ((mem->has_swap || cgroup_file_exists (fd, "memory.swap.max"))
          && (r = cgroup_write_at (fd, "memory.swap.max", "max", err)) < 0)
        return r;
    }
  else if (mem->has_swap && mem->swap != 0 && (r = write_i64_or_max (fd, "memory.swap.max", swap, err)) < 0)
    return r;
  if (mem->has_reservation && (r = write_i64_or_max (fd, "memory.low", mem->reservation, err)) < 0)
    return r;
  return 0;
}

static int
apply_cpu (int fd, const struct spec_cpu *cpu, struct cr_error *err)
{
  int r;
  if ((cpu->has_realtime_runtime && cpu->realtime_runtime) || (cpu->has_realtime_period && cpu->realtime_period))
    return cr_fail (err, EOPNOTSUPP, "linux.resources.cpu.%s: not supported on cgroup v2",
                    cpu->has_realtime_runtime && cpu->realtime_runtime ? "realtimeRuntime" : "realtimePeriod");
  if (cpu->has_shares && cpu->shares
      && (r = cgroup_write_u64_at (fd, "cpu.weight", cgroup_shares_to_weight (cpu->shares), err)) < 0)
    return r;
  bool quota = cpu->has_quota && cpu->quota, period = cpu->has_period && cpu->period;
  if (quota || period)
    {
      char buf[64];
      char q[24] = "max";
      if (quota && cpu->quota > 0)
        snprintf (q, sizeof q, "%" PRId64, cpu->quota);
      else if (!quota)
        {
          /* Only a period given: keep the quota already in place. */
          _cleanup_free_ char *cur = NULL;
          if (cgroup_read_at (fd, "cpu.max", &cur, NULL) == 0 && cur[0])
            snprintf (q, sizeof q, "%.*s", (int) strcspn (cur, " "), cur);
        }
      if (period)
        snprintf (buf, sizeof buf, "%s %" PRIu64, q, cpu->period);
      else
        snprintf (buf, sizeof buf, "%s", q);
      if ((r = cgroup_write_at (fd, "cpu.max", buf, err)) < 0)
        return r;
    }
  if (cpu->has_burst && (r = cgroup_write_u64_at (fd, "cpu.max.burst", cpu->burst, err)) < 0)
    return r;
  if (cpu->has_idle)
    {
      char buf[24];
      snprintf (buf, sizeof buf, "%" PRId64, cpu->idle);
      if ((r = cgroup_write_at (fd, "cpu.idle", buf, err)) < 0)
        return r;
    }
  return cgroup_write_cpuset (fd, cpu, err);
}

static int
apply_io (int fd, const struct spec_blkio *b, struct cr_error *err)
{
  int r;
  if (b->has_leaf_weight)
    log_debug ("cgroup: linux.resources.blockIO.leafWeight has no cgroup v2 equivalent; ignored");
  /* BFQ keeps the v1 1..1000 range; io.weight (1..10000) needs converting. */
  bool bfq = cgroup_file_exists (fd, "io.bfq.weight");
  if (b->has_weight && b->weight)
    {
      r = bfq ? cgroup_write_u64_at (fd, "io.bfq.weight", b->weight, err)
              : cgroup_write_u64_at (fd, "io.weight", cgroup_blkio_to_io_weight (b->weight), err);
      if (r < 0)
        return r;
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct spec_weight_device *w = &b->weight_device[i];
      if (!w->has_weight)
        continue;
      char buf[96];
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                bfq ? (uint64_t) w->weight : cgroup_blkio_to_io_weight (w->weight));
      if ((r = cgroup_write_at (fd, bfq ? "io.bfq.weight" : "io.weight", buf, err)) < 0)
        return r;
    }
  if ((r = cgroup_write_throttle (fd, "io.max", "rbps", b->throttle_read_bps_device, b->throttle_read_bps_device_len,
                                  err))
          < 0
      || (r = cgroup_write_throttle (fd, "io.max", "wbps", b->throttle_write_bps_device,
                                     b->throttle_write_bps_device_len, err))
             < 0
      || (r = cgroup_write_throttle (fd, "io.max", "riops", b->throttle_read_iops_device,
                                     b->throttle_read_iops_device_len, err))
             < 0
      || (r = cgroup_write_throttle (fd, "io.max", "wiops", b->throttle_write_iops_device,
                                     b->throttle_write_iops_device_len, err))
             < 0)
    return r;
  return 0;
}

int
cgroup_v2_write_unified (int dirfd, const struct spec_kv *kv, struct cr_error *err)
{
  /* A key is a file name in the container's own directory, nothing else. */
  if (kv->key == NULL || !strchr (kv->key, '.') || strchr (kv->key, '/') || kv->key[0] == '.')
    return cr_fail (err, EINVAL, "linux.resources.unified: invalid key \"%s\"", kv->key ? kv->key : "");
  if (strcmp (kv->key, "cgroup.procs") == 0 || strcmp (kv->key, "cgroup.threads") == 0
      || strcmp (kv->key, "cgroup.subtree_control") == 0)
    return cr_fail (err, EINVAL, "linux.resources.unified: %s is managed by the runtime", kv->key);
  int r = cgroup_write_at (dirfd, kv->key, kv->value ? kv->value : "", err);
  if (r < 0)
    return cr_wrap (err, "linux.resources.unified");
  return 0;
}

int
cgroup_v2_apply (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err)
{
  int fd = m->unified.fd, r;
  if (fd < 0)
    return cr_fail (err, ENOENT, "cgroup %s", m->path);
  if (res->has_net_class_id || res->net_priorities_len)
    return cr_fail (err, EOPNOTSUPP, "linux.resources.network: not supported on cgroup v2");
  if (res->devices_len && (r = cgroup_bpf_apply_devices (fd, res->devices, res->devices_len, err)) < 0)
    return r;
  if (res->memory && (r = apply_memory (fd, res->memory, update, err)) < 0)
    return r;
  if (res->cpu && (r = apply_cpu (fd, res->cpu, err)) < 0)
    return r;
  if (res->has_pids_limit
      && (r = write_i64_or_max (fd, "pids.max", res->pids_limit > 0 ? res->pids_limit : -1, err)) < 0)
    return r;
  if (res->block_io && (r = apply_io (fd, res->block_io, err)) < 0)
    return r;
  for (size_t i = 0; i < res->hugepage_limits_len; i++)
    {
      char file[96];
      snprintf (file, sizeof file, "hugetlb.%s.max", res->hugepage_limits[i].page_size);
      if ((r = cgroup_write_u64_at (fd, file, res->hugepage_limits[i].limit, err)) < 0)
        return r;
    }
  for (size_t i = 0; i < res->rdma_len; i++)
    {
      _cleanup_free_ char *line = cgroup_rdma_line (&res->rdma[i]);
      if ((r = cgroup_write_at (fd, "rdma.max", line, err)) < 0)
        return r;
    }
  /* Last, so an explicit unified value wins over a converted one. */
  for (size_t i = 0; i < res->unified_len; i++)
    if ((r = cgroup_v2_write_unified (fd, &res->unified[i], err)) < 0)
      return r;
  return 0;
}

/* ---- freezer and OOM ----------------------------------------------------- */

static int
read_v2_frozen (int fd, bool *out, struct cr_error *err)
{
  _cleanup_free_ char *events = NULL;
  int r = cgroup_read_at (fd, "cgroup.events", &events, err);
  if (r < 0)
    return r;
  uint64_t v = 0;
  if (!cgroup_keyed_value (events, "frozen", &v))
    return cr_fail (err, ENOTSUP, "cgroup.events: no \"frozen\" key");
  *out = v != 0;
  return 0;
}

static int
freeze_v2 (int fd, bool frozen, struct cr_error *err)
{
  int r = cgroup_write_at (fd, "cgroup.freeze", frozen ? "1" : "0", err);
  if (r < 0)
    return r;
  /* cgroup.events changes are signalled as POLLPRI on an open fd. */
  _cleanup_close_ int efd = openat (fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (efd < 0)
    return cr_fail (err, errno, "cgroup cgroup.events");
  long deadline = cgroup_now_ms () + CGROUP_FREEZE_TIMEOUT_MS;
  for (;;)
    {
      bool state;
      r = read_v2_frozen (fd, &state, err);
      if (r < 0)
        return r;
      if (state == frozen)
        return 0;
      long left = deadline - cgroup_now_ms ();
      if (left <= 0)
        {
          if (frozen)
            cgroup_write_at (fd, "cgroup.freeze", "0", NULL);
          return cr_fail (err, EBUSY, "cgroup.freeze: not %s after %d ms", frozen ? "frozen" : "thawed",
                          CGROUP_FREEZE_TIMEOUT_MS);
        }
      char buf[256];
      lseek (efd, 0, SEEK_SET);
      if (read (efd, buf, sizeof buf) < 0)
        return cr_fail (err, errno, "read cgroup.events");
      struct pollfd p = { efd, POLLPRI, 0 };
      /* Capped so a missed notification costs at most 10 ms. */
      poll (&p, 1, left < 10 ? left : 10);
    }
}

int
cgroup_v2_freeze (struct cgroup_manager *m, bool frozen, struct cr_error *err)
{
  if (m->unified.fd < 0 || !cgroup_file_exists (m->unified.fd, "cgroup.freeze"))
    return cr_fail (err, ENOTSUP, "cgroup %s: no freezer available", m->path);
  return freeze_v2 (m->unified.fd, frozen, err);
}

int
cgroup_v2_is_frozen (struct cgroup_manager *m, bool *out, struct cr_error *err)
{
  if (m->unified.fd < 0 || !cgroup_file_exists (m->unified.fd, "cgroup.freeze"))
    return cr_fail (err, ENOTSUP, "cgroup %s: no freezer available", m->path);
  return read_v2_frozen (m->unified.fd, out, err);
}

/* inotify on memory.events: its oom counters change on an OOM. */
static int
v2_oom_event_fd (struct cgroup_manager *m, struct cr_error *err)
{
  if (m->unified.fd < 0 || !cgroup_file_exists (m->unified.fd, "memory.events"))
    return -ENOTSUP;
  _cleanup_close_ int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0)
    return cr_fail (err, errno, "inotify_init1");
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d/memory.events", m->unified.fd);
  if (inotify_add_watch (ifd, path, IN_MODIFY) < 0)
    return cr_fail (err, errno, "inotify memory.events");
  return TAKE_FD (ifd);
}

static int
v2_apply (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err)
{
  int r = cgroup_v2_enable_controllers (m, res, err);
  if (r < 0)
    return r;
  return cgroup_v2_apply (m, res, update, err);
}

const struct cgroup_backend cgroup_backend_v2 = {
  .name = "cgroupfs v2",
  .apply = v2_apply,
  .freeze = cgroup_v2_freeze,
  .is_frozen = cgroup_v2_is_frozen,
  .stats = cgroup_v2_stats,
  .oom_event_fd = v2_oom_event_fd,
};
