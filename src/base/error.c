#include "config.h"
#include "base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
cr_fail (struct cr_error *err, int errnum, const char *fmt, ...)
{
  if (errnum < 0)
    errnum = -errnum;
  /* A code passed on from an earlier failure without an errno. */
  if (errnum == CR_ENOERRNO)
    errnum = 0;
  if (err != NULL)
    {
      va_list ap;
      va_start (ap, fmt);
      int n = vsnprintf (err->msg, sizeof err->msg, fmt, ap);
      va_end (ap);
      if (errnum != 0 && n >= 0 && (size_t) n < sizeof err->msg)
        snprintf (err->msg + n, sizeof err->msg - n, ": %s", strerror (errnum));
      err->code = errnum;
    }
  return errnum ? -errnum : -CR_ENOERRNO;
}

int
cr_invalid (struct cr_error *err, const char *fmt, ...)
{
  if (err != NULL)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err->msg, sizeof err->msg, fmt, ap);
      va_end (ap);
      err->code = EINVAL;
    }
  return -EINVAL;
}

int
cr_wrap (struct cr_error *err, const char *fmt, ...)
{
  if (err == NULL)
    return -CR_ENOERRNO;
  char prefix[CR_ERROR_MSG_MAX];
  char old[CR_ERROR_MSG_MAX];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (prefix, sizeof prefix, fmt, ap);
  va_end (ap);
  memcpy (old, err->msg, sizeof old);
  snprintf (err->msg, sizeof err->msg, "%s: %s", prefix, old);
  return err->code ? -err->code : -CR_ENOERRNO;
}

void
cr_error_clear (struct cr_error *err)
{
  if (err)
    {
      err->code = 0;
      err->msg[0] = '\0';
    }
}
