#include "config.h"
#include "base/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xcalloc (size_t n, size_t m)
{
  void *p = calloc (n ? n : 1, m ? m : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  if (s == NULL)
    return NULL;
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

int
xasprintf (char **out, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int n = vasprintf (out, fmt, ap);
  va_end (ap);
  if (n < 0)
    abort ();
  return n;
}

void
text_append (struct text_buf *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *piece = NULL;
  if (vasprintf (&piece, fmt, ap) < 0)
    abort ();
  va_end (ap);
  size_t l = strlen (piece);
  t->buf = xrealloc (t->buf, t->len + l + 1);
  memcpy (t->buf + t->len, piece, l + 1);
  t->len += l;
  free (piece);
}

int
read_all_fd (int fd, const char *what, char **out, size_t *len, struct cr_error *err)
{
  size_t cap = 4096, used = 0;
  _cleanup_free_ char *buf = xmalloc (cap);
  for (;;)
    {
      if (used + 1 >= cap)
        buf = xrealloc (buf, cap *= 2);
      ssize_t r = read (fd, buf + used, cap - used - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return cr_fail (err, errno, "read %s", what);
      if (r == 0)
        break;
      used += r;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = TAKE_PTR (buf);
  return 0;
}

int
read_file_at (int dirfd, const char *path, char **out, size_t *len, struct cr_error *err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cr_fail (err, errno, "open %s", path);
  return read_all_fd (fd, path, out, len, err);
}

int
read_file (const char *path, char **out, size_t *len, struct cr_error *err)
{
  return read_file_at (AT_FDCWD, path, out, len, err);
}

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -errno;
      p += w;
      len -= w;
    }
  return 0;
}

int
write_file (const char *path, const void *data, size_t len, mode_t mode, struct cr_error *err)
{
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC | O_TRUNC | O_CREAT, mode);
  if (fd < 0)
    return cr_fail (err, errno, "open %s", path);
  int r = write_all (fd, data, len);
  if (r < 0)
    return cr_fail (err, -r, "write %s", path);
  return 0;
}

int
write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, struct cr_error *err)
{
  _cleanup_free_ char *tmp = NULL;
  xasprintf (&tmp, "%s.tmp.%d", path, (int) getpid ());
  int r = write_file (tmp, data, len, mode, err);
  if (r < 0)
    {
      unlink (tmp);
      return r;
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return cr_fail (err, e, "rename %s to %s", tmp, path);
    }
  return 0;
}

int
mkdir_p (const char *path, mode_t mode, struct cr_error *err)
{
  _cleanup_free_ char *p = xstrdup (path);
  for (char *s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return cr_fail (err, errno, "mkdir %s", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "mkdir %s", p);
  return 0;
}

static int
rm_rf_dirfd (int dfd, struct cr_error *err)
{
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return cr_fail (err, errno, "opendir");
    }
  int ret = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (ret == 0)
        ret = rm_rf_at (dirfd (d), de->d_name, err);
    }
  closedir (d);
  return ret;
}

int
rm_rf_at (int dirfd, const char *name, struct cr_error *err)
{
  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return cr_fail (err, errno, "remove %s", name);
  int dfd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* A directory of ours without permissions (overlay's work/work is mode
     0 and, rootless, owned by the caller): let us in first. */
  if (dfd < 0 && errno == EACCES && fchmodat (dirfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
    dfd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return errno == ENOENT ? 0 : cr_fail (err, errno, "open %s", name);
  int r = rm_rf_dirfd (dfd, err);
  if (r < 0)
    return r;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return cr_fail (err, errno, "remove %s", name);
  return 0;
}

int
parse_uint64 (const char *s, unsigned long long *out)
{
  if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
    return -EINVAL;
  char *end;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -EINVAL;
  *out = v;
  return 0;
}

bool
has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

size_t
strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int
fds_walk (int first, bool cloexec)
{
  /* close_range is one syscall; /proc/self/fd is the fallback for old kernels. */
  if (syscall (SYS_close_range, first, ~0U, cloexec ? CLOSE_RANGE_CLOEXEC : 0) == 0)
    return 0;
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return -errno;
  int self = dirfd (d);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      int fd = atoi (de->d_name);
      if (de->d_name[0] == '.' || fd < first || fd == self)
        continue;
      if (cloexec)
        fcntl (fd, F_SETFD, FD_CLOEXEC);
      else
        close (fd);
    }
  closedir (d);
  return 0;
}

int
close_fds_from (int first)
{
  return fds_walk (first, false);
}

int
cloexec_fds_from (int first)
{
  return fds_walk (first, true);
}

static int
int_cmp (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

int
close_fds_except (int first, const int *keep, size_t keep_len)
{
  int sorted[keep_len + 1];
  size_t n = 0;
  for (size_t i = 0; i < keep_len; i++)
    if (keep[i] >= first)
      sorted[n++] = keep[i];
  qsort (sorted, n, sizeof (int), int_cmp);
  /* One close_range per gap between kept fds. */
  unsigned cur = first;
  for (size_t i = 0; i <= n; i++)
    {
      unsigned end = i < n ? (unsigned) sorted[i] : ~0U;
      if (end > cur && syscall (SYS_close_range, cur, i < n ? end - 1 : end, 0) < 0)
        {
          for (unsigned fd = cur; fd < end && fd < 65536; fd++)
            close (fd);
        }
      if (i < n)
        cur = sorted[i] + 1;
    }
  return 0;
}

int
send_fd (int sock, const void *buf, size_t len, int fd)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  memset (cbuf, 0, sizeof cbuf);
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  return sendmsg (sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

char *
str_trim_spaces (char *s)
{
  while (*s == ' ')
    s++;
  size_t l = strlen (s);
  while (l > 0 && s[l - 1] == ' ')
    s[--l] = '\0';
  return s;
}

/* Lexically clean an absolute path: no "//", ".", and ".." never climbs
   above "/" (so a cgroupsPath cannot escape the hierarchy). */
char *
path_clean (const char *in)
{
  size_t len = strlen (in);
  char *out = xmalloc (len + 2);
  size_t o = 0;
  const char *p = in;
  while (*p)
    {
      while (*p == '/')
        p++;
      const char *s = p;
      while (*p && *p != '/')
        p++;
      size_t n = p - s;
      if (n == 0 || (n == 1 && s[0] == '.'))
        continue;
      if (n == 2 && s[0] == '.' && s[1] == '.')
        {
          while (o > 0 && out[o - 1] != '/')
            o--;
          if (o > 0)
            o--;
          continue;
        }
      out[o++] = '/';
      memcpy (out + o, s, n);
      o += n;
    }
  if (o == 0)
    out[o++] = '/';
  out[o] = '\0';
  return out;
}

int
utc_rfc3339 (char *buf, size_t size, long long sec)
{
  long long days = sec / 86400, rem = sec % 86400;
  if (rem < 0)
    rem += 86400, days--;
  /* Civil date from a day count: 400-year eras of 146097 days that start on 1 March, so the leap day
     is the last day of a year. */
  long long z = days + 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  int mday = (int) (doy - (153 * mp + 2) / 5 + 1);
  int mon = (int) (mp < 10 ? mp + 3 : mp - 9);
  long long year = yoe + era * 400 + (mon <= 2);
  return snprintf (buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d", year, mon, mday, (int) (rem / 3600),
                   (int) (rem / 60 % 60), (int) (rem % 60));
}
