/* `cellrun exec`: a new process that joins every namespace and cgroup of a
   running container, with the container's security settings. */
#ifndef CELLRUN_EXEC_H
#define CELLRUN_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"

struct container_state;
/* The container as exec reads it, once: state.json, the saved spec (parsed
   once) and the policy names. exec_build_process fills it, exec_start uses
   and clears it. */
struct exec_container
{
  struct container_state *st;
  struct spec *spec;
  char *profile, *env_policy;
  bool env_policy_operator;
};
void exec_container_clear (struct exec_container *c);
/* Load ID for exec. Fails for stopped, paused or unknown containers. */
int exec_container_load (const char *root, const char *id, struct exec_container *c, struct cr_error *err);

struct exec_options
{
  const char *root;
  const char *id;
  struct spec_process *process; /* final process (owned by the caller) */
  const char *console_socket;
  const char *pid_file;
  bool detach;
  int preserve_fds;
  int *terminal_master;          /* foreground -t without console socket */
  struct exec_container *loaded; /* from exec_build_process, or NULL: exec_start loads it */
};

/* What `exec` asks for (its flags, already parsed); exec_build_process turns
   it into the process to run. */
struct exec_request
{
  const char *process_file; /* --process FILE, or NULL: the container's process running ARGS */
  char **args;              /* NULL terminated (unused with process_file) */
  bool tty;
  const char *cwd;
  bool set_uid, set_gid; /* --user UID[:GID] */
  uint32_t uid, gid;
  const uint32_t *additional_gids;
  size_t additional_gids_len;
  char **caps; /* --cap, added to bounding, effective and permitted (NULL terminated, may be NULL) */
  char **env;  /* --env NAME=VALUE over the process's env (NULL terminated, may be NULL) */
  const char *env_pass;
  bool no_new_privileges;
  const char *apparmor;
  const char *selinux_label;
  char *const *caller_env; /* the environment of cellrun, filtered by the env policy */
};

/* The process exec will run in container ID: the request applied to a copy of
   the container's process (or to --process FILE), held under the profile's
   ceiling (policy/exec_ceiling.h), with the environment the policy passes.
   *OUT is the caller's (spec_process_free). What was loaded stays in *LOADED
   (may be NULL) for exec_start. */
int exec_build_process (const char *root, const char *id, const struct exec_request *req, struct spec_process **out,
                        struct exec_container *loaded, struct cr_error *err);
/* Start the process; *PID is its host pid. */
int exec_start (const struct exec_options *o, pid_t *pid, struct cr_error *err);

#endif
