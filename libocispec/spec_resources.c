/* linux.resources: parsed both inside config.json and alone for
   `update --resources`, so it lives apart from spec_parse.c. */
#include "config.h"

#include <string.h>

#include "json.h"
#include "base/utils.h"

void
spec_resources_free (struct spec_resources *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->devices_len; i++)
    {
      free (r->devices[i].type);
      free (r->devices[i].access);
    }
  free (r->devices);
  free (r->memory);
  if (r->cpu)
    {
      free (r->cpu->cpus);
      free (r->cpu->mems);
      free (r->cpu);
    }
  if (r->block_io)
    {
      free (r->block_io->weight_device);
      free (r->block_io->throttle_read_bps_device);
      free (r->block_io->throttle_write_bps_device);
      free (r->block_io->throttle_read_iops_device);
      free (r->block_io->throttle_write_iops_device);
      free (r->block_io);
    }
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->net_priorities_len; i++)
    free (r->net_priorities[i].name);
  free (r->net_priorities);
  for (size_t i = 0; i < r->rdma_len; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  json_kv_free (r->unified, r->unified_len);
  free (r);
}

static int
parse_device_cgroup (struct json_ctx *c, json_val v, void *elem)
{
  static const char *const types[] = { "a", "c", "b", NULL };
  struct spec_device_cgroup *d = elem;
  TRY (json_get_bool (c, v, "allow", true, &d->allow));
  TRY (json_get_string (c, v, "type", false, &d->type));
  if (d->type)
    TRY (json_check_enum (c, "type", d->type, types));
  OPT (d->has_major, json_get_int64 (c, v, "major", false, &d->major));
  OPT (d->has_minor, json_get_int64 (c, v, "minor", false, &d->minor));
  TRY (json_get_string (c, v, "access", false, &d->access));
  if (d->access && d->access[strspn (d->access, "rwm")] != '\0')
    return json_fail_key (c, "access", "expected a combination of r, w and m");
  return 0;
}

static int
parse_memory (struct json_ctx *c, json_val v, struct spec_memory *m)
{
  OPT (m->has_limit, json_get_int64 (c, v, "limit", false, &m->limit));
  OPT (m->has_reservation, json_get_int64 (c, v, "reservation", false, &m->reservation));
  OPT (m->has_swap, json_get_int64 (c, v, "swap", false, &m->swap));
  OPT (m->has_kernel, json_get_int64 (c, v, "kernel", false, &m->kernel));
  OPT (m->has_kernel_tcp, json_get_int64 (c, v, "kernelTCP", false, &m->kernel_tcp));
  OPT (m->has_swappiness, json_get_uint64 (c, v, "swappiness", false, &m->swappiness));
  OPT (m->has_disable_oom_killer, json_get_bool (c, v, "disableOOMKiller", false, &m->disable_oom_killer));
  OPT (m->has_use_hierarchy, json_get_bool (c, v, "useHierarchy", false, &m->use_hierarchy));
  OPT (m->has_check_before_update, json_get_bool (c, v, "checkBeforeUpdate", false, &m->check_before_update));
  return 0;
}

static int
parse_cpu (struct json_ctx *c, json_val v, struct spec_cpu *p)
{
  OPT (p->has_shares, json_get_uint64 (c, v, "shares", false, &p->shares));
  OPT (p->has_quota, json_get_int64 (c, v, "quota", false, &p->quota));
  OPT (p->has_burst, json_get_uint64 (c, v, "burst", false, &p->burst));
  OPT (p->has_period, json_get_uint64 (c, v, "period", false, &p->period));
  OPT (p->has_realtime_runtime, json_get_int64 (c, v, "realtimeRuntime", false, &p->realtime_runtime));
  OPT (p->has_realtime_period, json_get_uint64 (c, v, "realtimePeriod", false, &p->realtime_period));
  TRY (json_get_string (c, v, "cpus", false, &p->cpus));
  TRY (json_get_string (c, v, "mems", false, &p->mems));
  OPT (p->has_idle, json_get_int64 (c, v, "idle", false, &p->idle));
  return 0;
}

static int
parse_weight_device (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_weight_device *d = elem;
  TRY (json_get_int64 (c, v, "major", true, &d->major));
  TRY (json_get_int64 (c, v, "minor", true, &d->minor));
  OPT (d->has_weight, json_get_uint16 (c, v, "weight", false, &d->weight));
  OPT (d->has_leaf_weight, json_get_uint16 (c, v, "leafWeight", false, &d->leaf_weight));
  return 0;
}

static int
parse_throttle_device (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_throttle_device *d = elem;
  TRY (json_get_int64 (c, v, "major", true, &d->major));
  TRY (json_get_int64 (c, v, "minor", true, &d->minor));
  TRY (json_get_uint64 (c, v, "rate", true, &d->rate));
  return 0;
}

