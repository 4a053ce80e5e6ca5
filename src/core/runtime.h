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
/* For create/run: become non-dumpable now and keep ARGV; the sealed copy is
   chosen (or not) by runtime_protect_for once the spec is known. */
void runtime_protect_later (char **argv);
/* With SPEC known: when this binary needs protecting, either *TRAMPOLINE
   (the init execs the program through the sealed trampoline, no re-exec) or
   the re-exec of runtime_protect_binary with the argv of
   runtime_protect_later. */
struct spec;
int runtime_protect_for (const struct spec *spec, bool *trampoline, struct cr_error *err);
/* The same for `exec` of P into the container of SPEC. */
struct spec_process;
int runtime_protect_for_exec (const struct spec *spec, const struct spec_process *p, bool *trampoline,
                              struct cr_error *err);

/* Foreground `run`/`exec`: with a pty MASTER (>= 0), relay our stdio until it
   hangs up (closing MASTER) then collect PID; without one, forward to PID every
   signal of FORWARD (which the caller has blocked) until it exits (REAP_ANY:
   reap any other child meanwhile). Returns the exit status as a shell reports
   it (128+N for signal N). */
int runtime_wait_foreground (pid_t pid, int master, const sigset_t *forward, bool reap_any);

/* --rootless auto: no host root here (linux/userns.h, docs/rootless.md). */
bool runtime_detect_rootless (void);

#endif
