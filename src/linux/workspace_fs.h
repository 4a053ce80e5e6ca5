/* The filesystem side of overlay workspaces: the library behind `cellrun
   diff` and `cellrun commit`, which compare the overlay upper dir with the
   lower (host) dir, and the way they print changed names. The request
   side (parsing, allowlist) is policy/workspace.h.

   Overlay conventions relied on: a whiteout is a character device 0/0 in
   the upper dir; an opaque directory carries xattr trusted.overlay.opaque
   = "y" (user.overlay.opaque with userxattr) and hides everything below it
   in the lower dir. */
#ifndef CELLRUN_WORKSPACE_FS_H
#define CELLRUN_WORKSPACE_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct workspace_change
{
  char op;    /* 'A' added, 'M' modified, 'D' deleted */
  char *path; /* relative, no leading "./" or "/" */
};

/* The two layers of an overlay workspace, and the xattr namespace the
   mount keeps its own markers in: trusted.overlay.* normally,
   user.overlay.* when it was mounted with "userxattr".  Diff reads exactly
   that namespace; the other one is ordinary data the container may set. */
struct workspace_layers
{
  const char *upper;
  const char *lower;
  bool userxattr;
};

/* List the changes recorded in UPPER against LOWER, sorted by path:
   a directory appears only when added, deleted, made opaque or its mode
   changed; a rename is D old + A new; an opaque directory is D dir
   followed by A lines for what it now holds.  Safe against a container
   that changes UPPER during the walk (see workspace_walk.c). */
int workspace_diff (const struct workspace_layers *layers, struct workspace_change **out, size_t *n,
                    struct cr_error *err);

/* Apply the changes of UPPER to LOWER (create, overwrite, delete, modes) and
   return what was done (same format as workspace_diff).  With DRY_RUN
   nothing is written.  Whatever the container asked for, nothing is
   created setuid or setgid, or writable by others, and only directories
   keep a sticky bit. */
int workspace_commit (const struct workspace_layers *layers, bool dry_run, struct workspace_change **out, size_t *n,
                      struct cr_error *err);

void workspace_changes_free (struct workspace_change *c, size_t n);

/* A change's path for text output: as it is, or in double quotes with
   C-style escapes when it holds a control character, '"', '\', DEL or a
   byte >= 0x80 (git's core.quotePath convention).  Newly allocated. */
char *workspace_quote_path (const char *path);

/* One change as a JSON object {"op":"A","path":"..."}, valid JSON for any
   bytes: a path that is not valid UTF-8 also gets "path_b64" with the
   exact bytes (see workspace_names.c).  Newly allocated. */
char *workspace_change_json (const struct workspace_change *c);

#endif
