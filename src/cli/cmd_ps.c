#include "config.h"
#include "cli/cli.h"
#include "core/container_ops.h"
#include "base/utils.h"

#include <getopt.h>
#include <string.h>

static void
print_table (const pid_t *pids, size_t n)
{
  printf ("%-8s %s\n", "PID", "CMD");
  for (size_t i = 0; i < n; i++)
    {
      char path[64], cmd[256] = "";
      snprintf (path, sizeof path, "/proc/%d/comm", (int) pids[i]);
      FILE *f = fopen (path, "re");
      if (f)
        {
          if (fgets (cmd, sizeof cmd, f))
            cmd[strcspn (cmd, "\n")] = '\0';
          fclose (f);
        }
      printf ("%-8d %s\n", (int) pids[i], cmd);
    }
}

int
cmd_ps (struct cli *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, 0, 'f' }, { 0, 0, 0, 0 } };
  bool json = false;
  int c;
  while ((c = getopt_long (argc, argv, "+f:", opts, NULL)) != -1)
    if (c == 'f' && (strcmp (optarg, "json") == 0 || strcmp (optarg, "table") == 0))
      json = strcmp (optarg, "json") == 0;
    else
      return cli_usage ("ps", "invalid flag or format (want --format table|json)");
  if (argc - optind < 1)
    return cli_usage ("ps", "missing container id");
  struct cr_error err = { 0 };
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (container_ps (g->root, argv[optind], &pids, &n, &err) < 0)
    return cli_fail (&err);
  if (json)
    {
      printf ("[");
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      printf ("]\n");
    }
  else
    print_table (pids, n);
  return 0;
}
