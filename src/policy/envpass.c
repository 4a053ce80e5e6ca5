/* Environment pass-through policies (see envpass.h).  Defaults are safe:
   no policy means nothing passes, and the secret denylist applies unless
   the operator named the variable exactly. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "policy/envpass.h"
#include "base/utils.h"

/* Names commonly carrying credentials.  Globs are matched against the whole
   variable name, ignoring case: a lowercase github_token is as secret as
   GITHUB_TOKEN, and tools read either.  PWD and OLDPWD are not matched
   ("*_PWD" needs the underscore).  Values are checked too: see
   envpass_value_is_secret. */
const char *const envpass_secret_patterns[] = {
  "*PASSWORD*",    "*PASSWD*",      "*_PWD",        "*SECRET*", "*TOKEN*", "*_KEY",
  "*_API_KEY",     "*_PRIVATE_KEY", "*CREDENTIAL*", "AWS_*",    "AZURE_*", "GOOGLE_APPLICATION_CREDENTIALS",
  "SSH_AUTH_SOCK", "KUBECONFIG",    NULL,
};

enum envpass_mode
{
  ENVPASS_NONE,
  ENVPASS_ALLOW,
  ENVPASS_DENY
};

struct envpass_policy
{
  enum envpass_mode mode;
  char **patterns; /* NULL terminated */
};

static void
policy_clear (struct envpass_policy *p)
{
  cr_strvfreep (&p->patterns);
  p->patterns = NULL;
}
/* A parsed policy cleared when the variable goes out of scope. */
#define _cleanup_policy_ __attribute__ ((cleanup (policy_clear)))

/* A zeroed array of policies, parsed up to the first one without patterns
   (policy_parse leaves none on failure): cleared and freed. */
static void
policies_freep (struct envpass_policy **v)
{
  for (size_t i = 0; *v && (*v)[i].patterns; i++)
    policy_clear (&(*v)[i]);
  free (*v);
}

static bool
is_glob (const char *pattern)
{
  return strpbrk (pattern, "*?[") != NULL;
}

static bool
valid_pattern (const char *p)
{
  if (*p == '\0')
    return false;
  for (; *p; p++)
    if (*p == '=' || *p == ' ' || *p == '\t')
      return false;
  return true;
}

static int
policy_parse (const char *text, struct envpass_policy *out, struct cr_error *err)
{
  out->mode = ENVPASS_NONE;
  out->patterns = xcalloc (1, sizeof (char *));
  if (text == NULL || strcmp (text, "none") == 0)
    return 0;
  const char *list;
  if (has_prefix (text, "allow:"))
    {
      out->mode = ENVPASS_ALLOW;
      list = text + strlen ("allow:");
    }
  else if (has_prefix (text, "deny:"))
    {
      out->mode = ENVPASS_DENY;
      list = text + strlen ("deny:");
    }
  else
    {
      policy_clear (out);
      return cr_fail (err, EINVAL,
                      "env pass-through policy \"%s\": expected none, allow:PATTERN,... or deny:PATTERN,...", text);
    }
  size_t n = 0;
  _cleanup_free_ char *copy = xstrdup (list);
  char *save = NULL;
  for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      tok = str_trim_spaces (tok);
      if (!valid_pattern (tok))
        {
          policy_clear (out);
          return cr_fail (err, EINVAL, "env pass-through policy \"%s\": invalid pattern \"%s\"", text, tok);
        }
      out->patterns = xrealloc (out->patterns, (n + 2) * sizeof (char *));
      out->patterns[n++] = xstrdup (tok);
      out->patterns[n] = NULL;
    }
  if (n == 0)
    {
      policy_clear (out);
      return cr_fail (err, EINVAL, "env pass-through policy \"%s\": no pattern given", text);
    }
  return 0;
}

bool
envpass_is_secret (const char *name)
{
  for (size_t i = 0; envpass_secret_patterns[i]; i++)
    if (fnmatch (envpass_secret_patterns[i], name, FNM_CASEFOLD) == 0)
      return true;
  return false;
}

