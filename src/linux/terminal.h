/* Terminals: a pty made inside the container's devpts; the master goes to
   the --console-socket (SCM_RIGHTS) or back to `run` over the sync socket. */
#ifndef CELLRUN_TERMINAL_H
#define CELLRUN_TERMINAL_H
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"

/* In the init after the root switch: new session, pty as controlling
   terminal on stdio, master sent to CONSOLE_FD (or SYNC_FD when -1). */
int terminal_setup_init (const struct spec_process *p, int console_fd, int sync_fd, struct cr_error *err);
/* Send FD over the unix socket SOCK with SCM_RIGHTS. */
int terminal_send_fd (int sock, int fd, struct cr_error *err);
/* Connect to a console socket path. */
int terminal_connect (const char *path, int *out, struct cr_error *err);
/* `run`/`exec` in the foreground: copy between our stdio and MASTER until it
   hangs up; signals blocked by the caller are forwarded to PID (unless <= 0). */
int terminal_relay (int master, pid_t pid, struct cr_error *err);
#endif
