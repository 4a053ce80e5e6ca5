#include "config.h"
#include "cli/cli.h"
#include "core/runtime.h"
#include "core/sandbox.h"
#include "core/state.h"
#include "base/log.h"
#include "policy/profile_select.h"
#include "base/utils.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

struct verb
{
  const char *name;
  int (*fn) (struct cli *, int, char **);
  const char *usage;
  const char *summary;
};

static const struct verb verbs[] = {
  { "create", cmd_create,
    "create [-b DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--no-new-keyring] [--preserve-fds N] "
    "[--workspace H:C[:MODE]] [--env-pass POLICY] ID",
    "create a container; its process waits for start" },
  { "start", cmd_start, "start ID", "run the user process of a created container" },
  { "state", cmd_state, "state ID", "print the state of a container as JSON" },
  { "kill", cmd_kill, "kill [-a|--all] ID [SIGNAL]", "send a signal (default SIGTERM) to a container" },
  { "delete", cmd_delete, "delete [-f|--force] [--keep-workspace] ID", "delete a stopped container" },
  { "run", cmd_run, "run [-d|--detach] [--keep] [create flags] ID", "create and start a container" },
  { "exec", cmd_exec,
    "exec [-p FILE] [-t] [--console-socket S] [-d] [--pid-file F] [-e K=V]... [--cwd DIR] [-u UID[:GID]] [-g GID]... "
    "[-c CAP]... [--no-new-privs] [--preserve-fds N] [--env-pass POLICY] ID [CMD [ARG...]]",
    "run a new process inside a container" },
  { "list", cmd_list, "list [-q] [--format table|json]", "list containers" },
  { "ps", cmd_ps, "ps [--format table|json] ID", "list the processes of a container" },
  { "pause", cmd_pause, "pause ID", "freeze every process of a container" },
  { "resume", cmd_resume, "resume ID", "thaw a paused container" },
  { "update", cmd_update,
    "update [--resources FILE|-] [--memory N] [--cpu-quota N] [--cpu-period N] [--cpu-shares N] [--cpuset-cpus S] "
    "[--pids-limit N] [--blkio-weight N] ID",
    "change the resource limits of a container" },
  { "events", cmd_events, "events [--stats] [--interval D] ID", "print container statistics and OOM events" },
  { "features", cmd_features, "features", "print the features this runtime implements (JSON)" },
  { "spec", cmd_spec, "spec [-b|--bundle DIR] [--rootless]", "write a default config.json" },
  { "diff", cmd_diff, "diff [--format text|json] ID", "list changes in an overlay workspace" },
  { "commit", cmd_commit, "commit [--dry-run] ID", "apply an overlay workspace's changes to the host directory" },
  { "profile", cmd_profile, "profile show NAME", "describe an isolation profile" },
  { "sandbox", cmd_sandbox,
    "sandbox [--rootfs DIR] [--workspace H:C[:MODE]] [--bind S[:D]] [--ro-bind S[:D]] [--tmpfs D[:SIZE]] "
    "[--profile strict|balanced] [--network none|host] [--memory SIZE] [--cpus N] [--pids N] [--rlimit NAME=S[:H]] "
    "[--timeout SECONDS] [--env K=V] [--env-pass POLICY] [--cwd DIR] [--user UID[:GID]] [--hostname NAME] "
    "[--result FILE|-] [--collect CT[:HOST]] [--diff] [--commit] [--require-limits] [-t] [--print-spec] [--] CMD "
    "[ARG...]",
    "run one command in a throw-away sandbox, no bundle needed" },
};

static const struct verb *
find_verb (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (verbs); i++)
    if (strcmp (verbs[i].name, name) == 0)
      return &verbs[i];
  return NULL;
}

void
cli_print_verb_help (const char *name)
{
  const struct verb *v = find_verb (name);
  if (v)
    printf ("Usage: cellrun [global flags] %s\n\n%s\n", v->usage, v->summary);
}

static void
print_help (void)
{
  printf ("Usage: cellrun [global flags] VERB [flags] [args]\n\n"
          "An OCI container runtime with isolation profiles.\n\nVerbs:\n");
  for (size_t i = 0; i < ARRAY_SIZE (verbs); i++)
    printf ("  %-10s %s\n", verbs[i].name, verbs[i].summary);
  printf ("\nGlobal flags:\n"
          "  --root DIR            state directory (default /run/cellrun; rootless: $XDG_RUNTIME_DIR/cellrun)\n"
          "  --rootless MODE       auto (default: detected), true or false (docs/rootless.md)\n"
          "  --log FILE            also write log messages to FILE\n"
          "  --log-format FORMAT   text or json\n"
          "  --debug               print debug messages\n"
          "  --systemd-cgroup      treat cgroupsPath as slice:prefix:name\n"
          "  --cgroup-manager M    cgroupfs (default), systemd, or disabled (no cgroups)\n"
          "  --profile NAME        operator isolation profile (strict, balanced)\n"
          "  --config FILE         config file (default " CELLRUN_DEFAULT_CONFIG ")\n"
          "  --version             print the version\n"
          "  --help                this text; `cellrun help VERB` for a verb\n");
}

