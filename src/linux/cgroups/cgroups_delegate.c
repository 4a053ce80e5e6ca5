/* Rootless cgroups (docs/rootless.md): may an unprivileged caller create
   and enter the container's cgroup? Only in a cgroup v2 subtree delegated
   to it: the directories it would write are its own, and the runtime's own
   cgroup lies inside that subtree (moving a process needs write access to
   cgroup.procs of the common ancestor of its old and new cgroup). */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/utils.h"

/* DIR (relative to ROOTFD, "." for the root) is the caller's and lets it
   create children, enter processes and delegate controllers. */
static bool
dir_delegated (int rootfd, const char *dir)
{
  _cleanup_close_ int fd = openat (rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || st.st_uid != geteuid ())
    return false;
  return faccessat (fd, ".", W_OK, AT_EACCESS) == 0 && faccessat (fd, "cgroup.procs", W_OK, AT_EACCESS) == 0
         && faccessat (fd, "cgroup.subtree_control", W_OK, AT_EACCESS) == 0;
}

/* The deepest existing directory among PATH ("a/b/c") and its parents. */
static char *
deepest_existing (int rootfd, const char *path)
{
  _cleanup_free_ char *p = xstrdup (path);
  for (;;)
    {
      struct stat st;
      if (*p == '\0')
        return xstrdup (".");
      if (fstatat (rootfd, p, &st, 0) == 0 && S_ISDIR (st.st_mode))
        return TAKE_PTR (p);
      char *slash = strrchr (p, '/');
      if (slash)
        *slash = '\0';
      else
        *p = '\0';
    }
}

/* The longest common leading components of A and B (no leading '/'). */
static char *
common_ancestor (const char *a, const char *b)
{
  size_t i = 0, last = 0;
  for (; a[i] && a[i] == b[i]; i++)
    if (a[i] == '/')
      last = i;
  if ((a[i] == '\0' || a[i] == '/') && (b[i] == '\0' || b[i] == '/'))
    last = i;
  return last ? strndup (a, last) : xstrdup (".");
}

bool
cgroup_delegated (const char *root, const char *path, char **why)
{
  *why = NULL;
  enum cgroup_mode mode;
  if (cgroup_detect_mode (root, &mode, NULL) < 0 || mode != CGROUP_MODE_V2)
    {
      xasprintf (why, "%s is not a cgroup v2 hierarchy, and only root may create v1 cgroups", root);
      return false;
    }
  _cleanup_close_ int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_free_ char *clean = path_clean (path ? path : "");
  const char *rel = clean[0] == '/' ? clean + 1 : clean;
  _cleanup_free_ char *have = rootfd >= 0 ? deepest_existing (rootfd, rel) : NULL;
  if (have == NULL || !dir_delegated (rootfd, have))
    {
      xasprintf (why, "%s/%s is not delegated to uid %u (owned, with writable cgroup.procs and cgroup.subtree_control)",
                 root, have && strcmp (have, ".") ? have : "", (unsigned) geteuid ());
      return false;
    }
  _cleanup_free_ char *content = NULL, *own = NULL;
  if (cgroup_self_read (&content, NULL) < 0 || cgroup_own_from_proc (content, &own, NULL) < 0)
    {
      xasprintf (why, "cannot read the runtime's own cgroup");
      return false;
    }
  _cleanup_free_ char *own_clean = path_clean (own);
  _cleanup_free_ char *common = common_ancestor (own_clean[0] == '/' ? own_clean + 1 : own_clean, rel);
  if (!dir_delegated (rootfd, common))
    {
      xasprintf (why,
                 "the runtime's cgroup %s is outside the delegated subtree %s/%s (moving the container there needs "
                 "write access to cgroup.procs of their common ancestor)",
                 own_clean, root, have);
      return false;
    }
  return true;
}
