/* `exec`'s process, built in the library from the request (flags or
   --process FILE) and the container's saved spec: the CLI only parses. */
#include "config.h"
#include "core/exec.h"
#include "policy/envpass.h"
#include "policy/exec_ceiling.h"
#include "base/utils.h"

#include <string.h>

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

static void
replace_str (char **field, const char *value)
{
  if (value == NULL)
    return;
  free (*field);
  *field = xstrdup (value);
}

/* The process to start before any flag: --process FILE, or a copy of the
   container's process running ARGS (the original stays as the ceiling). */
static struct spec_process *
base_process (const struct exec_request *req, const struct spec *spec, struct cr_error *err)
{
  if (req->process_file)
    {
      _cleanup_free_ char *data = NULL;
      size_t len;
      if (read_file (req->process_file, &data, &len, err) < 0)
        return NULL;
      return spec_parse_process_data (data, len, err);
    }
  _cleanup_spec_ struct spec *copy = spec_dup (spec);
  struct spec_process *p = TAKE_PTR (copy->process);
  for (size_t i = 0; i < p->args_len; i++)
    free (p->args[i]);
  free (p->args);
  p->args_len = strv_len (req->args);
  p->args = xcalloc (p->args_len + 1, sizeof *p->args);
  for (size_t i = 0; i < p->args_len; i++)
    p->args[i] = xstrdup (req->args[i]);
  return p;
}

/* The flags on top: terminal, cwd, user, groups, capabilities, LSM labels. */
static void
apply_flags (const struct exec_request *req, struct spec_process *p)
{
  p->terminal = req->tty || (req->process_file && p->terminal);
  replace_str (&p->cwd, req->cwd);
  if (req->set_uid)
    p->user.uid = req->uid;
  if (req->set_gid)
    p->user.gid = req->gid;
  for (size_t i = 0; i < req->additional_gids_len; i++)
    {
      p->user.additional_gids =
          xrealloc (p->user.additional_gids, (p->user.additional_gids_len + 1) * sizeof (uint32_t));
      p->user.additional_gids[p->user.additional_gids_len++] = req->additional_gids[i];
    }
  if (req->caps && req->caps[0])
    {
      if (p->capabilities == NULL)
        p->capabilities = xcalloc (1, sizeof *p->capabilities);
      for (size_t i = 0; req->caps[i]; i++)
        {
          strv_append (&p->capabilities->bounding, &p->capabilities->bounding_len, req->caps[i]);
          strv_append (&p->capabilities->effective, &p->capabilities->effective_len, req->caps[i]);
          strv_append (&p->capabilities->permitted, &p->capabilities->permitted_len, req->caps[i]);
        }
    }
  if (req->no_new_privileges)
    p->no_new_privileges = true;
  /* Set, not just logged: process_exec applies them, and refuses a label the
     host cannot enforce instead of running the process unconfined. */
  replace_str (&p->apparmor_profile, req->apparmor);
  replace_str (&p->selinux_label, req->selinux_label);
}

/* Environment: the process env, -e on top, then the caller's variables the
   container's policy (narrowed by --env-pass) lets through. */
static int
apply_env (const struct exec_request *req, const char *policy, bool policy_operator, struct spec_process *p,
           struct cr_error *err)
{
  size_t elen = p->env_len;
  char **env = p->env;
  for (size_t i = 0; req->env && req->env[i]; i++)
    env_set (&env, &elen, req->env[i]);
  p->env = env;
  p->env_len = elen;
  char *narrow[] = { (char *) req->env_pass, NULL };
  _cleanup_strv_ char **passed = NULL;
  if (envpass_compute (policy, policy_operator ? ENVPASS_FROM_OPERATOR : ENVPASS_FROM_BUNDLE, req->caller_env,
                       req->env_pass ? narrow : NULL, &passed, err)
      < 0)
    return -1;
  char **merged = NULL;
  envpass_merge (env, passed, &merged);
  for (size_t i = 0; i < elen; i++)
    free (env[i]);
  free (env);
  p->env = merged;
  p->env_len = strv_len (merged);
  return 0;
}

static int
build_process (const struct exec_request *req, const struct exec_container *c, struct spec_process **out,
               struct cr_error *err)
{
  _cleanup_spec_process_ struct spec_process *p = base_process (req, c->spec, err);
  if (p == NULL)
    return -1;
  apply_flags (req, p);
  /* Under a profile the container's process is a ceiling exec cannot raise. */
  profile_exec_ceiling (c->profile, c->spec->process, p);
  if (apply_env (req, c->env_policy, c->env_policy_operator, p, err) < 0)
    return -1;
  *out = TAKE_PTR (p);
  return 0;
}

int
exec_build_process (const char *root, const char *id, const struct exec_request *req, struct spec_process **out,
                    struct exec_container *loaded, struct cr_error *err)
{
  struct exec_container c;
  *out = NULL;
  if (exec_container_load (root, id, &c, err) < 0)
    return -1;
  int r = build_process (req, &c, out, err);
  if (r == 0 && loaded)
    {
      exec_container_clear (loaded);
      *loaded = c;
    }
  else
    exec_container_clear (&c);
  return r;
}
