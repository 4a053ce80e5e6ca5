/* The runtime <-> init protocol: fixed-size messages over a SOCK_SEQPACKET
   socketpair (one message per packet), some carrying an fd with SCM_RIGHTS.

   create (create.c drives the runtime column, container_init.c the init):

     runtime                                   init (cloned, blocked in recv)
     -------                                   ----
     write uid/gid maps (user namespace)
     SYNC_GO (pid = init's host pid)  ------>  join namespaces, names, loopback,
     make the v1 cgroups and limits            mounts that do not need the cgroup
       (cgroupfs, v1/hybrid), or move the
     init into its cgroup; register the
     systemd scope
     SYNC_CGROUP_DONE  --------------------->  write "0" to each `tasks` fd,
       + the v1 cgroups' `tasks` fds             close them; cgroup namespace,
         (O_WRONLY; none when not made here)     cgroup mounts
       (not sent when the runtime has neither to do: no cgroup, or one the
       init was cloned into whole, and no scope; SYNC_GO's code then says
       SYNC_GO_CGROUP_DONE, one message instead of two)
                       <---------------------  SYNC_HOOKS_REQUEST
     runtime mounts (notify socket),             (this round trip only when the
     prestart + createRuntime hooks              runtime has one of these to do)
     SYNC_HOOKS_DONE   --------------------->  createContainer hooks, sysctls,
                                               root switch, pty
                       <---------------------  SYNC_TERMINAL + master fd
                                                 (process.terminal, no console socket)
                                               seccomp filter with SCMP_ACT_NOTIFY
                       <---------------------  SYNC_SECCOMP_FD + listener fd
                                                 (only such a filter)
                       <---------------------  SYNC_CREATED; then the init drops
                                                 privileges, loads its filters and
                                                 execs the trampoline, which closes
                       <---------------------  the socket (EOF: created) and waits
                                                 in open() of exec.fifo for `start`
     Any step of the init may instead send SYNC_ERROR (code, msg) and exit;
     EOF before SYNC_CREATED means the init died.

   run and sandbox (create_options.start): create and start in one call.

     runtime                                   init / trampoline
     at SYNC_CREATED: on_release (the
     sandbox's watchdog gets the pidfd), open
     exec.fifo O_RDONLY|O_NONBLOCK; the
     trampoline's EOF is not waited for        exec the trampoline, close the
     state.json (still "created")              socket, open exec.fifo (at once),
                                               write "0", exec the program
     poll exec.fifo: hang-up  <-------------   (the fd is close-on-exec)
     read "0" (or "E<msg>"), remove the fifo
     ("running"), poststart hooks
     All of this under the state dir's exclusive lock, which create holds from
     the start: no other verb sees "created" while the program runs. A failure
     before the fifo opens is the init's SYNC_ERROR or its exit.

   exec (exec.c): the runtime only listens.

     runtime                                   exec'd process (forked)
                       <---------------------  SYNC_TERMINAL + master fd (optional)
                       <---------------------  SYNC_ERROR, or EOF when execve
                                                 succeeded (the socket is O_CLOEXEC) */
#ifndef CELLRUN_SYNC_H
#define CELLRUN_SYNC_H

#include <stddef.h>
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

/* SYNC_GO's code: the cgroup step is done as well (no SYNC_CGROUP_DONE follows). */
#define SYNC_GO_CGROUP_DONE 1

struct sync_msg
{
  int type;
  int code;
  pid_t pid;
  char msg[CR_ERROR_MSG_MAX];
};

/* One message; E (may be NULL) fills code and msg of a SYNC_ERROR. */
int sync_send (int fd, int type, pid_t pid, const struct cr_error *e);
/* One message with CODE and no text. */
int sync_send_code (int fd, int type, pid_t pid, int code);
/* Next message; an fd that rides along lands in *PASSED_FD (when not NULL). */
int sync_recv (int fd, struct sync_msg *m, int *passed_fd);
/* A message that carries PASS_FD with SCM_RIGHTS. */
int sync_send_fd (int fd, int type, int pass_fd);
/* SYNC_CGROUP_DONE's `tasks` fds: at most this many in one message. */
#define SYNC_MAX_FDS 16
/* A message of TYPE carrying FDS[0..N) (N <= SYNC_MAX_FDS) with SCM_RIGHTS. */
int sync_send_fds (int fd, int type, const int *fds, size_t n);
/* Receive a message that must be of TYPE and the fds it carries (FDS has
   room for SYNC_MAX_FDS; *N of them, close-on-exec). */
int sync_expect_fds (int fd, int type, int *fds, size_t *n, struct cr_error *err);
/* Receive a message that must be of TYPE (EPIPE otherwise). */
int sync_expect (int fd, int type, struct sync_msg *m, struct cr_error *err);
/* Copy a SYNC_ERROR's code and message into ERR; returns -1. */
int sync_error_take (const struct sync_msg *m, struct cr_error *err);
/* In the init or an exec'd process: the pty goes on stdio, and its master to
   the console socket CONSOLE_FD (closed here) or, when that is -1, to the
   runtime over SYNC_FD as SYNC_TERMINAL. */
int sync_setup_terminal (const struct spec_process *p, int console_fd, int sync_fd, struct cr_error *err);

#endif
