/* Typed view of an OCI runtime-spec config.json (versions 1.0.x - 1.2.x).
   Parsed once (spec_parse.c); every later stage reads these structs.
   Optional scalars carry a has_* flag; arrays carry a count. All strings
   are heap-allocated and owned by the struct; spec_free releases them. */
#ifndef LIBOCISPEC_SPEC_H
#define LIBOCISPEC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* -std=gnu11 predefines "linux" as 1, which would break the field
   struct spec::linux below; nothing should rely on that macro (use
   __linux__). */
#undef linux

#define OCI_VERSION "1.2.0"

struct spec_kv
{
  char *key;
  char *value;
};

struct spec_root
{
  char *path;
  bool readonly;
};

struct spec_mount
{
  char *destination;
  char *type;     /* may be NULL */
  char *source;   /* may be NULL */
  char **options; /* NULL terminated, may be NULL */
  size_t options_len;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct spec_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct spec_rlimit
{
  char *type;
  uint64_t hard;
  uint64_t soft;
};

struct spec_capabilities
{
  /* Each set is a NULL-terminated list of names like "CAP_CHOWN"; a NULL
     pointer means the set was absent in the JSON (treated as empty). */
  char **bounding;
  size_t bounding_len;
  char **effective;
  size_t effective_len;
  char **inheritable;
  size_t inheritable_len;
  char **permitted;
  size_t permitted_len;
  char **ambient;
  size_t ambient_len;
};

struct spec_user
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username;
};

struct spec_process
{
  bool terminal;
  bool has_console_size;
  uint32_t console_height;
  uint32_t console_width;
  struct spec_user user;
  char **args;
  size_t args_len;    /* NULL terminated */
  char *command_line; /* windows only; kept for completeness */
  char **env;
  size_t env_len; /* NULL terminated */
  char *cwd;
  struct spec_capabilities *capabilities; /* NULL when absent */
  struct spec_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
  char *io_priority_class;
  bool has_io_priority;
  int io_priority;
  char *scheduler_policy; /* linux scheduler (1.2), parsed but only validated */
};

struct spec_hook
{
  char *path;
  char **args;
  size_t args_len; /* NULL terminated or NULL */
  char **env;
  size_t env_len; /* NULL terminated or NULL */
  bool has_timeout;
  int timeout; /* seconds, > 0 */
};

struct spec_hooks
{
  struct spec_hook *prestart;
  size_t prestart_len;
  struct spec_hook *create_runtime;
  size_t create_runtime_len;
  struct spec_hook *create_container;
  size_t create_container_len;
  struct spec_hook *start_container;
  size_t start_container_len;
  struct spec_hook *poststart;
  size_t poststart_len;
  struct spec_hook *poststop;
  size_t poststop_len;
};

struct spec_namespace
{
  char *type;
  char *path; /* path may be NULL */
};

