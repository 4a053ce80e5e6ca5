/* `cellrun diff` and `cellrun commit`: walk an overlay workspace's upper dir
   and compare (or apply) each entry against the same name in the lower
   (host) dir.

   The upper dir is written by the container, which may still be running
   and changing it while we walk (docs/security.md, "Workspace diff/commit
   walk"), so:
   - every lookup is relative to an open directory fd, one component at a
     time, with O_NOFOLLOW: a planted symlink never redirects the walk;
   - every entry is opened exactly once, with O_PATH, and every decision
     (type, whiteout, mode, size) is taken from fstat of that fd.  Content
     is read by reopening that same fd (/proc/self/fd/N for a file, "."
     for a directory), which reaches the inode we examined whatever the
     name points to by then.  An O_PATH open runs no driver code and never
     blocks, so a device node swapped in under a file's name is never
     opened and a FIFO cannot hang the walk;
   - the container is not frozen: no step depends on the tree holding
     still, only the snapshot's consistency across files does (pause the
     container first for that). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "base/log.h"
#include "base/utils.h"
#include "linux/workspace_fs.h"

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

/* Errors name the entry quoted as diff prints it, so a hostile name cannot
   forge lines in the error output either. */
static int __attribute__ ((format (printf, 3, 0)))
walk_fail (struct cr_error *err, int errnum, const char *fmt, const char *rel)
{
  _cleanup_free_ char *q = workspace_quote_path (rel);
  return cr_fail (err, errnum, fmt, q);
}

/* ---- one entry, opened once --------------------------------------------- */

struct entry
{
  int fd; /* O_PATH, or -1 */
  struct stat st;
};

static void
entry_close (struct entry *e)
{
  if (e->fd >= 0)
    close (e->fd);
  e->fd = -1;
}

#define _cleanup_entry_ __attribute__ ((cleanup (entry_close)))

/* 0, -ENOENT when DIRFD has no such name (or DIRFD is -1), or -errno. */
static int
entry_open (int dirfd, const char *name, struct entry *e)
{
  e->fd = -1;
  if (dirfd < 0)
    return -ENOENT;
  int fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  if (fstat (fd, &e->st) < 0)
    {
      int r = -errno;
      close (fd);
      return r;
    }
  e->fd = fd;
  return 0;
}

/* A readable fd on the regular file E examined.  The /proc magic link
   resolves to E's inode itself, not to whatever the name holds now. */
static int
entry_open_file (const struct entry *e, bool upper, off_t *size, const char *rel, struct cr_error *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", e->fd);
  int fd = open (path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return walk_fail (err, errno, upper ? "open upper %s" : "open lower %s", rel);
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_dev != e->st.st_dev || st.st_ino != e->st.st_ino || !S_ISREG (st.st_mode))
    {
      close (fd);
      return walk_fail (err, EIO, upper ? "reopen upper %s" : "reopen lower %s", rel);
    }
  if (size)
    *size = st.st_size;
  return fd;
}

static ssize_t
entry_readlink (const struct entry *e, char *buf, size_t size)
{
  return readlinkat (e->fd, "", buf, size);
}

static bool
is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (0, 0);
}

/* The mode commit gives whatever it writes from the container's data: no
   setuid or setgid bit (the host file is owned by the committer, usually
   root), no write access for others, and the sticky bit only on a
   directory (it means nothing on a file). */
static mode_t
commit_mode (mode_t st_mode)
{
  mode_t m = st_mode & 07777 & ~(mode_t) (S_ISUID | S_ISGID | S_IWOTH);
  if (!S_ISDIR (st_mode))
    m &= ~(mode_t) S_ISVTX;
  return m;
}

/* A mode change is reported (and applied) only when the container changed
   the mode and the mode commit would apply differs from the host's: a
   copied-up directory keeps the host's own bits, and a setuid file already
   committed without its setuid bit is not reported again. */
static bool
mode_changed (const struct stat *u, const struct stat *l)
{
  mode_t lm = l->st_mode & 07777;
  return (u->st_mode & 07777) != lm && commit_mode (u->st_mode) != lm;
}

/* ---- comparing ---------------------------------------------------------- */

