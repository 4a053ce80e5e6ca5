/* `cellrun sandbox` (docs/sandbox.md): the flags of a one-shot run turned
   into the OCI spec it runs.  Pure: a flags struct in, a spec out (the only
   look at the system is the check that a --bind source exists).  The spec
   then goes through the profile layer and the ordinary create/start/wait/
   delete paths (core/sandbox.c). */
#ifndef CELLRUN_SANDBOX_SPEC_H
#define CELLRUN_SANDBOX_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#undef linux
#include "spec.h"

/* The annotation that marks a generated sandbox spec (value "1"). */
#define SANDBOX_ANNOTATION "run.cellrun.sandbox"
/* With the value "needed": the container's cgroup is made only in the v1
   hierarchies its resources write to, not in all of them
   (cgroup_create_needed; docs/cgroups.md).  Every sandbox spec has it. */
#define CGROUP_HIERARCHIES_ANNOTATION "run.cellrun.cgroup.hierarchies"
/* Environment pass-through when --env-pass is not given: the caller's
   environment minus the secret denylist (envpass.h) and the loader's
   variables. */
#define SANDBOX_DEFAULT_ENV_PASS "deny:LD_PRELOAD,LD_AUDIT,LD_LIBRARY_PATH"

enum sandbox_mount_kind
{
  SANDBOX_BIND,    /* --bind SRC[:DST] */
  SANDBOX_RO_BIND, /* --ro-bind SRC[:DST] (recursive read-only) */
  SANDBOX_TMPFS,   /* --tmpfs DST[:SIZE] */
};

struct sandbox_mount
{
  enum sandbox_mount_kind kind;
  char *source;            /* NULL for tmpfs */
  char *destination;       /* absolute, no ".." */
  unsigned long long size; /* tmpfs only; 0 = the kernel's default */
};

struct sandbox_collect
{
  char *ct_path;   /* absolute, no "..": what to copy out of the sandbox's view */
  char *host_dest; /* where it goes; default: the basename of ct_path in the current directory */
};

struct sandbox_flags
{
  const char *rootfs;  /* NULL: the host's / read-only */
  const char *profile; /* "strict" (default) or "balanced" */
  bool network_host;   /* --network host; default none (new netns, only lo) */
  bool terminal;       /* -t */
  struct sandbox_mount *mounts;
  size_t mounts_len;
  bool has_memory;
  int64_t memory; /* bytes */
  bool has_cpus;
  uint64_t cpu_millis; /* --cpus N as thousandths of a CPU */
  bool has_pids;
  int64_t pids;
  struct spec_rlimit *rlimits;
  size_t rlimits_len;
  char **env; /* K=V, NULL terminated, may be NULL */
  const char *cwd;
  uid_t uid;
  gid_t gid;
  const char *hostname;
  const char *workspace_ct; /* the workspace's container path (the default cwd), or NULL */
  char **args;              /* the command, NULL terminated, at least one entry */
};

/* A container path: absolute, no ".." component, not "/" itself. */
int sandbox_check_ct_path (const char *what, const char *path, struct cr_error *err);

/* Parse --bind/--ro-bind SRC[:DST] (DST defaults to SRC) or --tmpfs DST[:SIZE]
   (SIZE as parse_byte_size) into OUT. */
int sandbox_parse_mount (enum sandbox_mount_kind kind, const char *value, struct sandbox_mount *out,
                         struct cr_error *err);
/* --rlimit NAME=SOFT[:HARD]: NAME as RLIMIT_NOFILE or NOFILE (any case),
   values a number or "unlimited"; HARD defaults to SOFT. */
int sandbox_parse_rlimit (const char *value, struct spec_rlimit *out, struct cr_error *err);
/* --cpus N: a positive decimal with at most three digits after the point. */
int sandbox_parse_cpus (const char *value, uint64_t *millis, struct cr_error *err);
/* --user UID[:GID], numbers only (GID defaults to UID). */
int sandbox_parse_user (const char *value, uid_t *uid, gid_t *gid, struct cr_error *err);
/* --collect CT_PATH[:HOST_DEST]. */
int sandbox_parse_collect (const char *value, struct sandbox_collect *out, struct cr_error *err);
/* --timeout SECONDS: a positive decimal, as milliseconds. */
int sandbox_parse_timeout (const char *value, uint64_t *ms, struct cr_error *err);

/* Build the spec of F into *OUT (see docs/sandbox.md for what it holds).
   Fails when a --bind/--ro-bind source does not exist. */
int sandbox_spec_build (const struct sandbox_flags *f, struct spec **out, struct cr_error *err);

void sandbox_mount_clear (struct sandbox_mount *m);
void sandbox_collect_clear (struct sandbox_collect *c);

#endif
