#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/utils.h"

int
cmd_state (struct cli *g, int argc, char **argv)
{
  if (cli_need_args ("state", argc, 1, 1, "container id"))
    return 1;
  struct cr_error err = { 0 };
  _cleanup_free_ char *json = NULL;
  if (container_state_json (g->root, argv[1], &json, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", json);
  return 0;
}
