/* Shared between cgroups.c (the facade), the backends (cgroups_v1.c,
   cgroups_v2.c, cgroups_hybrid.c), cgroups_files.c, cgroups_stats.c and
   cgroups_bpf.c; also used by tests/unit/test_cgroups.c. */
#ifndef CELLRUN_CGROUPS_INTERNAL_H
#define CELLRUN_CGROUPS_INTERNAL_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "linux/cgroups/cgroups.h"

/* One mounted hierarchy (a v1 controller set, or the v2/unified tree). */
struct cgroup_hierarchy
{
  char *name;       /* dir name under root: "memory", "cpu,cpuacct", "systemd"; "" for v2 */
  int rootfd;       /* O_PATH of the hierarchy root */
  int fd;           /* O_DIRECTORY of the container cgroup, -1 when missing */
  int created_from; /* first path component we created, -1 when none */
};

struct cgroup_manager;

/* One cgroupfs backend (v1, v2, hybrid): what differs between them. The
   facade in cgroups.c picks one per manager and calls only these. */
struct cgroup_backend
{
  const char *name;
  /* RES never NULL; UPDATE true for `cellrun update`. */
  int (*apply) (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err);
  /* Waits (bounded, CGROUP_FREEZE_TIMEOUT_MS) for the kernel to report it. */
  int (*freeze) (struct cgroup_manager *m, bool frozen, struct cr_error *err);
  int (*is_frozen) (struct cgroup_manager *m, bool *out, struct cr_error *err);
  int (*stats) (struct cgroup_manager *m, struct oci_stats *out, struct cr_error *err);
  /* Caller-owned fd readable on OOM, or -ENOTSUP. */
  int (*oom_event_fd) (struct cgroup_manager *m, struct cr_error *err);
};
extern const struct cgroup_backend cgroup_backend_v1, cgroup_backend_v2, cgroup_backend_hybrid;

/* Waiting for a freeze: the v1 freezer reports FREEZING while tasks are
   still running kernel code; a task stuck in an uninterruptible sleep can
   keep it there, so we give up after this and thaw again. */
#define CGROUP_FREEZE_TIMEOUT_MS 2000

struct cgroup_manager
{
  enum cgroup_mode mode;
  const struct cgroup_backend *ops;
  char *path;                  /* no leading '/', never empty */
  struct cgroup_hierarchy *v1; /* v1 and hybrid */
  size_t v1_len;
  struct cgroup_hierarchy unified; /* v2 root or hybrid "unified"; rootfd -1 on v1 */
  bool needed_only;                /* cgroup_create_needed: v1 hierarchies without the cgroup are skipped */
  bool v1_late;                    /* cgroup_create_late: the v1 cgroups are made by cgroup_create_v1 */
  bool v1_born;                    /* the init joins the v1 cgroups itself: cgroup_enter skips them */
};

/* cgroups_files.c: leaf helpers */
void cgroup_sleep_us (long us);
long cgroup_now_ms (void);
int cgroup_write_at (int dirfd, const char *file, const char *value, struct cr_error *err);
int cgroup_write_u64_at (int dirfd, const char *file, uint64_t value, struct cr_error *err);
/* Read FILE in DIRFD, trailing newline stripped; 0 or negative errno. */
int cgroup_read_at (int dirfd, const char *file, char **out, struct cr_error *err);
int cgroup_read_u64_at (int dirfd, const char *file, uint64_t *out);
bool cgroup_file_exists (int dirfd, const char *file);
/* cpuset.cpus / cpuset.mems of CPU, when set (same files on v1 and v2). */
int cgroup_write_cpuset (int dirfd, const struct spec_cpu *cpu, struct cr_error *err);
/* One "MAJ:MIN RATE" (v1, KEY NULL) or "MAJ:MIN KEY=RATE" (v2 io.max) line
   per device into FILE. */
int cgroup_write_throttle (int dirfd, const char *file, const char *key, const struct spec_throttle_device *d, size_t n,
                           struct cr_error *err);
/* Collect pids listed in cgroup.procs of DIRFD and all descendants. */
int cgroup_collect_pids (int dirfd, pid_t **pids, size_t *n, size_t *cap, struct cr_error *err);
/* Remove the cgroup NAME below PARENTFD with descendants (EBUSY retried). */
int cgroup_remove_tree (int parentfd, const char *name, struct cr_error *err);
/* A key's value in a "key value\n" file body (memory.stat, cgroup.events). */
bool cgroup_keyed_value (const char *body, const char *key, uint64_t *out);

