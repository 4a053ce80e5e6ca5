#include "config.h"
#include "cli/cli.h"
#include "base/utils.h"

#include <string.h>

int
cmd_profile (struct cli *g, int argc, char **argv)
{
  if (argc != 3 || strcmp (argv[1], "show") != 0)
    return cli_usage ("profile", "expected: profile show NAME");
  struct cr_error err = { 0 };
  _cleanup_free_ char *text = NULL;
  if (profile_describe (argv[2], &text, &err) < 0)
    return cli_fail (&err);
  fputs (text, stdout);
  return 0;
}
