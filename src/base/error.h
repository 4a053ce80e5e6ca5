/* One error model for the whole runtime: a failing function returns a
   negative errno-style code and fills a caller-owned struct cr_error.
   Only the CLI prints (see log.c). */
#ifndef CELLRUN_ERROR_H
#define CELLRUN_ERROR_H

#include <stddef.h>

#define CR_ERROR_MSG_MAX 1024

struct cr_error
{
  int code;                   /* positive errno value, 0 when unknown */
  char msg[CR_ERROR_MSG_MAX]; /* "<what>: <why>" without the "cellrun: " prefix */
};

/* The code a failure without an errno returns (as -CR_ENOERRNO): cellrun
   found the problem itself (bad state, a protocol error, a refusal of its
   own). It lies above every errno value (the kernel's end below 4096), so
   it is never mistaken for one: -1 would read as -EPERM. err->code stays 0
   for such a failure. */
#define CR_ENOERRNO 4096

/* Fill ERR with "<fmt...>: strerror(errnum)" (or just the text when errnum is
   0 or CR_ENOERRNO) and return -errnum (-CR_ENOERRNO when errnum is 0).
   ERR may be NULL. */
int cr_fail (struct cr_error *err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Bad input: fill ERR with the formatted text alone (no strerror), code
   EINVAL; returns -EINVAL.  ERR may be NULL. */
int cr_invalid (struct cr_error *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Prefix an existing message: "what: <old message>". Returns -code (or
   -CR_ENOERRNO when the code is 0). */
int cr_wrap (struct cr_error *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

void cr_error_clear (struct cr_error *err);

#endif
