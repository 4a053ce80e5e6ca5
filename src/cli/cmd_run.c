#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "core/runtime.h"
#include "base/log.h"
#include "base/utils.h"

#include <signal.h>

int
cmd_run (struct cli *g, int argc, char **argv)
{
  struct create_options o;
  struct profile_request pr;
  bool detach = false;
  if (cli_parse_create_flags (g, "run", argc, argv, &o, &pr, &detach, true))
    return 1;
  int master = -1;
  if (!detach && o.console_socket == NULL)
    o.terminal_master = &master;
  struct cr_error err = { 0 };
  /* Block the signals we forward before the init exists, so none is lost. */
  sigset_t all, old;
  sigfillset (&all);
  sigdelset (&all, SIGSEGV);
  sigdelset (&all, SIGBUS);
  sigdelset (&all, SIGILL);
  sigdelset (&all, SIGFPE);
  if (!detach)
    sigprocmask (SIG_BLOCK, &all, &old);
  /* Created and started in one call: a failed start is undone by create. */
  o.start = true;
  pid_t pid;
  if (container_create (&o, &pid, &err) < 0)
    return cli_fail (&err);
  if (detach)
    return 0;
  int status = runtime_wait_foreground (pid, master, &all, true);
  /* --keep (as runc): the container stays, stopped, for `state` and `delete`. */
  struct cr_error derr = { 0 };
  if (!o.keep && container_delete (g->root, o.id, true, NULL, &derr) < 0)
    log_warning ("%s", derr.msg);
  return status;
}
