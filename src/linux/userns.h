/* Rootless operation (docs/rootless.md): is cellrun unprivileged, and the
   user namespace id maps an unprivileged caller can write: a single mapping
   of its own uid/gid written directly (setgroups "deny" first for gid_map),
   or ranges granted in /etc/subuid and /etc/subgid written through the
   setuid newuidmap/newgidmap helpers (package uidmap), looked up in PATH. */
#ifndef CELLRUN_USERNS_H
#define CELLRUN_USERNS_H

#include <stdbool.h>
#include <sys/types.h>
#include "base/error.h"
#include "spec.h"

/* True when the effective uid is not 0, or when this process runs in a user
   namespace other than the initial one (/proc/self/uid_map is not the
   identity map "0 0 4294967295"): the host's root privileges are missing. */
bool userns_detect_rootless (void);

/* True when MAP (N entries) is exactly one id mapped to ID, size 1: what
   an unprivileged process may write itself. */
bool userns_map_is_single (const struct spec_id_mapping *map, size_t n, uint32_t id);

/* Rootless checks of a spec with a new user namespace, before anything is
   made: the mappings are either the caller's own id or granted ranges,
   the helpers needed exist and are privileged, and every id the config
   names (process.user, additionalGids, uid=/gid= mount options) is mapped. */
int userns_check_rootless (const struct spec *spec, struct cr_error *err);

/* Write PID's uid_map and gid_map as an unprivileged caller (see top). */
int userns_write_maps_rootless (pid_t pid, const struct spec *spec, struct cr_error *err);

/* Remove NAME below DIRFD (recursively) as root of a new user namespace
   with SPEC's mappings: files that subordinate ids wrote (an overlay upper
   layer) are out of the caller's reach, but not of that root's. */
int userns_remove_mapped (const struct spec *spec, int dirfd, const char *name, struct cr_error *err);

/* A child of the caller in a new user namespace of its own, waiting there
   (no id mapped yet) while the caller writes its maps or opens
   /proc/PID/ns/user. */
struct userns_child
{
  pid_t pid;
  int go; /* the caller's end of the pipe that releases the child */
};

/* Fork UC's child and return once it is in its new user namespace. It
   stays dumpable when DUMPABLE (an unprivileged caller's uid may then
   write its maps). Released with RUN it calls JOB (ARG; may be NULL) and
   exits with its result, otherwise it exits 0. WHAT completes the error
   when no user namespace could be made ("for the id mapping"). */
int userns_child_start (struct userns_child *uc, bool dumpable, int (*job) (void *), void *arg, const char *what,
                        struct cr_error *err);

/* Release UC's child, running its job when RUN, and wait for it: its exit
   status, -1 when it could not be told or was killed. */
int userns_child_finish (struct userns_child *uc, bool run);

/* Why creating a user namespace failed with ERRNUM: the sysctl or LSM that
   disables unprivileged user namespaces, if one does. Fills ERR. */
int userns_explain_clone_failure (int errnum, struct cr_error *err);

#endif
