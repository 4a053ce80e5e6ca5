/* Control groups: create, populate, limit, freeze, kill and remove the
   container's cgroup on cgroup v1, v2 (unified) and hybrid hosts.
   See docs/cgroups.md for path rules, v1->v2 conversions and costs. */
#ifndef CELLRUN_CGROUPS_H
#define CELLRUN_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec.h"
#include "stats_json.h"

enum cgroup_mode
{
  CGROUP_MODE_V1,
  CGROUP_MODE_V2,
  CGROUP_MODE_HYBRID
};

struct cgroup_manager; /* opaque */

/* ROOT is the cgroup filesystem root ("/sys/fs/cgroup" normally, or
   $CELLRUN_CGROUP_ROOT). V2 when ROOT is a cgroup2 mount or holds
   cgroup.controllers; HYBRID when ROOT/unified is one; V1 otherwise. */
int cgroup_detect_mode (const char *root, enum cgroup_mode *out, struct cr_error *err);

/* linux.cgroupsPath -> the path used inside every hierarchy ("/a/b",
   malloc'd). Absolute: as given; relative or empty ("<own>/<id>"): below
   the runtime's own cgroup; SYSTEMD: "slice:prefix:name" ->
   "/<expanded slice>/<prefix>-<name>.scope". */
int cgroup_resolve_path (const char *cgroups_path, const char *id, bool systemd, char **out, struct cr_error *err);

/* Rootless (cgroups_delegate.c): true when an unprivileged caller can
   create PATH below ROOT and move the container into it, which needs a
   cgroup v2 subtree delegated to it; otherwise false and *WHY (malloc'd)
   says what is missing. */
bool cgroup_delegated (const char *root, const char *path, char **why);

/* Create PATH in every hierarchy the mode uses and apply RES (may be NULL).
   On failure removes whatever it created. */
int cgroup_create (const char *root, const char *path, const struct spec_resources *res, struct cgroup_manager **out,
                   struct cr_error *err);
/* cgroup_create, but on v1 and hybrid hosts only in the v1 hierarchies
   that RES writes to (cgroup_v1_needed: memory for a memory limit, pids
   for a pids limit, ...); the cgroup2 tree of a hybrid host is still used.
   The returned manager's cgroup_enter skips the other hierarchies; a
   manager from cgroup_open does not (it cannot tell a hierarchy left out
   from a directory removed behind its back), so `exec` into such a
   container fails.  For `cellrun sandbox` (docs/cgroups.md). */
int cgroup_create_needed (const char *root, const char *path, const struct spec_resources *res,
                          struct cgroup_manager **out, struct cr_error *err);
/* Open an existing cgroup; missing directories are tolerated. */
int cgroup_open (const char *root, const char *path, struct cgroup_manager **out, struct cr_error *err);
/* cgroup_open, but the v1 hierarchies where PATH does not exist are left
   out as cgroup_create_needed's: cgroup_destroy does not try them. Only for
   a cgroup no one else can make meanwhile (a sandbox's, named after its
   temp dir); `delete` of a container from its state uses cgroup_open. */
int cgroup_open_existing (const char *root, const char *path, struct cgroup_manager **out, struct cr_error *err);
/* True when M is the cgroup PATH (as cgroup_resolve_path gives it). */
bool cgroup_manager_is (const struct cgroup_manager *m, const char *path);
void cgroup_manager_free (struct cgroup_manager *m);
void cgroup_manager_freep (struct cgroup_manager **m);
/* Frees the manager when the variable goes out of scope. */
#define _cleanup_cgroup_manager_ __attribute__ ((cleanup (cgroup_manager_freep)))

/* The most v1 hierarchies cgroup_create_late leaves for later (their
   `tasks` fds travel in one message); beyond it all are made at once. */
#define CGROUP_V1_LATE_MAX 16

/* create's cgroupfs path on a v1 or hybrid host (as cgroup_create, or
   cgroup_create_needed with NEEDED_ONLY; on v2 the same): only the unified
   cgroup now, for CLONE_INTO_CGROUP; the v1 ones and every limit wait for
   cgroup_create_v1, which create calls while the init does its mounts. */
int cgroup_create_late (const char *root, const char *path, const struct spec_resources *res, bool needed_only,
                        struct cgroup_manager **out, struct cr_error *err);
/* The v1 cgroups of a cgroup_create_late manager and the limits (RES); the
   `tasks` file of each, opened O_WRONLY, in TASKS[0..*N) (at most MAX), for
   the init to write "0" to (its own thread: no migration lock; the opener's
   credentials are checked). cgroup_enter then skips the v1 hierarchies. A
   no-op (*N 0) for any other manager; on failure the v1 cgroups made are
   removed. */
int cgroup_create_v1 (struct cgroup_manager *m, const struct spec_resources *res, int *tasks, size_t max, size_t *n,
                      struct cr_error *err);
/* A cgroup_create_late manager whose v1 cgroups are still to be made. */
bool cgroup_v1_pending (const struct cgroup_manager *m);
/* Move PID (0 = caller) into the cgroup in every hierarchy. */
int cgroup_enter (struct cgroup_manager *m, pid_t pid, struct cr_error *err);
/* O_DIRECTORY fd of the v2/unified cgroup (for CLONE_INTO_CGROUP) or -1.
   Owned by the manager. */
int cgroup_v2_dirfd (struct cgroup_manager *m);
/* The fd to give clone3 with CLONE_INTO_CGROUP: on a pure v2 host, and on
   a hybrid one from cgroup_create_late until cgroup_create_v1 (the unified
   cgroup); -1 otherwise. */
int cgroup_clone_target (struct cgroup_manager *m);
int cgroup_update (struct cgroup_manager *m, const struct spec_resources *res, struct cr_error *err);
/* Waits (bounded, ~2s) until the kernel reports the new state. */
int cgroup_freeze (struct cgroup_manager *m, bool frozen, struct cr_error *err);
int cgroup_is_frozen (struct cgroup_manager *m, bool *out, struct cr_error *err);
/* Every host pid in the cgroup and its descendants, sorted; *PIDS malloc'd. */
int cgroup_pids (struct cgroup_manager *m, pid_t **pids, size_t *n, struct cr_error *err);
int cgroup_kill_all (struct cgroup_manager *m, int sig, struct cr_error *err);
/* rmdir in every hierarchy, deepest first; ENOENT is success. */
int cgroup_destroy (struct cgroup_manager *m, struct cr_error *err);
/* Counters for `events --stats`; free with oci_stats_clear. */
int cgroup_stats (struct cgroup_manager *m, struct oci_stats *out, struct cr_error *err);
/* How many processes the OOM killer killed in the cgroup (memory.events or
   v1 memory.oom_control "oom_kill"); -ENOENT without a memory controller. */
int cgroup_oom_kills (struct cgroup_manager *m, uint64_t *out);
/* Caller-owned fd readable on OOM, or -ENOTSUP. */
int cgroup_oom_event_fd (struct cgroup_manager *m, struct cr_error *err);

#endif
