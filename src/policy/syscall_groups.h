/* The syscall table of the profiles' seccomp filters: one list, in named
   groups (in the spirit of systemd's syscall groups), each with the reason
   it is allowed or denied.  profile_seccomp_build turns it into a filter
   once per create/exec, `cellrun profile show` prints it, and
   docs/profiles.md explains every group.

   Strict is an allowlist: the allowed groups, the groups with argument
   rules (allowed only with the arguments the profile accepts), EPERM for
   the denied groups, and ENOSYS for every other syscall (unknown to the
   table, to libseccomp, or newer than both).  Balanced is a denylist: only
   the denied groups (and the argument rules) apply, everything else is
   allowed.

   Names are libseccomp's, for every ABI a filter may admit (x86_64, i386,
   aarch64, arm): libseccomp resolves each name per ABI and skips an ABI
   that lacks it, so the i386-only names (socketcall, mmap2, the *32 and
   *_time64 calls) and the arm-only ones (cacheflush, set_tls) live here
   too. */
#ifndef CELLRUN_SYSCALL_GROUPS_H
#define CELLRUN_SYSCALL_GROUPS_H

#include <stdbool.h>
#include <stddef.h>

enum syscall_group_kind
{
  SG_ALLOW,       /* strict: allowed; balanced: allowed (default) */
  SG_ALLOW_ARGS,  /* allowed with argument rules (profile_seccomp.c) */
  SG_DENY,        /* EPERM under strict and balanced */
  SG_DENY_STRICT, /* EPERM under strict; balanced allows (clarification 10) */
};

struct syscall_group
{
  const char *name;   /* "basic-io" */
  const char *reason; /* why, one sentence */
  enum syscall_group_kind kind;
  bool network;             /* only when the profile gives the container a network */
  const char *const *names; /* NULL-terminated libseccomp names */
};

extern const struct syscall_group syscall_groups[];
extern const size_t syscall_groups_len;

/* The names both profile filters give ENOSYS outside the groups: clone3
   (libc then falls back to clone, whose flags a filter can see).
   NULL-terminated.  The build-time number table (linux/seccomp_bpf.h)
   covers these and the groups' names. */
extern const char *const syscall_enosys_names[];

/* The group that lists NAME, or NULL. */
const struct syscall_group *syscall_group_of (const char *name);

#endif
