/* Minimal TAP producer for the C unit tests: each CHECK is one test line.
   tests/run-tests.sh counts "ok"/"not ok" lines across all programs. */
#ifndef CELLRUN_UNIT_H
#define CELLRUN_UNIT_H
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int unit_count, unit_failed;

/* Line-buffered stdout: the lines printed before a crash still reach tests/run-tests.sh, which
   fails the program anyway when it exits non-zero or its "1..N" plan is missing. */
__attribute__ ((constructor)) static void
unit_line_buffered (void)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
}

#define CHECK(cond, ...)                                                 \
  do                                                                     \
    {                                                                    \
      int _c = (cond) ? 1 : 0;                                           \
      unit_count++;                                                      \
      if (_c)                                                            \
        printf ("ok %d - ", unit_count);                                 \
      else                                                               \
        {                                                                \
          unit_failed++;                                                 \
          printf ("not ok %d - ", unit_count);                           \
        }                                                                \
      printf (__VA_ARGS__);                                              \
      printf ("\n");                                                     \
      if (!_c)                                                           \
        printf ("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
  while (0)

#define CHECK_STR(got, want, ...)                                                        \
  do                                                                                     \
    {                                                                                    \
      const char *_g = (got), *_w = (want);                                              \
      int _ok = (_g && _w) ? strcmp (_g, _w) == 0 : _g == _w;                            \
      CHECK (_ok, __VA_ARGS__);                                                          \
      if (!_ok)                                                                          \
        printf ("#   got:  %s\n#   want: %s\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
    }                                                                                    \
  while (0)

/* Whether the NULL-terminated array V (may be NULL) holds the string S. */
static inline bool
strv_has (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* Run FN in a child; the child's exit code is the result (0 = pass). */
static inline int
unit_run_child (int (*fn) (void))
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    _exit (fn ());
  int status;
  if (waitpid (pid, &status, 0) < 0)
    return -1;
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

/* CHECK evaluates its condition twice; fork once. */
#define CHECK_CHILD(fn, ...)                      \
  do                                              \
    {                                             \
      int _rc = unit_run_child (fn);              \
      CHECK (_rc == 0, __VA_ARGS__);              \
      if (_rc != 0)                               \
        printf ("#   child exit code %d\n", _rc); \
    }                                             \
  while (0)

#define UNIT_DONE() (printf ("1..%d\n", unit_count), unit_failed ? 1 : 0)
#endif
