#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/log.h"
#include "linux/terminal.h"
#include "base/utils.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <poll.h>

/* Forward every signal we receive to the container's init until it exits;
   its exit status becomes ours (128+N for signal N). */
static int
wait_forwarding (pid_t pid, int sfd)
{
  for (;;)
    {
      struct signalfd_siginfo si;
      ssize_t n = read (sfd, &si, sizeof si);
      if (n < 0 && errno == EINTR)
        continue;
      if (n != sizeof si)
        break;
      if (si.ssi_signo != SIGCHLD)
        {
          kill (pid, si.ssi_signo);
          continue;
        }
      int status;
      pid_t w;
      while ((w = waitpid (-1, &status, WNOHANG)) > 0)
        if (w == pid)
          return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
  int status;
  waitpid (pid, &status, 0);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

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
  pid_t pid;
  if (container_create (&o, &pid, &err) < 0)
    return cli_fail (&err);
  if (container_start (g->root, o.id, &err) < 0)
    {
      struct cr_error ignored;
      container_delete (g->root, o.id, true, NULL, &ignored);
      return cli_fail (&err);
    }
  if (detach)
    return 0;
  int sfd = signalfd (-1, &all, SFD_CLOEXEC);
  int status;
  if (master >= 0)
    {
      /* The relay ends when the pty hangs up; then collect the status. */
      terminal_relay (master, pid, &err);
      close (master);
      while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
      status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
  else
    status = wait_forwarding (pid, sfd);
  close (sfd);
  /* --keep (as runc): the container stays, stopped, for `state` and `delete`. */
  struct cr_error derr = { 0 };
  if (!o.keep && container_delete (g->root, o.id, true, NULL, &derr) < 0)
    log_warning ("%s", derr.msg);
  return status;
}
