/* Terminals: a pty made inside the container's devpts, the console-socket
   protocol and the foreground relay. Where a master goes is the caller's
   choice (core/sync.h: the console socket or the runtime). */
#ifndef CELLRUN_TERMINAL_H
#define CELLRUN_TERMINAL_H
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"

/* In the init after the root switch (or an exec'd process): new session, pty
   as controlling terminal on stdio. Returns the master fd (O_CLOEXEC), or -1. */
int terminal_setup (const struct spec_process *p, struct cr_error *err);
/* Send FD over the unix socket SOCK with SCM_RIGHTS. */
int terminal_send_fd (int sock, int fd, struct cr_error *err);
/* Connect to a console socket path. */
int terminal_connect (const char *path, int *out, struct cr_error *err);
/* `run`/`exec` in the foreground: copy between our stdio and MASTER until it
   hangs up; signals blocked by the caller are forwarded to PID (unless <= 0). */
int terminal_relay (int master, pid_t pid, struct cr_error *err);
#endif
