/* OCI hooks: each runs with the container state JSON on stdin, its own
   args/env, and an optional timeout (seconds). */
#ifndef CELLRUN_HOOKS_H
#define CELLRUN_HOOKS_H
#include <stddef.h>
#include "base/error.h"
#include "spec.h"

/* Run HOOKS[0..N) in order; the first failure stops and is returned. KIND
   names the hook list in messages ("prestart", "poststop", ...). */
int hooks_run (const struct spec_hook *hooks, size_t n, const char *kind, const char *state_json, struct cr_error *err);
#endif
