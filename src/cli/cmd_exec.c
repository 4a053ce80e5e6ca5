#include "config.h"
#include "cli/cli.h"
#include "core/exec.h"
#include "core/runtime.h"
#include "base/utils.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>

/* The flags of `exec`: the request the core builds the process from, and how to start it. */
struct exec_flags
{
  struct exec_request req;
  struct exec_options o;
  const char *user;
  char **env, **gids, **caps;
  size_t env_len, gids_len, caps_len;
  uint32_t *gid_values;
};

static void
strv_append (char ***v, size_t *len, const char *s)
{
  *v = xrealloc (*v, (*len + 2) * sizeof **v);
  (*v)[(*len)++] = xstrdup (s);
  (*v)[*len] = NULL;
}

static int
parse_user (const char *s, struct exec_request *r)
{
  unsigned long long uid, gid;
  _cleanup_free_ char *copy = xstrdup (s);
  char *colon = strchr (copy, ':');
  if (colon)
    *colon = '\0';
  if (parse_uint64 (copy, &uid) < 0 || uid > UINT32_MAX)
    return -1;
  r->set_uid = true;
  r->uid = uid;
  if (colon)
    {
      if (parse_uint64 (colon + 1, &gid) < 0 || gid > UINT32_MAX)
        return -1;
      r->set_gid = true;
      r->gid = gid;
    }
  return 0;
}

/* The values of --user and --additional-gids, after the positional arguments. */
static int
parse_ids (struct exec_flags *f)
{
  if (f->user && parse_user (f->user, &f->req) < 0)
    return cli_usage ("exec", "--user %s: expected UID[:GID]", f->user);
  f->gid_values = xcalloc (f->gids_len + 1, sizeof *f->gid_values);
  for (size_t i = 0; i < f->gids_len; i++)
    {
      unsigned long long n;
      if (parse_uint64 (f->gids[i], &n) < 0 || n > UINT32_MAX)
        return cli_usage ("exec", "--additional-gids %s: not a number", f->gids[i]);
      f->gid_values[i] = n;
    }
  f->req.additional_gids = f->gid_values;
  f->req.additional_gids_len = f->gids_len;
  return 0;
}

static int
parse_flags (struct exec_flags *f, int argc, char **argv)
{
  enum
  {
    O_CONSOLE = 1000,
    O_PIDFILE,
    O_CWD,
    O_NNP,
    O_PRESERVE,
    O_LABEL,
    O_APPARMOR,
    O_ENVPASS
  };
  static const struct option opts[] = {
    { "process", required_argument, 0, 'p' },
    { "tty", no_argument, 0, 't' },
    { "detach", no_argument, 0, 'd' },
    { "console-socket", required_argument, 0, O_CONSOLE },
    { "pid-file", required_argument, 0, O_PIDFILE },
    { "env", required_argument, 0, 'e' },
    { "cwd", required_argument, 0, O_CWD },
    { "user", required_argument, 0, 'u' },
    { "additional-gids", required_argument, 0, 'g' },
    { "cap", required_argument, 0, 'c' },
    { "no-new-privs", no_argument, 0, O_NNP },
    { "preserve-fds", required_argument, 0, O_PRESERVE },
    { "process-label", required_argument, 0, O_LABEL },
    { "apparmor", required_argument, 0, O_APPARMOR },
    { "env-pass", required_argument, 0, O_ENVPASS },
    { 0, 0, 0, 0 },
  };
  struct exec_request *r = &f->req;
  unsigned long long n;
  int c;
  while ((c = getopt_long (argc, argv, "+p:tde:u:g:c:", opts, NULL)) != -1)
    switch (c)
      {
      case 'p': r->process_file = optarg; break;
      case 't': r->tty = true; break;
      case 'd': f->o.detach = true; break;
      case O_CONSOLE: f->o.console_socket = optarg; break;
      case O_PIDFILE: f->o.pid_file = optarg; break;
      case 'e':
        if (strchr (optarg, '=') == NULL)
          return cli_usage ("exec", "--env %s: expected NAME=VALUE", optarg);
        strv_append (&f->env, &f->env_len, optarg);
        break;
      case O_CWD: r->cwd = optarg; break;
      case 'u': f->user = optarg; break;
      case 'g': strv_append (&f->gids, &f->gids_len, optarg); break;
      case 'c': strv_append (&f->caps, &f->caps_len, optarg); break;
      case O_NNP: r->no_new_privileges = true; break;
      case O_PRESERVE:
        if (parse_uint64 (optarg, &n) < 0 || n > 1024)
          return cli_usage ("exec", "--preserve-fds: invalid number %s", optarg);
        f->o.preserve_fds = n;
        break;
      case O_LABEL: r->selinux_label = optarg; break;
      case O_APPARMOR: r->apparmor = optarg; break;
      case O_ENVPASS: r->env_pass = optarg; break;
      default: return cli_usage ("exec", "unknown flag %s", argv[optind - 1]);
      }
  if (argc - optind < 1)
    return cli_usage ("exec", "missing container id");
  f->o.id = argv[optind++];
  if (r->process_file == NULL && argc - optind < 1)
    return cli_usage ("exec", "missing command (or --process FILE)");
  r->args = argv + optind;
  r->env = f->env;
  r->caps = f->caps;
  return parse_ids (f);
}

/* Start P as O says; in the foreground, wait for it (relaying its pty). */
static int
start_and_wait (struct exec_options *o, struct spec_process *p)
{
  struct cr_error err = { 0 };
  if (p->terminal && o->detach && o->console_socket == NULL)
    {
      cr_fail (&err, 0, "exec: --tty with --detach needs --console-socket");
      return cli_fail (&err);
    }
  int master = -1;
  if (p->terminal && o->console_socket == NULL)
    o->terminal_master = &master;
  o->process = p;
  /* Block the signals we forward before the process exists, so none is lost. */
  sigset_t all, old;
  sigfillset (&all);
  if (!o->detach)
    sigprocmask (SIG_BLOCK, &all, &old);
  pid_t pid = -1;
  if (exec_start (o, &pid, &err) < 0)
    return err.msg[0] ? cli_fail (&err) : 1;
  return o->detach ? 0 : runtime_wait_foreground (pid, master, &all, false);
}

int
cmd_exec (struct cli *g, int argc, char **argv)
{
  struct exec_flags f = { .o = { .root = g->root }, .req = { .caller_env = g->environ } };
  _cleanup_spec_process_ struct spec_process *p = NULL;
  struct exec_container loaded = { 0 };
  struct cr_error err = { 0 };
  int ret = parse_flags (&f, argc, argv);
  if (ret == 0 && exec_build_process (g->root, f.o.id, &f.req, &p, &loaded, &err) < 0)
    ret = err.msg[0] ? cli_fail (&err) : 1;
  f.o.loaded = &loaded;
  if (ret == 0)
    ret = start_and_wait (&f.o, p);
  exec_container_clear (&loaded);
  cr_strvfreep (&f.env);
  cr_strvfreep (&f.gids);
  cr_strvfreep (&f.caps);
  free (f.gid_values);
  return ret;
}
