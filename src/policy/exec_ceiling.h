/* The exec ceiling (policy): under a profile, a process started by `cellrun exec`
   can never hold more than the container's own process. Pure functions on spec
   structs; core/exec_process.c applies them to the process it builds. */
#ifndef CELLRUN_EXEC_CEILING_H
#define CELLRUN_EXEC_CEILING_H

#include "policy/profile.h"

/* Under PROFILE (the container's saved profile; NULL or "none" = no ceiling):
   keep in each capability set of P only the names CONTAINER's set also has,
   force no_new_privileges, and hold every rlimit of P at or below CONTAINER's
   of the same type (adding those P lacks). Only ever lowers. */
void profile_exec_ceiling (const char *profile, const struct spec_process *container, struct spec_process *p);

/* The profile's own seccomp filter, which the exec'd process gets as the
   container's init did; NULL when PROFILE is none (or not a known name).
   Free with spec_seccomp_free. */
struct spec_seccomp *profile_exec_seccomp (const char *profile);

#endif
