/* sd_notify for containers (docs/compat.md "NOTIFY_SOCKET"). When the
   caller of create has NOTIFY_SOCKET (systemd Type=notify units, podman
   --sdnotify=container), the container gets its own datagram socket at
   /run/notify/notify.sock (the directory bind-mounted read-only from the
   state dir) and NOTIFY_SOCKET pointing at it; a relay process left behind
   by create forwards what the container sends to the caller's socket until
   READY=1, adding MAINPID=<host pid of the container's init>. */
#ifndef CELLRUN_NOTIFY_H
#define CELLRUN_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "base/error.h"
#include "spec.h"

#define NOTIFY_CONTAINER_DIR "/run/notify"
#define NOTIFY_CONTAINER_SOCKET NOTIFY_CONTAINER_DIR "/notify.sock"
#define NOTIFY_STATE_DIR "notify" /* under <root>/<id> */
/* systemd reads at most this much of one datagram; the relay forwards
   nothing longer, and its output fits NOTIFY_MSG_OUT. */
#define NOTIFY_MSG_MAX 4096
#define NOTIFY_MSG_OUT (NOTIFY_MSG_MAX + 64)

struct notify_plan
{
  bool wanted;
  struct sockaddr_un host; /* the caller's NOTIFY_SOCKET */
  socklen_t host_len;
  int sock_fd; /* bound socket in <root>/<id>/notify, -1 until notify_bind */
  int tree_fd; /* detached clone of that directory, for the container */
};

/* Look for NOTIFY_SOCKET in CALLER_ENV. When present (and valid), point the
   container process at its own socket: NOTIFY_SOCKET=/run/notify/notify.sock
   replaces any value in process.env and is inserted at index
   *ENV_EXPLICIT_LEN, which grows by one (it is one of the container's own
   variables, saved with its config). */
int notify_plan_init (struct notify_plan *n, char *const *caller_env, struct spec_process *proc,
                      size_t *env_explicit_len, struct cr_error *err);

/* Make <state>/notify, bind the socket in it, and clone the directory as a
   detached read-only mount. STATE_DIRFD is the container's state dir. */
int notify_bind (struct notify_plan *n, int state_dirfd, struct cr_error *err);

/* Attach the directory at /run/notify inside ROOTFS in the mount namespace
   of INIT, which is waiting for the runtime with its mounts done. */
int notify_mount (struct notify_plan *n, pid_t init, const char *rootfs, struct cr_error *err);

/* Leave the relay behind (a detached grandchild): it ends after forwarding
   READY=1, or when INIT exits. */
int notify_relay_start (struct notify_plan *n, pid_t init, struct cr_error *err);

void notify_plan_clear (struct notify_plan *n);

/* The relay's filter, exposed for unit tests: rewrite the datagram MSG (LEN
   bytes) into OUT (size OUT_SIZE, NUL-terminated): lines the runtime must
   not pass on (MAINPID=, BARRIER=, FD*=) are dropped, and MAINPID=<INIT>
   is appended when a line is READY=1. Returns the length of OUT (0 = send
   nothing) and sets *READY. */
size_t notify_filter (const char *msg, size_t len, pid_t init, char *out, size_t out_size, bool *ready);

#endif
