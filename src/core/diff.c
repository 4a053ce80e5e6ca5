/* diff and commit of a container's overlay workspace (see core/diff.h). */
#include "config.h"

#include "core/container.h"
#include "core/diff.h"

/* Shared by diff and commit: the overlay layers of a container, read from
   its state (VERB names the command in the error). */
static int
load_layers (const char *root, const char *verb, const char *id, struct container_state **st, struct cr_error *err)
{
  enum container_status status;
  int r = container_load (root, id, st, &status, err);
  if (r < 0)
    return r;
  if ((*st)->workspace_upper == NULL)
    {
      r = cr_fail (err, 0, "%s %s: the container has no overlay workspace", verb, id);
      state_free (*st);
      return r;
    }
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
  struct container_state *st = NULL;
  int r = load_layers (root, "diff", id, &st, err);
  if (r < 0)
    return r;
  struct workspace_layers layers = layers_of (st);
  r = workspace_diff (&layers, out, n, err);
  state_free (st);
  return r;
}

int
container_commit (const char *root, const char *id, bool dry_run, struct workspace_change **out, size_t *n,
                  struct cr_error *err)
{
  struct container_state *st = NULL;
  int r = load_layers (root, "commit", id, &st, err);
  if (r < 0)
    return r;
  struct workspace_layers layers = layers_of (st);
  r = workspace_commit (&layers, dry_run, out, n, err);
  state_free (st);
  return r;
}