/* Pure logic, tested without a cgroup filesystem. */
int cgroup_resolve_path_own (const char *cgroups_path, const char *id, bool systemd, const char *own, char **out,
                             struct cr_error *err);
/* /proc/self/cgroup, read once per process (*OUT malloc'd): cellrun never
   moves itself. */
int cgroup_self_read (char **out, struct cr_error *err);

/* Own cgroup path from /proc/self/cgroup CONTENT: the "0::" entry when
   present, else name=systemd, else memory. malloc'd. */
int cgroup_own_from_proc (const char *content, char **out, struct cr_error *err);
int cgroup_systemd_expand (const char *spec_path, const char *id, char **out, struct cr_error *err);
uint64_t cgroup_shares_to_weight (uint64_t shares);
uint64_t cgroup_blkio_to_io_weight (uint64_t weight);
/* memory.swap.max from spec swap (memory+swap) and limit; *MAX_OUT true = "max".
   *SET_OUT false when nothing must be written. */
int cgroup_swap_to_v2 (int64_t swap, int64_t limit, bool has_limit, int64_t *out, bool *max_out, struct cr_error *err);
/* v1 devices.allow/deny line for one rule ("c 1:3 rwm"). */
void cgroup_device_rule_string (const struct spec_device_cgroup *d, char *buf, size_t len);

/* Backend pieces the hybrid backend composes. cgroup_v1_apply writes the
   v1 controllers only (not linux.resources.unified). */
bool cgroup_v1_has_freezer (struct cgroup_manager *m);
int cgroup_v1_freeze (struct cgroup_manager *m, bool frozen, struct cr_error *err);
int cgroup_v1_is_frozen (struct cgroup_manager *m, bool *out, struct cr_error *err);
int cgroup_v1_oom_event_fd (struct cgroup_manager *m, struct cr_error *err);
int cgroup_v2_freeze (struct cgroup_manager *m, bool frozen, struct cr_error *err);
int cgroup_v2_is_frozen (struct cgroup_manager *m, bool *out, struct cr_error *err);
int cgroup_v1_apply (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err);
/* Does cgroup_v1_apply write in CONTROLLER's hierarchy ("memory") for RES? */
bool cgroup_v1_needed (const struct spec_resources *res, const char *controller);
int cgroup_v2_apply (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err);
/* v2: enable the controllers RES needs in every ancestor's subtree_control. */
int cgroup_v2_enable_controllers (struct cgroup_manager *m, const struct spec_resources *res, struct cr_error *err);
int cgroup_v1_stats (struct cgroup_manager *m, struct oci_stats *out, struct cr_error *err);
int cgroup_v2_stats (struct cgroup_manager *m, struct oci_stats *out, struct cr_error *err);
struct cgroup_hierarchy *cgroup_v1_find (struct cgroup_manager *m, const char *controller);
/* Write one linux.resources.unified key (a v2 file name) into DIRFD. */
int cgroup_v2_write_unified (int dirfd, const struct spec_kv *kv, struct cr_error *err);
/* rdma.max line "dev hca_handle=N hca_object=M" (absent = max); malloc'd. */
char *cgroup_rdma_line (const struct spec_rdma *r);

/* BPF device filter (cgroups_bpf.c) */
/* Assemble the program; *INSNS malloc'd. Rules are evaluated so that the
   result equals applying them in order on a deny-all start. */
int cgroup_bpf_assemble (const struct spec_device_cgroup *rules, size_t n, struct bpf_insn **insns, size_t *len,
                         struct cr_error *err);
/* Load and attach to DIRFD, replacing programs cellrun attached before. */
int cgroup_bpf_apply_devices (int dirfd, const struct spec_device_cgroup *rules, size_t n, struct cr_error *err);
/* Reference semantics: apply RULES in order to one request. TYPE 'c'/'b',
   ACCESS a mask of BPF_DEVCG_ACC_*. */
bool cgroup_devices_allowed (const struct spec_device_cgroup *rules, size_t n, char type, uint32_t major,
                             uint32_t minor, uint32_t access);

#endif
