/* The container lifecycle (runtime.md): create (create.c), start, state,
   kill, delete (container.c). container_init.h is the init's side of create. */
#ifndef CELLRUN_CONTAINER_H
#define CELLRUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"
#include "core/state.h"

struct profile_request;
struct cellrun_config;

/* --cgroup-manager (and --systemd-cgroup): who makes the container's cgroup.
   cgroupfs and systemd both write the cgroup filesystem (v1, v2 or hybrid,
   detected); systemd also names the path "slice:prefix:name" and registers
   a transient scope when systemd runs the host; disabled makes none. */
enum cgroup_manager_kind
{
  CGROUP_MANAGER_CGROUPFS,
  CGROUP_MANAGER_SYSTEMD,
  CGROUP_MANAGER_DISABLED
};

struct create_options
{
  const char *root;
  const char *id;
  const char *bundle;
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  enum cgroup_manager_kind cgroup_manager;
  int preserve_fds;
  bool keep; /* run --keep: the stopped container stays until `delete` */
  /* no host root (--rootless, docs/rootless.md): id maps through the
     unprivileged paths, a cgroup only when one is delegated, rlimits
     clamped to the hard limits, no device cgroup */
  bool rootless;
  /* profile layer inputs; NULL = no profile processing */
  const struct profile_request *profile;
  const struct cellrun_config *config;
  char *const *caller_env;
  /* set by `run` in the foreground: the terminal master comes back here */
  int *terminal_master;
  /* `sandbox`: the spec to run instead of BUNDLE/config.json (BUNDLE is still
     the directory relative paths and hooks see), and an init that keeps its
     parent-death signal (SIGKILL) for good, so it dies with the runtime. */
  const struct spec *spec;
  bool die_with_parent;
  /* A detached mount tree (mount_tree_open_readonly) the init attaches on
     root.path, in its own mount namespace, before it prepares the rootfs:
     the container's root is that tree, not the directory (which stays an
     empty mount point on the host).  ROOT_TREE_FD is used only when
     HAS_ROOT_TREE; the caller keeps and closes it. */
  bool has_root_tree;
  int root_tree_fd;
  /* `run` and `sandbox`: create and start in one call. exec.fifo's read end
     is opened as soon as the init reports SYNC_CREATED, so the program starts
     while the runtime still writes the state; the state dir stays locked
     until the program runs and the fifo is gone, so no other verb sees the
     container "created" with its program running. A separate create then
     start (START false) is unchanged. */
  bool start;
  /* With START, called with the init's pid just before the fifo is opened
     (the sandbox hands the init to its watchdog here); a failure fails create. */
  int (*on_release) (void *arg, pid_t pid, struct cr_error *err);
  void *on_release_arg;
};

int container_create (const struct create_options *o, pid_t *pid, struct cr_error *err);
int container_start (const char *root, const char *id, struct cr_error *err);
/* start's two halves, for create with START: exec.fifo's read end
   (O_NONBLOCK), which releases the init; then its verdict ("0" and EOF once
   the program was exec'd, or the init's error; waits for PID's exit too). */
int container_fifo_open (int dirfd, const char *id, struct cr_error *err);
int container_fifo_verdict (int dirfd, int fifo, const char *id, pid_t pid, struct cr_error *err);
/* SPEC's poststart hooks with ST as "running"; a failing one is a warning. */
void container_run_poststart (const struct spec *spec, const struct container_state *st);
int container_state_json (const char *root, const char *id, char **json, struct cr_error *err);
int container_kill (const char *root, const char *id, int sig, bool all, struct cr_error *err);
/* With KEPT_WORKSPACE (--keep-workspace) the overlay upper layer stays and its
   path comes back there (NULL when the container had none; caller frees). */
int container_delete (const char *root, const char *id, bool force, char **kept_workspace, struct cr_error *err);
/* container_delete --force with the container's cgroup CG already open
   (cellrun sandbox's, from its OOM check), used when it is the one the state
   names; CG stays the caller's to free. */
struct cgroup_manager;
int container_delete_cgroup (const char *root, const char *id, bool force, struct cgroup_manager *cg,
                             struct cr_error *err);
/* The cgroup root cellrun uses: $CELLRUN_CGROUP_ROOT or /sys/fs/cgroup. */
const char *container_cgroup_root (void);
/* Load a container's state and current status (shared lock held while reading). */
int container_load (const char *root, const char *id, struct container_state **st, enum container_status *status,
                    struct cr_error *err);
/* OCI state JSON of a loaded container. */
char *container_state_to_json (const struct container_state *st, enum container_status status);

#endif
