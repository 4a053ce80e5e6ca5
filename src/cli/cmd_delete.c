#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/utils.h"

#include <getopt.h>
#include <stdio.h>

int
cmd_delete (struct cli *g, int argc, char **argv)
{
  enum
  {
    O_KEEP = 1000
  };
  static const struct option opts[] = { { "force", no_argument, 0, 'f' },
                                        { "keep-workspace", no_argument, 0, O_KEEP },
                                        { 0, 0, 0, 0 } };
  bool force = false, keep = false;
  int c;
  while ((c = getopt_long (argc, argv, "+f", opts, NULL)) != -1)
    if (c == 'f')
      force = true;
    else if (c == O_KEEP)
      keep = true;
    else
      return cli_usage ("delete", "unknown flag %s", argv[optind - 1]);
  if (cli_need_args ("delete", argc, optind, 1, "container id"))
    return 1;
  struct cr_error err = { 0 };
  _cleanup_free_ char *kept = NULL;
  if (container_delete (g->root, argv[optind], force, keep ? &kept : NULL, &err) < 0)
    return cli_fail (&err);
  if (kept)
    printf ("%s\n", kept);
  return 0;
}