static int
parse_block_io (struct json_ctx *c, json_val v, struct spec_blkio *b)
{
  OPT (b->has_weight, json_get_uint16 (c, v, "weight", false, &b->weight));
  OPT (b->has_leaf_weight, json_get_uint16 (c, v, "leafWeight", false, &b->leaf_weight));
  TRY (json_get_object_array (c, v, "weightDevice", false, sizeof *b->weight_device, (void **) &b->weight_device,
                              &b->weight_device_len, parse_weight_device));
  TRY (json_get_object_array (c, v, "throttleReadBpsDevice", false, sizeof (struct spec_throttle_device),
                              (void **) &b->throttle_read_bps_device, &b->throttle_read_bps_device_len,
                              parse_throttle_device));
  TRY (json_get_object_array (c, v, "throttleWriteBpsDevice", false, sizeof (struct spec_throttle_device),
                              (void **) &b->throttle_write_bps_device, &b->throttle_write_bps_device_len,
                              parse_throttle_device));
  TRY (json_get_object_array (c, v, "throttleReadIOPSDevice", false, sizeof (struct spec_throttle_device),
                              (void **) &b->throttle_read_iops_device, &b->throttle_read_iops_device_len,
                              parse_throttle_device));
  TRY (json_get_object_array (c, v, "throttleWriteIOPSDevice", false, sizeof (struct spec_throttle_device),
                              (void **) &b->throttle_write_iops_device, &b->throttle_write_iops_device_len,
                              parse_throttle_device));
  return 0;
}

static int
parse_hugepage_limit (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_hugepage_limit *h = elem;
  TRY (json_get_string (c, v, "pageSize", true, &h->page_size));
  TRY (json_get_uint64 (c, v, "limit", true, &h->limit));
  return 0;
}

static int
parse_net_priority (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_net_priority *p = elem;
  TRY (json_get_string (c, v, "name", true, &p->name));
  TRY (json_get_uint32 (c, v, "priority", true, &p->priority));
  return 0;
}

/* rdma is an object keyed by device name, not an array. */
static int
parse_rdma (struct json_ctx *c, json_val obj, struct spec_resources *r)
{
  json_val v;
  int ret = json_get_object (c, obj, "rdma", false, &v);
  if (ret <= 0)
    return ret;
  size_t n = v->u.object.len;
  r->rdma = xcalloc (n ? n : 1, sizeof *r->rdma);
  r->rdma_len = n;
  size_t old = json_push_key (c, "rdma");
  for (size_t i = 0; i < n && ret >= 0; i++)
    {
      struct spec_rdma *d = &r->rdma[i];
      json_val e = v->u.object.values[i];
      d->device = xstrdup (v->u.object.keys[i]);
      size_t old_i = json_push_key (c, d->device);
      if (!YAJL_IS_OBJECT (e))
        ret = json_fail (c, "expected an object");
      if (ret >= 0)
        ret = json_get_uint32 (c, e, "hcaHandles", false, &d->hca_handles);
      if (ret >= 0)
        d->has_hca_handles = ret > 0;
      if (ret >= 0)
        ret = json_get_uint32 (c, e, "hcaObjects", false, &d->hca_objects);
      if (ret >= 0)
        d->has_hca_objects = ret > 0;
      json_pop (c, old_i);
    }
  json_pop (c, old);
  return ret;
}

