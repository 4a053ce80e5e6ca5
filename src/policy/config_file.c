/* Operator configuration file (format in config_file.h and
   docs/profiles.md).  Strict parsing: an operator who mistypes a key must
   learn about it rather than run with a weaker setup than intended. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "policy/config_file.h"
#include "base/utils.h"

void
config_file_clear (struct cellrun_config *c)
{
  if (c == NULL)
    return;
  free (c->profile);
  c->profile = NULL;
  cr_strvfreep (&c->writable_allowlist);
  c->writable_allowlist = NULL;
}

static char *
trim (char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  size_t l = strlen (s);
  while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
    s[--l] = '\0';
  return s;
}

static int
parse_allowlist (char *value, const char *name, int line, struct cellrun_config *out, struct cr_error *err)
{
  size_t n = strv_len (out->writable_allowlist);
  char *save = NULL;
  for (char *tok = strtok_r (value, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      tok = trim (tok);
      if (*tok == '\0')
        continue;
      if (tok[0] != '/')
        return cr_fail (err, EINVAL, "%s:%d: writable_allowlist entry \"%s\" is not an absolute path", name, line, tok);
      out->writable_allowlist = xrealloc (out->writable_allowlist, (n + 2) * sizeof (char *));
      out->writable_allowlist[n++] = xstrdup (tok);
      out->writable_allowlist[n] = NULL;
    }
  return 0;
}

int
config_file_parse (const char *text, const char *name, struct cellrun_config *out, struct cr_error *err)
{
  memset (out, 0, sizeof *out);
  out->writable_allowlist = xcalloc (1, sizeof (char *));
  _cleanup_free_ char *copy = xstrdup (text);
  int line = 0;
  int r = 0;
  /* strtok_r would merge empty lines and break line numbers: split by hand. */
  char *cur = copy;
  while (cur)
    {
      char *nl = strchr (cur, '\n');
      if (nl)
        *nl = '\0';
      line++;
      char *s = trim (cur);
      cur = nl ? nl + 1 : NULL;
      if (*s == '\0' || *s == '#')
        continue;
      char *eq = strchr (s, '=');
      if (eq == NULL)
        {
          r = cr_fail (err, EINVAL, "%s:%d: expected \"key = value\"", name, line);
          break;
        }
      *eq = '\0';
      char *key = trim (s);
      char *value = trim (eq + 1);
      if (strcmp (key, "profile") == 0)
        {
          if (*value == '\0')
            {
              r = cr_fail (err, EINVAL, "%s:%d: profile needs a value", name, line);
              break;
            }
          free (out->profile);
          out->profile = xstrdup (value);
        }
      else if (strcmp (key, "writable_allowlist") == 0)
        {
          r = parse_allowlist (value, name, line, out, err);
          if (r < 0)
            break;
        }
      else if (strcmp (key, "strict_bundle_binds") == 0)
        {
          if (strcmp (value, "ro") == 0)
            out->strict_bundle_binds = CONFIG_STRICT_BINDS_RO;
          else if (strcmp (value, "refuse") == 0)
            out->strict_bundle_binds = CONFIG_STRICT_BINDS_REFUSE;
          else
            {
              r = cr_fail (err, EINVAL, "%s:%d: strict_bundle_binds \"%s\": expected ro or refuse", name, line, value);
              break;
            }
        }
      else
        {
          r = cr_fail (err, EINVAL,
                       "%s:%d: unknown key \"%s\" (known: profile, writable_allowlist, strict_bundle_binds)", name,
                       line, key);
          break;
        }
    }
  if (r < 0)
    config_file_clear (out);
  return r;
}

int
config_file_load (const char *path, bool explicit_path, struct cellrun_config *out, struct cr_error *err)
{
  memset (out, 0, sizeof *out);
  if (path == NULL)
    path = CELLRUN_DEFAULT_CONFIG;
  _cleanup_free_ char *text = NULL;
  struct cr_error read_err = { 0 };
  if (read_file (path, &text, NULL, &read_err) < 0)
    {
      /* The default file is optional: most hosts have no operator policy. */
      if (read_err.code == ENOENT && !explicit_path)
        {
          out->writable_allowlist = xcalloc (1, sizeof (char *));
          return 0;
        }
      return cr_fail (err, read_err.code, "read config file %s", path);
    }
  return config_file_parse (text, path, out, err);
}
