#include "config.h"
#include "cli/cli.h"
#include "core/container_ops.h"
#include "base/utils.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <string.h>

static int
print_stats (struct container_events *ev, const char *id, struct cr_error *err)
{
  struct oci_stats st;
  if (container_events_stats (ev, &st, err) < 0)
    return -1;
  _cleanup_free_ char *json = oci_stats_to_json (&st);
  oci_stats_clear (&st);
  printf ("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, json);
  fflush (stdout);
  return 0;
}

/* Stats every interval; OOM notifications as soon as the kernel reports them. */
static int
watch (struct container_events *ev, const char *id, int interval_ms, struct cr_error *err)
{
  int r = 0;
  int oomfd = container_events_oom_fd (ev);
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
      if (!container_events_alive (ev))
        break;
      r = print_stats (ev, id, err);
    }
  if (oomfd >= 0)
    close (oomfd);
  return r;
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
  _cleanup_container_events_ struct container_events *ev = NULL;
  if (container_events_open (g->root, id, &ev, &err) < 0)
    return cli_fail (&err);
  int r = stats_once ? print_stats (ev, id, &err) : watch (ev, id, interval_ms, &err);
  return r < 0 ? cli_fail (&err) : 0;
}