static int
read_full (int fd, char *buf, size_t want, ssize_t *got)
{
  size_t n = 0;
  while (n < want)
    {
      ssize_t r = read (fd, buf + n, want - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      n += r;
    }
  *got = (ssize_t) n;
  return 0;
}

static int
contents_differ (const struct entry *u, const struct entry *l, bool *differ, const char *rel, struct cr_error *err)
{
  _cleanup_close_ int a = entry_open_file (u, true, NULL, rel, err);
  if (a < 0)
    return a;
  _cleanup_close_ int b = entry_open_file (l, false, NULL, rel, err);
  if (b < 0)
    return b;
  static char ba[65536], bb[65536];
  for (;;)
    {
      ssize_t ra, rb;
      if (read_full (a, ba, sizeof ba, &ra) < 0)
        return walk_fail (err, errno, "read upper %s", rel);
      if (read_full (b, bb, sizeof bb, &rb) < 0)
        return walk_fail (err, errno, "read lower %s", rel);
      if (ra != rb || memcmp (ba, bb, ra) != 0)
        {
          *differ = true;
          return 0;
        }
      if (ra == 0)
        return 0;
    }
}

static int
entries_differ (const struct entry *u, const struct entry *l, bool *differ, const char *rel, struct cr_error *err)
{
  *differ = true;
  if ((u->st.st_mode & S_IFMT) != (l->st.st_mode & S_IFMT) || mode_changed (&u->st, &l->st))
    return 0;
  *differ = false;
  if (S_ISLNK (u->st.st_mode))
    {
      char a[PATH_MAX], b[PATH_MAX];
      ssize_t la = entry_readlink (u, a, sizeof a);
      if (la < 0)
        return walk_fail (err, errno, "readlink upper %s", rel);
      ssize_t lb = entry_readlink (l, b, sizeof b);
      if (lb < 0)
        return walk_fail (err, errno, "readlink lower %s", rel);
      *differ = la != lb || memcmp (a, b, la) != 0;
      return 0;
    }
  if (S_ISCHR (u->st.st_mode) || S_ISBLK (u->st.st_mode))
    {
      *differ = u->st.st_rdev != l->st.st_rdev;
      return 0;
    }
  if (!S_ISREG (u->st.st_mode))
    return 0;
  if (u->st.st_size != l->st.st_size)
    {
      *differ = true;
      return 0;
    }
  return contents_differ (u, l, differ, rel, err);
}

/* ---- applying ------------------------------------------------------------ */

/* rm -rf of NAME in the host dir; the error names REL, quoted. */
static int
remove_lower (int lfd, const char *name, const char *rel, struct cr_error *err)
{
  struct cr_error inner = { 0 };
  if (rm_rf_at (lfd, name, &inner) < 0)
    return walk_fail (err, inner.code, "remove %s", rel);
  return 0;
}

struct walk
{
  struct change_list changes;
  bool apply;               /* commit (not dry-run) */
  const char *opaque_xattr; /* the one the mount honours */
};

/* Opaque marker: "y" in the overlay.opaque xattr of the namespace the
   mount uses (trusted.* normally, user.* with userxattr).  The other
   namespace's marker is an ordinary xattr the container may set at will,
   and the kernel ignores it; so do we.  Other values (e.g. "x") do not
   hide the lower dir. */
static bool
is_opaque_dir (const struct walk *w, int dirfd)
{
  char v[4];
  ssize_t l = fgetxattr (dirfd, w->opaque_xattr, v, sizeof v);
  return l == 1 && v[0] == 'y';
}

static int
copy_regular (int lfd, const char *name, const struct entry *u, const char *rel, struct cr_error *err)
{
  off_t size = 0;
  _cleanup_close_ int src = entry_open_file (u, true, &size, rel, err);
  if (src < 0)
    return src;
  _cleanup_free_ char *tmp = NULL;
  xasprintf (&tmp, ".cellrun-commit-%d-%s", (int) getpid (), name);
  if (strlen (tmp) > NAME_MAX)
    tmp[NAME_MAX] = '\0';
  unlinkat (lfd, tmp, 0);
  _cleanup_close_ int dst = openat (lfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dst < 0)
    return walk_fail (err, errno, "create %s", rel);
  /* At most the size the file had when we opened it: a container that
     keeps appending cannot keep the commit busy. */
  static char buf[65536];
  int r = 0;
  for (off_t left = size; left > 0;)
    {
      ssize_t n = read (src, buf, left < (off_t) sizeof buf ? (size_t) left : sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          r = walk_fail (err, errno, "read upper %s", rel);
          break;
        }
      if (n == 0)
        break;
      if (write_all (dst, buf, n) < 0)
        {
          r = walk_fail (err, errno, "write %s", rel);
          break;
        }
      left -= n;
    }
  /* fchmod after writing: the create mode is filtered by the umask. */
  if (r == 0 && fchmod (dst, commit_mode (u->st.st_mode)) < 0)
    r = walk_fail (err, errno, "chmod %s", rel);
  if (r == 0 && renameat (lfd, tmp, lfd, name) < 0)
    r = walk_fail (err, errno, "rename into place %s", rel);
  if (r < 0)
    unlinkat (lfd, tmp, 0);
  return r;
}

/* Copy one non-directory entry from upper to lower, replacing whatever the
   lower dir holds under that name.  Regular files go through a temp name
   and rename, so the host never sees a half-written file. */
static int
copy_entry (int lfd, const char *name, const struct entry *u, bool lower_is_dir, const char *rel, struct cr_error *err)
{
  if (lower_is_dir)
    {
      int r = remove_lower (lfd, name, rel, err);
      if (r < 0)
        return r;
    }
  if (S_ISLNK (u->st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t l = entry_readlink (u, target, sizeof target - 1);
      if (l < 0)
        return walk_fail (err, errno, "readlink upper %s", rel);
      target[l] = '\0';
      if (unlinkat (lfd, name, 0) < 0 && errno != ENOENT)
        return walk_fail (err, errno, "remove %s", rel);
      if (symlinkat (target, lfd, name) < 0)
        return walk_fail (err, errno, "create symlink %s", rel);
      return 0;
    }
  if (S_ISFIFO (u->st.st_mode))
    {
      if (unlinkat (lfd, name, 0) < 0 && errno != ENOENT)
        return walk_fail (err, errno, "remove %s", rel);
      if (mkfifoat (lfd, name, commit_mode (u->st.st_mode)) < 0)
        return walk_fail (err, errno, "create fifo %s", rel);
      return 0;
    }
  if (!S_ISREG (u->st.st_mode))
    return walk_fail (err, EPERM, "commit %s: only files, directories, symlinks and fifos are committed", rel);
  return copy_regular (lfd, name, u, rel, err);
}

/* ---- the walk ------------------------------------------------------------ */

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

/* Handle one directory found in the upper dir; L is its lower counterpart
   or NULL. */
static int
walk_subdir (struct walk *w, int lfd, const char *name, struct entry *u, struct entry *l, const char *rel, bool all_new,
             struct cr_error *err)
{
  _cleanup_close_ int sub_upper = openat (u->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sub_upper < 0)
    return walk_fail (err, errno, "open upper %s", rel);
  bool lower_is_dir = l && S_ISDIR (l->st.st_mode);
  bool opaque = is_opaque_dir (w, sub_upper);
  bool children_new = all_new || !lower_is_dir || opaque;
  bool set_mode = children_new;

  if (l && (opaque || !lower_is_dir))
    {
      /* The lower entry is entirely replaced: report it gone, then the
         directory and its contents as new. */
      change_add (&w->changes, 'D', rel);
      if (w->apply)
        {
          int r = remove_lower (lfd, name, rel, err);
          if (r < 0)
            return r;
        }
      if (!lower_is_dir)
        change_add (&w->changes, 'A', rel);
    }
  else if (l == NULL)
    change_add (&w->changes, 'A', rel);
  else if (mode_changed (&u->st, &l->st))
    {
      change_add (&w->changes, 'M', rel);
      set_mode = true;
    }

  _cleanup_close_ int sub_lower = -1;
  if (w->apply)
    {
      if (children_new && mkdirat (lfd, name, 0700) < 0 && errno != EEXIST)
        return walk_fail (err, errno, "create directory %s", rel);
      sub_lower = openat (lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_lower < 0)
        return walk_fail (err, errno, "open lower %s", rel);
      /* Also clears a setgid bit inherited from a setgid host parent. */
      if (set_mode && fchmod (sub_lower, commit_mode (u->st.st_mode)) < 0)
        return walk_fail (err, errno, "chmod %s", rel);
    }
  else if (!children_new)
    {
      sub_lower = openat (lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_lower < 0)
        return walk_fail (err, errno, "open lower %s", rel);
    }
  /* Only the directory fds are needed below: a deep tree costs two fds a
     level, not four. */
  entry_close (u);
  if (l)
    entry_close (l);
  return walk_dir (w, sub_upper, sub_lower, rel, children_new, err);
}

static int
walk_entry (struct walk *w, int ufd, int lfd, const char *name, const char *rel, bool all_new, struct cr_error *err)
{
  _cleanup_entry_ struct entry u = { .fd = -1 }, l = { .fd = -1 };
  int r = entry_open (ufd, name, &u);
  /* A running container may delete files while we walk. */
  if (r == -ENOENT)
    return 0;
  if (r < 0)
    return walk_fail (err, -r, "open upper %s", rel);
  bool lower_exists = false;
  if (!all_new)
    {
      r = entry_open (lfd, name, &l);
      if (r < 0 && r != -ENOENT)
        return walk_fail (err, -r, "open lower %s", rel);
      lower_exists = r == 0;
    }
  if (S_ISDIR (u.st.st_mode))
    return walk_subdir (w, lfd, name, &u, lower_exists ? &l : NULL, rel, all_new, err);

  if (is_whiteout (&u.st))
    {
      /* Whiteouts under an opaque or new dir hide nothing. */
      if (!lower_exists)
        return 0;
      change_add (&w->changes, 'D', rel);
      if (w->apply)
        return remove_lower (lfd, name, rel, err);
      return 0;
    }
  /* Device nodes from a container must never land on the host; sockets
     are meaningless once copied.  Listed in the diff, refused by commit. */
  if (w->apply && (S_ISCHR (u.st.st_mode) || S_ISBLK (u.st.st_mode) || S_ISSOCK (u.st.st_mode)))
    return walk_fail (err, EPERM, "commit %s: device nodes and sockets are not committed", rel);
  bool lower_is_dir = lower_exists && S_ISDIR (l.st.st_mode);
  char op = 'A';
  if (lower_exists)
    {
      bool differ = true;
      if (!lower_is_dir && (r = entries_differ (&u, &l, &differ, rel, err)) < 0)
        return r;
      if (!differ)
        return 0;
      op = 'M';
      /* A directory replaced by a file: the lower tree goes away. */
      if (lower_is_dir)
        {
          change_add (&w->changes, 'D', rel);
          op = 'A';
        }
    }
  change_add (&w->changes, op, rel);
  if (w->apply)
    return copy_entry (lfd, name, &u, lower_is_dir, rel, err);
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
      return walk_fail (err, errno, "open upper dir %s", *rel ? rel : ".");
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
workspace_walk (const struct workspace_layers *layers, bool apply, struct workspace_change **out, size_t *n,
                struct cr_error *err)
{
  _cleanup_close_ int ufd = open (layers->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ufd < 0)
    return cr_fail (err, errno, "open workspace upper dir %s", layers->upper);
  _cleanup_close_ int lfd = open (layers->lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lfd < 0)
    return cr_fail (err, errno, "open workspace host dir %s", layers->lower);
  struct walk w = { .apply = apply,
                    .opaque_xattr = layers->userxattr ? "user.overlay.opaque" : "trusted.overlay.opaque" };
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
  log_debug ("workspace %s %s: %zu changes", apply ? "commit" : "diff", layers->upper, *n);
  return 0;
}

int
workspace_diff (const struct workspace_layers *layers, struct workspace_change **out, size_t *n, struct cr_error *err)
{
  return workspace_walk (layers, false, out, n, err);
}

int
workspace_commit (const struct workspace_layers *layers, bool dry_run, struct workspace_change **out, size_t *n,
                  struct cr_error *err)
{
  return workspace_walk (layers, !dry_run, out, n, err);
}
