#include "config.h"
#include "capabilities.h"
#include "cli.h"
#include "envpass.h"
#include "exec.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

static void
strv_append (char ***v, size_t *len, const char *s)
{
  *v = xrealloc (*v, (*len + 2) * sizeof **v);
  (*v)[(*len)++] = xstrdup (s);
  (*v)[*len] = NULL;
}

/* Set NAME=VALUE in ENV, replacing every existing NAME (a name process.env
   lists twice must not keep an older value that would win as the last). */
static void
env_set (char ***env, size_t *len, const char *kv)
{
  size_t n = strcspn (kv, "=");
  bool found = false;
  for (size_t i = 0; i < *len; i++)
    if (strncmp ((*env)[i], kv, n) == 0 && (*env)[i][n] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = xstrdup (kv);
        found = true;
      }
  if (!found)
    strv_append (env, len, kv);
}

/* Keep only the names of SET that ALLOWED also has: exec under a profile can
   never hold more than the container's process. */
static void
caps_intersect (char ***set, size_t *len, char **allowed)
{
  size_t out = 0;
  for (size_t i = 0; i < *len; i++)
    {
      bool ok = false;
      for (size_t k = 0; allowed && allowed[k]; k++)
        ok |= caps_name_equal ((*set)[i], allowed[k]);
      if (ok)
        (*set)[out++] = (*set)[i];
      else
        free ((*set)[i]);
    }
  *len = out;
  if (*set)
    (*set)[out] = NULL;
}

/* No rlimit of P may be above the container's process's of the same type (strict's
   RLIMIT_CORE 0): clamp those above, add those P lacks, which would otherwise be
   inherited from the exec caller. Only lowering, so no capability is needed. */
static void
rlimits_ceiling (struct spec_process *p, const struct spec_process *container)
{
  for (size_t i = 0; container && i < container->rlimits_len; i++)
    {
      const struct spec_rlimit *c = &container->rlimits[i];
      struct spec_rlimit *mine = NULL;
      for (size_t k = 0; k < p->rlimits_len && mine == NULL; k++)
        if (strcmp (p->rlimits[k].type, c->type) == 0)
          mine = &p->rlimits[k];
      if (mine == NULL)
        {
          p->rlimits = xrealloc (p->rlimits, (p->rlimits_len + 1) * sizeof *p->rlimits);
          mine = &p->rlimits[p->rlimits_len++];
          mine->type = xstrdup (c->type);
          mine->soft = c->soft;
          mine->hard = c->hard;
        }
      if (mine->hard > c->hard)
        mine->hard = c->hard;
      if (mine->soft > mine->hard)
        mine->soft = mine->hard;
    }
}

static int
parse_user (const char *s, struct spec_user *u)
{
  unsigned long long uid, gid;
  _cleanup_free_ char *copy = xstrdup (s);
  char *colon = strchr (copy, ':');
  if (colon)
    *colon = '\0';
  if (parse_uint64 (copy, &uid) < 0 || uid > UINT32_MAX)
    return -1;
  u->uid = uid;
  if (colon)
    {
      if (parse_uint64 (colon + 1, &gid) < 0 || gid > UINT32_MAX)
        return -1;
      u->gid = gid;
    }
  return 0;
}

static int
wait_child (pid_t pid, int master)
{
  sigset_t all;
  sigfillset (&all);
  int status;
  if (master >= 0)
    {
      struct cr_error ignored;
      terminal_relay (master, pid, &ignored);
      close (master);
    }
  else
    {
      int sfd = signalfd (-1, &all, SFD_CLOEXEC);
      for (;;)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof si) != sizeof si)
            {
              if (errno == EINTR)
                continue;
              break;
            }
          if (si.ssi_signo != SIGCHLD)
            kill (pid, si.ssi_signo);
          else if (waitpid (pid, &status, WNOHANG) == pid)
            {
              close (sfd);
              return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
            }
        }
      close (sfd);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return 255;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

