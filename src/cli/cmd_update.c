#include "config.h"
#include "cli/cli.h"
#include "linux/cgroups/cgroups.h"
#include "core/container.h"
#include "base/utils.h"

#include <getopt.h>
#include <string.h>

int cli_open_cgroup (struct cli *g, const char *verb, const char *id, struct cgroup_manager **m,
                     enum container_status *status, struct cr_error *err);

static int
flag_int (const char *name, const char *v, long long *out)
{
  char *end;
  *out = strtoll (v, &end, 10);
  if (*v == '\0' || *end != '\0')
    return cli_usage ("update", "%s: invalid number %s", name, v);
  return 0;
}

int
cmd_update (struct cli *g, int argc, char **argv)
{
  enum
  {
    O_RES = 1000,
    O_MEM,
    O_QUOTA,
    O_PERIOD,
    O_SHARES,
    O_CPUS,
    O_MEMS,
    O_PIDS,
    O_BLKIO,
    O_SWAP,
    O_RESERV
  };
  static const struct option opts[] = {
    { "resources", required_argument, 0, 'r' },
    { "memory", required_argument, 0, O_MEM },
    { "cpu-quota", required_argument, 0, O_QUOTA },
    { "cpu-period", required_argument, 0, O_PERIOD },
    { "cpu-shares", required_argument, 0, O_SHARES },
    { "cpuset-cpus", required_argument, 0, O_CPUS },
    { "cpuset-mems", required_argument, 0, O_MEMS },
    { "pids-limit", required_argument, 0, O_PIDS },
    { "blkio-weight", required_argument, 0, O_BLKIO },
    { "memory-swap", required_argument, 0, O_SWAP },
    { "memory-reservation", required_argument, 0, O_RESERV },
    { 0, 0, 0, 0 },
  };
  struct cr_error err = { 0 };
  struct spec_resources *res = xcalloc (1, sizeof *res);
  struct spec_memory mem = { 0 };
  struct spec_cpu cpu = { 0 };
  struct spec_blkio blkio = { 0 };
  const char *res_file = NULL;
  long long v;
  int c;
  while ((c = getopt_long (argc, argv, "+r:", opts, NULL)) != -1)
    {
      if (c != 'r' && c != O_CPUS && c != O_MEMS
          && (c < O_MEM || c > O_RESERV || flag_int (argv[optind - 1], optarg, &v)))
        {
          spec_resources_free (res);
          return c < O_MEM ? cli_usage ("update", "unknown flag %s", argv[optind - 1]) : 1;
        }
      switch (c)
        {
        case 'r': res_file = optarg; break;
        case O_MEM:
          mem.has_limit = true;
          mem.limit = v;
          break;
        case O_SWAP:
          mem.has_swap = true;
          mem.swap = v;
          break;
        case O_RESERV:
          mem.has_reservation = true;
          mem.reservation = v;
          break;
        case O_QUOTA:
          cpu.has_quota = true;
          cpu.quota = v;
          break;
        case O_PERIOD:
          cpu.has_period = true;
          cpu.period = v;
          break;
        case O_SHARES:
          cpu.has_shares = true;
          cpu.shares = v;
          break;
        case O_CPUS: cpu.cpus = optarg; break;
        case O_MEMS: cpu.mems = optarg; break;
        case O_PIDS:
          res->has_pids_limit = true;
          res->pids_limit = v;
          break;
        case O_BLKIO:
          blkio.has_weight = true;
          blkio.weight = v;
          break;
        }
    }
  if (cli_need_args ("update", argc, optind, 1, "container id"))
    {
      spec_resources_free (res);
      return 1;
    }
  if (res_file)
    {
      _cleanup_free_ char *data = NULL;
      size_t len;
      int r = strcmp (res_file, "-") == 0 ? read_all_fd (0, "stdin", &data, &len, &err)
                                          : read_file (res_file, &data, &len, &err);
      spec_resources_free (res);
      res = NULL;
      if (r < 0 || (res = spec_parse_resources_data (data, len, &err)) == NULL)
        return cli_fail (&err);
    }
  else
    {
      /* Flags fill borrowed structs: detach them before freeing. */
      res->memory = (mem.has_limit || mem.has_swap || mem.has_reservation) ? &mem : NULL;
      res->cpu = (cpu.has_quota || cpu.has_period || cpu.has_shares || cpu.cpus || cpu.mems) ? &cpu : NULL;
      res->block_io = blkio.has_weight ? &blkio : NULL;
    }
  struct cgroup_manager *m = NULL;
  enum container_status status;
  int r = cli_open_cgroup (g, "update", argv[optind], &m, &status, &err);
  if (r == 0 && status == STATUS_STOPPED)
    r = cr_fail (&err, 0, "update %s: container is stopped", argv[optind]);
  if (r == 0)
    r = cgroup_update (m, res, &err);
  if (m)
    cgroup_manager_free (m);
  if (res_file)
    spec_resources_free (res);
  else
    free (res);
  return r < 0 ? cli_fail (&err) : 0;
}
