#include "config.h"
#include "linux/rootfs.h"
#include "linux/devices.h"
#include "base/log.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

static unsigned long
propagation_flags (const char *name)
{
  static const struct
  {
    const char *name;
    unsigned long flags;
  } table[] = {
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; name && i < ARRAY_SIZE (table); i++)
    if (strcmp (table[i].name, name) == 0)
      return table[i].flags;
  return 0;
}

int
rootfs_prepare (const struct spec *spec, const char *rootfs, int root_tree, int *rootfd, struct cr_error *err)
{
  unsigned long prop = propagation_flags (spec->linux ? spec->linux->rootfs_propagation : NULL);
  /* pivot_root refuses shared mounts, so shared/unbindable are set after it.
     Default rslave: the container still sees host unmounts, never the reverse. */
  unsigned long early = (prop & (MS_SLAVE | MS_PRIVATE)) ? prop | MS_REC : MS_SLAVE | MS_REC;
  if (prop & (MS_SHARED | MS_UNBINDABLE))
    early = MS_PRIVATE | MS_REC;
  if (mount (NULL, "/", NULL, early, NULL) < 0)
    return cr_fail (err, errno, "make / %s in the container mount namespace", early & MS_PRIVATE ? "private" : "slave");
  /* A root tree the runtime opened is already a mount of its own; attached
     here, after / stopped propagating, it shows in this namespace only. */
  if (root_tree >= 0)
    {
      if (syscall (SYS_move_mount, root_tree, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return cr_fail (err, errno, "attach the root tree on %s", rootfs);
      close (root_tree);
    }
  else if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cr_fail (err, errno, "bind mount rootfs %s", rootfs);
  /* The parent mount of new_root must not be shared either. */
  if (mount (NULL, rootfs, NULL, MS_PRIVATE, NULL) < 0)
    return cr_fail (err, errno, "make rootfs %s private", rootfs);
  int fd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return cr_fail (err, errno, "open rootfs %s", rootfs);
  *rootfd = fd;
  return 0;
}

/* Compared after cleaning both paths: a bundle that spells its destination
   "/dev//shm/" or "/dev/./shm" still owns it, and no built-in mount goes on top
   of its options. */
static bool
spec_has_mount (const struct spec *spec, const char *dest)
{
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      if (spec->mounts[i].destination == NULL)
        continue;
      _cleanup_free_ char *d = path_clean (spec->mounts[i].destination);
      if (strcmp (d, dest) == 0)
        return true;
    }
  return false;
}

/* OPTIONS is one comma-separated list, split into single options exactly as a
   bundle's list would be: flags (nosuid, noexec...) become mount flags and only
   the rest (mode=, size=...) filesystem data. Passing "noexec" as tmpfs data
   made the kernel refuse the mount with EINVAL. */
static int
mount_builtin (const struct mount_context *ctx, const char *dest, const char *type, const char *options,
               struct cr_error *err)
{
  _cleanup_free_ char *copy = xstrdup (options);
  char *opts[16];
  size_t n = 0;
  char *save = NULL;
  for (char *o = strtok_r (copy, ",", &save); o && n < ARRAY_SIZE (opts) - 1; o = strtok_r (NULL, ",", &save))
    opts[n++] = o;
  opts[n] = NULL;
  struct spec_mount m = {
    .destination = (char *) dest, .type = (char *) type, .source = (char *) type, .options = opts, .options_len = n
  };
  return mounts_apply_entry (ctx, &m, -1, err);
}

int
rootfs_mount_all (const struct spec *spec, const struct mount_context *ctx, struct cr_error *err)
{
  int r;
  /* A fresh /dev is always there: the image's own /dev never reaches the container. */
  if (!spec_has_mount (spec, "/dev"))
    {
      r = mount_builtin (ctx, "/dev", "tmpfs", "nosuid,strictatime,mode=755,size=65536k", err);
      if (r < 0)
        return r;
    }
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      int source_fd = ctx->sources && i < ctx->sources->len ? ctx->sources->fds[i] : -1;
      r = mounts_apply_entry (ctx, &spec->mounts[i], source_fd, err);
      if (r < 0)
        return r;
    }
  if (!spec_has_mount (spec, "/dev/pts"))
    {
      r = mount_builtin (ctx, "/dev/pts", "devpts",
                         ctx->in_userns ? "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620"
                                        : "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5",
                         err);
      if (r < 0)
        return r;
    }
  if (!spec_has_mount (spec, "/dev/shm"))
    {
      r = mount_builtin (ctx, "/dev/shm", "tmpfs", "nosuid,nodev,noexec,mode=1777,size=65536k", err);
      if (r < 0)
        return r;
    }
  return devices_setup (ctx->rootfd, spec, ctx->in_userns, err);
}

