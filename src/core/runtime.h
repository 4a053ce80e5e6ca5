/* The cellrun process itself: its binary sealed against containers before it
   runs code in one, and the foreground wait of `run` and `exec`. */
#ifndef CELLRUN_RUNTIME_H
#define CELLRUN_RUNTIME_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"

/* For verbs that run code inside a container: move to a sealed copy of this
   binary (re-exec with ARGV), so nothing in a container can rewrite it via
   /proc/<pid>/exe, and become non-dumpable (we hold host fds). */
int runtime_protect_binary (char **argv, struct cr_error *err);

/* Foreground `run`/`exec`: with a pty MASTER (>= 0), relay our stdio until it
   hangs up (closing MASTER) then collect PID; without one, forward to PID every
   signal of FORWARD (which the caller has blocked) until it exits (REAP_ANY:
   reap any other child meanwhile). Returns the exit status as a shell reports
   it (128+N for signal N). */
int runtime_wait_foreground (pid_t pid, int master, const sigset_t *forward, bool reap_any);

/* --rootless auto: no host root here (linux/userns.h, docs/rootless.md). */
bool runtime_detect_rootless (void);

#endif
