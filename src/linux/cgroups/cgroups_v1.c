/* cgroup v1 (and the v1 half of hybrid hosts): one directory per
   controller hierarchy, resources written with the v1 file names. */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/eventfd.h>
#include <string.h>

#include "base/log.h"
#include "base/utils.h"

/* The container cgroup fd in CONTROLLER's hierarchy, or an error naming
   the spec field WHAT that needed it. */
static int
v1_fd (struct cgroup_manager *m, const char *controller, const char *what, struct cr_error *err)
{
  struct cgroup_hierarchy *h = cgroup_v1_find (m, controller);
  if (h == NULL)
    return cr_fail (err, EOPNOTSUPP, "linux.resources.%s: cgroup v1 controller %s is not mounted", what, controller);
  if (h->fd < 0)
    return cr_fail (err, ENOENT, "linux.resources.%s: cgroup %s/%s", what, h->name, m->path);
  return h->fd;
}

static int
write_i64 (int fd, const char *file, int64_t v, struct cr_error *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return cgroup_write_at (fd, file, buf, err);
}

static int
apply_memory (struct cgroup_manager *m, const struct spec_memory *mem, bool update, struct cr_error *err)
{
  if (mem->has_kernel || mem->has_kernel_tcp)
    log_debug ("cgroup: linux.resources.memory.kernel/kernelTCP are deprecated and ignored");
  bool any = mem->has_limit || mem->has_reservation || (mem->has_swap && mem->swap != 0) || mem->has_swappiness
             || mem->has_disable_oom_killer;
  if (!any)
    return 0;
  int fd = v1_fd (m, "memory", "memory", err);
  if (fd < 0)
    return fd;

  if (update && mem->has_check_before_update && mem->check_before_update && mem->has_limit && mem->limit > 0)
    {
      uint64_t usage;
      if (cgroup_read_u64_at (fd, "memory.usage_in_bytes", &usage) == 0 && usage > (uint64_t) mem->limit)
        return cr_fail (err, EBUSY, "linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRIu64,
                        mem->limit, usage);
    }

  /* Spec swap is memory+swap. An unlimited memory limit without a swap
     value lifts both, like v1 users expect. */
  bool has_swap = mem->has_swap && mem->swap != 0;
  int64_t swap = mem->swap;
  if (!has_swap && mem->has_limit && mem->limit == -1 && cgroup_file_exists (fd, "memory.memsw.limit_in_bytes"))
    {
      has_swap = true;
      swap = -1;
    }
  int r;
  if (mem->has_limit && has_swap)
    {
      /* The kernel keeps limit <= memsw at every step, so the order that
         works depends on whether the limits grow or shrink: try raising
         memsw first, and if that is refused lower the limit first. */
      struct cr_error first;
      r = write_i64 (fd, "memory.memsw.limit_in_bytes", swap, &first);
      if (r == 0)
        r = write_i64 (fd, "memory.limit_in_bytes", mem->limit, err);
      else if (r == -EINVAL)
        {
          r = write_i64 (fd, "memory.limit_in_bytes", mem->limit, err);
          if (r == 0)
            r = write_i64 (fd, "memory.memsw.limit_in_bytes", swap, err);
        }
      else if (err)
        *err = first;
    }
  else if (mem->has_limit)
    r = write_i64 (fd, "memory.limit_in_bytes", mem->limit, err);
  else if (has_swap)
    r = write_i64 (fd, "memory.memsw.limit_in_bytes", swap, err);
  else
    r = 0;
  if (r < 0)
    return r;
  if (mem->has_reservation && (r = write_i64 (fd, "memory.soft_limit_in_bytes", mem->reservation, err)) < 0)
    return r;
  if (mem->has_swappiness)
    {
      if (mem->swappiness > 100)
        return cr_fail (err, EINVAL, "linux.resources.memory.swappiness: %" PRIu64 " is above 100", mem->swappiness);
      if ((r = cgroup_write_u64_at (fd, "memory.swappiness", mem->swappiness, err)) < 0)
        return r;
    }
  if (mem->has_disable_oom_killer
      && (r = cgroup_write_at (fd, "memory.oom_control", mem->disable_oom_killer ? "1" : "0", err)) < 0)
    return r;
  return 0;
}

