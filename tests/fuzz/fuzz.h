/* Shared by the libFuzzer targets (tests/fuzz/README.md): a NUL-terminated
   copy of the input, since the parsers under test take C strings or
   (data, len) pairs and must never read past either. */
#ifndef CELLRUN_FUZZ_H
#define CELLRUN_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *
fuzz_strndup (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (s == NULL)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* The next field of a NUL/newline separated input ("" when exhausted). */
static inline char *
fuzz_next_field (char **cursor)
{
  char *start = *cursor;
  char *end = start + strcspn (start, "\n");
  if (*end != '\0')
    *end++ = '\0';
  *cursor = end;
  return start;
}

#endif