int
cmd_exec (struct cli *g, int argc, char **argv)
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
  struct exec_options o = { .root = g->root };
  const char *process_file = NULL, *cwd = NULL, *user = NULL, *env_pass = NULL, *apparmor = NULL, *label = NULL;
  _cleanup_strv_ char **envs = NULL, **gids = NULL, **caps = NULL;
  size_t envs_len = 0, gids_len = 0, caps_len = 0;
  bool tty = false, nnp = false;
  unsigned long long n;
  int c;
  while ((c = getopt_long (argc, argv, "+p:tde:u:g:c:", opts, NULL)) != -1)
    switch (c)
      {
      case 'p': process_file = optarg; break;
      case 't': tty = true; break;
      case 'd': o.detach = true; break;
      case O_CONSOLE: o.console_socket = optarg; break;
      case O_PIDFILE: o.pid_file = optarg; break;
      case 'e':
        if (strchr (optarg, '=') == NULL)
          return cli_usage ("exec", "--env %s: expected NAME=VALUE", optarg);
        strv_append (&envs, &envs_len, optarg);
        break;
      case O_CWD: cwd = optarg; break;
      case 'u': user = optarg; break;
      case 'g': strv_append (&gids, &gids_len, optarg); break;
      case 'c': strv_append (&caps, &caps_len, optarg); break;
      case O_NNP: nnp = true; break;
      case O_PRESERVE:
        if (parse_uint64 (optarg, &n) < 0 || n > 1024)
          return cli_usage ("exec", "--preserve-fds: invalid number %s", optarg);
        o.preserve_fds = n;
        break;
      case O_LABEL: label = optarg; break;
      case O_APPARMOR: apparmor = optarg; break;
      case O_ENVPASS: env_pass = optarg; break;
      default: return cli_usage ("exec", "unknown flag %s", argv[optind - 1]);
      }
  if (argc - optind < 1)
    return cli_usage ("exec", "missing container id");
  o.id = argv[optind++];
  if (process_file == NULL && argc - optind < 1)
    return cli_usage ("exec", "missing command (or --process FILE)");

  struct cr_error err = { 0 };
  struct spec *spec = NULL;
  _cleanup_free_ char *profile = NULL;
  _cleanup_free_ char *policy = NULL;
  bool policy_operator = false;
  if (exec_load_container (g->root, o.id, &spec, &profile, &policy, &policy_operator, &err) < 0)
    return cli_fail (&err);
  struct spec_process *container_proc = spec->process;
  struct spec_process *p = NULL;
  int ret = 1;
  if (process_file)
    {
      _cleanup_free_ char *data = NULL;
      size_t len;
      if (read_file (process_file, &data, &len, &err) < 0 || (p = spec_parse_process_data (data, len, &err)) == NULL)
        goto out;
    }
  else
    {
      /* A copy of the container's process with the command and flags
         applied; the original stays as the ceiling for profiles below. */
      struct spec *copy = spec_dup (spec);
      p = copy->process;
      copy->process = NULL;
      spec_free (copy);
      for (size_t i = 0; i < p->args_len; i++)
        free (p->args[i]);
      free (p->args);
      p->args_len = argc - optind;
      p->args = xcalloc (p->args_len + 1, sizeof *p->args);
      for (size_t i = 0; i < p->args_len; i++)
        p->args[i] = xstrdup (argv[optind + i]);
    }
  p->terminal = tty || (process_file && p->terminal);
  if (cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (cwd);
    }
  if (user && parse_user (user, &p->user) < 0)
    {
      ret = cli_usage ("exec", "--user %s: expected UID[:GID]", user);
      goto out;
    }
  for (size_t i = 0; i < gids_len; i++)
    {
      if (parse_uint64 (gids[i], &n) < 0 || n > UINT32_MAX)
        {
          ret = cli_usage ("exec", "--additional-gids %s: not a number", gids[i]);
          goto out;
        }
      p->user.additional_gids =
          xrealloc (p->user.additional_gids, (p->user.additional_gids_len + 1) * sizeof (uint32_t));
      p->user.additional_gids[p->user.additional_gids_len++] = n;
    }
  if (caps_len)
    {
      if (p->capabilities == NULL)
        p->capabilities = xcalloc (1, sizeof *p->capabilities);
      for (size_t i = 0; i < caps_len; i++)
        {
          strv_append (&p->capabilities->bounding, &p->capabilities->bounding_len, caps[i]);
          strv_append (&p->capabilities->effective, &p->capabilities->effective_len, caps[i]);
          strv_append (&p->capabilities->permitted, &p->capabilities->permitted_len, caps[i]);
        }
    }
  if (nnp)
    p->no_new_privileges = true;
  /* Set, not just logged: process_exec applies them, and refuses a label the
     host cannot enforce instead of running the process unconfined. */
  if (apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (apparmor);
    }
  if (label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (label);
    }

  /* Under a profile the container's process is a ceiling exec cannot raise. */
  if (profile && strcmp (profile, "none") != 0)
    {
      static const struct spec_capabilities empty;
      const struct spec_capabilities *cl =
          container_proc && container_proc->capabilities ? container_proc->capabilities : &empty;
      struct spec_capabilities *pc = p->capabilities;
      if (pc)
        {
          caps_intersect (&pc->bounding, &pc->bounding_len, cl->bounding);
          caps_intersect (&pc->effective, &pc->effective_len, cl->effective);
          caps_intersect (&pc->permitted, &pc->permitted_len, cl->permitted);
          caps_intersect (&pc->inheritable, &pc->inheritable_len, cl->inheritable);
          caps_intersect (&pc->ambient, &pc->ambient_len, cl->ambient);
        }
      p->no_new_privileges = true;
      rlimits_ceiling (p, container_proc);
    }

  /* Environment: the process env, -e on top, then the caller's variables the
     container's policy (narrowed by --env-pass) lets through. */
  {
    size_t elen = p->env_len;
    char **env = p->env;
    for (size_t i = 0; i < envs_len; i++)
      env_set (&env, &elen, envs[i]);
    char *narrow[] = { (char *) env_pass, NULL };
    _cleanup_strv_ char **passed = NULL;
    if (envpass_compute (policy, policy_operator ? ENVPASS_FROM_OPERATOR : ENVPASS_FROM_BUNDLE, g->environ,
                         env_pass ? narrow : NULL, &passed, &err)
        < 0)
      {
        p->env = env;
        p->env_len = elen;
        goto out;
      }
    char **merged = NULL;
    envpass_merge (env, passed, &merged);
    for (size_t i = 0; i < elen; i++)
      free (env[i]);
    free (env);
    p->env = merged;
    p->env_len = strv_len (merged);
  }
  if (p->terminal && o.detach && o.console_socket == NULL)
    {
      cr_fail (&err, 0, "exec: --tty with --detach needs --console-socket");
      goto out;
    }
  int master = -1;
  if (p->terminal && o.console_socket == NULL)
    o.terminal_master = &master;
  o.process = p;
  sigset_t all, old;
  sigfillset (&all);
  if (!o.detach)
    sigprocmask (SIG_BLOCK, &all, &old);
  pid_t pid;
  if (exec_start (&o, &pid, &err) < 0)
    goto out;
  ret = o.detach ? 0 : wait_child (pid, master);
  spec_process_free (p);
  spec_free (spec);
  return ret;
out:
  if (p)
    spec_process_free (p);
  spec_free (spec);
  return err.msg[0] ? cli_fail (&err) : ret;
}
