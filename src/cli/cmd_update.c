#include "config.h"
#include "cli/cli.h"
#include "core/container_ops.h"
#include "base/utils.h"

#include <getopt.h>
#include <string.h>

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

/* What the flags ask for: borrowed sub-structs that RES points at once
   parsing is done (nothing here is heap-allocated except via -r). */
struct update_flags
{
  struct spec_resources res;
  struct spec_memory mem;
  struct spec_cpu cpu;
  struct spec_blkio blkio;
  const char *res_file;
};

static int
flag_int (const char *name, const char *v, long long *out)
{
  char *end;
  *out = strtoll (v, &end, 10);
  if (*v == '\0' || *end != '\0')
    return cli_usage ("update", "%s: invalid number %s", name, v);
  return 0;
}

/* Store one parsed flag C (numeric value V, text OPTARG) in F. */
static void
set_flag (struct update_flags *f, int c, long long v)
{
  switch (c)
    {
    case 'r': f->res_file = optarg; break;
    case O_MEM:
      f->mem.has_limit = true;
      f->mem.limit = v;
      break;
    case O_SWAP:
      f->mem.has_swap = true;
      f->mem.swap = v;
      break;
    case O_RESERV:
      f->mem.has_reservation = true;
      f->mem.reservation = v;
      break;
    case O_QUOTA:
      f->cpu.has_quota = true;
      f->cpu.quota = v;
      break;
    case O_PERIOD:
      f->cpu.has_period = true;
      f->cpu.period = v;
      break;
    case O_SHARES:
      f->cpu.has_shares = true;
      f->cpu.shares = v;
      break;
    case O_CPUS: f->cpu.cpus = optarg; break;
    case O_MEMS: f->cpu.mems = optarg; break;
    case O_PIDS:
      f->res.has_pids_limit = true;
      f->res.pids_limit = v;
      break;
    case O_BLKIO:
      f->blkio.has_weight = true;
      f->blkio.weight = v;
      break;
    }
}

/* getopt loop; 0, or the exit code of a usage error. */
static int
parse_flags (int argc, char **argv, struct update_flags *f)
{
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
  long long v = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+r:", opts, NULL)) != -1)
    {
      if (c != 'r' && c != O_CPUS && c != O_MEMS
          && (c < O_MEM || c > O_RESERV || flag_int (argv[optind - 1], optarg, &v)))
        return c < O_MEM ? cli_usage ("update", "unknown flag %s", argv[optind - 1]) : 1;
      set_flag (f, c, v);
    }
  if (cli_need_args ("update", argc, optind, 1, "container id"))
    return 1;
  /* Point the resources at the sub-structs the flags filled. */
  struct spec_memory *mem = &f->mem;
  struct spec_cpu *cpu = &f->cpu;
  f->res.memory = (mem->has_limit || mem->has_swap || mem->has_reservation) ? mem : NULL;
  f->res.cpu = (cpu->has_quota || cpu->has_period || cpu->has_shares || cpu->cpus || cpu->mems) ? cpu : NULL;
  f->res.block_io = f->blkio.has_weight ? &f->blkio : NULL;
  return 0;
}

/* -r FILE (or - for stdin): a linux.resources document replaces the flags. */
static struct spec_resources *
read_resources (const char *file, struct cr_error *err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  int r = strcmp (file, "-") == 0 ? read_all_fd (0, "stdin", &data, &len, err) : read_file (file, &data, &len, err);
  if (r < 0)
    return NULL;
  return spec_parse_resources_data (data, len, err);
}

int
cmd_update (struct cli *g, int argc, char **argv)
{
  struct update_flags f = { 0 };
  int rc = parse_flags (argc, argv, &f);
  if (rc)
    return rc;
  struct cr_error err = { 0 };
  _cleanup_spec_resources_ struct spec_resources *parsed = NULL;
  if (f.res_file && (parsed = read_resources (f.res_file, &err)) == NULL)
    return cli_fail (&err);
  if (container_update (g->root, argv[optind], parsed ? parsed : &f.res, &err) < 0)
    return cli_fail (&err);
  return 0;
}
