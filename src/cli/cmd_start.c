#include "config.h"
#include "cli/cli.h"
#include "core/container.h"

int
cmd_start (struct cli *g, int argc, char **argv)
{
  if (cli_need_args ("start", argc, 1, 1, "container id"))
    return 1;
  struct cr_error err = { 0 };
  if (container_start (g->root, argv[1], &err) < 0)
    return cli_fail (&err);
  return 0;
}
