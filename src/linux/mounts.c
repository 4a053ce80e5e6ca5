#include "config.h"
#include "linux/mounts.h"
#include "base/log.h"
#include "base/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

struct option_def
{
  const char *name;
  bool clear;
  unsigned long flag;
  unsigned long long attr; /* MOUNT_ATTR_* equivalent, for bind remounts */
  unsigned long propagation;
};

static const struct option_def option_defs[] = {
  { "defaults", false, 0, 0, 0 },
  { "ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY, 0 },
  { "rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY, 0 },
  { "nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID, 0 },
  { "suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID, 0 },
  { "nodev", false, MS_NODEV, MOUNT_ATTR_NODEV, 0 },
  { "dev", true, MS_NODEV, MOUNT_ATTR_NODEV, 0 },
  { "noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC, 0 },
  { "exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC, 0 },
  { "sync", false, MS_SYNCHRONOUS, 0, 0 },
  { "async", true, MS_SYNCHRONOUS, 0, 0 },
  { "dirsync", false, MS_DIRSYNC, 0, 0 },
  { "remount", false, MS_REMOUNT, 0, 0 },
  { "mand", false, MS_MANDLOCK, 0, 0 },
  { "nomand", true, MS_MANDLOCK, 0, 0 },
  { "atime", true, MS_NOATIME, MOUNT_ATTR_NOATIME, 0 },
  { "noatime", false, MS_NOATIME, MOUNT_ATTR_NOATIME, 0 },
  { "diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME, 0 },
  { "nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME, 0 },
  { "relatime", false, MS_RELATIME, MOUNT_ATTR_RELATIME, 0 },
  { "norelatime", true, MS_RELATIME, 0, 0 },
  { "strictatime", false, MS_STRICTATIME, MOUNT_ATTR_STRICTATIME, 0 },
  { "nostrictatime", true, MS_STRICTATIME, 0, 0 },
  { "lazytime", false, MS_LAZYTIME, 0, 0 },
  { "nolazytime", true, MS_LAZYTIME, 0, 0 },
  { "iversion", false, MS_I_VERSION, 0, 0 },
  { "noiversion", true, MS_I_VERSION, 0, 0 },
  { "silent", false, MS_SILENT, 0, 0 },
  { "loud", true, MS_SILENT, 0, 0 },
  { "nosymfollow", false, 0, MOUNT_ATTR_NOSYMFOLLOW, 0 },
  { "symfollow", true, 0, MOUNT_ATTR_NOSYMFOLLOW, 0 },
  { "bind", false, MS_BIND, 0, 0 },
  { "rbind", false, MS_BIND | MS_REC, 0, 0 },
  { "private", false, 0, 0, MS_PRIVATE },
  { "rprivate", false, 0, 0, MS_PRIVATE | MS_REC },
  { "shared", false, 0, 0, MS_SHARED },
  { "rshared", false, 0, 0, MS_SHARED | MS_REC },
  { "slave", false, 0, 0, MS_SLAVE },
  { "rslave", false, 0, 0, MS_SLAVE | MS_REC },
  { "unbindable", false, 0, 0, MS_UNBINDABLE },
  { "runbindable", false, 0, 0, MS_UNBINDABLE | MS_REC },
};

int
mount_options_parse (char *const *options, struct mount_options *out, struct cr_error *err)
{
  memset (out, 0, sizeof *out);
  size_t datalen = 0;
  for (size_t i = 0; options && options[i]; i++)
    {
      const char *o = options[i];
      const struct option_def *d = NULL;
      for (size_t k = 0; k < ARRAY_SIZE (option_defs); k++)
        if (strcmp (option_defs[k].name, o) == 0)
          d = &option_defs[k];
      /* Extensions podman and CRI-O put in tmpfs options (from runc): they are
         for the runtime, and the kernel would reject them as tmpfs data. */
      if (strcmp (o, "tmpcopyup") == 0 || strcmp (o, "notmpcopyup") == 0)
        {
          out->tmpcopyup = strcmp (o, "tmpcopyup") == 0;
          continue;
        }
      if (d == NULL)
        {
          /* Filesystem-specific (size=, mode=, lowerdir=, ...): passed as data. */
          size_t n = strlen (o);
          out->data = xrealloc (out->data, datalen + n + 2);
          if (datalen)
            out->data[datalen++] = ',';
          memcpy (out->data + datalen, o, n + 1);
          datalen += n;
          continue;
        }
      if (d->propagation)
        out->propagation = d->propagation;
      if (strcmp (o, "bind") == 0 || strcmp (o, "rbind") == 0)
        {
          out->bind = true;
          out->recursive |= strcmp (o, "rbind") == 0;
          continue;
        }
      if (d->clear)
        {
          out->flags &= ~d->flag;
          out->attr_set &= ~d->attr;
          out->attr_clr |= d->attr;
        }
      else
        {
          out->flags |= d->flag;
          out->attr_set |= d->attr;
          out->attr_clr &= ~d->attr;
        }
    }
  /* The atime attributes are one field in mount_setattr: clearing needs the mask. */
  if (out->attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_RELATIME | MOUNT_ATTR_STRICTATIME))
    out->attr_clr |= MOUNT_ATTR__ATIME;
  return 0;
}

void
mount_options_clear (struct mount_options *o)
{
  free (o->data);
  o->data = NULL;
}

int
open_in_root (int rootfd, const char *path, int flags, struct cr_error *err)
{
  struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  if (fd < 0)
    return cr_fail (err, errno, "open %s inside the container root", path);
  return fd;
}

/* Symlinks followed while creating one path, as in path resolution (ELOOP). */
#define MKDIR_MAX_SYMLINKS 40

/* One pass of mkdir_in_root over PATH.  A component that exists as a symlink
   whose target is missing cannot be opened: then *REWRITTEN is set to PATH
   with that component replaced by the link's target (relative targets are
   taken from the link's directory) and 1 is returned, to walk again from the
   root; otherwise 0 with *OUT the O_PATH fd of PATH.  Every open is
   RESOLVE_IN_ROOT, so neither an absolute target nor any number of ".." can
   lead outside ROOTFD. */
static int
mkdir_walk (int rootfd, const char *path, bool as_file, int *out, char **rewritten, struct cr_error *err)
{
  _cleanup_free_ char *prefix = xcalloc (1, strlen (path) + 2);
  _cleanup_close_ int cur = open_in_root (rootfd, "/", O_PATH | O_DIRECTORY, err);
  if (cur < 0)
    return cur;
  const char *p = path;
  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *end = strchrnul (p, '/');
      const char *rest = end;
      while (*rest == '/')
        rest++;
      _cleanup_free_ char *comp = strndup (p, end - p);
      if (comp == NULL)
        abort ();
      p = end;
      if (strcmp (comp, ".") == 0)
        continue;
      size_t parent_len = strlen (prefix);
      if (strcmp (comp, "..") != 0)
        {
          /* mknodat creates a regular file without opening anything: an
             existing FIFO or device at the path is never opened. */
          int mk = *rest == '\0' && as_file ? mknodat (cur, comp, S_IFREG | 0644, 0) : mkdirat (cur, comp, 0755);
          if (mk < 0 && errno != EEXIST)
            return cr_fail (err, errno, "mkdir %s inside the container root", path);
        }
      strcat (prefix, "/");
      strcat (prefix, comp);
      struct cr_error open_err = { 0 };
      int nfd = open_in_root (rootfd, prefix, O_PATH, &open_err);
      if (nfd < 0 && open_err.code == ENOENT)
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (cur, comp, target, sizeof target - 1);
          if (n > 0)
            {
              target[n] = '\0';
              prefix[parent_len] = '\0';
              xasprintf (rewritten, "%s/%s/%s", target[0] == '/' ? "" : prefix, target, rest);
              return 1;
            }
        }
      if (nfd < 0)
        {
          *err = open_err;
          return nfd;
        }
      close (cur);
      cur = nfd;
    }
  *out = TAKE_FD (cur);
  return 0;
}

/* The common missing case: the parent exists and only the last component is
   to be made.  The same steps as the walk's last one (the parent resolved
   inside the root, the entry made in it, the whole path resolved again
   inside the root) without walking from the root; -1 means "take the walk",
   which handles everything else and reports errors in its own words. */
static int
mkdir_last (int rootfd, const char *path, bool as_file)
{
  size_t len = strlen (path);
  while (len > 1 && path[len - 1] == '/')
    len--;
  const char *slash = memrchr (path, '/', len);
  if (slash == NULL)
    return -1;
  _cleanup_free_ char *name = strndup (slash + 1, len - (slash + 1 - path));
  if (name == NULL)
    abort ();
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return -1;
  _cleanup_free_ char *parent = slash == path ? xstrdup ("/") : strndup (path, slash - path);
  if (parent == NULL)
    abort ();
  _cleanup_close_ int dir = open_in_root (rootfd, parent, O_PATH | O_DIRECTORY, NULL);
  if (dir < 0)
    return -1;
  int mk = as_file ? mknodat (dir, name, S_IFREG | 0644, 0) : mkdirat (dir, name, 0755);
  if (mk < 0 && errno != EEXIST)
    return -1;
  int fd = open_in_root (rootfd, path, O_PATH, NULL);
  return fd < 0 ? -1 : fd;
}

int
mkdir_in_root (int rootfd, const char *path, bool as_file, struct cr_error *err)
{
  /* Most targets exist already (the image's /proc, /sys, /dev...): then one
     lookup, inside the root like every step of the walk, gives the same fd
     the walk would end with.  Anything else (a missing component, a dangling
     symlink, an error) takes the walk, which creates and reports. */
  int fast = open_in_root (rootfd, path, O_PATH, NULL);
  if (fast >= 0)
    return fast;
  if (fast == -ENOENT && (fast = mkdir_last (rootfd, path, as_file)) >= 0)
    return fast;
  _cleanup_free_ char *walk = xstrdup (path);
  for (int links = 0; links <= MKDIR_MAX_SYMLINKS; links++)
    {
      char *next = NULL;
      int fd = -1;
      int r = mkdir_walk (rootfd, walk, as_file, &fd, &next, err);
      if (r < 0)
        return r;
      if (r == 0)
        return fd;
      log_debug ("mkdir %s inside the container root: following a symlink to the missing %s", path, next);
      free (walk);
      walk = next;
    }
  return cr_fail (err, ELOOP, "mkdir %s inside the container root", path);
}

int
mount_setattr_fd (int fd, bool recursive, unsigned long long set, unsigned long long clr, unsigned long propagation)
{
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr };
  if (propagation)
    attr.propagation = propagation & ~MS_REC;
  if (set == 0 && clr == 0 && propagation == 0)
    return 0;
  if (syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return -errno;
  return 0;
}

static int
fd_path (int fd, char buf[static 64])
{
  snprintf (buf, 64, "/proc/self/fd/%d", fd);
  return 0;
}

/* Bind the host cgroup directory SRC on TPATH (a /proc/self/fd path) for
   DEST. A bind keeps the host mount's flags: give it the ones a cgroup mount
   gets (nosuid,nodev,noexec, ro when asked), as runc does. */
static int
bind_cgroup_dir (const struct mount_context *ctx, const char *src, const char *tpath, const char *dest, bool ro,
                 struct cr_error *err)
{
  if (mount (src, tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cr_fail (err, errno, "bind %s on %s", src, dest);
  _cleanup_close_ int mfd = open_in_root (ctx->rootfd, dest, O_PATH, err);
  if (mfd < 0)
    return mfd;
  unsigned long long set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (ro ? MOUNT_ATTR_RDONLY : 0);
  int e = mount_setattr_fd (mfd, true, set, 0, 0);
  return e < 0 ? cr_fail (err, -e, "set the attributes of %s", dest) : 0;
}

/* One hierarchy NAME (OPTS: its v1 controllers, NULL for cgroup2) on the
   cgroup tmpfs whose root is TMPFS. */
static int
mount_hierarchy (const struct mount_context *ctx, const struct spec_mount *m, int tmpfs, const char *name,
                 const char *opts, unsigned long flags, bool ro, struct cr_error *err)
{
  char tpath[64];
  fd_path (tmpfs, tpath);
  if (ctx->new_cgroupns)
    {
      /* The tmpfs was mounted just now, in the init's own mount namespace,
         and nothing else runs there yet: a name made in it is the
         directory, no symlink, so it is made and mounted on by name. */
      if (mkdirat (tmpfs, name, 0755) < 0 && errno != EEXIST)
        return cr_fail (err, errno, "mkdir %s/%s", m->destination, name);
      _cleanup_free_ char *spath = NULL;
      xasprintf (&spath, "%s/%s", tpath, name);
      if (mount ("cgroup", spath, opts ? "cgroup" : "cgroup2", flags, opts) < 0)
        return cr_fail (err, errno, "mount cgroup %s on %s/%s", name, m->destination, name);
      return 0;
    }
  _cleanup_close_ int sub = mkdir_in_root (tmpfs, name, false, err);
  if (sub < 0)
    return sub;
  char spath[64];
  fd_path (sub, spath);
  /* Without a cgroup namespace, show only the container's own cgroup. */
  const char *root = ctx->cgroup_root ? ctx->cgroup_root : "/sys/fs/cgroup";
  _cleanup_free_ char *src = NULL, *dest = NULL;
  xasprintf (&src, "%s/%s%s", root, name, ctx->cgroup_path ? ctx->cgroup_path : "");
  xasprintf (&dest, "%s/%s", m->destination, name);
  return bind_cgroup_dir (ctx, src, spath, dest, ro, err);
}

/* cgroup mounts: a cgroup2 filesystem when the host uses one; on v1/hybrid a
   tmpfs holding one mount per v1 hierarchy (plus "unified" on hybrid). With a
   private cgroup namespace the kernel shows only the container's subtree. */
static int
mount_cgroup (const struct mount_context *ctx, const struct spec_mount *m, int target, const struct mount_options *o,
              struct cr_error *err)
{
  char tpath[64];
  fd_path (target, tpath);
  unsigned long flags = (o->flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const char *root = ctx->cgroup_root ? ctx->cgroup_root : "/sys/fs/cgroup";
  _cleanup_free_ char *controllers = NULL;
  xasprintf (&controllers, "%s/cgroup.controllers", root);
  if (access (controllers, F_OK) == 0)
    {
      if (mount ("cgroup2", tpath, "cgroup2", flags | (o->flags & MS_RDONLY), NULL) == 0)
        return 0;
      if (errno != EPERM || !ctx->in_userns || ctx->new_cgroupns)
        return cr_fail (err, errno, "mount cgroup2 on %s", m->destination);
      /* A user namespace that does not own the cgroup namespace cannot
         mount cgroup2: bind the container's own cgroup instead. */
      _cleanup_free_ char *src = NULL;
      xasprintf (&src, "%s%s", root, ctx->cgroup_path ? ctx->cgroup_path : "");
      return bind_cgroup_dir (ctx, src, tpath, m->destination, o->flags & MS_RDONLY, err);
    }
  if (mount ("tmpfs", tpath, "tmpfs", flags, "mode=755") < 0)
    return cr_fail (err, errno, "mount tmpfs for cgroups on %s", m->destination);
  /* TARGET still names the directory under the new tmpfs: resolve again. */
  _cleanup_close_ int tmpfs_fd = open_in_root (ctx->rootfd, m->destination, O_PATH | O_DIRECTORY, err);
  if (tmpfs_fd < 0)
    return tmpfs_fd;
  target = tmpfs_fd;
  fd_path (target, tpath);
  static char mi_buf[32768];
  _cleanup_fclose_ FILE *mi = fopen ("/proc/self/mountinfo", "re");
  if (mi == NULL)
    return cr_fail (err, errno, "open /proc/self/mountinfo");
  /* Read in large chunks (stdio's default is 1 KiB here): every read(2) of
     mountinfo walks the mount table again up to where the last one stopped. */
  setvbuf (mi, mi_buf, _IOFBF, sizeof mi_buf);
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  size_t rootlen = strlen (root);
  while (getline (&line, &cap, mi) > 0)
    {
      /* ... mountpoint ... - fstype source superopts */
      char mp[4096], fstype[64], super[1024];
      char *dash = strstr (line, " - ");
      if (dash == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1
          || sscanf (dash + 3, "%63s %*s %1023s", fstype, super) != 2)
        continue;
      if (strncmp (mp, root, rootlen) != 0 || mp[rootlen] != '/')
        continue;
      const char *name = mp + rootlen + 1;
      if (strchr (name, '/'))
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (!v2 && strcmp (fstype, "cgroup") != 0)
        continue;
      /* The v1 mount options name the controllers: keep only those. */
      char opts[1024] = "";
      if (!v2)
        {
          char *save = NULL;
          for (char *t = strtok_r (super, ",", &save); t; t = strtok_r (NULL, ",", &save))
            if (strcmp (t, "rw") && strcmp (t, "ro") && strncmp (t, "release_agent", 13)
                && strcmp (t, "clone_children"))
              {
                if (opts[0])
                  strncat (opts, ",", sizeof opts - strlen (opts) - 1);
                strncat (opts, t, sizeof opts - strlen (opts) - 1);
              }
        }
      int e = mount_hierarchy (ctx, m, target, name, v2 ? NULL : opts, flags, o->flags & MS_RDONLY, err);
      if (e < 0)
        return e;
    }
  /* One call for the tmpfs and every hierarchy on it (TARGET is the tmpfs's
     root): v1 hierarchies share their superblock with the host's, so the
     read-only flag must be the mount's own, never the superblock's. */
  if (o->flags & MS_RDONLY)
    {
      int e = mount_setattr_fd (target, true, MOUNT_ATTR_RDONLY, 0, 0);
      if (e < 0)
        return cr_fail (err, -e, "make %s read-only", m->destination);
    }
  return 0;
}

/* Copy the tree under directory fd FROM into directory fd TO: files, directories and
   symlinks with their modes and owners; anything else is skipped.  Both fds are
   inside the container root, so nothing here resolves a path from the image
   outside it (every step is *at with O_NOFOLLOW on an opened directory). */
static int
copy_tree (int from, int to, const char *what, int depth, struct cr_error *err)
{
  if (depth > 64)
    return cr_fail (err, ELOOP, "tmpcopyup %s: tree too deep", what);
  int dup_fd = openat (from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0)
    return cr_fail (err, errno, "tmpcopyup %s: open", what);
  DIR *dir = fdopendir (dup_fd);
  if (dir == NULL)
    {
      close (dup_fd);
      return cr_fail (err, errno, "tmpcopyup %s: opendir", what);
    }
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir (dir)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      struct stat st;
      if (fstatat (from, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (mkdirat (to, de->d_name, st.st_mode & 07777) < 0 && errno != EEXIST)
            r = cr_fail (err, errno, "tmpcopyup %s/%s: mkdir", what, de->d_name);
          _cleanup_close_ int sub_from = openat (from, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          _cleanup_close_ int sub_to = openat (to, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (r == 0 && (sub_from < 0 || sub_to < 0))
            r = cr_fail (err, errno, "tmpcopyup %s/%s: open", what, de->d_name);
          if (r == 0)
            r = copy_tree (sub_from, sub_to, what, depth + 1, err);
          if (r == 0 && (fchown (sub_to, st.st_uid, st.st_gid) < 0 || fchmod (sub_to, st.st_mode & 07777) < 0))
            r = cr_fail (err, errno, "tmpcopyup %s/%s: set owner and mode", what, de->d_name);
        }
      else if (S_ISLNK (st.st_mode))
        {
          char target[4096];
          ssize_t n = readlinkat (from, de->d_name, target, sizeof target - 1);
          if (n < 0)
            continue;
          target[n] = '\0';
          if (symlinkat (target, to, de->d_name) < 0
              || fchownat (to, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
            r = cr_fail (err, errno, "tmpcopyup %s/%s: symlink", what, de->d_name);
        }
      else if (S_ISREG (st.st_mode))
        {
          _cleanup_close_ int in = openat (from, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
          _cleanup_close_ int out = openat (to, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
          if (in < 0 || out < 0)
            r = cr_fail (err, errno, "tmpcopyup %s/%s: open", what, de->d_name);
          char buf[65536];
          ssize_t n;
          while (r == 0 && (n = read (in, buf, sizeof buf)) != 0)
            if (n < 0 || write_all (out, buf, n) < 0)
              r = cr_fail (err, errno, "tmpcopyup %s/%s: copy", what, de->d_name);
          if (r == 0 && (fchown (out, st.st_uid, st.st_gid) < 0 || fchmod (out, st.st_mode & 07777) < 0))
            r = cr_fail (err, errno, "tmpcopyup %s/%s: set owner and mode", what, de->d_name);
        }
      else
        log_debug ("tmpcopyup %s/%s: not a file, directory or symlink: skipped", what, de->d_name);
    }
  closedir (dir);
  return r;
}

/* The source is opened once with O_PATH, which never blocks (a FIFO or a
   device would on a real open), and the bind is made from that fd: what was
   checked is what gets mounted. */
static int
open_bind_source (const struct spec_mount *m, bool *is_file, struct cr_error *err)
{
  if (m->source == NULL)
    return cr_fail (err, 0, "mount %s: bind mount without a source", m->destination);
  _cleanup_close_ int fd = open (m->source, O_PATH | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return cr_fail (err, errno, "mount %s on %s: source", m->source, m->destination);
  *is_file = !S_ISDIR (st.st_mode);
  return TAKE_FD (fd);
}

/* A mount that is neither a bind nor cgroup: tmpfs, proc, sysfs, mqueue, ... */
static int
mount_filesystem (const struct mount_context *ctx, const struct spec_mount *m, const char *type, int target,
                  const char *tpath, const struct mount_options *o, struct cr_error *err)
{
  const char *src = m->source ? m->source : type;
  /* tmpcopyup: the directory the tmpfs is about to hide stays reachable by fd. */
  _cleanup_close_ int hidden = -1;
  if (o->tmpcopyup && strcmp (type, "tmpfs") == 0)
    hidden = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = mount (src, tpath, type, o->flags & ~(MS_BIND | MS_REC | MS_REMOUNT), o->data);
  if (r == 0 && hidden >= 0)
    {
      _cleanup_close_ int fresh = open_in_root (ctx->rootfd, m->destination, O_RDONLY | O_DIRECTORY, err);
      return fresh < 0 ? fresh : copy_tree (hidden, fresh, m->destination, 0, err);
    }
  if (r < 0 && errno == EPERM && strcmp (type, "sysfs") == 0 && !ctx->new_netns)
    {
      /* sysfs cannot be mounted while sharing the host's network namespace. */
      log_debug ("mount sysfs on %s: not permitted without a network namespace, binding /sys read-only",
                 m->destination);
      if (mount ("/sys", tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
        return cr_fail (err, errno, "bind /sys on %s", m->destination);
      /* Read-only on every submount, or not at all: a half-done fallback must
         not leave the host's /sys writable. */
      _cleanup_close_ int mfd = open_in_root (ctx->rootfd, m->destination, O_PATH, err);
      if (mfd < 0)
        return mfd;
      int e = mount_setattr_fd (mfd, true, o->attr_set | MOUNT_ATTR_RDONLY, 0, 0);
      if (e < 0)
        return cr_fail (err, -e, "make the bind of /sys on %s read-only", m->destination);
      return 0;
    }
  if (r < 0)
    return cr_fail (err, errno, "mount %s on %s (type %s)", src, m->destination, type);
  return 0;
}

/* A bind mount. DETACHED is a tree the runtime cloned before the init entered
   a user namespace (-1 otherwise): it is attached as it is. Otherwise the
   source was opened once with O_PATH (OPENED) and the bind is made from that
   fd, so what was checked is what gets mounted. */
static int
mount_bind (const struct mount_context *ctx, const struct spec_mount *m, int detached, int opened, int target,
            const char *tpath, const struct mount_options *o, struct cr_error *err)
{
  int r = 0;
  if (detached >= 0)
    r = mount_attach_source (detached, target, m, err);
  else
    {
      char spath[64];
      fd_path (opened, spath);
      if (mount (spath, tpath, NULL, MS_BIND | (o->recursive ? MS_REC : 0), NULL) < 0)
        r = cr_fail (err, errno, "bind mount %s on %s", m->source, m->destination);
    }
  if (r < 0)
    return r;
  /* The attributes go on the new mount (and its submounts when rbind). */
  _cleanup_close_ int mfd = open_in_root (ctx->rootfd, m->destination, O_PATH, err);
  if (mfd < 0)
    return mfd;
  if ((r = mount_setattr_fd (mfd, o->recursive, o->attr_set, o->attr_clr, 0)) < 0)
    return cr_fail (err, -r, "set attributes of %s", m->destination);
  return 0;
}

static int
apply_entry (const struct mount_context *ctx, const struct spec_mount *m, int source_fd, const struct mount_options *o,
             struct cr_error *err)
{
  const char *type = m->type ? m->type : "";
  bool bind = o->bind || strcmp (type, "bind") == 0;
  bool source_is_file = false;
  _cleanup_close_ int opened = -1;
  if (bind && source_fd >= 0)
    {
      struct stat st;
      if (fstat (source_fd, &st) < 0)
        return cr_fail (err, errno, "mount %s on %s: source", m->source, m->destination);
      source_is_file = !S_ISDIR (st.st_mode);
    }
  else if (bind && (opened = open_bind_source (m, &source_is_file, err)) < 0)
    return opened;
  _cleanup_close_ int target = mkdir_in_root (ctx->rootfd, m->destination, source_is_file, err);
  if (target < 0)
    return target;
  char tpath[64];
  fd_path (target, tpath);
  int r;
  if (strcmp (type, "cgroup") == 0)
    {
      if (ctx->cgroup_ready && (r = ctx->cgroup_ready (ctx->cgroup_ready_arg, err)) < 0)
        return r;
      r = mount_cgroup (ctx, m, target, o, err);
    }
  else if (bind)
    r = mount_bind (ctx, m, source_fd, opened, target, tpath, o, err);
  else
    r = mount_filesystem (ctx, m, type, target, tpath, o, err);
  if (r == 0 && o->propagation)
    {
      _cleanup_close_ int mfd = open_in_root (ctx->rootfd, m->destination, O_PATH, err);
      char mp[64];
      if (mfd < 0)
        r = mfd;
      else if (fd_path (mfd, mp), mount (NULL, mp, NULL, o->propagation, NULL) < 0)
        r = cr_fail (err, errno, "set propagation of %s", m->destination);
    }
  return r;
}

int
mounts_apply_entry (const struct mount_context *ctx, const struct spec_mount *m, int source_fd, struct cr_error *err)
{
  _cleanup_mount_options_ struct mount_options o = { 0 };
  int r = mount_options_parse (m->options, &o, err);
  if (r < 0)
    return r;
  return apply_entry (ctx, m, source_fd, &o, err);
}
