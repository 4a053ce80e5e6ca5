/* Workspaces: a host directory shown inside the container. This is the
   request side (HOST:CONTAINER[:MODE], byte sizes, the writable-path
   allowlist); the filesystem side behind `cellrun diff` and `cellrun
   commit` is linux/workspace_fs.h. */
#ifndef CELLRUN_WORKSPACE_H
#define CELLRUN_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct workspace_request
{
  bool present;
  char *host_path;
  char *container_path;
  char *mode;                   /* "overlay", "ro" or "rw" */
  unsigned long long max_bytes; /* 0 = unlimited; overlay only */
  bool userxattr;               /* overlay: mount with "userxattr", so the overlay's markers are user.overlay.*
                                   (set for a rootless caller, whose overlay is mounted in a user namespace;
                                   as root cellrun uses trusted.overlay.*); recorded in the state for diff/commit */
};

/* Parse HOST:CONTAINER[:MODE]; both paths absolute, MODE defaults to
   "overlay".  OUT is overwritten (present = true on success). */
int workspace_parse (const char *value, struct workspace_request *out, struct cr_error *err);
void workspace_request_clear (struct workspace_request *w);

/* Make sure the host directory exists: for rw and overlay a missing one is
   created with its parents (mode 0755); for ro it is an error.  Called by
   the core at create time, after profile_apply. */
int workspace_prepare_host_path (const struct workspace_request *w, struct cr_error *err);

/* "1048576", "10K", "5M", "1G" (powers of 1024).  0 on success, -EINVAL or
   -ERANGE otherwise. */
int parse_byte_size (const char *s, unsigned long long *out);

/* Resolve PATH (which must exist) and check that it lies inside one entry of
   ALLOWLIST (each resolved too), comparing whole path components:
   /a/scratch allows /a/scratch/x but not /a/scratch2.  *RESOLVED (optional)
   receives the resolved path. */
int path_within_allowlist (const char *path, char *const *allowlist, char **resolved, struct cr_error *err);

#endif