static int
apply_cpu (struct cgroup_manager *m, const struct spec_cpu *cpu, struct cr_error *err)
{
  int r;
  bool any = (cpu->has_shares && cpu->shares) || (cpu->has_quota && cpu->quota) || (cpu->has_period && cpu->period)
             || cpu->has_burst || cpu->has_realtime_period || cpu->has_realtime_runtime || cpu->has_idle;
  if (any)
    {
      int fd = v1_fd (m, "cpu", "cpu", err);
      if (fd < 0)
        return fd;
      if (cpu->has_shares && cpu->shares && (r = cgroup_write_u64_at (fd, "cpu.shares", cpu->shares, err)) < 0)
        return r;
      /* Period first: a quota is validated against the current period. */
      if (cpu->has_period && cpu->period && (r = cgroup_write_u64_at (fd, "cpu.cfs_period_us", cpu->period, err)) < 0)
        return r;
      if (cpu->has_quota && cpu->quota && (r = write_i64 (fd, "cpu.cfs_quota_us", cpu->quota, err)) < 0)
        return r;
      if (cpu->has_burst && (r = cgroup_write_u64_at (fd, "cpu.cfs_burst_us", cpu->burst, err)) < 0)
        return r;
      /* The runtime must fit in the period: period first as well. */
      if (cpu->has_realtime_period && (r = cgroup_write_u64_at (fd, "cpu.rt_period_us", cpu->realtime_period, err)) < 0)
        return r;
      if (cpu->has_realtime_runtime && (r = write_i64 (fd, "cpu.rt_runtime_us", cpu->realtime_runtime, err)) < 0)
        return r;
      if (cpu->has_idle && (r = write_i64 (fd, "cpu.idle", cpu->idle, err)) < 0)
        return r;
    }
  if ((cpu->cpus && *cpu->cpus) || (cpu->mems && *cpu->mems))
    {
      int fd = v1_fd (m, "cpuset", "cpu.cpus", err);
      if (fd < 0)
        return fd;
      return cgroup_write_cpuset (fd, cpu, err);
    }
  return 0;
}

