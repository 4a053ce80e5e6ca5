/* The runtime-spec state document (runtime.md "State") printed by
   `cellrun state`, plus cellrun's created/owner/profile fields; and
   cellrun's private state file (<root>/<id>/state.json), read and written
   here so the core never sees yajl. */
#ifndef LIBOCISPEC_STATE_JSON_H
#define LIBOCISPEC_STATE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

/* List of documents for `cellrun list --format json`: DOCS (N already
   rendered JSON texts, e.g. from oci_state_to_json) as one compact JSON
   array. malloc'd; never NULL. */
char *oci_state_list_to_json (char *const *docs, size_t n);

/* What later verbs need to know about a container, as kept in its private
   state file. */
struct container_state
{
  char *id;
  char *bundle;
  char *rootfs;
  pid_t pid;
  unsigned long long pid_start_time; /* /proc/<pid>/stat field 22: detects pid reuse */
  char *created;                     /* RFC3339 */
  /* the owner's name (state files from before ownerUid) */
  char *owner;
  /* "ownerUid": the owner, named only when the state is shown; -1 if not recorded */
  long long owner_uid;
  char *cgroup_root;     /* cgroup fs root used at create */
  char *cgroup_path;     /* resolved path inside each hierarchy */
  char *systemd_unit;    /* transient scope registered with systemd, or NULL */
  char *profile;         /* "strict", "balanced" or "none" */
  char *env_policy;      /* env pass-through policy for exec */
  char *workspace_upper; /* overlay upper dir or NULL */
  char *workspace_lower; /* overlay lower (host) dir or NULL */
  bool workspace_tmpfs;  /* a size-capped tmpfs is mounted at <state>/workspace */
  /* the overlay was mounted with userxattr: its markers are user.overlay.* */
  bool workspace_userxattr;
  struct spec_kv *annotations;
  size_t annotations_len;
  /* env_policy was set by the operator (--env-pass), not the bundle ("envPolicyFrom") */
  bool env_policy_operator;
};

/* The private state file as compact JSON (NULL strings are left out).
   malloc'd; never NULL. */
char *state_file_to_json (const struct container_state *st);
/* Parse it with the same strict parser as config.json (no comments, depth
   limit). Missing or mistyped fields read as NULL/0/false (older state
   files lack the newer ones). NULL with ERR set ("WHAT: invalid JSON: ...")
   when the text is not JSON. Free with state_file_free. */
struct container_state *state_file_parse (const char *data, size_t len, const char *what, struct cr_error *err);
void state_file_free (struct container_state *st);

#endif
