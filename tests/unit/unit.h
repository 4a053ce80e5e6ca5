/* Minimal TAP producer for the C unit tests: each CHECK is one test line.
   tests/run-tests.sh counts "ok"/"not ok" lines across all programs. */
#ifndef CELLRUN_UNIT_H
#define CELLRUN_UNIT_H
#include <stdio.h>
#include <string.h>

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

#define UNIT_DONE() (printf ("1..%d\n", unit_count), unit_failed ? 1 : 0)
#endif