static int
apply_blkio (struct cgroup_manager *m, const struct spec_blkio *b, struct cr_error *err)
{
  bool any = b->has_weight || b->has_leaf_weight || b->weight_device_len || b->throttle_read_bps_device_len
             || b->throttle_write_bps_device_len || b->throttle_read_iops_device_len
             || b->throttle_write_iops_device_len;
  if (!any)
    return 0;
  int fd = v1_fd (m, "blkio", "blockIO", err);
  if (fd < 0)
    return fd;
  /* Without CFQ (removed in 5.0) only BFQ's files exist. */
  bool bfq = !cgroup_file_exists (fd, "blkio.weight") && cgroup_file_exists (fd, "blkio.bfq.weight");
  int r;
  if (b->has_weight && (r = cgroup_write_u64_at (fd, bfq ? "blkio.bfq.weight" : "blkio.weight", b->weight, err)) < 0)
    return r;
  if (b->has_leaf_weight && (r = cgroup_write_u64_at (fd, "blkio.leaf_weight", b->leaf_weight, err)) < 0)
    return r;
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct spec_weight_device *w = &b->weight_device[i];
      char buf[96];
      if (w->has_weight)
        {
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
          if ((r = cgroup_write_at (fd, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", buf, err)) < 0)
            return r;
        }
      if (w->has_leaf_weight)
        {
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight);
          if ((r = cgroup_write_at (fd, "blkio.leaf_weight_device", buf, err)) < 0)
            return r;
        }
    }
  if ((r = cgroup_write_throttle (fd, "blkio.throttle.read_bps_device", NULL, b->throttle_read_bps_device,
                                  b->throttle_read_bps_device_len, err))
          < 0
      || (r = cgroup_write_throttle (fd, "blkio.throttle.write_bps_device", NULL, b->throttle_write_bps_device,
                                     b->throttle_write_bps_device_len, err))
             < 0
      || (r = cgroup_write_throttle (fd, "blkio.throttle.read_iops_device", NULL, b->throttle_read_iops_device,
                                     b->throttle_read_iops_device_len, err))
             < 0
      || (r = cgroup_write_throttle (fd, "blkio.throttle.write_iops_device", NULL, b->throttle_write_iops_device,
                                     b->throttle_write_iops_device_len, err))
             < 0)
    return r;
  return 0;
}

/* WORD is one of the space-separated words of LIST (cgroup.controllers). */
static bool
is_deny_all (const struct spec_device_cgroup *d)
{
  return !d->allow && (d->type == NULL || strcmp (d->type, "a") == 0) && (!d->has_major || d->major < 0)
         && (!d->has_minor || d->minor < 0) && (d->access == NULL || strchr (d->access, 'r'))
         && (d->access == NULL || strchr (d->access, 'w')) && (d->access == NULL || strchr (d->access, 'm'));
}

static int
apply_devices (struct cgroup_manager *m, const struct spec_device_cgroup *d, size_t n, struct cr_error *err)
{
  if (n == 0)
    return 0;
  int fd = v1_fd (m, "devices", "devices", err);
  if (fd < 0)
    return fd;
  /* Start from deny-all so the result matches the v2 BPF filter (which
     denies what no rule matched); a leading deny-all rule is that write. */
  int r = cgroup_write_at (fd, "devices.deny", "a", err);
  if (r < 0)
    return r;
  for (size_t i = is_deny_all (&d[0]) ? 1 : 0; i < n; i++)
    {
      char buf[96];
      cgroup_device_rule_string (&d[i], buf, sizeof buf);
      if ((r = cgroup_write_at (fd, d[i].allow ? "devices.allow" : "devices.deny", buf, err)) < 0)
        return r;
    }
  return 0;
}

/* Does cgroup_v1_apply write anything in CONTROLLER's hierarchy for RES?
   The same conditions as the apply_* functions above (keep them in step). */
bool
cgroup_v1_needed (const struct spec_resources *res, const char *controller)
{
  const struct spec_memory *mem = res ? res->memory : NULL;
  const struct spec_cpu *cpu = res ? res->cpu : NULL;
  if (res == NULL)
    return false;
  if (strcmp (controller, "devices") == 0)
    return res->devices_len > 0;
  if (strcmp (controller, "memory") == 0)
    return mem
           && (mem->has_limit || mem->has_reservation || (mem->has_swap && mem->swap != 0) || mem->has_swappiness
               || mem->has_disable_oom_killer);
  if (strcmp (controller, "cpu") == 0)
    return cpu
           && ((cpu->has_shares && cpu->shares) || (cpu->has_quota && cpu->quota) || (cpu->has_period && cpu->period)
               || cpu->has_burst || cpu->has_realtime_period || cpu->has_realtime_runtime || cpu->has_idle);
  if (strcmp (controller, "cpuset") == 0)
    return cpu && ((cpu->cpus && *cpu->cpus) || (cpu->mems && *cpu->mems));
  if (strcmp (controller, "pids") == 0)
    return res->has_pids_limit;
  if (strcmp (controller, "blkio") == 0)
    return res->block_io != NULL;
  if (strcmp (controller, "hugetlb") == 0)
    return res->hugepage_limits_len > 0;
  if (strcmp (controller, "net_cls") == 0)
    return res->has_net_class_id;
  if (strcmp (controller, "net_prio") == 0)
    return res->net_priorities_len > 0;
  if (strcmp (controller, "rdma") == 0)
    return res->rdma_len > 0;
  return false;
}

int
cgroup_v1_apply (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err)
{
  int r, fd;
  if ((r = apply_devices (m, res->devices, res->devices_len, err)) < 0)
    return r;
  if (res->memory && (r = apply_memory (m, res->memory, update, err)) < 0)
    return r;
  if (res->cpu && (r = apply_cpu (m, res->cpu, err)) < 0)
    return r;
  if (res->has_pids_limit)
    {
      if ((fd = v1_fd (m, "pids", "pids", err)) < 0)
        return fd;
      r = res->pids_limit > 0 ? write_i64 (fd, "pids.max", res->pids_limit, err)
                              : cgroup_write_at (fd, "pids.max", "max", err);
      if (r < 0)
        return r;
    }
  if (res->block_io && (r = apply_blkio (m, res->block_io, err)) < 0)
    return r;
  for (size_t i = 0; i < res->hugepage_limits_len; i++)
    {
      if ((fd = v1_fd (m, "hugetlb", "hugepageLimits", err)) < 0)
        return fd;
      char file[96];
      snprintf (file, sizeof file, "hugetlb.%s.limit_in_bytes", res->hugepage_limits[i].page_size);
      if ((r = cgroup_write_u64_at (fd, file, res->hugepage_limits[i].limit, err)) < 0)
        return r;
    }
  if (res->has_net_class_id)
    {
      if ((fd = v1_fd (m, "net_cls", "network.classID", err)) < 0)
        return fd;
      if ((r = cgroup_write_u64_at (fd, "net_cls.classid", res->net_class_id, err)) < 0)
        return r;
    }
  for (size_t i = 0; i < res->net_priorities_len; i++)
    {
      if ((fd = v1_fd (m, "net_prio", "network.priorities", err)) < 0)
        return fd;
      char buf[128];
      snprintf (buf, sizeof buf, "%s %u", res->net_priorities[i].name, res->net_priorities[i].priority);
      if ((r = cgroup_write_at (fd, "net_prio.ifpriomap", buf, err)) < 0)
        return r;
    }
  for (size_t i = 0; i < res->rdma_len; i++)
    {
      if ((fd = v1_fd (m, "rdma", "rdma", err)) < 0)
        return fd;
      _cleanup_free_ char *line = cgroup_rdma_line (&res->rdma[i]);
      if ((r = cgroup_write_at (fd, "rdma.max", line, err)) < 0)
        return r;
    }
  return 0;
}

/* ---- freezer and OOM ----------------------------------------------------- */

static int
freeze_v1 (int fd, bool frozen, struct cr_error *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  long deadline = cgroup_now_ms () + CGROUP_FREEZE_TIMEOUT_MS;
  long step = 100;
  for (;;)
    {
      /* Re-writing FROZEN makes the kernel retry tasks that were busy. */
      int r = cgroup_write_at (fd, "freezer.state", want, err);
      if (r < 0)
        return r;
      _cleanup_free_ char *state = NULL;
      r = cgroup_read_at (fd, "freezer.state", &state, err);
      if (r < 0)
        return r;
      if (strcmp (state, want) == 0)
        return 0;
      if (cgroup_now_ms () > deadline)
        {
          if (frozen)
            cgroup_write_at (fd, "freezer.state", "THAWED", NULL);
          return cr_fail (err, EBUSY, "cgroup freezer.state still %s after %d ms", state, CGROUP_FREEZE_TIMEOUT_MS);
        }
      cgroup_sleep_us (step);
      if (step < 10000)
        step *= 2;
    }
}

/* The freezer hierarchy holding the container, NULL when absent. */
static struct cgroup_hierarchy *
freezer (struct cgroup_manager *m)
{
  struct cgroup_hierarchy *h = cgroup_v1_find (m, "freezer");
  return h && h->fd >= 0 ? h : NULL;
}

bool
cgroup_v1_has_freezer (struct cgroup_manager *m)
{
  return freezer (m) != NULL;
}

int
cgroup_v1_freeze (struct cgroup_manager *m, bool frozen, struct cr_error *err)
{
  struct cgroup_hierarchy *h = freezer (m);
  if (h == NULL)
    return cr_fail (err, ENOTSUP, "cgroup %s: no freezer available", m->path);
  return freeze_v1 (h->fd, frozen, err);
}

int
cgroup_v1_is_frozen (struct cgroup_manager *m, bool *out, struct cr_error *err)
{
  struct cgroup_hierarchy *h = freezer (m);
  if (h == NULL)
    return cr_fail (err, ENOTSUP, "cgroup %s: no freezer available", m->path);
  _cleanup_free_ char *state = NULL;
  int r = cgroup_read_at (h->fd, "freezer.state", &state, err);
  if (r < 0)
    return r;
  *out = strcmp (state, "FROZEN") == 0;
  return 0;
}

/* memory.oom_control registered with cgroup.event_control on an eventfd. */
int
cgroup_v1_oom_event_fd (struct cgroup_manager *m, struct cr_error *err)
{
  struct cgroup_hierarchy *h = cgroup_v1_find (m, "memory");
  if (h == NULL || h->fd < 0 || !cgroup_file_exists (h->fd, "cgroup.event_control"))
    return -ENOTSUP;
  _cleanup_close_ int efd = eventfd (0, EFD_CLOEXEC);
  if (efd < 0)
    return cr_fail (err, errno, "eventfd");
  _cleanup_close_ int ofd = openat (h->fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
  if (ofd < 0)
    return cr_fail (err, errno, "cgroup memory.oom_control");
  char buf[32];
  snprintf (buf, sizeof buf, "%d %d", efd, ofd);
  int r = cgroup_write_at (h->fd, "cgroup.event_control", buf, err);
  if (r < 0)
    return r;
  return TAKE_FD (efd);
}

static int
v1_apply (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err)
{
  if (res->unified_len)
    return cr_fail (err, EOPNOTSUPP, "linux.resources.unified: needs cgroup v2");
  return cgroup_v1_apply (m, res, update, err);
}

const struct cgroup_backend cgroup_backend_v1 = {
  .name = "cgroupfs v1",
  .apply = v1_apply,
  .freeze = cgroup_v1_freeze,
  .is_frozen = cgroup_v1_is_frozen,
  .stats = cgroup_v1_stats,
  .oom_event_fd = cgroup_v1_oom_event_fd,
};
