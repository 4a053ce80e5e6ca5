#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/utils.h"
#include "policy/workspace.h"

#include <getopt.h>
#include <string.h>

/* Shared by diff and commit: the overlay layers of a container. */
static int
load_layers (struct cli *g, const char *verb, const char *id, struct container_state **st, struct cr_error *err)
{
  enum container_status status;
  if (container_load (g->root, id, st, &status, err) < 0)
    return -1;
  if ((*st)->workspace_upper == NULL)
    {
      cr_fail (err, 0, "%s %s: the container has no overlay workspace", verb, id);
      state_free (*st);
      return -1;
    }
  return 0;
}

/* Names come from the container: quoted in text so one name is always one
   line, and always valid JSON (workspace_names.c). */
static void
print_changes (const struct workspace_change *c, size_t n, bool json, const char *prefix)
{
  if (!json)
    {
      for (size_t i = 0; i < n; i++)
        {
          _cleanup_free_ char *q = workspace_quote_path (c[i].path);
          printf ("%s%c %s\n", prefix, c[i].op, q);
        }
      return;
    }
  printf ("[");
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *j = workspace_change_json (&c[i]);
      printf ("%s%s", i ? "," : "", j);
    }
  printf ("]\n");
}

static struct workspace_layers
layers_of (const struct container_state *st)
{
  return (struct workspace_layers){ .upper = st->workspace_upper,
                                    .lower = st->workspace_lower,
                                    .userxattr = st->workspace_userxattr };
}

int
cmd_diff (struct cli *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, 0, 'f' }, { 0, 0, 0, 0 } };
  bool json = false;
  int c;
  while ((c = getopt_long (argc, argv, "+f:", opts, NULL)) != -1)
    if (c == 'f' && (strcmp (optarg, "json") == 0 || strcmp (optarg, "text") == 0))
      json = strcmp (optarg, "json") == 0;
    else
      return cli_usage ("diff", "invalid flag or format (want --format text|json)");
  if (cli_need_args ("diff", argc, optind, 1, "container id"))
    return 1;
  struct cr_error err = { 0 };
  struct container_state *st = NULL;
  if (load_layers (g, "diff", argv[optind], &st, &err) < 0)
    return cli_fail (&err);
  struct workspace_change *changes = NULL;
  size_t n = 0;
  struct workspace_layers layers = layers_of (st);
  int r = workspace_diff (&layers, &changes, &n, &err);
  state_free (st);
  if (r < 0)
    return cli_fail (&err);
  print_changes (changes, n, json, "");
  workspace_changes_free (changes, n);
  return 0;
}

int
cmd_commit (struct cli *g, int argc, char **argv)
{
  enum
  {
    O_DRY = 1000
  };
  static const struct option opts[] = { { "dry-run", no_argument, 0, O_DRY }, { 0, 0, 0, 0 } };
  bool dry = false;
  int c;
  while ((c = getopt_long (argc, argv, "+", opts, NULL)) != -1)
    if (c == O_DRY)
      dry = true;
    else
      return cli_usage ("commit", "unknown flag %s", argv[optind - 1]);
  if (cli_need_args ("commit", argc, optind, 1, "container id"))
    return 1;
  struct cr_error err = { 0 };
  struct container_state *st = NULL;
  if (load_layers (g, "commit", argv[optind], &st, &err) < 0)
    return cli_fail (&err);
  struct workspace_change *changes = NULL;
  size_t n = 0;
  struct workspace_layers layers = layers_of (st);
  int r = workspace_commit (&layers, dry, &changes, &n, &err);
  state_free (st);
  if (r < 0)
    return cli_fail (&err);
  print_changes (changes, n, false, dry ? "would apply: " : "applied: ");
  workspace_changes_free (changes, n);
  return 0;
}
