/* What create does differently for a rootless caller (docs/rootless.md),
   private to src/core: the checks and degrades of core/rootless.c. */
#ifndef CELLRUN_CORE_ROOTLESS_H
#define CELLRUN_CORE_ROOTLESS_H

#include <stdbool.h>
#include "base/error.h"
#include "spec.h"

/* Before anything is made: a user namespace is there when other namespaces
   are asked for, its mappings can be written and hold the config's ids;
   rlimits above the caller's hard limits are clamped (with a warning); the
   device cgroup rules are dropped (the nodes are the host's, bind mounted). */
int rootless_prepare_spec (struct spec *spec, struct cr_error *err);

/* Whether the container gets its cgroup PATH below ROOT: only in a subtree
   delegated to the caller. Otherwise one warning names why and which of
   the spec's resource limits are not applied, and false is returned. */
bool rootless_use_cgroup (const struct spec *spec, const char *root, const char *path);

#endif
