/* A fresh /dev: the standard nodes, symlinks, and linux.devices. */
#ifndef CELLRUN_DEVICES_H
#define CELLRUN_DEVICES_H

#include <stdbool.h>
#include "base/error.h"
#include "spec.h"

/* linux.devices: absolute paths, type b, c, u or p, major/minor except for p. */
int devices_validate (const struct spec *spec, struct cr_error *err);
/* ROOTFD is the rootfs (before pivot). In a user namespace mknod is not
   allowed, so device nodes are bind mounts of the host's (FIFOs are made). */
int devices_setup (int rootfd, const struct spec *spec, bool in_userns, struct cr_error *err);

#endif
