/* The init's side of create (container_init.c): what the runtime hands the
   cloned init, which sets the container up and waits for `start`. Private to
   src/core (create.c clones, container_init.c runs). */
#ifndef CELLRUN_CONTAINER_INIT_H
#define CELLRUN_CONTAINER_INIT_H

#include "core/container.h"

struct ns_plan;
struct mount_sources;

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
  const char *state_json_creating;
  const struct mount_sources *mount_sources; /* bind sources the runtime opened (mounts.h) */
};

/* Runs in the cloned init; never returns. */
__attribute__ ((noreturn)) void container_init (struct init_args *a);

#endif
