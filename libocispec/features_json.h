/* The runtime-spec features document (features.md) printed by
   `cellrun features`: what this build of cellrun implements. */
#ifndef LIBOCISPEC_FEATURES_JSON_H
#define LIBOCISPEC_FEATURES_JSON_H

#include <stddef.h>

#include "spec.h"

/* The runtime's own annotations: what each one does ("annotations") and
   the prefixes of those that weaken isolation
   ("potentiallyUnsafeConfigAnnotations", NULL-terminated). cellrun's list
   belongs to its profile layer (policy/profile.h); the CLI passes it in. */
struct features_annotations
{
  const struct spec_kv *annotations;
  size_t annotations_len;
  const char *const *unsafe_prefixes;
};

/* malloc'd pretty-printed JSON; never NULL (aborts on OOM). Probes the
   host only for apparmor/selinux availability. */
char *features_to_json (const struct features_annotations *ann);

#endif
