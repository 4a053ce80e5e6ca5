/* base/error.c: the codes and messages of cr_fail, cr_invalid and cr_wrap,
   in particular that a failure without an errno never reads as -EPERM. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "base/error.h"
#include "unit.h"

static void
test_no_errno (void)
{
  struct cr_error err = { 0 };
  int r = cr_fail (&err, 0, "state of %s is corrupt", "c1");
  CHECK (r == -CR_ENOERRNO && r != -EPERM, "cr_fail without errno returns -CR_ENOERRNO (%d), not -EPERM", r);
  CHECK (err.code == 0, "cr_fail without errno leaves code 0 (%d)", err.code);
  CHECK_STR (err.msg, "state of c1 is corrupt", "cr_fail without errno: no strerror text");
  CHECK (CR_ENOERRNO > 4095, "CR_ENOERRNO lies above the errno range");

  r = cr_wrap (&err, "load %s", "c1");
  CHECK (r == -CR_ENOERRNO, "cr_wrap of a no-errno failure returns -CR_ENOERRNO (%d)", r);
  CHECK_STR (err.msg, "load c1: state of c1 is corrupt", "cr_wrap prefixes the message");

  /* A no-errno code passed on again adds no strerror ("Unknown error 4096"). */
  cr_error_clear (&err);
  r = cr_fail (&err, r, "create %s", "c1");
  CHECK (r == -CR_ENOERRNO && err.code == 0, "cr_fail of -CR_ENOERRNO stays a no-errno failure (%d)", r);
  CHECK_STR (err.msg, "create c1", "cr_fail of -CR_ENOERRNO: no strerror text");
  CHECK (cr_fail (NULL, 0, "x") == -CR_ENOERRNO && cr_wrap (NULL, "x") == -CR_ENOERRNO, "NULL error struct");
}

static void
test_errno (void)
{
  struct cr_error err = { 0 };
  int r = cr_fail (&err, EPERM, "mount %s", "/x");
  CHECK (r == -EPERM && err.code == EPERM, "cr_fail with EPERM returns -EPERM");
  CHECK_STR (err.msg, "mount /x: Operation not permitted", "cr_fail appends strerror");
  CHECK (cr_fail (&err, -ENOENT, "open") == -ENOENT && err.code == ENOENT, "a negative errno is accepted");
  CHECK (cr_wrap (&err, "setup") == -ENOENT, "cr_wrap keeps the errno");
  CHECK (cr_invalid (&err, "bad %s", "value") == -EINVAL && err.code == EINVAL, "cr_invalid: EINVAL");
  CHECK_STR (err.msg, "bad value", "cr_invalid: text alone");
}

int
main (void)
{
  test_no_errno ();
  test_errno ();
  return UNIT_DONE ();
}
