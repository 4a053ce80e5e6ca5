/* Which namespaces a container gets: new ones (clone flags) and joined ones
   (fds opened from linux.namespaces[].path before the clone). */
#ifndef CELLRUN_NAMESPACES_H
#define CELLRUN_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"

#define NS_MAX 8

struct ns_plan
{
  int new_flags;       /* CLONE_NEW* to create (CLONE_NEWCGROUP/NEWTIME handled apart) */
  int join_fd[NS_MAX]; /* fds to setns, in join order */
  int join_flag[NS_MAX];
  size_t join_len;
  bool new_user, new_cgroup, new_net, new_time, new_pid;
  bool new_ipc_late;        /* a new IPC namespace the init unshares as root of its new user namespace */
  int join_user_fd;         /* a user namespace joined by path (an fd of join_fd) or -1 */
  bool mount_ns;            /* listed (new or joined); false: the runtime's is shared */
  bool join_pid, join_time; /* joined by the runtime before the clone: affect children only */
  int saved_pid_children;   /* the runtime's own pid/time_for_children, restored after the clone */
  int saved_time_children;
};

int ns_flag_from_type (const char *type);
/* Open every namespace path and validate the list. */
int ns_plan_build (const struct spec *spec, struct ns_plan *plan, struct cr_error *err);
void ns_plan_close (struct ns_plan *plan);
/* In the runtime before clone: join pid/time namespaces given by path, and
   unshare a new time namespace with linux.timeOffsets (both affect only children). */
int ns_prepare_parent (const struct spec *spec, struct ns_plan *plan, struct cr_error *err);
/* In the runtime right after the clone: children it makes later (hooks) are
   born in its own pid and time namespaces again, not the container's. */
int ns_restore_parent (struct ns_plan *plan, struct cr_error *err);
/* Open the caller's pid_for_children / time_for_children (-1 when absent). */
int ns_save_children_ns (int *pid_fd, int *time_fd);
int ns_restore_children_ns (int *pid_fd, int *time_fd, struct cr_error *err);
/* Clone (FLAGS: CLONE_NEW* and the exit signal) a child of ours from inside
   the user namespace USERFD, so that its new namespaces belong to that one:
   returns its pid, 0 in the child, or -1 with ERR set. */
pid_t ns_clone_in_userns (int flags, int userfd, struct cr_error *err);
/* In the container init: join the namespaces given by path (user first). */
int ns_join_child (struct ns_plan *plan, struct cr_error *err);
/* From the runtime: write uid_map/gid_map of PID. */
int ns_write_id_maps (pid_t pid, const struct spec *spec, struct cr_error *err);

#endif
