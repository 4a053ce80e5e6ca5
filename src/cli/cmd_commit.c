/* `cellrun commit ID [--dry-run]`: apply the container's overlay workspace
   changes to the host directory and list what was (or would be) done. */
#include "config.h"
#include "cli/cli.h"
#include "core/diff.h"
#include "base/utils.h"

#include <getopt.h>

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
  struct workspace_change *changes = NULL;
  size_t n = 0;
  if (container_commit (g->root, argv[optind], dry, &changes, &n, &err) < 0)
    return cli_fail (&err);
  /* Names come from the container: quoted so one name is always one line. */
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *q = workspace_quote_path (changes[i].path);
      printf ("%s%c %s\n", dry ? "would apply: " : "applied: ", changes[i].op, q);
    }
  workspace_changes_free (changes, n);
  return 0;
}
