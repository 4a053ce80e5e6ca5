/* Seccomp filters from the runtime-spec linux.seccomp object (libseccomp).
   Building is separate from loading so the filter can be validated in the
   runtime, and loaded in the container's init right before exec. */
#ifndef CELLRUN_SECCOMP_FILTER_H
#define CELLRUN_SECCOMP_FILTER_H

#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "linux/seccomp_bpf.h"
#include "spec.h"

static inline void
seccomp_filter_releasep (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
/* A built filter released when the variable goes out of scope (NULL is
   fine); TAKE_PTR hands it on, e.g. to seccomp_filter_load. */
#define _cleanup_seccomp_ __attribute__ ((cleanup (seccomp_filter_releasep)))

/* Build (not load) a filter. Unknown syscall names are skipped (log_debug);
   rules whose action equals the default are skipped; conditions on the
   same argument twice become one rule per condition. NO_NEW_PRIVS is not
   set by the filter (SCMP_FLTATR_CTL_NNP = 0): the core does that when the
   config asks. When S lists no architectures, the native architecture's
   compat ABIs (x86 and x32 on x86_64, ...) are added so that 32-bit
   programs see the same rules instead of being killed as a bad arch.
   On error ERR names the JSON path: "linux.seccomp.syscalls[3].action:
   unknown action SCMP_ACT_FOO". */
int seccomp_filter_build (const struct spec_seccomp *s, scmp_filter_ctx *out, struct cr_error *err);

/* The profile's filter (profile_seccomp_build) compiled to BPF without
   libseccomp's rule database (linux/seccomp_bpf.h): a syscall of an ABI S
   does not list (x32 on x86_64) fails with EPERM instead of killing the
   thread, so a whole ABI is denied the way the profile denies a call.
   Load it with seccomp_prog_load. */
int seccomp_filter_build_profile (const struct spec_seccomp *s, struct seccomp_prog **out, struct cr_error *err);

/* Apply S's flags, load CTX into the calling thread, and release CTX (in
   every case). *NOTIFY_FD gets the user-notification listener (O_CLOEXEC,
   owned by the caller) when a rule uses SCMP_ACT_NOTIFY, else -1.
   NOTIFY_FD may be NULL when the caller knows no rule uses it. */
int seccomp_filter_load (scmp_filter_ctx ctx, const struct spec_seccomp *s, int *notify_fd, struct cr_error *err);

/* build + load in one call. */
int seccomp_filter_build_and_load (const struct spec_seccomp *s, int *notify_fd, struct cr_error *err);

/* True when any rule of S uses SCMP_ACT_NOTIFY. */
bool seccomp_uses_notify (const struct spec_seccomp *s);

/* Connect to s->listener_path (AF_UNIX stream) and send the runtime-spec
   "container process state": NOTIFY_FD as SCM_RIGHTS and the JSON
   {"ociVersion":"1.2.0","fds":["seccompFd"],"pid":PID,"metadata":"...",
    "state":STATE_JSON}. metadata is omitted when listenerMetadata is
   absent; STATE_JSON must be a JSON object (NULL sends null). */
int seccomp_notify_send (const struct spec_seccomp *s, int notify_fd, int container_pid, const char *state_json,
                         struct cr_error *err);

/* "SCMP_ACT_ERRNO" etc. -> libseccomp action. ERRNO and TRACE take
   ERRNO_RET (EPERM when !HAS_ERRNO); any other action given an errno is
   an error, as the runtime-spec requires. Errors: "unknown action X". */
int seccomp_parse_action (const char *name, uint32_t errno_ret, bool has_errno, uint32_t *act, struct cr_error *err);

/* "SCMP_CMP_EQ" etc. Errors: "unknown operator X". */
int seccomp_parse_operator (const char *name, enum scmp_compare *op, struct cr_error *err);

/* "SECCOMP_FILTER_FLAG_TSYNC" etc. -> filter attribute to set to 1.
   *ATTR is 0 (_SCMP_FLTATR_MIN) for a flag this libseccomp cannot express
   (WAIT_KILLABLE_RECV before 2.6): valid, but skipped at load time.
   Errors: "unknown flag X". */
int seccomp_parse_flag (const char *name, enum scmp_filter_attr *attr, struct cr_error *err);

/* "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64. Errors: "unknown architecture X". */
int seccomp_parse_arch (const char *name, uint32_t *arch, struct cr_error *err);

#endif
