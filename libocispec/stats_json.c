#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "stats_json.h"
#include "base/utils.h"

void
oci_stats_add_raw (struct oci_stats *s, const char *key, uint64_t value)
{
  s->memory_raw = xrealloc (s->memory_raw, (s->memory_raw_len + 1) * sizeof *s->memory_raw);
  s->memory_raw[s->memory_raw_len++] = (struct oci_stat_kv){ xstrdup (key), value };
}

void
oci_stats_add_blkio (struct oci_stat_blkio **v, size_t *len, unsigned major, unsigned minor, const char *op,
                     uint64_t value)
{
  *v = xrealloc (*v, (*len + 1) * sizeof **v);
  struct oci_stat_blkio *e = &(*v)[(*len)++];
  *e = (struct oci_stat_blkio){ .major = major, .minor = minor, .value = value };
  snprintf (e->op, sizeof e->op, "%s", op);
}

struct oci_stat_hugetlb *
oci_stats_add_hugetlb (struct oci_stats *s, const char *size)
{
  s->hugetlb = xrealloc (s->hugetlb, (s->hugetlb_len + 1) * sizeof *s->hugetlb);
  struct oci_stat_hugetlb *h = &s->hugetlb[s->hugetlb_len++];
  *h = (struct oci_stat_hugetlb){ 0 };
  snprintf (h->size, sizeof h->size, "%s", size);
  return h;
}

void
oci_stats_clear (struct oci_stats *s)
{
  for (size_t i = 0; i < s->memory_raw_len; i++)
    free (s->memory_raw[i].key);
  free (s->memory_raw);
  free (s->io_bytes);
  free (s->io_ops);
  free (s->hugetlb);
  *s = (struct oci_stats){ 0 };
}

/* "max" reads as UINT64_MAX: report 0 = unlimited, like runc. */
static void
gen_u64 (yajl_gen g, const char *key, uint64_t v)
{
  json_gen_kint (g, key, v == UINT64_MAX ? 0 : (int64_t) v);
}

static void
gen_stat (yajl_gen g, const char *key, struct oci_stat v)
{
  if (v.set)
    gen_u64 (g, key, v.value);
}

static void
gen_blkio (yajl_gen g, const char *key, const struct oci_stat_blkio *v, size_t len)
{
  json_gen_str (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < len; i++)
    {
      json_gen_map_open (g);
      gen_u64 (g, "major", v[i].major);
      gen_u64 (g, "minor", v[i].minor);
      json_gen_kstr (g, "op", v[i].op);
      gen_u64 (g, "value", v[i].value);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
}

static void
gen_memory (yajl_gen g, const struct oci_stats *s)
{
  json_gen_str (g, "memory");
  json_gen_map_open (g);
  if (s->has_memory_usage)
    {
      json_gen_str (g, "usage");
      json_gen_map_open (g);
      gen_stat (g, "usage", s->mem_usage);
      gen_stat (g, "limit", s->mem_limit);
      gen_stat (g, "max", s->mem_max);
      gen_stat (g, "failcnt", s->mem_failcnt);
      json_gen_map_close (g);
    }
  if (s->has_swap)
    {
      json_gen_str (g, "swap");
      json_gen_map_open (g);
      gen_stat (g, "usage", s->swap_usage);
      gen_stat (g, "limit", s->swap_limit);
      json_gen_map_close (g);
    }
  if (s->has_memory_raw)
    {
      json_gen_str (g, "raw");
      json_gen_map_open (g);
      for (size_t i = 0; i < s->memory_raw_len; i++)
        gen_u64 (g, s->memory_raw[i].key, s->memory_raw[i].value);
      json_gen_map_close (g);
    }
  json_gen_map_close (g);
}

char *
oci_stats_to_json (const struct oci_stats *s)
{
  yajl_gen g = json_gen_new (false);
  json_gen_map_open (g);
  json_gen_str (g, "cpu");
  json_gen_map_open (g);
  json_gen_str (g, "usage");
  json_gen_map_open (g);
  gen_stat (g, "total", s->cpu_total);
  gen_stat (g, "user", s->cpu_user);
  gen_stat (g, "kernel", s->cpu_kernel);
  json_gen_map_close (g);
  json_gen_map_close (g);

  gen_memory (g, s);

  json_gen_str (g, "pids");
  json_gen_map_open (g);
  gen_stat (g, "current", s->pids_current);
  gen_stat (g, "limit", s->pids_limit);
  json_gen_map_close (g);

  json_gen_str (g, "blkio");
  json_gen_map_open (g);
  gen_blkio (g, "ioServiceBytesRecursive", s->io_bytes, s->io_bytes_len);
  gen_blkio (g, "ioServicedRecursive", s->io_ops, s->io_ops_len);
  json_gen_map_close (g);

  json_gen_str (g, "hugetlb");
  json_gen_map_open (g);
  for (size_t i = 0; i < s->hugetlb_len; i++)
    {
      json_gen_str (g, s->hugetlb[i].size);
      json_gen_map_open (g);
      gen_stat (g, "usage", s->hugetlb[i].usage);
      gen_stat (g, "max", s->hugetlb[i].max);
      gen_stat (g, "failcnt", s->hugetlb[i].failcnt);
      json_gen_map_close (g);
    }
  json_gen_map_close (g);
  json_gen_map_close (g);
  return json_gen_finish (g);
}
