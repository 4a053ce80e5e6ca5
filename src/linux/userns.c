/* Rootless detection and id maps written as an unprivileged caller
   (linux/userns.h, docs/rootless.md). */
#include "config.h"
#include "linux/userns.h"
#include "base/log.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

bool
userns_detect_rootless (void)
{
  if (geteuid () != 0)
    return true;
  _cleanup_free_ char *map = NULL;
  size_t len = 0;
  if (read_file ("/proc/self/uid_map", &map, &len, NULL) < 0)
    return false;
  unsigned long a, b, c;
  char extra;
  /* One line "0 0 4294967295" (any spacing) is the initial namespace. */
  if (sscanf (map, "%lu %lu %lu %c", &a, &b, &c, &extra) == 3 && a == 0 && b == 0 && c == 4294967295UL)
    return false;
  return true;
}

bool
userns_map_is_single (const struct spec_id_mapping *map, size_t n, uint32_t id)
{
  return n == 1 && map[0].size == 1 && map[0].host_id == id;
}

static bool
id_mapped (const struct spec_id_mapping *map, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= map[i].container_id && (uint64_t) id < (uint64_t) map[i].container_id + map[i].size)
      return true;
  return false;
}

/* The caller's ranges in FILE (/etc/subuid or /etc/subgid): lines
   "name:start:count" or "uid:start:count". Is [HOST, HOST+SIZE) inside one? */
static bool
subid_granted (const char *file, const char *name, uid_t uid, uint32_t host, uint32_t size)
{
  _cleanup_fclose_ FILE *f = fopen (file, "re");
  if (f == NULL)
    return false;
  char line[512], uidstr[16];
  snprintf (uidstr, sizeof uidstr, "%u", (unsigned) uid);
  while (fgets (line, sizeof line, f))
    {
      char *c1 = strchr (line, ':');
      if (c1 == NULL)
        continue;
      *c1 = '\0';
      if (strcmp (line, name) != 0 && strcmp (line, uidstr) != 0)
        continue;
      unsigned long long start, count;
      if (sscanf (c1 + 1, "%llu:%llu", &start, &count) != 2)
        continue;
      if (host >= start && (unsigned long long) host + size <= start + count)
        return true;
    }
  return false;
}

/* HELPER (newuidmap/newgidmap) in PATH, checked able to do its job: setuid
   root, or file capabilities (as some distributions install it). */
static int
find_helper (const char *helper, char **out, struct cr_error *err)
{
  const char *path = getenv ("PATH");
  if (path == NULL || *path == '\0')
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  _cleanup_free_ char *dirs = xstrdup (path);
  char *save = NULL;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      _cleanup_free_ char *cand = NULL;
      xasprintf (&cand, "%s/%s", *d ? d : ".", helper);
      struct stat st;
      if (stat (cand, &st) < 0 || !S_ISREG (st.st_mode) || access (cand, X_OK) < 0)
        continue;
      bool setuid_root = st.st_uid == 0 && (st.st_mode & S_ISUID);
      if (!setuid_root && getxattr (cand, "security.capability", NULL, 0) <= 0)
        return cr_fail (err, 0, "%s: not setuid root and without file capabilities: it cannot write the id map", cand);
      *out = TAKE_PTR (cand);
      return 0;
    }
  return cr_fail (err, 0, "%s not found in PATH (install the uidmap package): it is needed to map subordinate ids",
                  helper);
}

static const char *
caller_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  return pw ? pw->pw_name : "";
}

/* One of linux.uidMappings/gidMappings, as WHAT, for an unprivileged caller. */
static int
check_map (const char *what, const struct spec_id_mapping *map, size_t n, uint32_t own, const char *file,
           const char *helper, struct cr_error *err)
{
  if (n == 0)
    return cr_fail (err, 0, "linux.%s: empty: a rootless user namespace needs at least the caller's own id", what);
  if (userns_map_is_single (map, n, own))
    return 0;
  const char *name = caller_name ();
  for (size_t i = 0; i < n; i++)
    {
      if (map[i].size == 1 && map[i].host_id == own)
        continue;
      if (!subid_granted (file, name, geteuid (), map[i].host_id, map[i].size))
        return cr_fail (err, 0,
                        "linux.%s: host ids %u-%llu are not granted to %s in %s (only id %u can be mapped without)",
                        what, map[i].host_id, (unsigned long long) map[i].host_id + map[i].size - 1,
                        *name ? name : "the caller", file, own);
    }
  _cleanup_free_ char *path = NULL;
  return find_helper (helper, &path, err);
}

