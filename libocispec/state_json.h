/* The runtime-spec state document (runtime.md "State") printed by
   `cellrun state`, plus cellrun's created/owner/profile fields. */
#ifndef LIBOCISPEC_STATE_JSON_H
#define LIBOCISPEC_STATE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

struct oci_state
{
  const char *oci_version; /* NULL = OCI_VERSION */
  const char *id;
  const char *status; /* creating, created, running, stopped */
  int pid;            /* 0 = omitted (only created/running have one) */
  const char *bundle;
  const struct spec_kv *annotations;
  size_t annotations_len;
  const char *created; /* RFC 3339 */
  const char *owner;
  const char *profile; /* NULL = field omitted */
};

/* malloc'd JSON text; never NULL (aborts on OOM). */
char *oci_state_to_json (const struct oci_state *st, bool pretty);

#endif
