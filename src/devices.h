/* A fresh /dev: the standard nodes, symlinks, and linux.devices. */
#ifndef CELLRUN_DEVICES_H
#define CELLRUN_DEVICES_H

#include <stdbool.h>
#include "error.h"
#include "spec.h"

/* ROOTFD is the rootfs (before pivot). In a user namespace mknod is not
   allowed, so nodes are bind mounts of the host's. */
int devices_setup (int rootfd, const struct spec *spec, bool in_userns, struct cr_error *err);

#endif
