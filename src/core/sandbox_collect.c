/* sandbox --collect: copy a file or tree out of the sandbox's view once the
   command has ended. cellrun holds the sandbox's mount namespace open (an
   fd of /proc/<init>/ns/mnt taken before start), enters it for the copy and
   comes back: private /tmp and every other mount of the sandbox are still
   there, exactly as the command saw them. Paths are resolved as the command
   resolved them (the namespace's root is the sandbox's root); what is written
   on the host goes through a directory fd opened before, never by path. */
#include "config.h"
#include "core/sandbox.h"
#include "base/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* No setuid/setgid/sticky bits and nothing writable by others on the host. */
static mode_t
host_mode (mode_t m)
{
  return m & 0755;
}

static int copy_entry (int src_dir, const char *src_name, int dst_dir, const char *dst_name, int depth,
                       struct cr_error *err);

static int
copy_file (int src, const struct stat *st, int dst_dir, const char *dst_name, struct cr_error *err)
{
  _cleanup_close_ int out =
      openat (dst_dir, dst_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, host_mode (st->st_mode));
  if (out < 0)
    return cr_fail (err, errno, "--collect: create %s", dst_name);
  char buf[65536];
  ssize_t n;
  while ((n = read (src, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || write_all (out, buf, n) < 0)
        return cr_fail (err, errno, "--collect: copy %s", dst_name);
    }
  fchmod (out, host_mode (st->st_mode));
  return 0;
}

static int
copy_dir (int src, int dst_dir, const char *dst_name, int depth, struct cr_error *err)
{
  if (mkdirat (dst_dir, dst_name, 0755) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "--collect: mkdir %s", dst_name);
  _cleanup_close_ int out = openat (dst_dir, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (out < 0)
    return cr_fail (err, errno, "--collect: open %s", dst_name);
  DIR *d = fdopendir (dup (src));
  if (d == NULL)
    return cr_fail (err, errno, "--collect: read directory %s", dst_name);
  int r = 0;
  for (struct dirent *de; r == 0 && (de = readdir (d)) != NULL;)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      r = copy_entry (dirfd (d), de->d_name, out, de->d_name, depth + 1, err);
  closedir (d);
  return r;
}

/* Regular files, directories and symlinks (as links) are copied; devices,
   FIFOs and sockets are skipped. */
static int
copy_entry (int src_dir, const char *src_name, int dst_dir, const char *dst_name, int depth, struct cr_error *err)
{
  if (depth > 64)
    return cr_fail (err, ELOOP, "--collect: %s: tree too deep", src_name);
  struct stat st;
  if (fstatat (src_dir, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return cr_fail (err, errno, "--collect: %s", src_name);
  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (src_dir, src_name, target, sizeof target - 1);
      if (n < 0)
        return cr_fail (err, errno, "--collect: readlink %s", src_name);
      target[n] = '\0';
      unlinkat (dst_dir, dst_name, 0);
      if (symlinkat (target, dst_dir, dst_name) < 0)
        return cr_fail (err, errno, "--collect: symlink %s", dst_name);
      return 0;
    }
  if (!S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
    return 0;
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (S_ISDIR (st.st_mode) ? O_DIRECTORY : 0);
  _cleanup_close_ int src = openat (src_dir, src_name, flags);
  if (src < 0)
    return cr_fail (err, errno, "--collect: open %s", src_name);
  /* Judged by the fd: what was opened is what gets copied. */
  if (fstat (src, &st) < 0)
    return cr_fail (err, errno, "--collect: %s", src_name);
  if (S_ISDIR (st.st_mode))
    return copy_dir (src, dst_dir, dst_name, depth, err);
  if (!S_ISREG (st.st_mode))
    return 0;
  fcntl (src, F_SETFL, 0);
  return copy_file (src, &st, dst_dir, dst_name, err);
}

/* Where C goes on the host: an existing directory gets the entry by its
   name; anything else is the new name in its parent directory. */
static int
open_destination (const struct sandbox_collect *c, int *dirfd, char **name, struct cr_error *err)
{
  struct stat st;
  const char *base = strrchr (c->ct_path, '/') + 1;
  if (stat (c->host_dest, &st) == 0 && S_ISDIR (st.st_mode))
    {
      *dirfd = open (c->host_dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      *name = xstrdup (base);
    }
  else
    {
      _cleanup_free_ char *copy = xstrdup (c->host_dest);
      char *slash = strrchr (copy, '/');
      const char *parent = slash ? (slash == copy ? "/" : copy) : ".";
      if (slash)
        *slash = '\0';
      *name = xstrdup (slash ? slash + 1 : copy);
      *dirfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (*dirfd < 0)
    {
      free (*name);
      *name = NULL;
      return cr_fail (err, errno, "--collect: host destination %s", c->host_dest);
    }
  return 0;
}

int
sandbox_collect_all (int mntns, const struct sandbox_collect *c, size_t n, struct cr_error *err)
{
  if (n == 0)
    return 0;
  int dirs[n];
  char *names[n];
  for (size_t i = 0; i < n; i++)
    {
      dirs[i] = -1;
      names[i] = NULL;
    }
  _cleanup_close_ int own = open ("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r = 0;
  for (size_t i = 0; r == 0 && i < n; i++)
    r = open_destination (&c[i], &dirs[i], &names[i], err);
  if (r == 0 && (own < 0 || setns (mntns, CLONE_NEWNS) < 0))
    r = cr_fail (err, errno, "--collect: enter the sandbox's mount namespace");
  else if (r == 0)
    {
      for (size_t i = 0; r == 0 && i < n; i++)
        r = copy_entry (AT_FDCWD, c[i].ct_path, dirs[i], names[i], 0, err);
      if (setns (own, CLONE_NEWNS) < 0 || (cwd >= 0 && fchdir (cwd) < 0))
        {
          /* Nowhere safe to go on from: still inside the sandbox's view. */
          cr_fail (err, errno, "--collect: return to cellrun's mount namespace");
          _exit (SANDBOX_EXIT_SETUP);
        }
    }
  for (size_t i = 0; i < n; i++)
    {
      if (dirs[i] >= 0)
        close (dirs[i]);
      free (names[i]);
    }
  return r;
}
