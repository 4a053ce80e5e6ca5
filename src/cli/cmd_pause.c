#include "config.h"
#include "cli/cli.h"
#include "core/container_ops.h"

static int
set_frozen (struct cli *g, const char *verb, int argc, char **argv, bool frozen)
{
  if (cli_need_args (verb, argc, 1, 1, "container id"))
    return 1;
  struct cr_error err = { 0 };
  int r = frozen ? container_pause (g->root, argv[1], &err) : container_resume (g->root, argv[1], &err);
  return r < 0 ? cli_fail (&err) : 0;
}

int
cmd_pause (struct cli *g, int argc, char **argv)
{
  return set_frozen (g, "pause", argc, argv, true);
}

int
cmd_resume (struct cli *g, int argc, char **argv)
{
  return set_frozen (g, "resume", argc, argv, false);
}
