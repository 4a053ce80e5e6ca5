#include "config.h"
#include "cli/cli.h"
#include "features_json.h"
#include "base/utils.h"

int
cmd_features (struct cli *g, int argc, char **argv)
{
  if (cli_need_args ("features", argc, 1, 0, ""))
    return 1;
  _cleanup_free_ char *json = features_to_json ();
  printf ("%s\n", json);
  return 0;
}
