#include "config.h"
#include "cli/cli.h"
#include "linux/cgroups/cgroups.h"
#include "core/container.h"
#include "core/state.h"
#include "base/utils.h"

#include <getopt.h>
#include <string.h>

/* pause, resume, ps, update and events all act on the container's cgroup. */
int cli_open_cgroup (struct cli *g, const char *verb, const char *id, struct cgroup_manager **m,
                     enum container_status *status, struct cr_error *err);

int
cli_open_cgroup (struct cli *g, const char *verb, const char *id, struct cgroup_manager **m,
                 enum container_status *status, struct cr_error *err)
{
  struct container_state *st = NULL;
  if (container_load (g->root, id, &st, status, err) < 0)
    return -1;
  int r = 0;
  if (st->cgroup_path == NULL)
    r = cr_fail (err, 0, "%s %s: the container has no cgroup", verb, id);
  else
    r = cgroup_open (st->cgroup_root, st->cgroup_path, m, err);
  state_free (st);
  return r;
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
  struct cgroup_manager *m = NULL;
  enum container_status status;
  if (cli_open_cgroup (g, "ps", argv[optind], &m, &status, &err) < 0)
    return cli_fail (&err);
  pid_t *pids = NULL;
  size_t n = 0;
  int r = cgroup_pids (m, &pids, &n, &err);
  cgroup_manager_free (m);
  if (r < 0)
    return cli_fail (&err);
  /* An exited process stays in cgroup.procs until it is reaped: it is not
     one of the container's processes any more. */
  size_t live = 0;
  for (size_t i = 0; i < n; i++)
    if (state_pid_alive (pids[i], 0))
      pids[live++] = pids[i];
  n = live;
  if (json)
    {
      printf ("[");
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      printf ("]\n");
    }
  else
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
  free (pids);
  return 0;
}