static void
print_version (void)
{
#ifdef HAVE_SYSTEMD_SD_BUS_H
#define SYSTEMD_FEATURE " +SYSTEMD"
#else
#define SYSTEMD_FEATURE " -SYSTEMD"
#endif
  printf ("cellrun version %s\nspec: %s\n+SECCOMP +CAP +CGROUPV1 +CGROUPV2 +PROFILES +OVERLAY-WORKSPACE" SYSTEMD_FEATURE
          "\n",
          PACKAGE_VERSION, OCI_VERSION);
}

int
cli_fail (const struct cr_error *err)
{
  log_cr_error (err);
  return 1;
}

int
cli_usage (const char *verb, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  log_error ("%s: %s", verb, msg);
  const struct verb *v = find_verb (verb);
  if (v)
    fprintf (stderr, "Usage: cellrun %s\n", v->usage);
  return 1;
}

int
cli_need_args (const char *verb, int argc, int optind, int n, const char *names)
{
  if (argc - optind != n)
    return cli_usage (verb, "%s %s", argc - optind < n ? "missing" : "too many arguments, expected", names);
  return 0;
}

/* Parse the global flags into G up to the verb; returns -1 to go on, or the
   exit status (--help, --version, a bad flag). */
static int
parse_rootless (struct cli *g, const char *value)
{
  if (strcmp (value, "true") == 0)
    g->rootless = true;
  else if (strcmp (value, "false") == 0)
    g->rootless = false;
  else if (strcmp (value, "auto") == 0)
    g->rootless = runtime_detect_rootless ();
  else
    {
      log_init (NULL, NULL, false, NULL);
      log_error ("--rootless: unknown value %s (want auto, true or false)", value);
      return 1;
    }
  return -1;
}

static int
parse_global_flags (struct cli *g, int argc, char **argv, const char **profile_flag)
{
  enum
  {
    OPT_ROOT = 1000,
    OPT_LOG,
    OPT_LOG_FORMAT,
    OPT_DEBUG,
    OPT_SYSTEMD,
    OPT_PROFILE,
    OPT_CONFIG,
    OPT_VERSION,
    OPT_HELP,
    OPT_CRIU,
    OPT_ROOTLESS,
    OPT_CGROUP_MANAGER
  };
  static const struct option opts[] = {
    { "root", required_argument, 0, OPT_ROOT },
    { "log", required_argument, 0, OPT_LOG },
    { "log-format", required_argument, 0, OPT_LOG_FORMAT },
    { "debug", no_argument, 0, OPT_DEBUG },
    { "systemd-cgroup", no_argument, 0, OPT_SYSTEMD },
    { "profile", required_argument, 0, OPT_PROFILE },
    { "config", required_argument, 0, OPT_CONFIG },
    { "version", no_argument, 0, OPT_VERSION },
    { "help", no_argument, 0, OPT_HELP },
    { "criu", required_argument, 0, OPT_CRIU },
    { "rootless", required_argument, 0, OPT_ROOTLESS },
    { "cgroup-manager", required_argument, 0, OPT_CGROUP_MANAGER },
    { 0, 0, 0, 0 },
  };
  int c;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vh", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT: g->root = optarg; break;
      case OPT_LOG: g->log_file = optarg; break;
      case OPT_LOG_FORMAT: g->log_format = optarg; break;
      case OPT_DEBUG: g->debug = true; break;
      case OPT_SYSTEMD:
        if (g->cgroup_manager != CGROUP_MANAGER_DISABLED)
          g->cgroup_manager = CGROUP_MANAGER_SYSTEMD;
        break;
      case OPT_PROFILE: *profile_flag = optarg; break;
      case OPT_CONFIG: g->config_path = optarg; break;
      case OPT_CRIU: break; /* accepted for runc compatibility */
      case OPT_ROOTLESS:
        if (parse_rootless (g, optarg) >= 0)
          return 1;
        break;
      case OPT_CGROUP_MANAGER:
        if (strcmp (optarg, "disabled") == 0)
          g->cgroup_manager = CGROUP_MANAGER_DISABLED;
        else if (strcmp (optarg, "systemd") == 0)
          g->cgroup_manager = g->cgroup_manager == CGROUP_MANAGER_DISABLED ? g->cgroup_manager : CGROUP_MANAGER_SYSTEMD;
        else if (strcmp (optarg, "cgroupfs") != 0)
          {
            log_init (NULL, NULL, false, NULL);
            log_error ("--cgroup-manager: unknown manager %s (want cgroupfs, systemd or disabled)", optarg);
            return 1;
          }
        break;
      case 'v':
      case OPT_VERSION: print_version (); return 0;
      case 'h':
      case OPT_HELP: print_help (); return 0;
      default:
        log_init (NULL, NULL, false, NULL);
        log_error ("unknown global flag %s (see cellrun --help)", argv[optind - 1]);
        return 1;
      }
  return -1;
}

