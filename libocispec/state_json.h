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

/* cellrun's private state file is read with the same strict parser as
   config.json (no comments, depth limit): a yajl tree for yajl_tree_get,
   NULL with ERR set ("WHAT: invalid JSON: ..."). Free with
   state_json_tree_free, never yajl_tree_free. */
struct yajl_val_s;
struct yajl_val_s *state_json_tree_parse (const char *data, size_t len, const char *what, struct cr_error *err);
void state_json_tree_free (struct yajl_val_s *v);

#endif
