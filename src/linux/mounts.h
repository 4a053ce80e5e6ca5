/* Mounting spec entries inside the container root. Every target is resolved
   inside the root with openat2(RESOLVE_IN_ROOT), so a symlink in the image
   can never redirect a mount onto the host. */
#ifndef CELLRUN_MOUNTS_H
#define CELLRUN_MOUNTS_H

#include <stdbool.h>
#include "base/error.h"
#include "spec.h"

struct mount_options
{
  unsigned long flags;                   /* MS_* for mount(2) */
  unsigned long propagation;             /* MS_PRIVATE/MS_SHARED/... (| MS_REC) or 0 */
  unsigned long long attr_set, attr_clr; /* MOUNT_ATTR_* for mount_setattr */
  bool bind, recursive;
  bool tmpcopyup; /* tmpfs: copy what the directory held into it */
  char *data;     /* comma-joined filesystem-specific options */
};

int mount_options_parse (char *const *options, struct mount_options *out, struct cr_error *err);
void mount_options_clear (struct mount_options *o);
/* Parsed options cleared when the variable goes out of scope. */
#define _cleanup_mount_options_ __attribute__ ((cleanup (mount_options_clear)))

/* Open PATH (absolute or relative to ROOTFD) without leaving ROOTFD. */
int open_in_root (int rootfd, const char *path, int flags, struct cr_error *err);
/* Create PATH (and parents) inside ROOTFD as a directory, or an empty file
   when AS_FILE; existing entries are kept. Returns an O_PATH fd. */
int mkdir_in_root (int rootfd, const char *path, bool as_file, struct cr_error *err);

struct mount_context
{
  int rootfd;              /* O_PATH of the rootfs (before pivot) */
  const char *rootfs;      /* its host path, for messages */
  const char *cgroup_root; /* host cgroup fs root, for cgroup mounts */
  const char *cgroup_path; /* container's cgroup path in each hierarchy */
  bool new_cgroupns;
  bool new_netns;
  bool in_userns;
  const struct mount_sources *sources; /* indexed like spec->mounts; may be NULL */
  /* Called before each cgroup mount (it must be idempotent): the init may
     only then rely on being in its cgroup and unshare its cgroup namespace. */
  int (*cgroup_ready) (void *arg, struct cr_error *err);
  void *cgroup_ready_arg;
};

/* Mount M. SOURCE_FD >= 0 is M's source opened by the runtime
   (mount_sources_open): it is attached instead of binding M->source. */
int mounts_apply_entry (const struct mount_context *ctx, const struct spec_mount *m, int source_fd,
                        struct cr_error *err);

/* src/mounts_userns.c: bind sources opened by the runtime before the init
   is cloned, one fd per spec mount (-1 for the others): every bind mount
   when NEW_USERNS (the init, root of its user namespace, may not be able to
   look the source up), and every idmapped mount (uidMappings/gidMappings:
   only the host's root can make one).  The fds are detached copies
   (open_tree OPEN_TREE_CLONE), made idmapped when the mount asks; nothing
   of the host's mount table changes.  Errors: an idmapped mount that is
   not a bind mount, or that lacks uidMappings or gidMappings. */
struct mount_sources
{
  int *fds;
  size_t len;
};
int mount_sources_open (const struct spec *spec, bool new_userns, struct mount_sources *out, struct cr_error *err);
void mount_sources_close (struct mount_sources *ms);
/* Attach the detached tree SOURCE_FD on the O_PATH directory/file TARGET. */
int mount_attach_source (int source_fd, int target, const struct spec_mount *m, struct cr_error *err);
bool mount_is_bind (const struct spec_mount *m);
/* A detached copy of the tree at PATH and every mount below it (open_tree
   OPEN_TREE_CLONE, recursive), made read-only, nosuid, nodev and private,
   every mount of it: a root for the init to attach (create_options.root_tree)
   with nothing added to any mount namespace here.  -1 and ERR on failure
   (ERR's code EPERM without CAP_SYS_ADMIN over the caller's mount namespace). */
int mount_tree_open_readonly (const char *path, struct cr_error *err);

/* Make FD's mount (and, when RECURSIVE, every submount) read-only etc. */
int mount_setattr_fd (int fd, bool recursive, unsigned long long set, unsigned long long clr,
                      unsigned long propagation);

#endif
