#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/utils.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
cli_parse_create_flags (struct cli *g, const char *verb, int argc, char **argv, struct create_options *o,
                        struct profile_request *pr, bool *detach, bool allow_detach)
{
  enum
  {
    O_PIDFILE = 1000,
    O_CONSOLE,
    O_NOPIVOT,
    O_NOKEYRING,
    O_PRESERVE,
    O_WORKSPACE,
    O_ENVPASS,
    O_NOSUBREAPER,
    O_KEEP
  };
  static const struct option opts[] = {
    { "bundle", required_argument, 0, 'b' },
    { "pid-file", required_argument, 0, O_PIDFILE },
    { "console-socket", required_argument, 0, O_CONSOLE },
    { "no-pivot", no_argument, 0, O_NOPIVOT },
    { "no-new-keyring", no_argument, 0, O_NOKEYRING },
    { "preserve-fds", required_argument, 0, O_PRESERVE },
    { "workspace", required_argument, 0, O_WORKSPACE },
    { "env-pass", required_argument, 0, O_ENVPASS },
    { "detach", no_argument, 0, 'd' },
    { "no-subreaper", no_argument, 0, O_NOSUBREAPER },
    { "keep", no_argument, 0, O_KEEP },
    { 0, 0, 0, 0 },
  };
  memset (o, 0, sizeof *o);
  memset (pr, 0, sizeof *pr);
  o->root = g->root;
  o->bundle = ".";
  o->cgroup_manager = g->cgroup_manager;
  o->rootless = g->rootless;
  pr->rootless = g->rootless;
  pr->caller_uid = geteuid ();
  pr->caller_gid = getegid ();
  o->config = &g->config;
  o->caller_env = g->environ;
  o->profile = pr;
  pr->operator_profile = g->profile;
  pr->operator_source = g->profile_source;
  int c;
  unsigned long long n;
  while ((c = getopt_long (argc, argv, allow_detach ? "+b:d" : "+b:", opts, NULL)) != -1)
    switch (c)
      {
      case 'b': o->bundle = optarg; break;
      case 'd':
        if (!allow_detach)
          return cli_usage (verb, "unknown flag --detach");
        *detach = true;
        break;
      case O_PIDFILE: o->pid_file = optarg; break;
      case O_CONSOLE: o->console_socket = optarg; break;
      case O_NOPIVOT: o->no_pivot = true; break;
      case O_NOKEYRING: o->no_new_keyring = true; break;
      case O_NOSUBREAPER: break;
      case O_KEEP:
        if (!allow_detach)
          return cli_usage (verb, "unknown flag --keep");
        o->keep = true;
        break;
      case O_PRESERVE:
        if (parse_uint64 (optarg, &n) < 0 || n > 1024)
          return cli_usage (verb, "--preserve-fds: invalid number %s", optarg);
        o->preserve_fds = n;
        break;
      case O_WORKSPACE: pr->workspace = optarg; break;
      case O_ENVPASS: pr->env_pass = optarg; break;
      default: return cli_usage (verb, "unknown flag %s", argv[optind - 1]);
      }
  if (cli_need_args (verb, argc, optind, 1, "container id"))
    return 1;
  o->id = argv[optind];
  return 0;
}

int
cmd_create (struct cli *g, int argc, char **argv)
{
  struct create_options o;
  struct profile_request pr;
  bool detach = false;
  if (cli_parse_create_flags (g, "create", argc, argv, &o, &pr, &detach, false))
    return 1;
  struct cr_error err = { 0 };
  pid_t pid;
  if (container_create (&o, &pid, &err) < 0)
    return cli_fail (&err);
  return 0;
}