struct spec_device
{
  char *type; /* "c", "b", "u", "p" */
  char *path;
  bool has_major;
  int64_t major;
  bool has_minor;
  int64_t minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

struct spec_device_cgroup
{
  bool allow;
  char *type; /* NULL = all ("a") */
  bool has_major;
  int64_t major;
  bool has_minor;
  int64_t minor;
  char *access; /* NULL = "rwm" */
};

struct spec_memory
{
  bool has_limit;
  int64_t limit;
  bool has_reservation;
  int64_t reservation;
  bool has_swap;
  int64_t swap;
  bool has_kernel;
  int64_t kernel;
  bool has_kernel_tcp;
  int64_t kernel_tcp;
  bool has_swappiness;
  uint64_t swappiness;
  bool has_disable_oom_killer;
  bool disable_oom_killer;
  bool has_use_hierarchy;
  bool use_hierarchy;
  bool has_check_before_update;
  bool check_before_update;
};

struct spec_cpu
{
  bool has_shares;
  uint64_t shares;
  bool has_quota;
  int64_t quota;
  bool has_burst;
  uint64_t burst;
  bool has_period;
  uint64_t period;
  bool has_realtime_runtime;
  int64_t realtime_runtime;
  bool has_realtime_period;
  uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle;
  int64_t idle;
};

struct spec_weight_device
{
  int64_t major;
  int64_t minor;
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
};
struct spec_throttle_device
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct spec_blkio
{
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
  struct spec_weight_device *weight_device;
  size_t weight_device_len;
  struct spec_throttle_device *throttle_read_bps_device;
  size_t throttle_read_bps_device_len;
  struct spec_throttle_device *throttle_write_bps_device;
  size_t throttle_write_bps_device_len;
  struct spec_throttle_device *throttle_read_iops_device;
  size_t throttle_read_iops_device_len;
  struct spec_throttle_device *throttle_write_iops_device;
  size_t throttle_write_iops_device_len;
};

struct spec_hugepage_limit
{
  char *page_size;
  uint64_t limit;
};
struct spec_net_priority
{
  char *name;
  uint32_t priority;
};
struct spec_rdma
{
  char *device;
  bool has_hca_handles;
  uint32_t hca_handles;
  bool has_hca_objects;
  uint32_t hca_objects;
};

struct spec_resources
{
  struct spec_device_cgroup *devices;
  size_t devices_len;
  struct spec_memory *memory; /* NULL when absent */
  struct spec_cpu *cpu;
  bool has_pids_limit;
  int64_t pids_limit;
  struct spec_blkio *block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  bool has_net_class_id;
  uint32_t net_class_id;
  struct spec_net_priority *net_priorities;
  size_t net_priorities_len;
  struct spec_rdma *rdma;
  size_t rdma_len;
  struct spec_kv *unified;
  size_t unified_len;
};

struct spec_seccomp_arg
{
  uint32_t index;
  uint64_t value;
  bool has_value_two;
  uint64_t value_two;
  char *op; /* "SCMP_CMP_EQ", ... */
};

struct spec_seccomp_syscall
{
  char **names;
  size_t names_len; /* NULL terminated */
  char *action;     /* "SCMP_ACT_ERRNO", ... */
  bool has_errno_ret;
  uint32_t errno_ret;
  struct spec_seccomp_arg *args;
  size_t args_len;
};

struct spec_seccomp
{
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures;
  size_t architectures_len;
  char **flags;
  size_t flags_len;
  char *listener_path;
  char *listener_metadata;
  struct spec_seccomp_syscall *syscalls;
  size_t syscalls_len;
};

struct spec_time_offset
{
  char *clock;
  int64_t secs;
  uint32_t nanosecs;
};

struct spec_personality
{
  char *domain;
  char **flags;
  size_t flags_len;
};

struct spec_linux
{
  struct spec_namespace *namespaces;
  size_t namespaces_len;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct spec_time_offset *time_offsets;
  size_t time_offsets_len;
  struct spec_device *devices;
  size_t devices_len;
  char *cgroups_path;
  struct spec_resources *resources; /* NULL when absent */
  char *rootfs_propagation;
  struct spec_seccomp *seccomp; /* NULL when absent */
  struct spec_kv *sysctl;
  size_t sysctl_len;
  char **masked_paths;
  size_t masked_paths_len;
  char **readonly_paths;
  size_t readonly_paths_len;
  char *mount_label;
  struct spec_personality *personality; /* NULL when absent */
  /* cellrun extension, never read from JSON: a second seccomp filter that the
     profile layer stacks on top of the bundle's, so a syscall runs only when
     both filters allow it. NULL when no profile is active. */
  struct spec_seccomp *profile_seccomp;
};

struct spec
{
  char *oci_version;
  struct spec_root *root; /* NULL when absent */
  struct spec_mount *mounts;
  size_t mounts_len;
  struct spec_process *process; /* NULL when absent */
  char *hostname;
  char *domainname;
  struct spec_hooks *hooks; /* NULL when absent */
  struct spec_kv *annotations;
  size_t annotations_len;
  struct spec_linux *linux; /* NULL when absent */
};

/* Parse a config.json document. On error returns NULL and ERR names the JSON
   path, e.g. "process.user.uid: expected a non-negative integer". */
struct spec *spec_parse_data (const char *data, size_t len, struct cr_error *err);
struct spec *spec_parse_file (const char *path, struct cr_error *err);
void spec_free (struct spec *s);

/* Serialize a spec back to JSON (used by the profile layer tests and
   `cellrun profile show`); returns a malloc'd NUL-terminated string. */
char *spec_to_json (const struct spec *s, struct cr_error *err);
/* The same, indented (PRETTY, as spec_to_json) or on one line (files only cellrun reads). */
char *spec_to_json_format (const struct spec *s, bool pretty, struct cr_error *err);

/* Deep copy (the profile layer returns a new spec). */
struct spec *spec_dup (const struct spec *s);

/* Annotation lookup; NULL when absent. */
const char *spec_annotation (const struct spec *s, const char *key);

/* Parse a process.json (exec --process): same rules as config.json's
   "process" object, error paths prefixed with "process.". */
struct spec_process *spec_parse_process_data (const char *data, size_t len, struct cr_error *err);
void spec_process_free (struct spec_process *p);

/* Parse a linux.resources object (update --resources). */
struct spec_resources *spec_parse_resources_data (const char *data, size_t len, struct cr_error *err);
void spec_resources_free (struct spec_resources *r);
void spec_seccomp_free (struct spec_seccomp *s);

/* Scoped cleanup: the object is freed when the variable goes out of scope
   (NULL is fine); TAKE_PTR (base/utils.h) hands it on instead. */
static inline void
spec_freep (struct spec **s)
{
  spec_free (*s);
}
static inline void
spec_process_freep (struct spec_process **p)
{
  spec_process_free (*p);
}
static inline void
spec_resources_freep (struct spec_resources **r)
{
  spec_resources_free (*r);
}
static inline void
spec_seccomp_freep (struct spec_seccomp **s)
{
  spec_seccomp_free (*s);
}
#define _cleanup_spec_ __attribute__ ((cleanup (spec_freep)))
#define _cleanup_spec_process_ __attribute__ ((cleanup (spec_process_freep)))
#define _cleanup_spec_resources_ __attribute__ ((cleanup (spec_resources_freep)))
#define _cleanup_spec_seccomp_ __attribute__ ((cleanup (spec_seccomp_freep)))

/* The default config.json `cellrun spec` writes (rootless variant with
   user namespace mappings for the caller's uid/gid). malloc'd JSON. */
char *spec_default_json (bool rootless, uid_t uid, gid_t gid);

#endif
