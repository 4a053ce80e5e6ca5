#include "config.h"
#include "cli/cli.h"
#include "linux/cgroups/cgroups.h"
#include "core/container.h"
#include "base/utils.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>

int cli_open_cgroup (struct cli *g, const char *verb, const char *id, struct cgroup_manager **m,
                     enum container_status *status, struct cr_error *err);

static int
print_stats (struct cgroup_manager *m, const char *id, struct cr_error *err)
{
  _cleanup_free_ char *json = NULL;
  if (cgroup_stats_json (m, &json, err) < 0)
    return -1;
  printf ("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, json);
  fflush (stdout);
  return 0;
}

int
cmd_events (struct cli *g, int argc, char **argv)
{
  static const struct option opts[] = { { "stats", no_argument, 0, 's' },
                                        { "interval", required_argument, 0, 'i' },
                                        { 0, 0, 0, 0 } };
  bool stats_once = false;
  int interval_ms = 5000;
  int c;
  while ((c = getopt_long (argc, argv, "+", opts, NULL)) != -1)
    if (c == 's')
      stats_once = true;
    else if (c == 'i')
      {
        char *end;
        double d = strtod (optarg, &end);
        if (d <= 0 || (*end && strcmp (end, "s") && strcmp (end, "ms")))
          return cli_usage ("events", "--interval: invalid duration %s", optarg);
        interval_ms = strcmp (end, "ms") == 0 ? (int) d : (int) (d * 1000);
      }
    else
      return cli_usage ("events", "unknown flag %s", argv[optind - 1]);
  if (cli_need_args ("events", argc, optind, 1, "container id"))
    return 1;
  const char *id = argv[optind];
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  enum container_status status;
  if (cli_open_cgroup (g, "events", id, &m, &status, &err) < 0)
    return cli_fail (&err);
  int r = 0;
  if (stats_once)
    r = print_stats (m, id, &err);
  else
    {
      /* Stats every interval; OOM notifications as soon as the kernel reports them. */
      struct cr_error ignored;
      int oomfd = cgroup_oom_event_fd (m, &ignored);
      struct pollfd p = { .fd = oomfd, .events = POLLIN };
      while (r == 0)
        {
          int n = poll (&p, oomfd >= 0 ? 1 : 0, interval_ms);
          if (n > 0)
            {
              char buf[256];
              if (read (oomfd, buf, sizeof buf) >= 0)
                printf ("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
            }
          struct container_state *st = NULL;
          if (container_load (g->root, id, &st, &status, &ignored) < 0 || status == STATUS_STOPPED)
            {
              state_free (st);
              break;
            }
          state_free (st);
          r = print_stats (m, id, &err);
        }
      if (oomfd >= 0)
        close (oomfd);
    }
  cgroup_manager_free (m);
  return r < 0 ? cli_fail (&err) : 0;
}
