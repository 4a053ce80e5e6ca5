/* NOTIFY_SOCKET: the relay's message filter and how create reads the
   caller's NOTIFY_SOCKET and rewrites process.env (pure logic). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/notify.h"
#include "unit.h"
#include "base/utils.h"

static const char *
filter (const char *msg, pid_t pid, bool *ready)
{
  static char out[NOTIFY_MSG_OUT];
  notify_filter (msg, strlen (msg), pid, out, sizeof out, ready);
  return out;
}

static void
test_filter (void)
{
  bool ready;
  CHECK_STR (filter ("READY=1", 4242, &ready), "READY=1\nMAINPID=4242", "READY=1 gets the host MAINPID");
  CHECK (ready, "READY=1 ends the relay");
  CHECK_STR (filter ("STATUS=starting up", 4242, &ready), "STATUS=starting up", "STATUS= is forwarded as is");
  CHECK (!ready, "STATUS= alone does not end the relay");
  CHECK_STR (filter ("READY=1\nMAINPID=1\nSTATUS=up", 7, &ready), "READY=1\nSTATUS=up\nMAINPID=7",
             "the container's MAINPID (a pid of its namespace) is replaced");
  CHECK_STR (filter ("MAINPID=1", 7, &ready), "", "MAINPID alone: nothing to send");
  CHECK (!ready, "MAINPID alone is not READY");
  CHECK_STR (filter ("BARRIER=1", 7, &ready), "", "BARRIER= dropped (needs an fd)");
  CHECK_STR (filter ("FDSTORE=1\nFDNAME=x\nWATCHDOG=1", 7, &ready), "WATCHDOG=1", "fd-store fields dropped");
  CHECK_STR (filter ("READY=10", 7, &ready), "READY=10", "READY=10 is not READY=1");
  CHECK (!ready, "READY=10 does not end the relay");
  CHECK_STR (filter ("\n\nERRNO=2\n", 7, &ready), "ERRNO=2", "empty lines dropped");

  /* An embedded NUL makes a line unreadable for systemd: dropped. */
  char out[64];
  const char nul[] = "X=a\0b\nSTATUS=ok";
  notify_filter (nul, sizeof nul - 1, 7, out, sizeof out, &ready);
  CHECK_STR (out, "STATUS=ok", "a line with a NUL byte is dropped");

  /* Output never overflows, and MAINPID always fits after READY=1. */
  char big[5000];
  memset (big, 'A', sizeof big);
  memcpy (big, "READY=1\nX=", 10);
  big[sizeof big - 1] = '\0';
  char small[40];
  size_t n = notify_filter (big, strlen (big), 99, small, sizeof small, &ready);
  CHECK (n < sizeof small && strcmp (small, "READY=1\nMAINPID=99") == 0, "oversized line dropped, READY kept");
}

static void
test_plan (void)
{
  struct cr_error err = { 0 };
  struct notify_plan n;
  char *env_none[] = { "PATH=/bin", NULL };
  CHECK (notify_plan_init (&n, env_none, NULL, NULL, &err) == 0 && !n.wanted, "no NOTIFY_SOCKET: nothing to do");
  char *env_empty[] = { "NOTIFY_SOCKET=", NULL };
  CHECK (notify_plan_init (&n, env_empty, NULL, NULL, &err) == 0 && !n.wanted, "empty NOTIFY_SOCKET: nothing to do");

  char *env_rel[] = { "NOTIFY_SOCKET=relative/sock", NULL };
  cr_error_clear (&err);
  CHECK (notify_plan_init (&n, env_rel, NULL, NULL, &err) < 0, "relative NOTIFY_SOCKET refused");
  CHECK_STR (err.msg, "NOTIFY_SOCKET relative/sock: not an absolute path or an @abstract socket name",
             "relative message");

  char longpath[200] = "NOTIFY_SOCKET=/";
  memset (longpath + 15, 'x', 150);
  longpath[165] = '\0';
  char *env_long[] = { longpath, NULL };
  cr_error_clear (&err);
  CHECK (notify_plan_init (&n, env_long, NULL, NULL, &err) < 0, "NOTIFY_SOCKET longer than sun_path refused");

  char *env_abs[] = { "NOTIFY_SOCKET=@sd-notify", NULL };
  CHECK (notify_plan_init (&n, env_abs, NULL, NULL, &err) == 0 && n.wanted && n.host.sun_path[0] == '\0'
             && memcmp (n.host.sun_path + 1, "sd-notify", 9) == 0
             && n.host_len == offsetof (struct sockaddr_un, sun_path) + 10,
         "@name is an abstract address without a trailing NUL");

  /* process.env: NOTIFY_SOCKET points at the container's socket, replacing
     the bundle's value and any passed from the caller, and counts as one of
     the container's own (explicit) variables. */
  char *env_host[] = { "HOME=/root", "NOTIFY_SOCKET=/run/systemd/notify", NULL };
  struct spec_process proc = { 0 };
  proc.env = xcalloc (5, sizeof *proc.env);
  proc.env[0] = xstrdup ("PATH=/bin");
  proc.env[1] = xstrdup ("NOTIFY_SOCKET=/bundle/value");
  proc.env[2] = xstrdup ("TERM=xterm");
  proc.env[3] = xstrdup ("NOTIFY_SOCKET=/passed/from/caller");
  proc.env_len = 4;
  size_t explicit_len = 3;
  CHECK (notify_plan_init (&n, env_host, &proc, &explicit_len, &err) == 0 && n.wanted, "path NOTIFY_SOCKET accepted");
  CHECK_STR (n.host.sun_path, "/run/systemd/notify", "host address");
  CHECK (proc.env_len == 3 && proc.env[3] == NULL, "one NOTIFY_SOCKET left (env_len %zu)", proc.env_len);
  CHECK_STR (proc.env[0], "PATH=/bin", "env[0] kept");
  CHECK_STR (proc.env[1], "TERM=xterm", "env[1] kept");
  CHECK_STR (proc.env[2], "NOTIFY_SOCKET=/run/notify/notify.sock", "container socket set");
  CHECK (explicit_len == 3, "explicit part: PATH, TERM, NOTIFY_SOCKET (%zu)", explicit_len);
  for (size_t i = 0; i < proc.env_len; i++)
    free (proc.env[i]);
  free (proc.env);
  notify_plan_clear (&n);
}

int
main (void)
{
  test_filter ();
  test_plan ();
  return UNIT_DONE ();
}
