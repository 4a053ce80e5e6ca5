#include "config.h"
#include "core/state.h"
#include "linux/cgroups/cgroups.h"
#include "state_json.h"
#include "base/utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

static const char *status_names[] = { "creating", "created", "running", "paused", "stopped" };

const char *
container_status_name (enum container_status s)
{
  return status_names[s];
}

int
state_validate_id (const char *id, struct cr_error *err)
{
  size_t n = strlen (id);
  if (n == 0 || n > 1024 || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return cr_fail (err, 0, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    if (!isalnum ((unsigned char) *p) && strchr ("_.+-", *p) == NULL)
      return cr_fail (err, 0, "invalid container id \"%s\": only letters, digits and _.+- are allowed", id);
  if (!isalnum ((unsigned char) id[0]))
    return cr_fail (err, 0, "invalid container id \"%s\": must start with a letter or digit", id);
  return 0;
}

static int
lock_dir (int dfd, bool exclusive, const char *id, struct cr_error *err)
{
  while (flock (dfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return cr_fail (err, errno, "lock container %s", id);
  return 0;
}

/* A --root that is a symbolic link is followed once, here, and only when
   nobody but the caller (or root) could have made or could swap it: the link
   is owned by the caller or root, sits in a directory others cannot write
   (or a sticky one), and leads to an existing directory the caller owns and
   no one else can write. Every later step uses the resolved path, so
   changing the link afterwards redirects nothing. Anything else is refused. */
int
state_resolve_root (const char *root, char **out, struct cr_error *err)
{
  struct stat st;
  *out = NULL;
  if (lstat (root, &st) < 0 || !S_ISLNK (st.st_mode))
    return 0; /* a plain path: made (or refused) by the verb itself */
  uid_t me = geteuid ();
  if (st.st_uid != me && st.st_uid != 0)
    return cr_fail (err, 0, "--root %s: a symbolic link owned by uid %d, not by you or root: refusing to follow it",
                    root, (int) st.st_uid);
  _cleanup_free_ char *parent = xstrdup (root);
  char *slash = strrchr (parent, '/');
  if (slash == NULL)
    strcpy (parent, ".");
  else
    slash[slash == parent] = '\0';
  struct stat pst;
  if (stat (parent, &pst) < 0)
    return cr_fail (err, errno, "--root %s", root);
  if ((pst.st_mode & (S_IWGRP | S_IWOTH)) && !(pst.st_mode & S_ISVTX))
    return cr_fail (err, 0, "--root %s: a symbolic link in %s, which others can write: refusing to follow it", root,
                    parent);
  char *real = realpath (root, NULL);
  struct stat tst;
  if (real == NULL || stat (real, &tst) < 0)
    {
      int e = errno;
      free (real);
      return cr_fail (err, e, "--root %s: a symbolic link whose target cannot be used", root);
    }
  if (!S_ISDIR (tst.st_mode) || tst.st_uid != me || (tst.st_mode & (S_IWGRP | S_IWOTH)))
    {
      int r =
          cr_fail (err, 0, "--root %s: leads to %s, not a directory that you own and only you can write", root, real);
      free (real);
      return r;
    }
  *out = real;
  return 0;
}

int
state_create_dir (const char *root, const char *id, int *dirfd, struct cr_error *err)
{
  int r = state_validate_id (id, err);
  if (r < 0)
    return r;
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    {
      r = mkdir_p (root, 0700, err);
      if (r < 0)
        return r;
    }
  _cleanup_free_ char *path = NULL;
  xasprintf (&path, "%s/%s", root, id);
  /* mkdir is the atomic test-and-set: of two concurrent creates one wins. */
  if (mkdir (path, 0700) < 0)
    {
      if (errno == EEXIST)
        return cr_fail (err, EEXIST, "create %s: container already exists", id);
      return cr_fail (err, errno, "create state directory %s", path);
    }
  _cleanup_close_ int dfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return cr_fail (err, errno, "open %s", path);
  r = lock_dir (dfd, true, id, err);
  if (r < 0)
    return r;
  *dirfd = TAKE_FD (dfd);
  return 0;
}

int
state_open_dir (const char *root, const char *id, bool exclusive, int *dirfd, struct cr_error *err)
{
  int r = state_validate_id (id, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *path = NULL;
  xasprintf (&path, "%s/%s", root, id);
  _cleanup_close_ int dfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    {
      if (errno == ENOENT)
        return cr_fail (err, ENOENT, "container %s does not exist", id);
      return cr_fail (err, errno, "open %s", path);
    }
  r = lock_dir (dfd, exclusive, id, err);
  if (r < 0)
    return r;
  /* A create that failed or a delete may have removed the dir while we waited. */
  struct stat st;
  if (fstatat (dfd, STATE_FILE, &st, 0) < 0 && errno == ENOENT && faccessat (dfd, STATE_FIFO, F_OK, 0) < 0)
    {
      if (fstat (dfd, &st) == 0 && st.st_nlink == 0)
        return cr_fail (err, ENOENT, "container %s does not exist", id);
    }
  *dirfd = TAKE_FD (dfd);
  return 0;
}

int
state_remove_dir (const char *root, const char *id, struct cr_error *err)
{
  _cleanup_close_ int rfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return cr_fail (err, errno, "open %s", root);
  return rm_rf_at (rfd, id, err);
}

/* ---- the state file (its JSON lives in libocispec/state_json.c) ---- */

/* NAME in the state dir replaced as a whole: the data goes to a temporary
   name, then is renamed over NAME, so a full or failing disk leaves the old
   NAME (or none) and no temporary behind, never a truncated NAME. With FLUSH
   the data is fsync'ed first: a delayed-allocation filesystem reports ENOSPC
   only there. No directory fsync: the state describes processes, which do
   not survive a power loss either. */
static int
replace_file (int dirfd, const char *name, const char *data, size_t len, bool flush, struct cr_error *err)
{
  char tmp[64];
  snprintf (tmp, sizeof tmp, ".%s.tmp", name);
  _cleanup_close_ int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return cr_fail (err, errno, "write %s", name);
  int r = write_all (fd, data, len);
  if (r == 0 && flush && fsync (fd) < 0)
    r = -errno;
  if (r == 0 && close (TAKE_FD (fd)) < 0 && errno != EINTR)
    r = -errno;
  if (r == 0 && renameat (dirfd, tmp, dirfd, name) < 0)
    r = -errno;
  if (r < 0)
    {
      unlinkat (dirfd, tmp, 0);
      return cr_fail (err, -r, "write %s", name);
    }
  return 0;
}

int
state_write_file (int dirfd, const char *name, const char *data, size_t len, struct cr_error *err)
{
  return replace_file (dirfd, name, data, len, true, err);
}

int
state_save (int dirfd, const struct container_state *st, struct cr_error *err)
{
  _cleanup_free_ char *json = state_file_to_json (st);
  /* Atomic: a concurrent `state` never reads half a file, a full disk never
     truncates the state of a live container. */
  if (state_write_file (dirfd, STATE_FILE, json, strlen (json), err) < 0)
    return cr_wrap (err, "save state of container %s", st->id);
  return 0;
}

int
state_save_intent (int dirfd, const struct container_state *st, struct cr_error *err)
{
  _cleanup_free_ char *json = state_file_to_json (st);
  /* A crash leaves either the previous record or this one, never half of it
     (and a full disk no temp file). Not flushed: it is read back only after
     a process crash, from the page cache, and create writes it three times. */
  if (replace_file (dirfd, STATE_INTENT, json, strlen (json), false, err) < 0)
    return cr_wrap (err, "record the create of container %s", st->id);
  return 0;
}

int
state_load_intent (int dirfd, const char *id, struct container_state **out, struct cr_error *err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = read_file_at (dirfd, STATE_INTENT, &data, &len, err);
  if (r < 0)
    return r;
  struct container_state *st = state_file_parse (data, len, STATE_INTENT, err);
  if (st == NULL)
    return -1;
  if (st->id == NULL)
    st->id = xstrdup (id);
  *out = st;
  return 0;
}

int
state_load (int dirfd, const char *id, struct container_state **out, struct cr_error *err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = read_file_at (dirfd, STATE_FILE, &data, &len, err);
  if (r < 0)
    {
      if (err && err->code == ENOENT && faccessat (dirfd, STATE_INTENT, F_OK, 0) == 0)
        return cr_fail (err, ENOENT,
                        "container %s has no %s (its create was interrupted or the file was removed): remove it with "
                        "delete --force",
                        id, STATE_FILE);
      if (err && err->code == ENOENT)
        return cr_fail (err, ENOENT, "container %s does not exist", id);
      return r;
    }
  struct cr_error perr = { 0 };
  struct container_state *st = state_file_parse (data, len, STATE_FILE, &perr);
  if (st == NULL)
    return cr_fail (err, 0, "state of container %s is corrupt (%s)", id, perr.msg);
  if (st->id == NULL)
    st->id = xstrdup (id);
  *out = st;
  return 0;
}

void
state_free (struct container_state *st)
{
  state_file_free (st);
}

/* Reads state letter and start time from /proc/<pid>/stat. The comm field may
   hold spaces and parentheses, so parse from the last ')'. */
static int
read_proc_stat (pid_t pid, char *state, unsigned long long *start)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -EIO;
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  if (p == NULL)
    return -EIO;
  p += 2;
  *state = *p;
  /* field 3 is state; start time is field 22 */
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -EIO;
  *start = strtoull (p, NULL, 10);
  return 0;
}

int
state_pid_start_time (pid_t pid, unsigned long long *out)
{
  char s;
  return read_proc_stat (pid, &s, out);
}

bool
state_pid_alive (pid_t pid, unsigned long long start_time)
{
  char s;
  unsigned long long st;
  if (pid <= 0 || read_proc_stat (pid, &s, &st) < 0)
    return false;
  if (s == 'Z' || s == 'X' || s == 'x')
    return false;
  return start_time == 0 || st == start_time;
}

int
state_status (int dirfd, const struct container_state *st, enum container_status *out, struct cr_error *err)
{
  if (st->pid <= 0)
    {
      *out = STATUS_CREATING;
      return 0;
    }
  if (!state_pid_alive (st->pid, st->pid_start_time))
    {
      *out = STATUS_STOPPED;
      return 0;
    }
  if (faccessat (dirfd, STATE_FIFO, F_OK, 0) == 0)
    {
      *out = STATUS_CREATED;
      return 0;
    }
  *out = STATUS_RUNNING;
  if (st->cgroup_path)
    {
      struct cgroup_manager *m = NULL;
      bool frozen = false;
      struct cr_error ignored = { 0 };
      if (cgroup_open (st->cgroup_root, st->cgroup_path, &m, &ignored) == 0)
        {
          if (cgroup_is_frozen (m, &frozen, &ignored) == 0 && frozen)
            *out = STATUS_PAUSED;
          cgroup_manager_free (m);
        }
    }
  return 0;
}

int
state_load_spec (int dirfd, struct spec **out, struct cr_error *err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  int r = read_file_at (dirfd, STATE_CONFIG_FILE, &data, &len, err);
  if (r < 0)
    return r;
  *out = spec_parse_data (data, len, err);
  if (*out == NULL)
    return err && err->code ? -err->code : -CR_ENOERRNO;
  return 0;
}

int
state_load_spec_with (int dirfd, const char *key, struct spec **out, struct cr_error *err)
{
  *out = NULL;
  _cleanup_free_ char *data = NULL;
  size_t len;
  int r = read_file_at (dirfd, STATE_CONFIG_FILE, &data, &len, err);
  if (r < 0)
    return r;
  /* The file is cellrun's own output (spec_to_json), which writes every key
     as it is, never with escapes: without the quoted key there is no such
     member, and the parse (most of what start and delete cost in user
     time) is not needed. */
  char quoted[64];
  int n = snprintf (quoted, sizeof quoted, "\"%s\"", key);
  if (n > 0 && (size_t) n < sizeof quoted && memmem (data, len, quoted, n) == NULL)
    return 0;
  *out = spec_parse_data (data, len, err);
  if (*out == NULL)
    return err && err->code ? -err->code : -CR_ENOERRNO;
  return 0;
}

char *
state_now_rfc3339 (void)
{
  struct timespec ts;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  int n = utc_rfc3339 (buf, sizeof buf, ts.tv_sec);
  snprintf (buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return xstrdup (buf);
}

int
state_open_status (const char *root, const char *id, bool exclusive, int *dirfd, struct container_state **st,
                   enum container_status *status, struct cr_error *err)
{
  int r = state_open_dir (root, id, exclusive, dirfd, err);
  if (r < 0)
    return r;
  if ((r = state_load (*dirfd, id, st, err)) == 0 && (r = state_status (*dirfd, *st, status, err)) < 0)
    {
      state_free (*st);
      *st = NULL;
    }
  if (r < 0)
    {
      close (*dirfd);
      *dirfd = -1;
    }
  return r;
}

static bool
owned_dir (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid ();
}

int
state_default_root (bool rootless, char **out, bool *notice, struct cr_error *err)
{
  *notice = false;
  *out = NULL;
  if (!rootless)
    {
      *out = xstrdup ("/run/cellrun");
      return 0;
    }
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  struct stat st;
  if (xdg && xdg[0] == '/' && stat (xdg, &st) == 0 && S_ISDIR (st.st_mode))
    {
      xasprintf (out, "%s/cellrun", xdg);
      return 0;
    }
  _cleanup_free_ char *run_user = NULL;
  xasprintf (&run_user, "/run/user/%u", (unsigned) geteuid ());
  if (owned_dir (run_user))
    {
      xasprintf (out, "%s/cellrun", run_user);
      return 0;
    }
  _cleanup_free_ char *tmp = NULL;
  xasprintf (&tmp, "/tmp/cellrun-%u", (unsigned) geteuid ());
  if (mkdir (tmp, 0700) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "default rootless state directory %s", tmp);
  /* /tmp is shared: someone else may have made the name first. */
  if (lstat (tmp, &st) < 0)
    return cr_fail (err, errno, "default rootless state directory %s", tmp);
  if (!S_ISDIR (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 077))
    return cr_fail (err, 0,
                    "default rootless state directory %s: not a directory of yours that only you can use "
                    "(set XDG_RUNTIME_DIR or pass --root)",
                    tmp);
  *notice = true;
  *out = TAKE_PTR (tmp);
  return 0;
}
