/* Environment pass-through: which of the caller's environment variables
   (the environment of `cellrun create/run/exec`) reach the container on top
   of process.env.

   Policy syntax (annotation run.cellrun.env, flag --env-pass):
     none                      nothing passes (the default)
     allow:PATTERN[,PATTERN]   only matching names pass
     deny:PATTERN[,PATTERN]    everything except matching names passes
   A PATTERN is a name or an fnmatch glob (LC_*).

   The built-in secret denylist (envpass_secret_patterns, matched without
   regard to case, plus values holding a URL with userinfo) always applies
   in deny mode and to a policy from the bundle (annotation).  In allow mode
   a name the operator listed exactly (--env-pass, not a glob) passes even
   when it is on the denylist: the operator asked for it by name.  A bundle
   can never pass a secret. */
#ifndef CELLRUN_ENVPASS_H
#define CELLRUN_ENVPASS_H

#include <stdbool.h>

#include "base/error.h"

/* NULL-terminated list of the secret-name globs, for docs and `profile show`. */
extern const char *const envpass_secret_patterns[];

/* Who set a policy: only the operator's exact names override the denylist. */
enum envpass_origin
{
  ENVPASS_FROM_BUNDLE = 0,
  ENVPASS_FROM_OPERATOR = 1,
};

/* Check the syntax of POLICY (NULL = "none"). */
int envpass_validate (const char *policy, struct cr_error *err);

/* Compute the NAME=VALUE entries of CALLER_ENV that POLICY (set by ORIGIN)
   lets through.  EXEC_NARROWING (NULL = none given) is a NULL-terminated list of further
   policies, e.g. { exec's --env-pass, NULL }: a variable passes only when
   every policy lets it through, so they narrow the container's policy but
   never widen it.  *OUT is a
   NULL-terminated malloc'd vector (possibly empty, never NULL on success). */
int envpass_compute (const char *policy, enum envpass_origin origin, char *const *caller_env,
                     char *const *exec_narrowing, char ***out, struct cr_error *err);

/* PROCESS_ENV followed by each entry of PASSED whose name PROCESS_ENV does
   not set: explicit values win.  *OUT is a new NULL-terminated vector. */
int envpass_merge (char *const *process_env, char *const *passed, char ***out);

/* True when NAME matches the built-in secret denylist (case-insensitive). */
bool envpass_is_secret (const char *name);

/* True when VALUE holds a URL with userinfo (scheme://user:pw@host,
   scheme://token@host). */
bool envpass_value_is_secret (const char *value);

/* True when the NAME=VALUE ENTRY is secret by its name or its value. */
bool envpass_entry_is_secret (const char *entry);

#endif
