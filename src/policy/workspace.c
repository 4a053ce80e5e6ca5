/* Workspace requests (HOST:CONTAINER[:MODE]), byte sizes and the
   writable-path allowlist.  `cellrun diff` / `cellrun commit` live in
   linux/workspace_walk.c, the way they print names in
   linux/workspace_names.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/utils.h"
#include "policy/workspace.h"

/* ---- requests ---------------------------------------------------------- */

void
workspace_request_clear (struct workspace_request *w)
{
  if (w == NULL)
    return;
  free (w->host_path);
  free (w->container_path);
  free (w->mode);
  memset (w, 0, sizeof *w);
}

static bool
has_dotdot_component (const char *p)
{
  for (const char *c = p; (c = strstr (c, "..")); c += 2)
    if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
      return true;
  return false;
}

int
workspace_parse (const char *value, struct workspace_request *out, struct cr_error *err)
{
  memset (out, 0, sizeof *out);
  if (value == NULL || *value == '\0')
    return cr_fail (err, EINVAL, "workspace: empty value (expected HOST_PATH:CONTAINER_PATH[:MODE])");
  _cleanup_free_ char *copy = xstrdup (value);
  char *parts[4] = { NULL };
  size_t n = 0;
  char *cur = copy;
  while (cur && n < 4)
    {
      char *colon = strchr (cur, ':');
      if (colon)
        *colon = '\0';
      parts[n++] = cur;
      cur = colon ? colon + 1 : NULL;
    }
  if (n < 2 || cur != NULL || n > 3)
    return cr_fail (err, EINVAL, "workspace \"%s\": expected HOST_PATH:CONTAINER_PATH[:MODE]", value);
  const char *mode = n == 3 ? parts[2] : "overlay";
  if (parts[0][0] != '/' || parts[1][0] != '/')
    return cr_fail (err, EINVAL, "workspace \"%s\": both paths must be absolute", value);
  /* ".." in the container path could climb out of the rootfs before the
     core's own checks run; refusing it keeps the request unambiguous. */
  if (has_dotdot_component (parts[1]) || has_dotdot_component (parts[0]))
    return cr_fail (err, EINVAL, "workspace \"%s\": paths must not contain \"..\"", value);
  if (strcmp (mode, "overlay") != 0 && strcmp (mode, "ro") != 0 && strcmp (mode, "rw") != 0)
    return cr_fail (err, EINVAL, "workspace \"%s\": unknown mode \"%s\" (known: overlay, ro, rw)", value, mode);
  out->present = true;
  out->host_path = xstrdup (parts[0]);
  out->container_path = xstrdup (parts[1]);
  out->mode = xstrdup (mode);
  return 0;
}

/* mkdir -p with every directory it creates set to exactly 0755: the
   caller's umask (077 for many services) must not make a documented 0755
   workspace unreadable, and octal is spelled out so it is never taken as
   decimal.  Existing components are left as they are. */
static int
workspace_mkdir_parents (const char *path, struct cr_error *err)
{
  _cleanup_free_ char *p = xstrdup (path);
  size_t len = strlen (p);
  for (size_t i = 1; i <= len; i++)
    {
      if (p[i] != '/' && p[i] != '\0')
        continue;
      if (p[i - 1] == '/')
        continue;
      char saved = p[i];
      p[i] = '\0';
      if (mkdir (p, 0755) == 0)
        {
          if (chmod (p, 0755) < 0)
            return cr_fail (err, errno, "chmod workspace directory %s", p);
        }
      else if (errno != EEXIST)
        return cr_fail (err, errno, "create workspace directory %s", p);
      p[i] = saved;
    }
  return 0;
}

int
workspace_prepare_host_path (const struct workspace_request *w, struct cr_error *err)
{
  struct stat st;
  if (!w->present)
    return 0;
  if (stat (w->host_path, &st) == 0)
    {
      if (!S_ISDIR (st.st_mode))
        return cr_fail (err, ENOTDIR, "workspace host path %s", w->host_path);
      return 0;
    }
  if (errno != ENOENT || strcmp (w->mode, "ro") == 0)
    return cr_fail (err, errno, "workspace host path %s", w->host_path);
  return workspace_mkdir_parents (w->host_path, err);
}

int
parse_byte_size (const char *s, unsigned long long *out)
{
  if (s == NULL || *s < '0' || *s > '9')
    return -EINVAL;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno == ERANGE)
    return -ERANGE;
  unsigned shift = 0;
  if (*end != '\0')
    {
      switch (*end)
        {
        case 'K':
        case 'k': shift = 10; break;
        case 'M':
        case 'm': shift = 20; break;
        case 'G':
        case 'g': shift = 30; break;
        default: return -EINVAL;
        }
      end++;
      if (*end == 'B' || *end == 'b')
        end++;
      if (*end != '\0')
        return -EINVAL;
    }
  if (shift && v > (ULLONG_MAX >> shift))
    return -ERANGE;
  *out = v << shift;
  return 0;
}

/* True when RESOLVED equals BASE or lies below it, comparing whole
   components: "/a/scratch2" is not inside "/a/scratch". */
static bool
path_is_within (const char *resolved, const char *base)
{
  size_t l = strlen (base);
  if (l == 1 && base[0] == '/')
    return true;
  return strncmp (resolved, base, l) == 0 && (resolved[l] == '\0' || resolved[l] == '/');
}

int
path_within_allowlist (const char *path, char *const *allowlist, char **resolved, struct cr_error *err)
{
  _cleanup_free_ char *real = realpath (path, NULL);
  if (real == NULL)
    return cr_fail (err, errno, "resolve %s", path);
  for (size_t i = 0; allowlist && allowlist[i]; i++)
    {
      /* Resolve the entry too: an allowlist naming a symlink means the
         directory it points to, and comparing unresolved text would let a
         symlinked path in or keep a legitimate one out. */
      _cleanup_free_ char *base = realpath (allowlist[i], NULL);
      if (base == NULL)
        continue;
      if (path_is_within (real, base))
        {
          if (resolved)
            *resolved = TAKE_PTR (real);
          return 0;
        }
    }
  return cr_fail (err, EACCES, "%s (resolved %s) is not inside any writable_allowlist entry of the config file", path,
                  real);
}
