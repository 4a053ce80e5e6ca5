/* The container lifecycle (runtime.md): create, start, state, kill, delete.
   container_init.c holds the init's side of create. */
#ifndef CELLRUN_CONTAINER_H
#define CELLRUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"
#include "core/state.h"

struct profile_request;
struct cellrun_config;

struct create_options
{
  const char *root;
  const char *id;
  const char *bundle;
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  bool systemd_cgroup;
  bool no_cgroups;
  int preserve_fds;
  bool keep; /* run --keep: the stopped container stays until `delete` */
  /* profile layer inputs; NULL = no profile processing */
  const struct profile_request *profile;
  const struct cellrun_config *config;
  char *const *caller_env;
  /* set by `run` in the foreground: the terminal master comes back here */
  int *terminal_master;
};

int container_create (const struct create_options *o, pid_t *pid, struct cr_error *err);
int container_start (const char *root, const char *id, struct cr_error *err);
int container_state_json (const char *root, const char *id, char **json, struct cr_error *err);
int container_kill (const char *root, const char *id, int sig, bool all, struct cr_error *err);
int container_delete (const char *root, const char *id, bool force, bool keep_workspace, struct cr_error *err);
/* The cgroup root cellrun uses: $CELLRUN_CGROUP_ROOT or /sys/fs/cgroup. */
const char *container_cgroup_root (void);
/* Load a container's state and current status (shared lock held while reading). */
int container_load (const char *root, const char *id, struct container_state **st, enum container_status *status,
                    struct cr_error *err);
/* OCI state JSON of a loaded container. */
char *container_state_to_json (const struct container_state *st, enum container_status status);

/* ---- init side (container_init.c) ---- */

enum sync_type
{
  SYNC_GO = 1,
  SYNC_HOOKS_REQUEST,
  SYNC_HOOKS_DONE,
  SYNC_CREATED,
  SYNC_ERROR,
  SYNC_TERMINAL,
  SYNC_SECCOMP_FD,
  SYNC_CGROUP_DONE
};

struct sync_msg
{
  int type;
  int code;
  pid_t pid;
  char msg[CR_ERROR_MSG_MAX];
};

struct init_args
{
  const struct create_options *opts;
  struct spec *spec;
  const char *rootfs;
  int sync_fd;
  int fifo_fd;    /* O_PATH of exec.fifo: reopened for writing via /proc/self/fd */
  int console_fd; /* connected console socket or -1 */
  struct ns_plan *ns;
  void *seccomp_bundle;
  void *seccomp_profile;
  const char *cgroup_path;
  const char *bundle;                        /* the bundle's absolute path, for the hooks' state */
  const struct mount_sources *mount_sources; /* bind sources the runtime opened (mounts.h) */
};

/* Runs in the cloned init; never returns. */
__attribute__ ((noreturn)) void container_init (struct init_args *a);

int sync_send (int fd, int type, pid_t pid, const struct cr_error *e);
int sync_recv (int fd, struct sync_msg *m, int *passed_fd);
/* A message that carries PASS_FD with SCM_RIGHTS. */
int sync_send_fd (int fd, int type, int pass_fd);

#endif
