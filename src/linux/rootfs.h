/* The container's root filesystem: preparing it, mounting into it, the
   read-only/masking steps, and switching into it. Everything before the
   switch resolves paths inside ROOTFD (openat2 RESOLVE_IN_ROOT). */
#ifndef CELLRUN_ROOTFS_H
#define CELLRUN_ROOTFS_H

#include <stdbool.h>
#include "base/error.h"
#include "linux/mounts.h"
#include "spec.h"

/* Keep host mounts from propagating in, bind the rootfs on itself (pivot_root
   needs a mount point), or attach ROOT_TREE (>= 0, a detached tree; closed)
   on it instead, and return an O_PATH fd to it. */
int rootfs_prepare (const struct spec *spec, const char *rootfs, int root_tree, int *rootfd, struct cr_error *err);
/* Spec mounts in order, a fresh /dev (tmpfs, devpts, shm) when the spec has none, device nodes. */
int rootfs_mount_all (const struct spec *spec, const struct mount_context *ctx, struct cr_error *err);
/* sysctl values, written through the container's own procfs. */
int rootfs_apply_sysctl (const struct spec *spec, int rootfd, struct cr_error *err);
/* maskedPaths, readonlyPaths, read-only root: last, once nothing else mounts. */
int rootfs_finalize (const struct spec *spec, int rootfd, struct cr_error *err);
/* pivot_root into ROOTFS (or MS_MOVE + chroot when NO_PIVOT), then rootfsPropagation. */
int rootfs_switch (const struct spec *spec, const char *rootfs, bool no_pivot, struct cr_error *err);
/* Without a mount namespace of its own the container shares the runtime's
   mount table, which cellrun never changes: refuse what would need a mount
   (mounts, root.readonly, rootfsPropagation, linux.devices, masks and
   read-only paths that exist in ROOTFS). */
int rootfs_check_shared (const struct spec *spec, const char *rootfs, struct cr_error *err);
/* chroot into ROOTFS, with no mount at all. */
int rootfs_enter_shared (const char *rootfs, struct cr_error *err);

#endif
