/* Environment pass-through: which of the caller's environment variables
   (the environment of `cellrun create/run/exec`) reach the container on top
   of process.env.

   Policy syntax (annotation run.cellrun.env, flag --env-pass):
     none                      nothing passes (the default)
     allow:PATTERN[,PATTERN]   only matching names pass
     deny:PATTERN[,PATTERN]    everything except matching names passes
   A PATTERN is a name or an fnmatch glob (LC_*).

   The built-in secret denylist (envpass_secret_patterns) always applies in
   deny mode; in allow mode it filters names that only matched a glob, while
   a name listed exactly in the allowlist passes (the caller asked for it by
   name). */
#ifndef CELLRUN_ENVPASS_H
#define CELLRUN_ENVPASS_H

#include <stdbool.h>

#include "error.h"

/* NULL-terminated list of the secret-name globs, for docs and `profile show`. */
extern const char *const envpass_secret_patterns[];

/* Check the syntax of POLICY (NULL = "none"). */
int envpass_validate (const char *policy, struct cr_error *err);

/* Compute the NAME=VALUE entries of CALLER_ENV that POLICY lets through.
   EXEC_NARROWING (NULL = none given) is a NULL-terminated list of further
   policies, e.g. { exec's --env-pass, NULL }: a variable passes only when
   every policy lets it through, so they narrow the container's policy but
   never widen it.  *OUT is a
   NULL-terminated malloc'd vector (possibly empty, never NULL on success). */
int envpass_compute (const char *policy, char *const *caller_env, char *const *exec_narrowing, char ***out,
                     struct cr_error *err);

/* PROCESS_ENV followed by each entry of PASSED whose name PROCESS_ENV does
   not set: explicit values win.  *OUT is a new NULL-terminated vector. */
int envpass_merge (char *const *process_env, char *const *passed, char ***out);

/* True when NAME matches the built-in secret denylist. */
bool envpass_is_secret (const char *name);

#endif