/* uid=N / gid=N mount options (tmpfs, devpts, ...) name ids in the namespace. */
static int
check_mount_ids (const struct spec *spec, struct cr_error *err)
{
  const struct spec_linux *lx = spec->linux;
  for (size_t i = 0; i < spec->mounts_len; i++)
    if (spec->mounts[i].uid_mappings_len || spec->mounts[i].gid_mappings_len)
      return cr_fail (err, 0, "mounts[%zu] (%s): an idmapped mount needs the host's root", i,
                      spec->mounts[i].destination);
  for (size_t i = 0; i < spec->mounts_len; i++)
    for (size_t k = 0; spec->mounts[i].options && spec->mounts[i].options[k]; k++)
      {
        const char *o = spec->mounts[i].options[k];
        bool is_uid = strncmp (o, "uid=", 4) == 0, is_gid = strncmp (o, "gid=", 4) == 0;
        unsigned long long v;
        if ((!is_uid && !is_gid) || parse_uint64 (o + 4, &v) < 0 || v > UINT32_MAX)
          continue;
        bool ok = is_uid ? id_mapped (lx->uid_mappings, lx->uid_mappings_len, v)
                         : id_mapped (lx->gid_mappings, lx->gid_mappings_len, v);
        if (!ok)
          return cr_fail (err, 0, "mounts[%zu] (%s): option %s: %s %llu is not mapped in the user namespace", i,
                          spec->mounts[i].destination, o, is_uid ? "uid" : "gid", v);
      }
  return 0;
}

int
userns_check_rootless (const struct spec *spec, struct cr_error *err)
{
  const struct spec_linux *lx = spec->linux;
  int r =
      check_map ("uidMappings", lx->uid_mappings, lx->uid_mappings_len, geteuid (), "/etc/subuid", "newuidmap", err);
  if (r < 0
      || (r = check_map ("gidMappings", lx->gid_mappings, lx->gid_mappings_len, getegid (), "/etc/subgid", "newgidmap",
                         err))
             < 0)
    return r;
  const struct spec_user *u = spec->process ? &spec->process->user : NULL;
  if (u && !id_mapped (lx->uid_mappings, lx->uid_mappings_len, u->uid))
    return cr_fail (err, 0, "process.user.uid: %u is not mapped in the user namespace (linux.uidMappings)", u->uid);
  if (u && !id_mapped (lx->gid_mappings, lx->gid_mappings_len, u->gid))
    return cr_fail (err, 0, "process.user.gid: %u is not mapped in the user namespace (linux.gidMappings)", u->gid);
  bool single_gid = userns_map_is_single (lx->gid_mappings, lx->gid_mappings_len, getegid ());
  for (size_t i = 0; u && i < u->additional_gids_len; i++)
    {
      if (single_gid)
        return cr_fail (err, 0,
                        "process.user.additionalGids: a single gid mapping (no /etc/subgid range) is written with "
                        "setgroups denied, so the user namespace cannot hold supplementary groups (gid %u)",
                        u->additional_gids[i]);
      if (!id_mapped (lx->gid_mappings, lx->gid_mappings_len, u->additional_gids[i]))
        return cr_fail (err, 0, "process.user.additionalGids: gid %u is not mapped in the user namespace",
                        u->additional_gids[i]);
    }
  return check_mount_ids (spec, err);
}

static int
write_proc (pid_t pid, const char *file, const char *data, struct cr_error *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_all (fd, data, strlen (data)) < 0)
    return cr_fail (err, errno, "write %s", path);
  return 0;
}

/* Run HELPER PID cid host size... ; its one-line complaint becomes ERR. */
static int
run_helper (const char *helper, pid_t pid, const struct spec_id_mapping *map, size_t n, struct cr_error *err)
{
  _cleanup_free_ char *path = NULL;
  int r = find_helper (helper, &path, err);
  if (r < 0)
    return r;
  size_t argc = 2 + 3 * n;
  char **argv = xcalloc (argc + 1, sizeof *argv);
  argv[0] = xstrdup (path);
  xasprintf (&argv[1], "%d", (int) pid);
  for (size_t i = 0; i < n; i++)
    {
      xasprintf (&argv[2 + 3 * i], "%u", map[i].container_id);
      xasprintf (&argv[3 + 3 * i], "%u", map[i].host_id);
      xasprintf (&argv[4 + 3 * i], "%u", map[i].size);
    }
  int p[2] = { -1, -1 };
  pid_t child = -1;
  if (pipe2 (p, O_CLOEXEC) == 0)
    child = fork ();
  if (child == 0)
    {
      dup2 (p[1], 1);
      dup2 (p[1], 2);
      execv (path, argv);
      _exit (127);
    }
  int e = errno;
  for (size_t i = 0; i < argc; i++)
    free (argv[i]);
  free (argv);
  if (p[1] >= 0)
    close (p[1]);
  if (child < 0)
    {
      if (p[0] >= 0)
        close (p[0]);
      return cr_fail (err, e, "run %s", path);
    }
  char out[512];
  size_t used = 0;
  ssize_t got;
  while ((got = read (p[0], out + used, sizeof out - 1 - used)) > 0 || (got < 0 && errno == EINTR))
    used += got > 0 ? (size_t) got : 0;
  out[used] = '\0';
  close (p[0]);
  int status = 0;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  out[strcspn (out, "\n")] = '\0';
  return cr_fail (err, 0, "%s failed: %s", path, *out ? out : "no message");
}

