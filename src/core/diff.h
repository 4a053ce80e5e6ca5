/* `cellrun diff` and `cellrun commit` by container id: load the container's
   state, find its overlay workspace and hand the layers to the filesystem
   code (linux/workspace_fs.h, whose change list and name renderers this
   header passes on to the CLI). */
#ifndef CELLRUN_DIFF_H
#define CELLRUN_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "linux/workspace_fs.h"

/* The changes in container ID's overlay workspace (workspace_diff). Fails
   when the container has no overlay workspace. Free *OUT with
   workspace_changes_free. */
int container_diff (const char *root, const char *id, struct workspace_change **out, size_t *n, struct cr_error *err);

/* Apply them to the host directory (workspace_commit; with DRY_RUN only
   list what would be done). */
int container_commit (const char *root, const char *id, bool dry_run, struct workspace_change **out, size_t *n,
                      struct cr_error *err);

#endif
