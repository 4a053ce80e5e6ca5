#include "config.h"
#include "core/runtime.h"
#include "linux/selfexe.h"
#include "linux/terminal.h"
#include "linux/userns.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

int
runtime_protect_binary (char **argv, struct cr_error *err)
{
  if (selfexe_ensure_sealed (argv, err) < 0)
    return -1;
  /* Holding host fds and a view of the host: not for ptrace or core dumps. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  return 0;
}

static int
exit_code (int status)
{
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* Forward FORWARD's signals to PID until it exits: true with its *STATUS,
   false if the signalfd failed (the caller then just waits). */
static bool
forward_until_exit (pid_t pid, const sigset_t *forward, bool reap_any, int *status)
{
  int sfd = signalfd (-1, forward, SFD_CLOEXEC);
  bool done = false;
  while (!done)
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
      pid_t w;
      while (!done && (w = waitpid (reap_any ? -1 : pid, status, WNOHANG)) > 0)
        done = w == pid;
    }
  if (sfd >= 0)
    close (sfd);
  return done;
}

int
runtime_wait_foreground (pid_t pid, int master, const sigset_t *forward, bool reap_any)
{
  int status;
  if (master >= 0)
    {
      /* The relay ends when the pty hangs up; then collect the status. */
      struct cr_error ignored;
      terminal_relay (master, pid, &ignored);
      close (master);
    }
  else if (forward_until_exit (pid, forward, reap_any, &status))
    return exit_code (status);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return 255;
  return exit_code (status);
}

bool
runtime_detect_rootless (void)
{
  return userns_detect_rootless ();
}