static int
write_one (pid_t pid, bool gid, const struct spec_id_mapping *map, size_t n, struct cr_error *err)
{
  uint32_t own = gid ? getegid () : geteuid ();
  if (!userns_map_is_single (map, n, own))
    return run_helper (gid ? "newgidmap" : "newuidmap", pid, map, n, err);
  /* The kernel lets an unprivileged writer map only its own id, and for
     gid_map only once setgroups is denied in the namespace. */
  if (gid && write_proc (pid, "setgroups", "deny", err) < 0)
    return -1;
  char line[64];
  snprintf (line, sizeof line, "%u %u 1\n", map[0].container_id, own);
  return write_proc (pid, gid ? "gid_map" : "uid_map", line, err);
}

int
userns_write_maps_rootless (pid_t pid, const struct spec *spec, struct cr_error *err)
{
  const struct spec_linux *lx = spec->linux;
  int r = write_one (pid, false, lx->uid_mappings, lx->uid_mappings_len, err);
  if (r < 0)
    return cr_wrap (err, "rootless uid_map");
  r = write_one (pid, true, lx->gid_mappings, lx->gid_mappings_len, err);
  return r < 0 ? cr_wrap (err, "rootless gid_map") : 0;
}

static bool
sysctl_is (const char *path, const char *value)
{
  _cleanup_free_ char *s = NULL;
  size_t len = 0;
  if (read_file (path, &s, &len, NULL) < 0)
    return false;
  s[strcspn (s, "\n")] = '\0';
  return strcmp (s, value) == 0;
}

int
userns_explain_clone_failure (int errnum, struct cr_error *err)
{
  if (sysctl_is ("/proc/sys/user/max_user_namespaces", "0"))
    return cr_fail (err, errnum, "create user namespace: disabled by sysctl user.max_user_namespaces=0");
  if (geteuid () != 0 && sysctl_is ("/proc/sys/kernel/unprivileged_userns_clone", "0"))
    return cr_fail (err, errnum,
                    "create user namespace: unprivileged user namespaces are disabled by sysctl "
                    "kernel.unprivileged_userns_clone=0");
  if (sysctl_is ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"))
    return cr_fail (err, errnum,
                    "create user namespace: refused by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1; "
                    "see docs/rootless.md)");
  return cr_fail (err, errnum, "clone container init (with a new user namespace)");
}

int
userns_child_start (struct userns_child *uc, bool dumpable, int (*job) (void *), void *arg, const char *what,
                    struct cr_error *err)
{
  int ready[2], go[2];
  uc->pid = -1;
  uc->go = -1;
  if (pipe2 (ready, O_CLOEXEC) < 0)
    return cr_fail (err, errno, "pipe");
  if (pipe2 (go, O_CLOEXEC) < 0)
    {
      close (ready[0]), close (ready[1]);
      return cr_fail (err, errno, "pipe");
    }
  pid_t child = fork ();
  if (child == 0)
    {
      close (ready[0]), close (go[1]);
      if (dumpable)
        prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
      int e = unshare (CLONE_NEWUSER) == 0 ? 0 : errno;
      char c = 0;
      if (write (ready[1], &e, sizeof e) != sizeof e || e != 0 || read (go[0], &c, 1) != 1 || c != 'g')
        _exit (0);
      _exit (job ? job (arg) : 0);
    }
  int e = errno;
  close (ready[1]), close (go[0]);
  if (child < 0)
    {
      close (ready[0]), close (go[1]);
      return cr_fail (err, e, "fork");
    }
  uc->pid = child;
  uc->go = go[1];
  ssize_t n;
  do
    n = read (ready[0], &e, sizeof e);
  while (n < 0 && errno == EINTR);
  close (ready[0]);
  if (n == sizeof e && e == 0)
    return 0;
  userns_child_finish (uc, false);
  return cr_fail (err, n == sizeof e ? e : EIO, "create a user namespace %s", what);
}

int
userns_child_finish (struct userns_child *uc, bool run)
{
  bool told = !run || write (uc->go, "g", 1) == 1;
  close (uc->go);
  uc->go = -1;
  int status = 0;
  while (waitpid (uc->pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  uc->pid = -1;
  return told && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

struct remove_job
{
  int dirfd;
  const char *name;
};

/* In the child, as root of the user namespace with the container's maps. */
static int
remove_as_root (void *arg)
{
  const struct remove_job *j = arg;
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return 3;
  struct cr_error e = { 0 };
  return rm_rf_at (j->dirfd, j->name, &e) < 0 ? 1 : 0;
}

int
userns_remove_mapped (const struct spec *spec, int dirfd, const char *name, struct cr_error *err)
{
  struct remove_job job = { .dirfd = dirfd, .name = name };
  struct userns_child uc;
  _cleanup_free_ char *what = NULL;
  xasprintf (&what, "to remove %s", name);
  if (userns_child_start (&uc, true, remove_as_root, &job, what, err) < 0)
    return -1;
  int r = userns_write_maps_rootless (uc.pid, spec, err);
  int status = userns_child_finish (&uc, r == 0);
  if (r == 0 && status != 0)
    r = cr_fail (err, 0, "remove %s as root of a user namespace with the container's mappings failed", name);
  return r;
}
