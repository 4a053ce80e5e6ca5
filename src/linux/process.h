/* The last steps before the user's program runs, shared by the container's
   init and by exec: identity, capabilities, no_new_privs, seccomp, fds, exec. */
#ifndef CELLRUN_PROCESS_H
#define CELLRUN_PROCESS_H

#include <stdbool.h>
#include <seccomp.h>
#include "base/error.h"
#include "linux/seccomp_bpf.h"
#include "spec.h"

struct process_plan
{
  const struct spec_process *proc;
  const struct spec_linux *lx;          /* seccomp objects, personality */
  scmp_filter_ctx seccomp_bundle;       /* built before fork; NULL when none */
  struct seccomp_prog *seccomp_profile; /* the profile's stacked filter; NULL when none */
  char *exe;                            /* resolved args[0] */
  int preserve_fds;                     /* fds 3..3+N-1 stay open */
  bool setgroups_allowed;               /* false: the user namespace denies setgroups */
  /* Exec the program through the sealed trampoline (linux/trampoline.c),
     which first waits on exec.fifo: FIFO_DIR is an O_PATH of /proc/self/fd,
     FIFO_FD the O_PATH of the fifo (fifo_dir < 0: no wait); the trampoline
     closes SYNC_FD once it is in place and non-dumpable. */
  bool trampoline;
  int fifo_dir, fifo_fd, sync_fd;
  int pdeath_signal; /* > 0: armed again after the credential change (which clears it) */
  /* `exec`: the trampoline forks the program as the runtime's child and
     sends its pid on SYNC_FD (no fifo). */
  bool exec_mode;
};

/* False when PID's (0: our own) user namespace denies setgroups(2) (its
   /proc/PID/setgroups says "deny", as `unshare --map-root-user` writes). */
bool process_setgroups_allowed (pid_t pid);

/* Resolve args[0] with the process's PATH in the current root. */
int process_resolve_exe (const struct spec_process *p, char **out, struct cr_error *err);
/* Parse an RLIMIT_* name. */
int process_rlimit_from_name (const char *name, int *out);
/* Without a cgroup (rootless): the processes of INIT's pid namespace when it
   is not ours, else INIT and its descendants; sorted, *PIDS malloc'd. */
int process_list_container (pid_t init, pid_t **pids, size_t *n, struct cr_error *err);
/* Check the parts of process that can be checked before anything is created. */
int process_validate (const struct spec_process *p, struct cr_error *err);
/* chdir to CWD resolved inside the current root (created if missing); fails
   if the result is not below the root. */
int process_enter_cwd (const char *cwd, struct cr_error *err);
/* Personality, rlimits, oom_score_adj, umask: harmless to do early. */
int process_apply_early (const struct spec_process *p, const struct spec_linux *lx, struct cr_error *err);
/* Identity, capabilities, no_new_privs, seccomp, fd hygiene, then execve.
   Returns only on failure. */
int process_exec (struct process_plan *plan, struct cr_error *err);

#endif
