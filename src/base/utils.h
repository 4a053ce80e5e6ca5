/* Small helpers shared by every module: scoped cleanup, whole-file I/O,
   directory creation. */
#ifndef CELLRUN_UTILS_H
#define CELLRUN_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/error.h"

static inline void
cr_freep (void *p)
{
  free (*(void **) p);
}
static inline void
cr_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
static inline void
cr_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}
static inline void
cr_strvfreep (char ***v)
{
  if (*v)
    {
      for (char **p = *v; *p; p++)
        free (*p);
      free (*v);
    }
}

#define _cleanup_free_ __attribute__ ((cleanup (cr_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (cr_closep)))
#define _cleanup_fclose_ __attribute__ ((cleanup (cr_fclosep)))
#define _cleanup_strv_ __attribute__ ((cleanup (cr_strvfreep)))

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Transfer ownership out of a cleanup-scoped variable. */
#define TAKE_FD(fd) \
  ({                \
    int _t = (fd);  \
    (fd) = -1;      \
    _t;             \
  })
#define TAKE_PTR(p)          \
  ({                         \
    __typeof__ (p) _t = (p); \
    (p) = NULL;              \
    _t;                      \
  })

/* Allocation that aborts on OOM: a runtime cannot do anything sensible then. */
void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t m);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
int xasprintf (char **out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* A growing NUL-terminated text (start from { 0 }; the caller frees BUF). */
struct text_buf
{
  char *buf;
  size_t len;
};
void text_append (struct text_buf *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Read a whole file (NUL terminated); *len optional. */
int read_file (const char *path, char **out, size_t *len, struct cr_error *err);
int read_file_at (int dirfd, const char *path, char **out, size_t *len, struct cr_error *err);
int read_all_fd (int fd, const char *what, char **out, size_t *len, struct cr_error *err);
/* Write LEN bytes, retrying short writes and EINTR. */
int write_all (int fd, const void *buf, size_t len);
/* sendmsg BUF with FD attached (SCM_RIGHTS) on a unix socket; 0 or -1 (errno). */
int send_fd (int sock, const void *buf, size_t len, int fd);
/* Write a whole file (O_CLOEXEC|O_TRUNC|O_CREAT). */
int write_file (const char *path, const void *data, size_t len, mode_t mode, struct cr_error *err);
/* Write to a temp file then rename: readers never see a partial file. */
int write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, struct cr_error *err);
/* mkdir -p with MODE for each created component. */
int mkdir_p (const char *path, mode_t mode, struct cr_error *err);
/* rm -rf, not crossing into other filesystems. */
int rm_rf_at (int dirfd, const char *name, struct cr_error *err);

/* Parse a non-negative integer; 0 on success. */
int parse_uint64 (const char *s, unsigned long long *out);

/* Strings */
bool has_prefix (const char *s, const char *prefix);
/* Strip leading and trailing spaces in place; returns the first kept char. */
char *str_trim_spaces (char *s);
size_t strv_len (char *const *v);
/* Lexically clean an absolute path: no "//", ".", trailing "/", and ".." never
   climbs above "/". Returns a new string. */
char *path_clean (const char *path);

/* SEC (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SS" in UTC, without the time zone
   machinery of gmtime (which reads /etc/localtime); returns the length written. */
int utc_rfc3339 (char *buf, size_t size, long long sec);

/* Close every fd >= FIRST except those listed in KEEP (KEEP may be NULL). */
int close_fds_from (int first);
/* Close every fd >= FIRST except the KEEP_LEN fds in KEEP (any order, -1 ignored). */
int close_fds_except (int first, const int *keep, size_t keep_len);
/* Mark every fd >= FIRST close-on-exec. */
int cloexec_fds_from (int first);

#endif
