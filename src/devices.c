#include "config.h"
#include "devices.h"
#include "mounts.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

struct default_device
{
  const char *path;
  unsigned maj, min;
};

static const struct default_device default_devices[] = {
  { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const char *const default_links[][2] = {
  { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
};

static int
make_node (int rootfd, const char *path, mode_t type, dev_t dev, mode_t perm, uid_t uid, gid_t gid, bool bind_host,
           struct cr_error *err)
{
  _cleanup_free_ char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  const char *base = slash ? slash + 1 : dir;
  if (slash)
    *slash = '\0';
  _cleanup_close_ int dfd = mkdir_in_root (rootfd, *dir ? dir : "/", false, err);
  if (dfd < 0)
    return dfd;
  /* O_PATH fds cannot be used with mknodat: reopen the directory. */
  char dpath[64];
  snprintf (dpath, sizeof dpath, "/proc/self/fd/%d", dfd);
  _cleanup_close_ int dir_fd = open (dpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return cr_fail (err, errno, "open %s", dir);
  unlinkat (dir_fd, base, 0);
  if (bind_host)
    {
      _cleanup_close_ int f = openat (dir_fd, base, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (f < 0)
        return cr_fail (err, errno, "create %s", path);
      char fpath[64];
      snprintf (fpath, sizeof fpath, "/proc/self/fd/%d", f);
      _cleanup_close_ int target = openat (dir_fd, base, O_PATH | O_CLOEXEC | O_NOFOLLOW);
      snprintf (fpath, sizeof fpath, "/proc/self/fd/%d", target);
      if (mount (path, fpath, NULL, MS_BIND, NULL) < 0)
        return cr_fail (err, errno, "bind %s", path);
      return 0;
    }
  if (mknodat (dir_fd, base, type | perm, dev) < 0)
    return cr_fail (err, errno, "mknod %s", path);
  /* mknod is subject to the umask: set the mode exactly. */
  if (fchmodat (dir_fd, base, perm, 0) < 0)
    return cr_fail (err, errno, "chmod %s", path);
  if (fchownat (dir_fd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cr_fail (err, errno, "chown %s", path);
  return 0;
}

int
devices_setup (int rootfd, const struct spec *spec, bool in_userns, struct cr_error *err)
{
  int r;
  const struct spec_linux *lx = spec->linux;
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      const struct default_device *d = &default_devices[i];
      bool overridden = false;
      for (size_t k = 0; lx && k < lx->devices_len; k++)
        overridden |= strcmp (lx->devices[k].path, d->path) == 0;
      if (overridden)
        continue;
      r = make_node (rootfd, d->path, S_IFCHR, makedev (d->maj, d->min), 0666, 0, 0, in_userns, err);
      if (r < 0)
        return r;
    }
  for (size_t k = 0; lx && k < lx->devices_len; k++)
    {
      const struct spec_device *d = &lx->devices[k];
      mode_t type;
      switch (d->type[0])
        {
        case 'b': type = S_IFBLK; break;
        case 'p': type = S_IFIFO; break;
        default: type = S_IFCHR; break;
        }
      if (type != S_IFIFO && (!d->has_major || !d->has_minor))
        return cr_fail (err, 0, "linux.devices[%zu]: major and minor are required for %s", k, d->path);
      dev_t dev = type == S_IFIFO ? 0 : makedev (d->major, d->minor);
      r = make_node (rootfd, d->path, type, dev, d->has_file_mode ? (d->file_mode & 07777) : 0666,
                     d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, in_userns, err);
      if (r < 0)
        return r;
    }
  _cleanup_close_ int devfd = mkdir_in_root (rootfd, "/dev", false, err);
  if (devfd < 0)
    return devfd;
  char dpath[64];
  snprintf (dpath, sizeof dpath, "/proc/self/fd/%d", devfd);
  _cleanup_close_ int dir_fd = open (dpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return cr_fail (err, errno, "open /dev");
  for (size_t i = 0; i < ARRAY_SIZE (default_links); i++)
    {
      const char *link = default_links[i][1];
      /* ptmx: keep a real node if the image or a mount already provides one. */
      if (symlinkat (default_links[i][0], dir_fd, link) < 0 && errno != EEXIST)
        return cr_fail (err, errno, "symlink /dev/%s", link);
    }
  if (mkdirat (dir_fd, "pts", 0755) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "mkdir /dev/pts");
  if (mkdirat (dir_fd, "shm", 01777) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "mkdir /dev/shm");
  return 0;
}