/* What every verb needs before it runs: the sealed binary for verbs that run
   code inside a container, the config file, the operator's profile. */
static int
prepare_verb (struct cli *g, const char *verb_name, char **argv, const char *profile_flag)
{
  struct cr_error err = { 0 };
  /* Nothing in a container may rewrite this binary via /proc/<pid>/exe:
     `create`/`run`/`exec` choose between the sealed exec trampoline and a
     sealed copy of the runtime once the spec is known.
     `sandbox` always goes through the trampoline (its command is alone in
     a pid namespace of its own): it is never re-executed mid-run. */
  if (strcmp (verb_name, "create") == 0 || strcmp (verb_name, "run") == 0 || strcmp (verb_name, "exec") == 0)
    runtime_protect_later (argv); /* decided with the spec: core/create.c, core/exec.c */
  /* A symlinked --root is resolved once, or refused (core/state.c). */
  /* `sandbox` keeps its state in a private temp dir of its own, not in --root. */
  if (strcmp (verb_name, "spec") != 0 && strcmp (verb_name, "features") != 0 && strcmp (verb_name, "sandbox") != 0)
    {
      if (g->root == NULL)
        {
          bool notice = false;
          if (state_default_root (g->rootless, &g->root_default, &notice, &err) < 0)
            return cli_fail (&err);
          g->root = g->root_default;
          if (notice)
            log_warning ("rootless: no XDG_RUNTIME_DIR or /run/user/%u: state goes to %s", (unsigned) geteuid (),
                         g->root);
        }
      if (state_resolve_root (g->root, &g->root_resolved, &err) < 0)
        return cli_fail (&err);
      if (g->root_resolved)
        g->root = g->root_resolved;
    }
  bool explicit_config = g->config_path != NULL;
  if (!explicit_config)
    g->config_path = CELLRUN_DEFAULT_CONFIG;
  if (config_file_load (g->config_path, explicit_config, &g->config, &err) < 0)
    return cli_fail (&err);
  if (profile_choose_operator (argv[0], profile_flag, g->config.profile, &g->profile, &g->profile_source, &err) < 0)
    return cli_fail (&err);
  return 0;
}

int
main (int argc, char **argv)
{
  /* Internal, not a verb: the sandbox watchdog's cleanup (core/sandbox_watchdog.c). */
  if (argc >= 3 && strcmp (argv[1], "--sandbox-cleanup") == 0)
    sandbox_watchdog_cleanup_main (argc, argv);
  struct cli g = { .environ = environ, .rootless = runtime_detect_rootless () };
  const char *profile_flag = NULL;
  struct cr_error err = { 0 };
  int r = parse_global_flags (&g, argc, argv, &profile_flag);
  if (r >= 0)
    return r;
  if (log_init (g.log_file, g.log_format, g.debug, &err) < 0)
    {
      log_init (NULL, NULL, false, NULL);
      return cli_fail (&err);
    }
  if (optind >= argc)
    {
      print_help ();
      return 1;
    }
  const char *verb_name = argv[optind];
  if (strcmp (verb_name, "help") == 0)
    {
      if (optind + 1 < argc && find_verb (argv[optind + 1]))
        cli_print_verb_help (argv[optind + 1]);
      else
        print_help ();
      return 0;
    }
  const struct verb *v = find_verb (verb_name);
  if (v == NULL)
    {
      log_error ("unknown command %s (see cellrun --help)", verb_name);
      return 1;
    }
  if (prepare_verb (&g, verb_name, argv, profile_flag) != 0)
    return 1;
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  optind = 0; /* each verb runs its own getopt from the start */
  opterr = 0;
  r = v->fn (&g, sub_argc, sub_argv);
  config_file_clear (&g.config);
  free (g.root_resolved);
  free (g.root_default);
  return r;
}
