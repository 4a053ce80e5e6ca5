/* `cellrun exec`: a new process that joins every namespace and cgroup of a
   running container, with the container's security settings. */
#ifndef CELLRUN_EXEC_H
#define CELLRUN_EXEC_H

#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"

struct exec_options
{
  const char *root;
  const char *id;
  struct spec_process *process; /* final process (owned by the caller) */
  const char *console_socket;
  const char *pid_file;
  bool detach;
  int preserve_fds;
  int *terminal_master; /* foreground -t without console socket */
};

/* Start the process; *PID is its host pid. */
int exec_start (const struct exec_options *o, pid_t *pid, struct cr_error *err);
/* The container's saved process merged with the exec request: what
   exec_start will run. Fails for stopped, paused or unknown containers. */
int exec_load_container (const char *root, const char *id, struct spec **spec, char **profile, char **env_policy,
                         bool *env_policy_operator, struct cr_error *err);

#endif
