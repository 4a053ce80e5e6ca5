/* Workspace requests (HOST:CONTAINER[:MODE]), byte sizes, the writable-path
   allowlist, and `cellrun diff` / `cellrun commit` for overlay workspaces.

   Diff and commit walk the overlay upper dir and look up the same names in
   the lower (host) dir.  Every lookup is done relative to an open directory
   fd with O_NOFOLLOW, one component at a time: the upper dir is written by
   the container, so a symlink it planted must never redirect a commit
   outside the host directory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "log.h"
#include "utils.h"
#include "workspace.h"

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

/* ---- diff / commit ----------------------------------------------------- */

struct change_list
{
  struct workspace_change *v;
  size_t n, cap;
};

static void
change_add (struct change_list *l, char op, const char *path)
{
  if (l->n == l->cap)
    {
      l->cap = l->cap ? l->cap * 2 : 32;
      l->v = xrealloc (l->v, l->cap * sizeof *l->v);
    }
  l->v[l->n].op = op;
  l->v[l->n].path = xstrdup (path);
  l->n++;
}

void
workspace_changes_free (struct workspace_change *c, size_t n)
{
  if (c == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    free (c[i].path);
  free (c);
}

/* Path order where '/' sorts before every other byte, so a directory's
   entries directly follow it ("d", "d/x", "d-1") and an opaque dir's "D"
   line is followed by the "A" lines of its new contents. */
static int
path_compare (const char *a, const char *b)
{
  for (;; a++, b++)
    {
      unsigned char ca = (unsigned char) *a, cb = (unsigned char) *b;
      if (ca == cb)
        {
          if (ca == '\0')
            return 0;
          continue;
        }
      if (ca == '\0')
        return -1;
      if (cb == '\0')
        return 1;
      if (ca == '/')
        return -1;
      if (cb == '/')
        return 1;
      return ca < cb ? -1 : 1;
    }
}

static int
op_rank (char op)
{
  return op == 'D' ? 0 : op == 'M' ? 1 : 2;
}

static int
change_compare (const void *x, const void *y)
{
  const struct workspace_change *a = x, *b = y;
  int c = path_compare (a->path, b->path);
  if (c)
    return c;
  return op_rank (a->op) - op_rank (b->op);
}

static bool
is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (0, 0);
}

/* Opaque marker: "y" in trusted.overlay.opaque (or user.overlay.opaque when
   the overlay was mounted with userxattr, as unprivileged overlays are).
   Other values (e.g. "x" on newer kernels) do not hide the lower dir. */
static bool
is_opaque_dir (int parent_fd, const char *name)
{
  static const char *const keys[] = { "trusted.overlay.opaque", "user.overlay.opaque" };
  _cleanup_close_ int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    {
      char v[4];
      ssize_t l = fgetxattr (fd, keys[i], v, sizeof v);
      if (l == 1 && v[0] == 'y')
        return true;
    }
  return false;
}