static bool
is_scheme_char (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* A URL with userinfo anywhere in VALUE: SCHEME://USERINFO@HOST, the scheme
   starting with a letter (RFC 3986), the '@' before the authority ends at
   '/', '?', '#' or a space.  A user name alone counts too: tokens travel as
   https://TOKEN@host. */
bool
envpass_value_is_secret (const char *value)
{
  for (const char *p = strstr (value, "://"); p; p = strstr (p + 1, "://"))
    {
      const char *s = p;
      while (s > value && is_scheme_char (s[-1]))
        s--;
      while (s < p && !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        s++; /* a scheme starts with a letter: skip leading digits, '+', '-', '.' */
      if (s == p)
        continue;
      size_t auth = strcspn (p + 3, "/?# \t\n");
      if (memchr (p + 3, '@', auth) != NULL)
        return true;
    }
  return false;
}

bool
envpass_entry_is_secret (const char *entry)
{
  const char *eq = strchr (entry, '=');
  if (eq == NULL)
    return envpass_is_secret (entry);
  _cleanup_free_ char *name = strndup (entry, eq - entry);
  if (name == NULL)
    abort ();
  return envpass_is_secret (name) || envpass_value_is_secret (eq + 1);
}

/* Whether variable NAME=VALUE passes P.  Only a policy the operator set
   (ORIGIN) may pass a denylisted variable, and only by naming it exactly;
   for a bundle's policy the denylist always applies. */
static bool
policy_passes (const struct envpass_policy *p, enum envpass_origin origin, const char *name, const char *value)
{
  /* "none" (the default) passes nothing: no name needs matching then. */
  if (p->mode == ENVPASS_NONE)
    return false;
  bool secret = envpass_is_secret (name) || envpass_value_is_secret (value);
  switch (p->mode)
    {
    case ENVPASS_NONE: return false;
    case ENVPASS_DENY:
      if (secret)
        return false;
      for (size_t i = 0; p->patterns[i]; i++)
        if (fnmatch (p->patterns[i], name, 0) == 0)
          return false;
      return true;
    case ENVPASS_ALLOW:
      {
        bool match = false;
        for (size_t i = 0; p->patterns[i]; i++)
          {
            if (!is_glob (p->patterns[i]))
              {
                if (strcmp (p->patterns[i], name) != 0)
                  continue;
                /* Named exactly by the operator: they asked for this very variable. */
                if (origin == ENVPASS_FROM_OPERATOR)
                  return true;
                match = true;
              }
            else if (fnmatch (p->patterns[i], name, 0) == 0)
              match = true;
          }
        return match && !secret;
      }
    }
  return false;
}

int
envpass_validate (const char *policy, struct cr_error *err)
{
  _cleanup_policy_ struct envpass_policy p = { 0 };
  return policy_parse (policy, &p, err);
}

int
envpass_compute (const char *policy, enum envpass_origin origin, char *const *caller_env, char *const *exec_narrowing,
                 char ***out, struct cr_error *err)
{
  _cleanup_policy_ struct envpass_policy main_policy = { 0 };
  int r = policy_parse (policy, &main_policy, err);
  if (r < 0)
    return r;
  size_t nnarrow = exec_narrowing ? strv_len (exec_narrowing) : 0;
  __attribute__ ((cleanup (policies_freep))) struct envpass_policy *narrow = xcalloc (nnarrow + 1, sizeof *narrow);
  for (size_t i = 0; i < nnarrow; i++)
    {
      r = policy_parse (exec_narrowing[i], &narrow[i], err);
      if (r < 0)
        return r;
    }

  size_t n = 0;
  char **result = xcalloc (1, sizeof (char *));
  if (main_policy.mode == ENVPASS_NONE)
    {
      *out = result;
      return 0;
    }
  for (size_t i = 0; caller_env && caller_env[i]; i++)
    {
      const char *eq = strchr (caller_env[i], '=');
      if (eq == NULL || eq == caller_env[i])
        continue;
      _cleanup_free_ char *name = strndup (caller_env[i], eq - caller_env[i]);
      if (name == NULL)
        abort ();
      bool pass = policy_passes (&main_policy, origin, name, eq + 1);
      /* exec --env-pass comes from the operator too; it can only narrow. */
      for (size_t j = 0; pass && j < nnarrow; j++)
        pass = policy_passes (&narrow[j], ENVPASS_FROM_OPERATOR, name, eq + 1);
      if (!pass)
        continue;
      result = xrealloc (result, (n + 2) * sizeof (char *));
      result[n++] = xstrdup (caller_env[i]);
      result[n] = NULL;
    }
  *out = result;
  return 0;
}

static bool
env_has_name (char *const *env, const char *entry)
{
  const char *eq = strchr (entry, '=');
  size_t len = eq ? (size_t) (eq - entry) : strlen (entry);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], entry, len) == 0 && (env[i][len] == '=' || env[i][len] == '\0'))
      return true;
  return false;
}

int
envpass_merge (char *const *process_env, char *const *passed, char ***out)
{
  size_t np = process_env ? strv_len (process_env) : 0;
  size_t nq = passed ? strv_len (passed) : 0;
  char **r = xcalloc (np + nq + 1, sizeof (char *));
  size_t n = 0;
  for (size_t i = 0; i < np; i++)
    r[n++] = xstrdup (process_env[i]);
  for (size_t i = 0; i < nq; i++)
    if (!env_has_name (process_env, passed[i]))
      r[n++] = xstrdup (passed[i]);
  r[n] = NULL;
  *out = r;
  return 0;
}
