#include "config.h"
#include "linux/devices.h"
#include "linux/mounts.h"
#include "base/utils.h"

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

/* The directory nodes are made in, opened once for all the nodes that share
   it (the defaults all go in /dev). */
struct node_dir
{
  char *path; /* cleaned, "/" for the root */
  int fd;     /* O_RDONLY | O_DIRECTORY, for mknodat */
};

static void
node_dir_clear (struct node_dir *d)
{
  free (d->path);
  if (d->fd >= 0)
    close (d->fd);
  d->path = NULL;
  d->fd = -1;
}

static int
node_dir_open (int rootfd, struct node_dir *d, const char *dir, struct cr_error *err)
{
  if (d->path && strcmp (d->path, dir) == 0)
    return d->fd;
  node_dir_clear (d);
  _cleanup_close_ int dfd = mkdir_in_root (rootfd, dir, false, err);
  if (dfd < 0)
    return dfd;
  /* O_PATH fds cannot be used with mknodat: reopen the directory. */
  char dpath[64];
  snprintf (dpath, sizeof dpath, "/proc/self/fd/%d", dfd);
  d->fd = open (dpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d->fd < 0)
    return cr_fail (err, errno, "open %s", dir);
  d->path = xstrdup (dir);
  return d->fd;
}

static int
make_node (int rootfd, struct node_dir *nd, const char *path, mode_t type, dev_t dev, mode_t perm, uid_t uid, gid_t gid,
           bool bind_host, struct cr_error *err)
{
  /* "/dev/foo/" names the node /dev/foo, as for any other path. */
  _cleanup_free_ char *clean = path_clean (path);
  _cleanup_free_ char *dir = xstrdup (clean);
  char *slash = strrchr (dir, '/');
  const char *base = slash ? slash + 1 : dir;
  if (slash)
    *slash = '\0';
  if (*base == '\0')
    return cr_fail (err, EINVAL, "device %s: not a path to a node", path);
  int dir_fd = node_dir_open (rootfd, nd, *dir ? dir : "/", err);
  if (dir_fd < 0)
    return dir_fd;
  /* Whatever the image has at the path is replaced. */
  mode_t fmt = bind_host ? S_IFREG | 0600 : type | perm;
  dev_t mkdev = bind_host ? 0 : dev;
  int mk = mknodat (dir_fd, base, fmt, mkdev);
  if (mk < 0 && errno == EEXIST)
    {
      unlinkat (dir_fd, base, 0);
      mk = mknodat (dir_fd, base, fmt, mkdev);
    }
  if (bind_host)
    {
      /* An empty file to bind over, made without opening anything. */
      if (mk < 0)
        return cr_fail (err, errno, "create %s", path);
      _cleanup_close_ int target = openat (dir_fd, base, O_PATH | O_CLOEXEC | O_NOFOLLOW);
      if (target < 0)
        return cr_fail (err, errno, "open %s", path);
      char fpath[64];
      snprintf (fpath, sizeof fpath, "/proc/self/fd/%d", target);
      if (mount (clean, fpath, NULL, MS_BIND, NULL) < 0)
        return cr_fail (err, errno, "bind %s", path);
      return 0;
    }
  if (mk < 0)
    return cr_fail (err, errno, "mknod %s", path);
  /* mknod is subject to the umask: set the mode exactly. */
  if (fchmodat (dir_fd, base, perm, 0) < 0)
    return cr_fail (err, errno, "chmod %s", path);
  if (fchownat (dir_fd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return cr_fail (err, errno, "chown %s", path);
  return 0;
}

int
devices_validate (const struct spec *spec, struct cr_error *err)
{
  const struct spec_linux *lx = spec->linux;
  for (size_t k = 0; lx && k < lx->devices_len; k++)
    {
      const struct spec_device *d = &lx->devices[k];
      if (d->path == NULL || d->path[0] != '/')
        return cr_fail (err, 0, "linux.devices[%zu].path: must be an absolute path", k);
      if (d->type == NULL || strlen (d->type) != 1 || strchr ("bcup", d->type[0]) == NULL)
        return cr_fail (err, 0, "linux.devices[%zu].type: \"%s\" is not b, c, u or p", k, d->type ? d->type : "");
      if (d->type[0] != 'p' && (!d->has_major || !d->has_minor))
        return cr_fail (err, 0, "linux.devices[%zu]: major and minor are required for %s", k, d->path);
    }
  return 0;
}

static bool
device_overridden (const struct spec_linux *lx, const char *path)
{
  for (size_t k = 0; lx && k < lx->devices_len; k++)
    {
      _cleanup_free_ char *clean = path_clean (lx->devices[k].path);
      if (strcmp (clean, path) == 0)
        return true;
    }
  return false;
}

/* A mount of the config at PATH already provides the node (rootless podman
   --privileged binds the host's /dev/null and the others there): a node
   made here could not replace that mount point (unlink fails with EBUSY). */
static bool
device_mounted (const struct spec *spec, const char *path)
{
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      if (spec->mounts[i].destination == NULL)
        continue;
      _cleanup_free_ char *clean = path_clean (spec->mounts[i].destination);
      if (strcmp (clean, path) == 0)
        return true;
    }
  return false;
}

int
devices_setup (int rootfd, const struct spec *spec, bool in_userns, struct cr_error *err)
{
  int r;
  const struct spec_linux *lx = spec->linux;
  if ((r = devices_validate (spec, err)) < 0)
    return r;
  __attribute__ ((cleanup (node_dir_clear))) struct node_dir nd = { .fd = -1 };
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      const struct default_device *d = &default_devices[i];
      if (device_overridden (lx, d->path) || device_mounted (spec, d->path))
        continue;
      r = make_node (rootfd, &nd, d->path, S_IFCHR, makedev (d->maj, d->min), 0666, 0, 0, in_userns, err);
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
      dev_t dev = type == S_IFIFO ? 0 : makedev (d->major, d->minor);
      /* A FIFO is no device: mknod makes one in a user namespace too. */
      r = make_node (rootfd, &nd, d->path, type, dev, d->has_file_mode ? (d->file_mode & 07777) : 0666,
                     d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, in_userns && type != S_IFIFO, err);
      if (r < 0)
        return r;
    }
  int dir_fd = node_dir_open (rootfd, &nd, "/dev", err);
  if (dir_fd < 0)
    return dir_fd;
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
