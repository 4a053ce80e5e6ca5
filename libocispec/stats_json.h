/* Container resource statistics as plain C structs (filled by the cgroup
   layer, which reads them from v1 controllers or v2 files) and their JSON
   rendering in the shape runc's `events` emits (containerd and podman read
   it). Keeping the JSON here leaves yajl inside libocispec. */
#ifndef LIBOCISPEC_STATS_JSON_H
#define LIBOCISPEC_STATS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One counter; SET false = omitted from the JSON (file absent). A value of
   UINT64_MAX ("max") renders as 0 = unlimited, like runc. */
struct oci_stat
{
  bool set;
  uint64_t value;
};

/* memory.stat-like "key value" entry. */
struct oci_stat_kv
{
  char *key;
  uint64_t value;
};

/* {"major":8,"minor":0,"op":"Read","value":123} */
struct oci_stat_blkio
{
  unsigned major, minor;
  char op[32];
  uint64_t value;
};

struct oci_stat_hugetlb
{
  char size[32]; /* "2MB" */
  struct oci_stat usage, max, failcnt;
};

struct oci_stats
{
  struct oci_stat cpu_total, cpu_user, cpu_kernel; /* nanoseconds */
  bool has_memory_usage;                           /* the memory "usage" object */
  struct oci_stat mem_usage, mem_limit, mem_max, mem_failcnt;
  bool has_swap;
  struct oci_stat swap_usage, swap_limit;
  bool has_memory_raw;
  struct oci_stat_kv *memory_raw;
  size_t memory_raw_len;
  struct oci_stat pids_current, pids_limit;
  struct oci_stat_blkio *io_bytes, *io_ops; /* ioServiceBytesRecursive, ioServicedRecursive */
  size_t io_bytes_len, io_ops_len;
  struct oci_stat_hugetlb *hugetlb;
  size_t hugetlb_len;
};

/* Append helpers for whoever fills the struct (abort on OOM). */
void oci_stats_add_raw (struct oci_stats *s, const char *key, uint64_t value);
void oci_stats_add_blkio (struct oci_stat_blkio **v, size_t *len, unsigned major, unsigned minor, const char *op,
                          uint64_t value);
struct oci_stat_hugetlb *oci_stats_add_hugetlb (struct oci_stats *s, const char *size);
/* Frees what the struct owns (not S itself) and zeroes it. */
void oci_stats_clear (struct oci_stats *s);

/* The stats object ({"cpu":...,"memory":...,"pids":...,"blkio":...,
   "hugetlb":...}), malloc'd; never NULL (aborts on OOM). */
char *oci_stats_to_json (const struct oci_stats *s);

#endif