static int
files_differ (int ufd, int lfd, const char *name, const struct stat *us, const struct stat *ls, bool *differ,
              const char *rel, struct cr_error *err)
{
  if ((us->st_mode & S_IFMT) != (ls->st_mode & S_IFMT) || (us->st_mode & 07777) != (ls->st_mode & 07777))
    {
      *differ = true;
      return 0;
    }
  *differ = false;
  if (S_ISLNK (us->st_mode))
    {
      char a[PATH_MAX], b[PATH_MAX];
      ssize_t la = readlinkat (ufd, name, a, sizeof a);
      ssize_t lb = readlinkat (lfd, name, b, sizeof b);
      if (la < 0 || lb < 0)
        return cr_fail (err, errno, "readlink %s", rel);
      *differ = la != lb || memcmp (a, b, la) != 0;
      return 0;
    }
  if (!S_ISREG (us->st_mode))
    return 0;
  if (us->st_size != ls->st_size)
    {
      *differ = true;
      return 0;
    }
  _cleanup_close_ int a = openat (ufd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (a < 0)
    return cr_fail (err, errno, "open upper %s", rel);
  _cleanup_close_ int b = openat (lfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (b < 0)
    return cr_fail (err, errno, "open lower %s", rel);
  char ba[65536], bb[65536];
  for (;;)
    {
      ssize_t ra = read (a, ba, sizeof ba);
      if (ra < 0 && errno == EINTR)
        continue;
      if (ra < 0)
        return cr_fail (err, errno, "read upper %s", rel);
      if (ra == 0)
        return 0;
      ssize_t got = 0;
      while (got < ra)
        {
          ssize_t rb = read (b, bb + got, ra - got);
          if (rb < 0 && errno == EINTR)
            continue;
          if (rb < 0)
            return cr_fail (err, errno, "read lower %s", rel);
          if (rb == 0)
            break;
          got += rb;
        }
      if (got != ra || memcmp (ba, bb, ra) != 0)
        {
          *differ = true;
          return 0;
        }
    }
}

struct walk
{
  struct change_list changes;
  bool apply; /* commit (not dry-run) */
};

/* Copy one non-directory entry from upper to lower, replacing whatever the
   lower dir holds under that name.  Regular files go through a temp name
   and rename, so the host never sees a half-written file. */
static int
copy_entry (int ufd, int lfd, const char *name, const struct stat *us, const char *rel, struct cr_error *err)
{
  struct stat ls;
  if (fstatat (lfd, name, &ls, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (ls.st_mode))
    {
      int r = rm_rf_at (lfd, name, err);
      if (r < 0)
        return r;
    }
  if (S_ISLNK (us->st_mode))
    {
      char target[PATH_MAX];
      ssize_t l = readlinkat (ufd, name, target, sizeof target - 1);
      if (l < 0)
        return cr_fail (err, errno, "readlink upper %s", rel);
      target[l] = '\0';
      if (unlinkat (lfd, name, 0) < 0 && errno != ENOENT)
        return cr_fail (err, errno, "remove %s", rel);
      if (symlinkat (target, lfd, name) < 0)
        return cr_fail (err, errno, "create symlink %s", rel);
      return 0;
    }
  if (S_ISFIFO (us->st_mode))
    {
      if (unlinkat (lfd, name, 0) < 0 && errno != ENOENT)
        return cr_fail (err, errno, "remove %s", rel);
      if (mkfifoat (lfd, name, us->st_mode & 07777) < 0)
        return cr_fail (err, errno, "create fifo %s", rel);
      return 0;
    }
  if (!S_ISREG (us->st_mode))
    return cr_fail (err, EPERM, "commit %s: only files, directories, symlinks and fifos are committed", rel);

  _cleanup_close_ int src = openat (ufd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0)
    return cr_fail (err, errno, "open upper %s", rel);
  _cleanup_free_ char *tmp = NULL;
  xasprintf (&tmp, ".cellrun-commit-%d-%s", (int) getpid (), name);
  if (strlen (tmp) > NAME_MAX)
    tmp[NAME_MAX] = '\0';
  unlinkat (lfd, tmp, 0);
  _cleanup_close_ int dst = openat (lfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dst < 0)
    return cr_fail (err, errno, "create %s", rel);
  char buf[65536];
  int r = 0;
  for (;;)
    {
      ssize_t n = read (src, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          r = cr_fail (err, errno, "read upper %s", rel);
          break;
        }
      if (n == 0)
        break;
      if (write_all (dst, buf, n) < 0)
        {
          r = cr_fail (err, errno, "write %s", rel);
          break;
        }
    }
  /* fchmod after writing: the create mode is filtered by the umask, and
     setuid/setgid bits must be applied explicitly to be kept. */
  if (r == 0 && fchmod (dst, us->st_mode & 07777) < 0)
    r = cr_fail (err, errno, "chmod %s", rel);
  if (r == 0 && renameat (lfd, tmp, lfd, name) < 0)
    r = cr_fail (err, errno, "rename into place %s", rel);
  if (r < 0)
    unlinkat (lfd, tmp, 0);
  return r;
}

static char *
join_rel (const char *dir, const char *name)
{
  char *p;
  if (*dir == '\0')
    return xstrdup (name);
  xasprintf (&p, "%s/%s", dir, name);
  return p;
}

static int walk_dir (struct walk *w, int ufd, int lfd, const char *rel, bool all_new, struct cr_error *err);

/* Handle one directory found in the upper dir. */
static int
walk_subdir (struct walk *w, int ufd, int lfd, const char *name, const struct stat *us, const char *rel, bool all_new,
             struct cr_error *err)
{
  struct stat ls;
  bool lower_exists = !all_new && lfd >= 0 && fstatat (lfd, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;
  bool lower_is_dir = lower_exists && S_ISDIR (ls.st_mode);
  bool opaque = is_opaque_dir (ufd, name);
  bool children_new = all_new || !lower_is_dir || opaque;

  if (lower_exists && (opaque || !lower_is_dir))
    {
      /* The lower entry is entirely replaced: report it gone, then the
         directory and its contents as new. */
      change_add (&w->changes, 'D', rel);
      if (w->apply)
        {
          int r = rm_rf_at (lfd, name, err);
          if (r < 0)
            return r;
        }
      if (!lower_is_dir)
        change_add (&w->changes, 'A', rel);
    }
  else if (!lower_exists)
    change_add (&w->changes, 'A', rel);
  else if ((us->st_mode & 07777) != (ls.st_mode & 07777))
    change_add (&w->changes, 'M', rel);

  _cleanup_close_ int sub_lower = -1;
  if (w->apply)
    {
      if (children_new && mkdirat (lfd, name, 0700) < 0 && errno != EEXIST)
        return cr_fail (err, errno, "create directory %s", rel);
      sub_lower = openat (lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_lower < 0)
        return cr_fail (err, errno, "open lower %s", rel);
      if (fchmod (sub_lower, us->st_mode & 07777) < 0)
        return cr_fail (err, errno, "chmod %s", rel);
    }
  else if (!children_new)
    {
      sub_lower = openat (lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_lower < 0)
        return cr_fail (err, errno, "open lower %s", rel);
    }
  _cleanup_close_ int sub_upper = openat (ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub_upper < 0)
    return cr_fail (err, errno, "open upper %s", rel);
  return walk_dir (w, sub_upper, sub_lower, rel, children_new, err);
}

static int
walk_entry (struct walk *w, int ufd, int lfd, const char *name, const char *rel, bool all_new, struct cr_error *err)
{
  struct stat us, ls;
  if (fstatat (ufd, name, &us, AT_SYMLINK_NOFOLLOW) < 0)
    {
      /* A running container may delete files while we walk. */
      if (errno == ENOENT)
        return 0;
      return cr_fail (err, errno, "stat upper %s", rel);
    }
  if (S_ISDIR (us.st_mode))
    return walk_subdir (w, ufd, lfd, name, &us, rel, all_new, err);

  bool lower_exists = !all_new && lfd >= 0 && fstatat (lfd, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;
  if (is_whiteout (&us))
    {
      /* Whiteouts under an opaque or new dir hide nothing. */
      if (!lower_exists)
        return 0;
      change_add (&w->changes, 'D', rel);
      if (w->apply)
        return rm_rf_at (lfd, name, err);
      return 0;
    }
  if (S_ISCHR (us.st_mode) || S_ISBLK (us.st_mode) || S_ISSOCK (us.st_mode))
    {
      /* Device nodes from a container must never land on the host; sockets
         are meaningless once copied.  Listed in the diff, refused by commit. */
      if (w->apply)
        return cr_fail (err, EPERM, "commit %s: device nodes and sockets are not committed", rel);
    }
  char op = 'A';
  if (lower_exists)
    {
      bool differ = true;
      if (!S_ISDIR (ls.st_mode))
        {
          int r = files_differ (ufd, lfd, name, &us, &ls, &differ, rel, err);
          if (r < 0)
            return r;
        }
      if (!differ)
        return 0;
      op = 'M';
      /* A directory replaced by a file: the lower tree goes away. */
      if (S_ISDIR (ls.st_mode))
        {
          change_add (&w->changes, 'D', rel);
          op = 'A';
        }
    }
  change_add (&w->changes, op, rel);
  if (w->apply)
    return copy_entry (ufd, lfd, name, &us, rel, err);
  return 0;
}

static int
walk_dir (struct walk *w, int ufd, int lfd, const char *rel, bool all_new, struct cr_error *err)
{
  int dfd = dup (ufd);
  if (dfd < 0)
    return cr_fail (err, errno, "dup");
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return cr_fail (err, errno, "open upper dir %s", *rel ? rel : ".");
    }
  /* Read all names first: committing may create entries in LFD, never in
     UFD, but a running container can change UFD and readdir must not be
     interleaved with our own recursion's fds. */
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      names = xrealloc (names, (n + 1) * sizeof (char *));
      names[n++] = xstrdup (de->d_name);
    }
  closedir (d);
  int r = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (r == 0)
        {
          _cleanup_free_ char *child = join_rel (rel, names[i]);
          r = walk_entry (w, ufd, lfd, names[i], child, all_new, err);
        }
      free (names[i]);
    }
  free (names);
  return r;
}

static int
workspace_walk (const char *upper, const char *lower, bool apply, struct workspace_change **out, size_t *n,
                struct cr_error *err)
{
  _cleanup_close_ int ufd = open (upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ufd < 0)
    return cr_fail (err, errno, "open workspace upper dir %s", upper);
  _cleanup_close_ int lfd = open (lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lfd < 0)
    return cr_fail (err, errno, "open workspace host dir %s", lower);
  struct walk w = { .apply = apply };
  int r = walk_dir (&w, ufd, lfd, "", false, err);
  if (r < 0)
    {
      workspace_changes_free (w.changes.v, w.changes.n);
      return r;
    }
  if (w.changes.n > 1)
    qsort (w.changes.v, w.changes.n, sizeof *w.changes.v, change_compare);
  *out = w.changes.v;
  *n = w.changes.n;
  log_debug ("workspace %s %s: %zu changes", apply ? "commit" : "diff", upper, *n);
  return 0;
}

int
workspace_diff (const char *upper, const char *lower, struct workspace_change **out, size_t *n, struct cr_error *err)
{
  return workspace_walk (upper, lower, false, out, n, err);
}

int
workspace_commit (const char *upper, const char *lower, bool dry_run, struct workspace_change **out, size_t *n,
                  struct cr_error *err)
{
  return workspace_walk (upper, lower, !dry_run, out, n, err);
}