/* Open a path under the container's /proc and make sure it is a real procfs:
   the image could have put anything at /proc, and writes there must not land
   in a file the container controls. */
static int
open_proc_file (int rootfd, const char *path, int flags, struct cr_error *err)
{
  /* O_NONBLOCK: until it is checked, this is an image path, possibly a FIFO. */
  int fd = open_in_root (rootfd, path, flags | O_NOFOLLOW | O_NONBLOCK, err);
  if (fd < 0)
    return fd;
  struct statfs sfs;
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    {
      close (fd);
      return cr_fail (err, EACCES, "%s is not on procfs", path);
    }
  return fd;
}

/* Only sysctls that belong to a namespace the container owns may be set:
   anything else would change the host. */
static int
sysctl_check (const struct spec *spec, const char *key, struct cr_error *err)
{
  static const struct
  {
    const char *prefix;
    const char *ns;
  } allowed[] = {
    { "kernel.msgmax", "ipc" }, { "kernel.msgmnb", "ipc" },          { "kernel.msgmni", "ipc" },
    { "kernel.sem", "ipc" },    { "kernel.shmall", "ipc" },          { "kernel.shmmax", "ipc" },
    { "kernel.shmmni", "ipc" }, { "kernel.shm_rmid_forced", "ipc" }, { "fs.mqueue.", "ipc" },
    { "net.", "network" },      { "kernel.hostname", "uts" },        { "kernel.domainname", "uts" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (allowed); i++)
    {
      size_t n = strlen (allowed[i].prefix);
      bool prefix = allowed[i].prefix[n - 1] == '.';
      if (prefix ? strncmp (key, allowed[i].prefix, n) != 0 : strcmp (key, allowed[i].prefix) != 0)
        continue;
      for (size_t k = 0; spec->linux && k < spec->linux->namespaces_len; k++)
        if (strcmp (spec->linux->namespaces[k].type, allowed[i].ns) == 0)
          return 0;
      return cr_fail (err, 0, "sysctl %s: the container shares the host's %s namespace", key, allowed[i].ns);
    }
  return cr_fail (err, 0, "sysctl %s: not namespaced, refusing to change the host", key);
}

int
rootfs_apply_sysctl (const struct spec *spec, int rootfd, struct cr_error *err)
{
  for (size_t i = 0; spec->linux && i < spec->linux->sysctl_len; i++)
    {
      const struct spec_kv *kv = &spec->linux->sysctl[i];
      int r = sysctl_check (spec, kv->key, err);
      if (r < 0)
        return r;
      _cleanup_free_ char *path = NULL;
      xasprintf (&path, "/proc/sys/%s", kv->key);
      for (char *p = path + 10; *p; p++)
        if (*p == '.')
          *p = '/';
      _cleanup_close_ int fd = open_proc_file (rootfd, path, O_WRONLY, err);
      if (fd < 0)
        return cr_wrap (err, "sysctl %s", kv->key);
      if (write_all (fd, kv->value, strlen (kv->value)) < 0)
        return cr_fail (err, errno, "sysctl %s=%s", kv->key, kv->value);
    }
  return 0;
}

/* The container's own /dev/null (so a masked file shows the container's /dev
   mount, as with runc), but only when it is the real null device: anything
   else, or none, means the host's. Returns a bind source. */
static const char *
null_source (int rootfd, char buf[static 64], int *fd)
{
  struct cr_error ignored;
  struct stat st;
  *fd = open_in_root (rootfd, "/dev/null", O_PATH | O_NOFOLLOW, &ignored);
  if (*fd >= 0 && fstat (*fd, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3))
    {
      snprintf (buf, 64, "/proc/self/fd/%d", *fd);
      return buf;
    }
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
  return "/dev/null";
}

static int
mask_path (int rootfd, const char *path, const char *null_src, struct cr_error *err)
{
  struct cr_error ignored;
  _cleanup_close_ int fd = open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, &ignored);
  if (fd < 0)
    return 0; /* absent paths need no mask */
  struct stat st;
  if (fstat (fd, &st) < 0)
    return cr_fail (err, errno, "stat masked path %s", path);
  /* A symlink in the image must not redirect the mask elsewhere: it is left
     alone, and whatever it points at is masked by its own entry. */
  if (S_ISLNK (st.st_mode))
    {
      log_debug ("masked path %s is a symlink, not following it", path);
      return 0;
    }
  char target[64];
  snprintf (target, sizeof target, "/proc/self/fd/%d", fd);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555") < 0)
        return cr_fail (err, errno, "mask %s", path);
      return 0;
    }
  if (mount (null_src, target, NULL, MS_BIND, NULL) < 0)
    return cr_fail (err, errno, "mask %s", path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, struct cr_error *err)
{
  struct cr_error ignored;
  _cleanup_close_ int fd = open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, &ignored);
  if (fd < 0)
    return 0;
  char target[64];
  snprintf (target, sizeof target, "/proc/self/fd/%d", fd);
  if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return cr_fail (err, errno, "bind read-only path %s", path);
  _cleanup_close_ int mfd = open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, err);
  if (mfd < 0)
    return mfd;
  int r = mount_setattr_fd (mfd, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0);
  if (r < 0)
    return cr_fail (err, -r, "make %s read-only", path);
  return 0;
}

