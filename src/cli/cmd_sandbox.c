/* `cellrun sandbox [flags] [--] CMD [ARGS...]` (docs/sandbox.md): parse the
   flags, hand them to core/sandbox.c. Bad input: one line, exit 125. */
#include "config.h"
#include "cli/cli.h"
#include "core/sandbox.h"
#include "policy/workspace.h"
#include "base/log.h"
#include "base/utils.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sandbox_cli
{
  struct sandbox_flags f;
  struct sandbox_options o;
  char **env;
  size_t env_len;
  bool overlay; /* the --workspace is an overlay */
};

static int
bad (const struct cr_error *err)
{
  log_error ("sandbox: %s", err->msg);
  return SANDBOX_EXIT_SETUP;
}

static void
add_mount (struct sandbox_cli *s, const struct sandbox_mount *m)
{
  s->f.mounts = xrealloc (s->f.mounts, (s->f.mounts_len + 1) * sizeof *m);
  s->f.mounts[s->f.mounts_len++] = *m;
}

static int
parse_positive (const char *flag, const char *value, int64_t *out, bool bytes, struct cr_error *err)
{
  unsigned long long v;
  int r = bytes ? parse_byte_size (value, &v) : parse_uint64 (value, &v);
  if (r < 0 || v == 0 || v > INT64_MAX)
    return cr_invalid (err, "%s %s: expected a positive %s", flag, value, bytes ? "size (e.g. 64M)" : "number");
  *out = (int64_t) v;
  return 0;
}

enum
{
  O_ROOTFS = 1000,
  O_WORKSPACE,
  O_BIND,
  O_RO_BIND,
  O_TMPFS,
  O_PROFILE,
  O_NETWORK,
  O_MEMORY,
  O_CPUS,
  O_PIDS,
  O_RLIMIT,
  O_TIMEOUT,
  O_ENV,
  O_ENV_PASS,
  O_CWD,
  O_USER,
  O_HOSTNAME,
  O_RESULT,
  O_COLLECT,
  O_DIFF,
  O_COMMIT,
  O_PRINT_SPEC,
  O_REQUIRE_LIMITS,
};

/* One flag into S; 0 or a negative code with ERR filled. */
static int
parse_one (struct sandbox_cli *s, int c, const char *arg, struct cr_error *err)
{
  struct sandbox_mount m;
  int r = 0;
  switch (c)
    {
    case O_ROOTFS: s->f.rootfs = arg; break;
    case O_WORKSPACE:
      {
        struct workspace_request w = { 0 };
        if ((r = workspace_parse (arg, &w, err)) < 0)
          return cr_wrap (err, "--workspace");
        free ((char *) s->f.workspace_ct);
        s->f.workspace_ct = xstrdup (w.container_path);
        s->overlay = strcmp (w.mode, "overlay") == 0;
        workspace_request_clear (&w);
        s->o.workspace = arg;
        break;
      }
    case O_BIND:
    case O_RO_BIND:
    case O_TMPFS:
      r = sandbox_parse_mount (c == O_BIND      ? SANDBOX_BIND
                               : c == O_RO_BIND ? SANDBOX_RO_BIND
                                                : SANDBOX_TMPFS,
                               arg, &m, err);
      if (r == 0)
        add_mount (s, &m);
      break;
    case O_PROFILE: s->f.profile = arg; break;
    case O_NETWORK:
      if (strcmp (arg, "none") != 0 && strcmp (arg, "host") != 0)
        return cr_invalid (err, "--network %s: expected none or host", arg);
      s->f.network_host = strcmp (arg, "host") == 0;
      break;
    case O_MEMORY: r = parse_positive ("--memory", arg, &s->f.memory, true, err), s->f.has_memory = true; break;
    case O_PIDS: r = parse_positive ("--pids", arg, &s->f.pids, false, err), s->f.has_pids = true; break;
    case O_CPUS: r = sandbox_parse_cpus (arg, &s->f.cpu_millis, err), s->f.has_cpus = true; break;
    case O_RLIMIT:
      s->f.rlimits = xrealloc (s->f.rlimits, (s->f.rlimits_len + 1) * sizeof *s->f.rlimits);
      if ((r = sandbox_parse_rlimit (arg, &s->f.rlimits[s->f.rlimits_len], err)) == 0)
        s->f.rlimits_len++;
      break;
    case O_TIMEOUT: r = sandbox_parse_timeout (arg, &s->o.timeout_ms, err); break;
    case O_ENV:
      if (strchr (arg, '=') == NULL || arg[0] == '=')
        return cr_invalid (err, "--env %s: expected K=V", arg);
      s->env = xrealloc (s->env, (s->env_len + 2) * sizeof (char *));
      s->env[s->env_len++] = xstrdup (arg);
      s->env[s->env_len] = NULL;
      break;
    case O_ENV_PASS: s->o.env_pass = arg; break;
    case O_CWD: s->f.cwd = arg; break;
    case O_USER: r = sandbox_parse_user (arg, &s->f.uid, &s->f.gid, err); break;
    case O_HOSTNAME: s->f.hostname = arg; break;
    case O_RESULT: s->o.result_path = arg; break;
    case O_COLLECT:
      s->o.collect = xrealloc (s->o.collect, (s->o.collect_len + 1) * sizeof *s->o.collect);
      if ((r = sandbox_parse_collect (arg, &s->o.collect[s->o.collect_len], err)) == 0)
        s->o.collect_len++;
      break;
    case O_DIFF: s->o.diff = true; break;
    case O_COMMIT: s->o.commit = true; break;
    case O_PRINT_SPEC: s->o.print_spec = true; break;
    case O_REQUIRE_LIMITS: s->o.require_limits = true; break;
    case 't': s->f.terminal = true; break;
    default: return cr_invalid (err, "unknown flag");
    }
  return r;
}

