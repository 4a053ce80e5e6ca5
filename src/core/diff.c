/* diff and commit of a container's overlay workspace (see core/diff.h). */
#include "config.h"

#include "core/container.h"
#include "core/diff.h"

#include "base/utils.h"

/* Shared by diff and commit: the overlay layers of a container, read from
   its state (VERB names the command in the error). */
static int
load_layers (const char *root, const char *verb, const char *id, struct container_state **st, struct cr_error *err)
{
  _cleanup_state_ struct container_state *loaded = NULL;
  enum container_status status;
  int r = container_load (root, id, &loaded, &status, err);
  if (r < 0)
    return r;
  if (loaded->workspace_upper == NULL)
    return cr_fail (err, 0, "%s %s: the container has no overlay workspace", verb, id);
  *st = TAKE_PTR (loaded);
  return 0;
}

static struct workspace_layers
layers_of (const struct container_state *st)
{
  return (struct workspace_layers){ .upper = st->workspace_upper,
                                    .lower = st->workspace_lower,
                                    .userxattr = st->workspace_userxattr };
}

int
container_diff (const char *root, const char *id, struct workspace_change **out, size_t *n, struct cr_error *err)
{
  _cleanup_state_ struct container_state *st = NULL;
  int r = load_layers (root, "diff", id, &st, err);
  if (r < 0)
    return r;
  struct workspace_layers layers = layers_of (st);
  return workspace_diff (&layers, out, n, err);
}

int
container_commit (const char *root, const char *id, bool dry_run, struct workspace_change **out, size_t *n,
                  struct cr_error *err)
{
  _cleanup_state_ struct container_state *st = NULL;
  int r = load_layers (root, "commit", id, &st, err);
  if (r < 0)
    return r;
  struct workspace_layers layers = layers_of (st);
  return workspace_commit (&layers, dry_run, out, n, err);
}
