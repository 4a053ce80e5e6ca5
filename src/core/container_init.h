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
  dev_t rootfs_dev; /* the rootfs the runtime resolved: the init refuses another */
  ino_t rootfs_ino;
  int sync_fd;
  int fifo_fd;    /* O_PATH of exec.fifo: reopened for writing via /proc/self/fd */
  int console_fd; /* connected console socket or -1 */
  struct ns_plan *ns;
  void *seccomp_bundle;
  void *seccomp_profile;
  const char *cgroup_path;
  const char *bundle;                        /* the bundle's absolute path, for the hooks' state */
  const struct mount_sources *mount_sources; /* bind sources the runtime opened (mounts.h) */
  int root_tree_fd;                          /* create_options.root_tree_fd, or -1: attached on ROOTFS first */
  bool maps_by_caller; /* rootless: the caller's uid writes the id maps, so the init stays dumpable until SYNC_GO */
  bool trampoline;     /* exec the program through the sealed trampoline (linux/selfexe.h) */
  bool runtime_step;   /* the runtime mounts or runs hooks between the init's mounts and its root
                          switch (SYNC_HOOKS_REQUEST/DONE); without either the round trip is skipped */
  /* Set by the init itself after SYNC_GO: */
  pid_t host_pid;         /* its pid on the host, for the hooks' state */
  bool cgroup_done_at_go; /* no SYNC_CGROUP_DONE follows SYNC_GO (SYNC_GO_CGROUP_DONE) */
  bool in_userns;         /* a new or joined user namespace */
  bool setgroups_ok;      /* setgroups(2) is allowed in it (read before any container mount) */
};

/* Runs in the cloned init; never returns. */
__attribute__ ((noreturn)) void container_init (struct init_args *a);

#endif