static int
parse_flags (struct sandbox_cli *s, int argc, char **argv, struct cr_error *err)
{
  static const struct option opts[] = {
    { "rootfs", required_argument, 0, O_ROOTFS },
    { "workspace", required_argument, 0, O_WORKSPACE },
    { "bind", required_argument, 0, O_BIND },
    { "ro-bind", required_argument, 0, O_RO_BIND },
    { "tmpfs", required_argument, 0, O_TMPFS },
    { "profile", required_argument, 0, O_PROFILE },
    { "network", required_argument, 0, O_NETWORK },
    { "memory", required_argument, 0, O_MEMORY },
    { "cpus", required_argument, 0, O_CPUS },
    { "pids", required_argument, 0, O_PIDS },
    { "rlimit", required_argument, 0, O_RLIMIT },
    { "timeout", required_argument, 0, O_TIMEOUT },
    { "env", required_argument, 0, O_ENV },
    { "env-pass", required_argument, 0, O_ENV_PASS },
    { "cwd", required_argument, 0, O_CWD },
    { "user", required_argument, 0, O_USER },
    { "hostname", required_argument, 0, O_HOSTNAME },
    { "result", required_argument, 0, O_RESULT },
    { "collect", required_argument, 0, O_COLLECT },
    { "diff", no_argument, 0, O_DIFF },
    { "commit", no_argument, 0, O_COMMIT },
    { "print-spec", no_argument, 0, O_PRINT_SPEC },
    { "require-limits", no_argument, 0, O_REQUIRE_LIMITS },
    { "tty", no_argument, 0, 't' },
    { 0, 0, 0, 0 },
  };
  int c;
  while ((c = getopt_long (argc, argv, "+:t", opts, NULL)) != -1)
    {
      if (c == '?')
        return cr_invalid (err, "unknown flag %s", argv[optind - 1]);
      if (c == ':')
        return cr_invalid (err, "flag %s needs a value", argv[optind - 1]);
      int r = parse_one (s, c, optarg, err);
      if (r < 0)
        return r;
    }
  if (optind >= argc)
    return cr_invalid (err, "missing CMD (cellrun sandbox [flags] [--] CMD [ARGS...])");
  if ((s->o.diff || s->o.commit) && !s->overlay)
    return cr_invalid (err, "--diff/--commit need an overlay --workspace");
  s->f.args = argv + optind;
  s->f.env = s->env;
  return 0;
}

int
cmd_sandbox (struct cli *g, int argc, char **argv)
{
  struct sandbox_cli s = { 0 };
  /* Rootless, the caller is container id 0 of a single mapping: that is
     the default then (docs/sandbox.md, "Unprivileged use"). */
  s.f.uid = g->rootless ? 0 : getuid ();
  s.f.gid = g->rootless ? 0 : getgid ();
  s.o.rootless = g->rootless;
  s.o.flags = &s.f;
  s.o.operator_profile = g->profile;
  s.o.operator_source = g->profile_source;
  s.o.config = &g->config;
  s.o.caller_env = g->environ;
  s.o.cgroup_manager = g->cgroup_manager;
  struct cr_error err = { 0 };
  int r = parse_flags (&s, argc, argv, &err) < 0 ? bad (&err) : sandbox_run (&s.o);
  for (size_t i = 0; i < s.f.mounts_len; i++)
    sandbox_mount_clear (&s.f.mounts[i]);
  free (s.f.mounts);
  for (size_t i = 0; i < s.f.rlimits_len; i++)
    free (s.f.rlimits[i].type);
  free (s.f.rlimits);
  for (size_t i = 0; i < s.o.collect_len; i++)
    sandbox_collect_clear (&s.o.collect[i]);
  free (s.o.collect);
  free ((char *) s.f.workspace_ct);
  cr_strvfreep (&s.env);
  return r;
}