/* Like runc, a missing process.cwd is created (it may be the mount point of a
   volume still to come, or just absent from the image), and it must happen
   here: once the root is read-only, mkdir fails with EROFS. mkdir_in_root
   resolves every component inside the root, symlinks included. */
static int
create_cwd (const struct spec *spec, int rootfd, struct cr_error *err)
{
  const char *cwd = spec->process ? spec->process->cwd : NULL;
  if (cwd == NULL)
    return 0;
  struct cr_error ignored;
  _cleanup_close_ int fd = open_in_root (rootfd, cwd, O_PATH | O_DIRECTORY, &ignored);
  if (fd >= 0 || ignored.code != ENOENT)
    return 0; /* present, or a problem process_enter_cwd reports with its own words */
  fd = mkdir_in_root (rootfd, cwd, false, err);
  if (fd < 0)
    return cr_wrap (err, "process.cwd");
  return 0;
}

int
rootfs_finalize (const struct spec *spec, int rootfd, struct cr_error *err)
{
  int r;
  const struct spec_linux *lx = spec->linux;
  if ((r = create_cwd (spec, rootfd, err)) < 0)
    return r;
  char null_buf[64];
  _cleanup_close_ int null_fd = -1;
  const char *null_src = lx && lx->masked_paths_len ? null_source (rootfd, null_buf, &null_fd) : "/dev/null";
  for (size_t i = 0; lx && i < lx->masked_paths_len; i++)
    if ((r = mask_path (rootfd, lx->masked_paths[i], null_src, err)) < 0)
      return r;
  for (size_t i = 0; lx && i < lx->readonly_paths_len; i++)
    if ((r = readonly_path (rootfd, lx->readonly_paths[i], err)) < 0)
      return r;
  if (spec->root && spec->root->readonly)
    {
      /* Only the root mount itself: /proc, /dev, binds keep their own mode. */
      r = mount_setattr_fd (rootfd, false, MOUNT_ATTR_RDONLY, 0, 0);
      if (r < 0)
        return cr_fail (err, -r, "make the root filesystem read-only");
    }
  return 0;
}

