#include "config.h"
#include "cli/cli.h"
#include "linux/cgroups/cgroups.h"
#include "core/container.h"

int cli_open_cgroup (struct cli *g, const char *verb, const char *id, struct cgroup_manager **m,
                     enum container_status *status, struct cr_error *err);

static int
set_frozen (struct cli *g, const char *verb, int argc, char **argv, bool frozen)
{
  if (cli_need_args (verb, argc, 1, 1, "container id"))
    return 1;
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  enum container_status status;
  if (cli_open_cgroup (g, verb, argv[1], &m, &status, &err) < 0)
    return cli_fail (&err);
  int r = 0;
  if (frozen && status != STATUS_RUNNING)
    r = cr_fail (&err, 0, "pause %s: container is %s, not running", argv[1], container_status_name (status));
  else if (!frozen && status != STATUS_PAUSED)
    r = cr_fail (&err, 0, "resume %s: container is %s, not paused", argv[1], container_status_name (status));
  else
    r = cgroup_freeze (m, frozen, &err);
  cgroup_manager_free (m);
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
