/* CVE-2019-5736 class protection: a process inside a container must never be
   able to write the runtime binary through /proc/<pid>/exe. */
#ifndef CELLRUN_SELFEXE_H
#define CELLRUN_SELFEXE_H
#include "base/error.h"
#include "spec.h"

#include <stdbool.h>
#include <sys/types.h>
/* If /proc/self/exe is not a sealed memfd, copy this binary into one, seal
   it and re-exec from it with the same argv. Returns 0 when already sealed. */
int selfexe_ensure_sealed (char **argv, struct cr_error *err);

/* 1 when this binary is a file a container could rewrite (not a sealed
   memfd, not on a read-only mount, protection not switched off), else 0. */
int selfexe_needs_protection (struct cr_error *err);
/* Whether the container of SPEC can be started through the exec trampoline
   (docs/security.md): a pid namespace of its own, no startContainer hooks,
   no LSM exec label, seccomp filters that let the trampoline run. */
bool selfexe_trampoline_fits (const struct spec *spec);
/* The same for an `exec` of P into the container of SPEC (whose
   linux.profile_seccomp is the profile's filter, if any): no terminal, no LSM
   label, and the filters also let the trampoline's clone, fcntl and setsid
   through. */
bool selfexe_trampoline_fits_exec (const struct spec *spec, const struct spec_process *p);
/* A sealed, close-on-exec memfd holding the trampoline, or -1. */
int selfexe_trampoline_open (struct cr_error *err);
/* Whether /proc/PID/exe is a sealed memfd (the trampoline or a sealed copy). */
bool selfexe_pid_is_sealed (pid_t pid);
#endif