int
rootfs_switch (const struct spec *spec, const char *rootfs, bool no_pivot, struct cr_error *err)
{
  if (chdir (rootfs) < 0)
    return cr_fail (err, errno, "chdir %s", rootfs);
  if (no_pivot)
    {
      if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return cr_fail (err, errno, "move rootfs to /");
      if (chroot (".") < 0)
        return cr_fail (err, errno, "chroot");
    }
  else
    {
      _cleanup_close_ int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (oldroot < 0)
        return cr_fail (err, errno, "open /");
      /* pivot_root(".", ".") stacks the old root on top of the new one; it is
         then detached without a temporary directory in the image. */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return cr_fail (err, errno, "pivot_root %s", rootfs);
      if (fchdir (oldroot) < 0)
        return cr_fail (err, errno, "fchdir old root");
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return cr_fail (err, errno, "make old root slave");
      if (umount2 (".", MNT_DETACH) < 0)
        return cr_fail (err, errno, "detach old root");
    }
  if (chdir ("/") < 0)
    return cr_fail (err, errno, "chdir /");
  unsigned long prop = propagation_flags (spec->linux ? spec->linux->rootfs_propagation : NULL);
  if (prop & (MS_SHARED | MS_UNBINDABLE))
    if (mount (NULL, "/", NULL, prop, NULL) < 0)
      return cr_fail (err, errno, "set rootfs propagation %s", spec->linux->rootfs_propagation);
  return 0;
}

/* A path of maskedPaths/readonlyPaths that exists in the image needs a mount
   to hide or protect it; an absent one (or, for a mask, a symlink, which
   mask_path leaves alone) needs nothing. */
static bool
path_needs_mount (int rootfd, const char *path, bool symlink_is_inert)
{
  struct cr_error ignored;
  _cleanup_close_ int fd = open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, &ignored);
  if (fd == -ENOENT || fd == -ENOTDIR)
    return false;
  if (fd < 0)
    return true;
  struct stat st;
  return fstat (fd, &st) < 0 || !(symlink_is_inert && S_ISLNK (st.st_mode));
}

#define NO_MOUNTNS \
  ": needs a mount, and linux.namespaces has no mount namespace (it would change the host's mount table)"

int
rootfs_check_shared (const struct spec *spec, const char *rootfs, struct cr_error *err)
{
  const struct spec_linux *lx = spec->linux;
  if (spec->mounts_len)
    return cr_fail (err, 0, "mounts[0] (%s)" NO_MOUNTNS, spec->mounts[0].destination);
  if (spec->root && spec->root->readonly)
    return cr_fail (err, 0, "root.readonly" NO_MOUNTNS);
  if (lx && lx->rootfs_propagation)
    return cr_fail (err, 0, "linux.rootfsPropagation" NO_MOUNTNS);
  if (lx && lx->devices_len)
    return cr_fail (err, 0,
                    "linux.devices[0] (%s): needs the container's own /dev, and linux.namespaces has no mount "
                    "namespace (the image's /dev is the host directory)",
                    lx->devices[0].path);
  _cleanup_close_ int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return cr_fail (err, errno, "open rootfs %s", rootfs);
  for (size_t i = 0; lx && i < lx->masked_paths_len; i++)
    if (path_needs_mount (rootfd, lx->masked_paths[i], true))
      return cr_fail (err, 0, "linux.maskedPaths[%zu] (%s) exists in the rootfs, masking it" NO_MOUNTNS, i,
                      lx->masked_paths[i]);
  for (size_t i = 0; lx && i < lx->readonly_paths_len; i++)
    if (path_needs_mount (rootfd, lx->readonly_paths[i], false))
      return cr_fail (err, 0, "linux.readonlyPaths[%zu] (%s) exists in the rootfs, protecting it" NO_MOUNTNS, i,
                      lx->readonly_paths[i]);
  return 0;
}

int
rootfs_enter_shared (const char *rootfs, struct cr_error *err)
{
  /* The mount namespace is the runtime's: no bind, pivot_root or propagation
     change, which would all land in the host's mount table. */
  if (chdir (rootfs) < 0)
    return cr_fail (err, errno, "chdir %s", rootfs);
  if (chroot (".") < 0)
    return cr_fail (err, errno, "chroot %s", rootfs);
  if (chdir ("/") < 0)
    return cr_fail (err, errno, "chdir /");
  return 0;
}