static int
parse_resources_fields (struct json_ctx *c, json_val v, struct spec_resources *r)
{
  json_val sub;
  size_t old;
  int ret;

  TRY (json_get_object_array (c, v, "devices", false, sizeof *r->devices, (void **) &r->devices, &r->devices_len,
                              parse_device_cgroup));

  TRY (ret = json_get_object (c, v, "memory", false, &sub));
  if (ret > 0)
    {
      r->memory = xcalloc (1, sizeof *r->memory);
      old = json_push_key (c, "memory");
      ret = parse_memory (c, sub, r->memory);
      json_pop (c, old);
      TRY (ret);
    }

  TRY (ret = json_get_object (c, v, "cpu", false, &sub));
  if (ret > 0)
    {
      r->cpu = xcalloc (1, sizeof *r->cpu);
      old = json_push_key (c, "cpu");
      ret = parse_cpu (c, sub, r->cpu);
      json_pop (c, old);
      TRY (ret);
    }

  TRY (ret = json_get_object (c, v, "pids", false, &sub));
  if (ret > 0)
    {
      old = json_push_key (c, "pids");
      ret = json_get_int64 (c, sub, "limit", true, &r->pids_limit);
      json_pop (c, old);
      TRY (ret);
      r->has_pids_limit = true;
    }

  TRY (ret = json_get_object (c, v, "blockIO", false, &sub));
  if (ret > 0)
    {
      r->block_io = xcalloc (1, sizeof *r->block_io);
      old = json_push_key (c, "blockIO");
      ret = parse_block_io (c, sub, r->block_io);
      json_pop (c, old);
      TRY (ret);
    }

  TRY (json_get_object_array (c, v, "hugepageLimits", false, sizeof *r->hugepage_limits, (void **) &r->hugepage_limits,
                              &r->hugepage_limits_len, parse_hugepage_limit));

  TRY (ret = json_get_object (c, v, "network", false, &sub));
  if (ret > 0)
    {
      old = json_push_key (c, "network");
      ret = json_get_uint32 (c, sub, "classID", false, &r->net_class_id);
      if (ret >= 0)
        r->has_net_class_id = ret > 0;
      if (ret >= 0)
        ret = json_get_object_array (c, sub, "priorities", false, sizeof *r->net_priorities,
                                     (void **) &r->net_priorities, &r->net_priorities_len, parse_net_priority);
      json_pop (c, old);
      TRY (ret);
    }

  TRY (parse_rdma (c, v, r));
  TRY (json_get_string_map (c, v, "unified", &r->unified, &r->unified_len));
  return 0;
}

int
spec_resources_parse_json (struct json_ctx *c, json_val v, struct spec_resources **out)
{
  _cleanup_spec_resources_ struct spec_resources *r = xcalloc (1, sizeof *r);
  int ret = parse_resources_fields (c, v, r);
  if (ret < 0)
    return ret;
  *out = TAKE_PTR (r);
  return 0;
}

struct spec_resources *
spec_parse_resources_data (const char *data, size_t len, struct cr_error *err)
{
  struct json_ctx c;
  struct spec_resources *r = NULL;
  _cleanup_json_tree_ json_val tree = json_tree_parse (data, len, "resources.json", err);
  if (tree == NULL)
    return NULL;
  json_ctx_init (&c, "resources", err);
  if (!YAJL_IS_OBJECT (tree))
    json_fail (&c, "expected an object");
  else
    spec_resources_parse_json (&c, tree, &r);
  return r;
}

/* Writer: mirrors the parser field by field so a round trip is lossless. */

