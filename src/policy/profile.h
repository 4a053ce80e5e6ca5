/* Isolation profiles (strict, balanced): a pure translation from
   (bundle spec, profile request, operator config, caller environment) to a
   new spec.  The runtime then applies the result through its ordinary
   paths; nothing here touches the system.  The translation table is in
   docs/profiles.md and every row is tested in tests/unit/test_profile.c. */
#ifndef CELLRUN_PROFILE_H
#define CELLRUN_PROFILE_H

#include <stdbool.h>

#include "policy/config_file.h"
#include "base/error.h"
/* gnu11 predefines `linux` as 1, which would clobber spec.h's field name. */
#undef linux
#include "spec.h"
#include "policy/workspace.h"

/* Annotations understood by the profile layer (all under this prefix). */
#define PROFILE_ANNOTATION_PREFIX "run.cellrun."
#define PROFILE_ANNOTATION_PROFILE "run.cellrun.profile"
#define PROFILE_ANNOTATION_WORKSPACE "run.cellrun.workspace"
#define PROFILE_ANNOTATION_WORKSPACE_MAX "run.cellrun.workspace.max-bytes"
#define PROFILE_ANNOTATION_EXTRA_WRITABLE "run.cellrun.extra-writable"
#define PROFILE_ANNOTATION_ENV "run.cellrun.env"

/* The annotations above with what each one does, and the prefix of them
   all as the potentially unsafe ones (a bundle can weaken its profile
   with them): the one list `cellrun features` prints. */
extern const struct spec_kv profile_annotations[];
extern const size_t profile_annotations_len;
extern const char *const profile_unsafe_annotations[]; /* NULL-terminated */

/* Default pids limit for strict when the bundle sets none. */
#define PROFILE_STRICT_PIDS_LIMIT 1024

enum profile_level
{
  PROFILE_NONE = 0,
  PROFILE_BALANCED = 1,
  PROFILE_STRICT = 2,
};

struct profile_request
{
  const char *operator_profile;    /* NULL when the operator named no profile ("none" when it chose none) */
  const char *operator_source;     /* "invoked as cellrun-strict", "--profile",
                                   "config /etc/cellrun/cellrun.conf" */
  const char *workspace;           /* --workspace flag or NULL (wins over the annotation) */
  const char *env_pass;            /* --env-pass flag or NULL (wins over the annotation) */
  const char *state_dir;           /* the container's private state dir (0700) */
  bool rootless;                   /* no host root: overlay workspaces use userxattr; with caller_uid != 0 a
                                      user namespace mapping the caller is added when the bundle has none
                                      (docs/rootless.md) */
  uint32_t caller_uid, caller_gid; /* rootless: the ids that single mapping maps container 0 to */
  char *const *operator_binds;     /* host paths the operator itself bound writable (`cellrun sandbox --bind`):
                                      like --workspace, not subject to strict's writable_allowlist (NULL
                                      terminated, may be NULL) */
};

struct profile_result
{
  char *profile; /* "strict", "balanced" or "none" */
  struct workspace_request workspace;
  char *upper_dir;         /* overlay: <state>/workspace/upper, else NULL */
  char *work_dir;          /* overlay: <state>/workspace/work, else NULL */
  char *workspace_dir;     /* overlay: <state>/workspace (the tmpfs for max-bytes), else NULL */
  char *env_policy;        /* effective policy string, stored in state for exec */
  bool env_from_operator;  /* the policy came from --env-pass, not the annotation: only then do
                              exact names override the secret denylist (envpass.h) */
  size_t env_explicit_len; /* the first N entries of the new process.env are the bundle's own;
                                   the rest were passed through from the caller and must not be
                                   saved for exec (exec re-applies the policy to its own caller) */
  char **extra_writable;   /* resolved host paths bound rw (NULL terminated, may be NULL) */
};

/* Parse a profile name (NULL or "none" -> PROFILE_NONE).  Unknown names fail
   with "unknown profile \"x\" (known: strict, balanced)". */
int profile_parse_name (const char *name, enum profile_level *out, struct cr_error *err);
const char *profile_level_name (enum profile_level level);

/* The profile implied by the name cellrun was invoked as (basename of
   ARGV0: cellrun-strict, cellrun-balanced); NULL for anything else. */
const char *profile_from_argv0 (const char *argv0);

/* Translate IN into a new spec *OUT (IN is never modified) and describe
   what the core must prepare in *RES.  CFG may be NULL (empty config).
   CALLER_ENV is the environment of the cellrun process (may be NULL). */
int profile_apply (const struct spec *in, const struct profile_request *req, const struct cellrun_config *cfg,
                   char *const *caller_env, struct spec **out, struct profile_result *res, struct cr_error *err);

void profile_result_clear (struct profile_result *r);

/* Human-readable description of what profile NAME applies (for
   `cellrun profile show NAME`); *TEXT is malloc'd. */
int profile_describe (const char *name, char **text, struct cr_error *err);

/* The seccomp filter of a profile, built fresh from the table of
   policy/syscall_groups.c: strict an allowlist (default ERRNO(ENOSYS)),
   balanced a denylist (default ALLOW); free with spec_seccomp_free.  LEVEL
   must not be PROFILE_NONE. */
struct spec_seccomp *profile_seccomp_build (enum profile_level level);

/* The filter of LEVEL in words, group by group (for `cellrun profile
   show`); malloc'd. */
char *profile_seccomp_describe (enum profile_level level);

/* Deep copy of a seccomp filter (libocispec/spec_dup.c). */
struct spec_seccomp *spec_seccomp_dup (const struct spec_seccomp *s);

/* Standard masked and read-only paths (NULL terminated). */
extern const char *const profile_masked_paths[];
extern const char *const profile_readonly_paths[];
/* The balanced capability set (NULL terminated). */
extern const char *const profile_balanced_capabilities[];

#endif
