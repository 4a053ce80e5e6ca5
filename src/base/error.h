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

/* Fill ERR with "<fmt...>: strerror(errnum)" (or just the text when errnum is 0)
   and return -errnum (or -1 when errnum is 0). ERR may be NULL. */
int cr_fail (struct cr_error *err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Bad input: fill ERR with the formatted text alone (no strerror), code
   EINVAL; returns -EINVAL.  ERR may be NULL. */
int cr_invalid (struct cr_error *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Prefix an existing message: "what: <old message>". Returns -code (or -1). */
int cr_wrap (struct cr_error *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

void cr_error_clear (struct cr_error *err);

#endif
