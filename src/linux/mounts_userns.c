/* Bind mount sources the runtime opens for the init: with a new user
   namespace, and for idmapped mounts (uidMappings/gidMappings on a mount).

   The init does its mounts as root of its user namespace, which on the host
   is the mapped uid: a source below a directory only host root may search
   cannot be looked up from there, and an idmapped mount needs CAP_SYS_ADMIN
   over the source filesystem's user namespace (the host's).  So before the
   init is cloned, the runtime takes a detached copy of each such source
   (open_tree OPEN_TREE_CLONE, recursive for rbind), makes it idmapped when
   the mount asks, and the init inherits the fd and attaches the copy with
   move_mount at the destination it resolved inside the root.  open_tree
   only looks the path up: a FIFO or device source is never opened. */
#include "config.h"
#include "linux/mounts.h"
#include "linux/userns.h"
#include "base/log.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

bool
mount_is_bind (const struct spec_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; m->options && m->options[i]; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

static bool
mount_is_recursive (const struct spec_mount *m)
{
  for (size_t i = 0; m->options && m->options[i]; i++)
    if (strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

static int
write_id_map (pid_t pid, const char *file, const struct spec_id_mapping *map, size_t n, struct cr_error *err)
{
  _cleanup_free_ char *buf = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char *line = NULL;
      xasprintf (&line, "%s%u %u %u\n", buf, map[i].container_id, map[i].host_id, map[i].size);
      free (buf);
      buf = line;
    }
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_all (fd, buf, strlen (buf)) < 0)
    return cr_fail (err, errno, "write %s", file);
  return 0;
}

/* A user namespace with M's mappings, as an fd: a child waits in a new
   user namespace while the runtime writes its maps and opens
   /proc/CHILD/ns/user; then it is let go. */
static int
idmap_userns (const struct spec_mount *m, struct cr_error *err)
{
  struct userns_child uc;
  if (userns_child_start (&uc, false, NULL, NULL, "for the id mapping", err) < 0)
    return -1;
  int fd = -1;
  if (write_id_map (uc.pid, "uid_map", m->uid_mappings, m->uid_mappings_len, err) == 0
      && write_id_map (uc.pid, "gid_map", m->gid_mappings, m->gid_mappings_len, err) == 0)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/user", (int) uc.pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        cr_fail (err, errno, "open %s", path);
    }
  userns_child_finish (&uc, false);
  return fd;
}

static int
open_one_source (const struct spec_mount *m, size_t idx, struct cr_error *err)
{
  bool idmapped = m->uid_mappings_len || m->gid_mappings_len;
  bool recursive = mount_is_recursive (m);
  if (m->source == NULL)
    return cr_invalid (err, "mounts[%zu]: bind mount of %s without a source", idx, m->destination);
  if (idmapped && (m->uid_mappings_len == 0 || m->gid_mappings_len == 0))
    return cr_invalid (err, "mounts[%zu]: an idmapped mount needs both uidMappings and gidMappings", idx);
  int fd = syscall (SYS_open_tree, AT_FDCWD, m->source,
                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (fd < 0)
    return cr_fail (err, errno, "mount %s on %s: source", m->source, m->destination);
  if (!idmapped)
    return fd;
  int userns = idmap_userns (m, err);
  if (userns < 0)
    {
      close (fd);
      return cr_wrap (err, "mounts[%zu]: idmapped mount of %s", idx, m->source);
    }
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
  int r = syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr);
  int saved = errno;
  close (userns);
  if (r < 0)
    {
      close (fd);
      return cr_fail (err, saved, "mount %s on %s: make it idmapped", m->source, m->destination);
    }
  log_debug ("mount %s on %s: idmapped", m->source, m->destination);
  return fd;
}

int
mount_sources_open (const struct spec *spec, bool new_userns, struct mount_sources *out, struct cr_error *err)
{
  out->fds = NULL;
  out->len = 0;
  if (spec->mounts_len == 0)
    return 0;
  out->fds = xcalloc (spec->mounts_len, sizeof (int));
  out->len = spec->mounts_len;
  for (size_t i = 0; i < spec->mounts_len; i++)
    out->fds[i] = -1;
  for (size_t i = 0; i < spec->mounts_len; i++)
    {
      const struct spec_mount *m = &spec->mounts[i];
      bool idmapped = m->uid_mappings_len || m->gid_mappings_len;
      if (!mount_is_bind (m))
        {
          if (idmapped)
            {
              mount_sources_close (out);
              return cr_invalid (err, "mounts[%zu]: uidMappings/gidMappings on %s: only bind mounts can be idmapped", i,
                                 m->destination);
            }
          continue;
        }
      if (!new_userns && !idmapped)
        continue;
      int fd = open_one_source (m, i, err);
      if (fd < 0 && !idmapped && (err->code == ENOSYS || err->code == EPERM))
        {
          /* A kernel without open_tree (before 5.2), or a rootless runtime
             (a detached copy needs CAP_SYS_ADMIN over the host's mount
             namespace): the init binds by path, as the caller on the host. */
          log_debug ("mount %s: open_tree: %s, the init binds the path", m->destination, strerror (err->code));
          continue;
        }
      if (fd < 0)
        {
          mount_sources_close (out);
          return fd;
        }
      out->fds[i] = fd;
    }
  return 0;
}

void
mount_sources_close (struct mount_sources *ms)
{
  for (size_t i = 0; ms->fds && i < ms->len; i++)
    if (ms->fds[i] >= 0)
      close (ms->fds[i]);
  free (ms->fds);
  ms->fds = NULL;
  ms->len = 0;
}

int
mount_attach_source (int source_fd, int target, const struct spec_mount *m, struct cr_error *err)
{
  if (syscall (SYS_move_mount, source_fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cr_fail (err, errno, "bind mount %s on %s", m->source, m->destination);
  return 0;
}

int
mount_tree_open_readonly (const char *path, struct cr_error *err)
{
  int fd = syscall (SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (fd < 0)
    return cr_fail (err, errno, "a detached copy of %s", path);
  /* Private: a copy of a shared mount is its peer, so a mount the init
     made below it would show on the host. */
  int r = mount_setattr_fd (fd, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, MS_PRIVATE);
  if (r < 0)
    {
      close (fd);
      return cr_fail (err, -r, "make the copy of %s read-only and private", path);
    }
  return fd;
}