static void
gen_throttle (yajl_gen g, const char *key, const struct spec_throttle_device *d, size_t n)
{
  if (d == NULL)
    return;
  json_gen_str (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      json_gen_map_open (g);
      json_gen_kint (g, "major", d[i].major);
      json_gen_kint (g, "minor", d[i].minor);
      json_gen_kuint (g, "rate", d[i].rate);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
}

static void
gen_memory (yajl_gen g, const struct spec_memory *m)
{
  json_gen_str (g, "memory");
  json_gen_map_open (g);
  if (m->has_limit)
    json_gen_kint (g, "limit", m->limit);
  if (m->has_reservation)
    json_gen_kint (g, "reservation", m->reservation);
  if (m->has_swap)
    json_gen_kint (g, "swap", m->swap);
  if (m->has_kernel)
    json_gen_kint (g, "kernel", m->kernel);
  if (m->has_kernel_tcp)
    json_gen_kint (g, "kernelTCP", m->kernel_tcp);
  if (m->has_swappiness)
    json_gen_kuint (g, "swappiness", m->swappiness);
  if (m->has_disable_oom_killer)
    json_gen_kbool (g, "disableOOMKiller", m->disable_oom_killer);
  if (m->has_use_hierarchy)
    json_gen_kbool (g, "useHierarchy", m->use_hierarchy);
  if (m->has_check_before_update)
    json_gen_kbool (g, "checkBeforeUpdate", m->check_before_update);
  json_gen_map_close (g);
}

static void
gen_cpu (yajl_gen g, const struct spec_cpu *p)
{
  json_gen_str (g, "cpu");
  json_gen_map_open (g);
  if (p->has_shares)
    json_gen_kuint (g, "shares", p->shares);
  if (p->has_quota)
    json_gen_kint (g, "quota", p->quota);
  if (p->has_burst)
    json_gen_kuint (g, "burst", p->burst);
  if (p->has_period)
    json_gen_kuint (g, "period", p->period);
  if (p->has_realtime_runtime)
    json_gen_kint (g, "realtimeRuntime", p->realtime_runtime);
  if (p->has_realtime_period)
    json_gen_kuint (g, "realtimePeriod", p->realtime_period);
  json_gen_kstr (g, "cpus", p->cpus);
  json_gen_kstr (g, "mems", p->mems);
  if (p->has_idle)
    json_gen_kint (g, "idle", p->idle);
  json_gen_map_close (g);
}

static void
gen_block_io (yajl_gen g, const struct spec_blkio *b)
{
  json_gen_str (g, "blockIO");
  json_gen_map_open (g);
  if (b->has_weight)
    json_gen_kuint (g, "weight", b->weight);
  if (b->has_leaf_weight)
    json_gen_kuint (g, "leafWeight", b->leaf_weight);
  if (b->weight_device)
    {
      json_gen_str (g, "weightDevice");
      json_gen_array_open (g);
      for (size_t i = 0; i < b->weight_device_len; i++)
        {
          const struct spec_weight_device *d = &b->weight_device[i];
          json_gen_map_open (g);
          json_gen_kint (g, "major", d->major);
          json_gen_kint (g, "minor", d->minor);
          if (d->has_weight)
            json_gen_kuint (g, "weight", d->weight);
          if (d->has_leaf_weight)
            json_gen_kuint (g, "leafWeight", d->leaf_weight);
          json_gen_map_close (g);
        }
      json_gen_array_close (g);
    }
  gen_throttle (g, "throttleReadBpsDevice", b->throttle_read_bps_device, b->throttle_read_bps_device_len);
  gen_throttle (g, "throttleWriteBpsDevice", b->throttle_write_bps_device, b->throttle_write_bps_device_len);
  gen_throttle (g, "throttleReadIOPSDevice", b->throttle_read_iops_device, b->throttle_read_iops_device_len);
  gen_throttle (g, "throttleWriteIOPSDevice", b->throttle_write_iops_device, b->throttle_write_iops_device_len);
  json_gen_map_close (g);
}

void
spec_resources_gen (yajl_gen g, const struct spec_resources *r)
{
  json_gen_map_open (g);
  if (r->devices)
    {
      json_gen_str (g, "devices");
      json_gen_array_open (g);
      for (size_t i = 0; i < r->devices_len; i++)
        {
          const struct spec_device_cgroup *d = &r->devices[i];
          json_gen_map_open (g);
          json_gen_kbool (g, "allow", d->allow);
          json_gen_kstr (g, "type", d->type);
          if (d->has_major)
            json_gen_kint (g, "major", d->major);
          if (d->has_minor)
            json_gen_kint (g, "minor", d->minor);
          json_gen_kstr (g, "access", d->access);
          json_gen_map_close (g);
        }
      json_gen_array_close (g);
    }
  if (r->memory)
    gen_memory (g, r->memory);
  if (r->cpu)
    gen_cpu (g, r->cpu);
  if (r->has_pids_limit)
    {
      json_gen_str (g, "pids");
      json_gen_map_open (g);
      json_gen_kint (g, "limit", r->pids_limit);
      json_gen_map_close (g);
    }
  if (r->block_io)
    gen_block_io (g, r->block_io);
  if (r->hugepage_limits)
    {
      json_gen_str (g, "hugepageLimits");
      json_gen_array_open (g);
      for (size_t i = 0; i < r->hugepage_limits_len; i++)
        {
          json_gen_map_open (g);
          json_gen_kstr (g, "pageSize", r->hugepage_limits[i].page_size);
          json_gen_kuint (g, "limit", r->hugepage_limits[i].limit);
          json_gen_map_close (g);
        }
      json_gen_array_close (g);
    }
  if (r->has_net_class_id || r->net_priorities)
    {
      json_gen_str (g, "network");
      json_gen_map_open (g);
      if (r->has_net_class_id)
        json_gen_kuint (g, "classID", r->net_class_id);
      if (r->net_priorities)
        {
          json_gen_str (g, "priorities");
          json_gen_array_open (g);
          for (size_t i = 0; i < r->net_priorities_len; i++)
            {
              json_gen_map_open (g);
              json_gen_kstr (g, "name", r->net_priorities[i].name);
              json_gen_kuint (g, "priority", r->net_priorities[i].priority);
              json_gen_map_close (g);
            }
          json_gen_array_close (g);
        }
      json_gen_map_close (g);
    }
  if (r->rdma)
    {
      json_gen_str (g, "rdma");
      json_gen_map_open (g);
      for (size_t i = 0; i < r->rdma_len; i++)
        {
          json_gen_str (g, r->rdma[i].device);
          json_gen_map_open (g);
          if (r->rdma[i].has_hca_handles)
            json_gen_kuint (g, "hcaHandles", r->rdma[i].hca_handles);
          if (r->rdma[i].has_hca_objects)
            json_gen_kuint (g, "hcaObjects", r->rdma[i].hca_objects);
          json_gen_map_close (g);
        }
      json_gen_map_close (g);
    }
  if (r->unified)
    json_gen_kmap (g, "unified", r->unified, r->unified_len);
  json_gen_map_close (g);
}
