/* `cellrun diff ID [--format text|json]`: list the changes in the container's
   overlay workspace (commit is cmd_commit.c). */
#include "config.h"
#include "cli/cli.h"
#include "core/diff.h"
#include "base/utils.h"

#include <getopt.h>
#include <string.h>

/* Names come from the container: quoted in text so one name is always one
   line, and always valid JSON (workspace_names.c). */
static void
print_changes (const struct workspace_change *c, size_t n, bool json)
{
  if (!json)
    {
      for (size_t i = 0; i < n; i++)
        {
          _cleanup_free_ char *q = workspace_quote_path (c[i].path);
          printf ("%c %s\n", c[i].op, q);
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
  struct workspace_change *changes = NULL;
  size_t n = 0;
  if (container_diff (g->root, argv[optind], &changes, &n, &err) < 0)
    return cli_fail (&err);
  print_changes (changes, n, json);
  workspace_changes_free (changes, n);
  return 0;
}
