#include "config.h"

#include <errno.h>
#include <signal.h>

#include "base/signals.h"
#include "unit.h"

static void
check_parse (const char *s, int want)
{
  struct cr_error err = { 0 };
  int sig = -1;
  int r = signal_parse (s, &sig, &err);
  CHECK (r == 0 && sig == want, "signal_parse(\"%s\") = %d (want %d)", s, sig, want);
}

static void
check_invalid (const char *s)
{
  struct cr_error err = { 0 };
  char want[256];
  int sig = -1;
  int r = signal_parse (s, &sig, &err);
  snprintf (want, sizeof want, "invalid signal: %s", s);
  CHECK (r == -EINVAL && err.code == EINVAL, "signal_parse(\"%s\") fails with EINVAL", s);
  CHECK_STR (err.msg, want, "message for \"%s\"", s);
}

int
main (void)
{
  check_parse ("TERM", SIGTERM);
  check_parse ("SIGTERM", SIGTERM);
  check_parse ("sigkill", SIGKILL);
  check_parse ("kill", SIGKILL);
  check_parse ("SigHup", SIGHUP);
  check_parse ("9", SIGKILL);
  check_parse ("15", SIGTERM);
  check_parse ("1", SIGHUP);
  check_parse ("WINCH", SIGWINCH);
  check_parse ("SIGIOT", SIGABRT);
  check_parse ("SIGCLD", SIGCHLD);
  check_parse ("SIGRTMIN", SIGRTMIN);
  check_parse ("SIGRTMIN+3", SIGRTMIN + 3);
  check_parse ("rtmin+0", SIGRTMIN);
  check_parse ("RTMAX-1", SIGRTMAX - 1);
  check_parse ("SIGRTMAX", SIGRTMAX);
  check_parse ("64", 64);

  check_invalid ("0");
  check_invalid ("SIGFOO");
  check_invalid ("");
  check_invalid ("99999");
  check_invalid ("-1");
  check_invalid ("+9");
  check_invalid ("9x");
  check_invalid ("SIG");
  check_invalid ("65");
  check_invalid ("RTMIN-1");
  check_invalid ("RTMAX+1");
  check_invalid ("RTMIN+99");
  check_invalid ("RTMIN+");

  {
    struct cr_error err = { 0 };
    int sig;
    CHECK (signal_parse (NULL, &sig, &err) < 0, "NULL is invalid");
  }

  CHECK_STR (signal_name (SIGTERM), "SIGTERM", "name of SIGTERM");
  CHECK_STR (signal_name (SIGKILL), "SIGKILL", "name of SIGKILL");
  CHECK_STR (signal_name (SIGABRT), "SIGABRT", "SIGABRT preferred over SIGIOT");
  CHECK_STR (signal_name (SIGCHLD), "SIGCHLD", "SIGCHLD preferred over SIGCLD");
  CHECK_STR (signal_name (SIGRTMIN), "SIGRTMIN", "name of SIGRTMIN");
  CHECK_STR (signal_name (SIGRTMIN + 3), "SIGRTMIN+3", "name of SIGRTMIN+3");
  CHECK_STR (signal_name (SIGRTMAX - 1), "SIGRTMAX-1", "name of SIGRTMAX-1");
  CHECK_STR (signal_name (SIGRTMAX), "SIGRTMAX", "name of SIGRTMAX");
  CHECK_STR (signal_name (0), NULL, "no name for 0");
  CHECK_STR (signal_name (-1), NULL, "no name for -1");
  CHECK_STR (signal_name (1000), NULL, "no name for 1000");

  /* Every valid number round-trips through its name. */
  int roundtrip_ok = 1;
  for (int s = 1; s <= SIGRTMAX; s++)
    {
      const char *n = signal_name (s);
      int back = -1;
      if (n == NULL)
        continue; /* 32 and 33 belong to glibc and have no name */
      if (signal_parse (n, &back, NULL) != 0 || back != s)
        {
          printf ("# roundtrip failed for %d (%s)\n", s, n);
          roundtrip_ok = 0;
        }
    }
  CHECK (roundtrip_ok, "signal_name/signal_parse round trip");

  return UNIT_DONE ();
}
