#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/signals.h"

#include <getopt.h>
#include <signal.h>

int
cmd_kill (struct cli *g, int argc, char **argv)
{
  static const struct option opts[] = { { "all", no_argument, 0, 'a' }, { 0, 0, 0, 0 } };
  bool all = false;
  int c;
  while ((c = getopt_long (argc, argv, "+a", opts, NULL)) != -1)
    if (c == 'a')
      all = true;
    else
      return cli_usage ("kill", "unknown flag %s", argv[optind - 1]);
  if (argc - optind < 1 || argc - optind > 2)
    return cli_usage ("kill", "expected a container id and an optional signal");
  struct cr_error err = { 0 };
  int sig = SIGTERM;
  if (argc - optind == 2 && signal_parse (argv[optind + 1], &sig, &err) < 0)
    return cli_fail (&err);
  if (container_kill (g->root, argv[optind], sig, all, &err) < 0)
    return cli_fail (&err);
  return 0;
}
