/* CVE-2019-5736 class protection: a process inside a container must never be
   able to write the runtime binary through /proc/<pid>/exe. */
#ifndef CELLRUN_SELFEXE_H
#define CELLRUN_SELFEXE_H
#include "base/error.h"
/* If /proc/self/exe is not a sealed memfd, copy this binary into one, seal
   it and re-exec from it with the same argv. Returns 0 when already sealed. */
int selfexe_ensure_sealed (char **argv, struct cr_error *err);
#endif
