/* The runtime <-> init protocol: fixed-size messages over a SOCK_SEQPACKET
   socketpair (one message per packet), some carrying an fd with SCM_RIGHTS.

   create (create.c drives the runtime column, container_init.c the init):

     runtime                                   init (cloned, blocked in recv)
     -------                                   ----
     write uid/gid maps (user namespace)
     SYNC_GO (pid = init's host pid)  ------>  join namespaces, names, loopback,
     move the init into its cgroup,            mounts that do not need the cgroup
     register the systemd scope
     SYNC_CGROUP_DONE  --------------------->  cgroup namespace, cgroup mounts
                       <---------------------  SYNC_HOOKS_REQUEST (only with
     runtime mounts (notify socket),             such hooks or a notify socket:
     prestart + createRuntime hooks              init_args.runtime_hooks)
     SYNC_HOOKS_DONE   --------------------->  createContainer hooks, sysctls,
                                               root switch, pty
                       <---------------------  SYNC_TERMINAL + master fd
                                                 (process.terminal, no console socket)
                                               seccomp filter with SCMP_ACT_NOTIFY
                       <---------------------  SYNC_SECCOMP_FD + listener fd
                                                 (only such a filter)
                       <---------------------  SYNC_CREATED; then the init waits
                                                 on exec.fifo for `start`
     Any step of the init may instead send SYNC_ERROR (code, msg) and exit;
     EOF means the init died.

   exec (exec.c): the runtime only listens.

     runtime                                   exec'd process (forked)
                       <---------------------  SYNC_TERMINAL + master fd (optional)
                       <---------------------  SYNC_ERROR, or EOF when execve
                                                 succeeded (the socket is O_CLOEXEC) */
#ifndef CELLRUN_SYNC_H
#define CELLRUN_SYNC_H

#include <sys/types.h>
#include "base/error.h"
#include "spec.h"

enum sync_type
{
  SYNC_GO = 1,
  SYNC_HOOKS_REQUEST,
  SYNC_HOOKS_DONE,
  SYNC_CREATED,
  SYNC_ERROR,
  SYNC_TERMINAL,
  SYNC_SECCOMP_FD,
  SYNC_CGROUP_DONE,
  SYNC_EXEC_PID /* exec through the trampoline: the pid of the process it forked */
};

struct sync_msg
{
  int type;
  int code;
  pid_t pid;
  char msg[CR_ERROR_MSG_MAX];
};

/* One message; E (may be NULL) fills code and msg of a SYNC_ERROR. */
int sync_send (int fd, int type, pid_t pid, const struct cr_error *e);
/* Next message; an fd that rides along lands in *PASSED_FD (when not NULL). */
int sync_recv (int fd, struct sync_msg *m, int *passed_fd);
/* A message that carries PASS_FD with SCM_RIGHTS. */
int sync_send_fd (int fd, int type, int pass_fd);
/* Receive a message that must be of TYPE (EPIPE otherwise). */
int sync_expect (int fd, int type, struct sync_msg *m, struct cr_error *err);
/* Copy a SYNC_ERROR's code and message into ERR; returns -1. */
int sync_error_take (const struct sync_msg *m, struct cr_error *err);
/* In the init or an exec'd process: the pty goes on stdio, and its master to
   the console socket CONSOLE_FD (closed here) or, when that is -1, to the
   runtime over SYNC_FD as SYNC_TERMINAL. */
int sync_setup_terminal (const struct spec_process *p, int console_fd, int sync_fd, struct cr_error *err);

#endif
