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

static char **protect_argv;

int
runtime_protect_binary (char **argv, struct cr_error *err)
{
  if (selfexe_ensure_sealed (argv, err) < 0)
    return -1;
  /* Holding host fds and a view of the host: not for ptrace or core dumps. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  return 0;
}

void
runtime_protect_later (char **argv)
{
  protect_argv = argv;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int
protect_with (bool fits, bool *trampoline, struct cr_error *err)
{
  *trampoline = false;
  int need = selfexe_needs_protection (err);
  if (need <= 0)
    return need;
  if (fits)
    {
      *trampoline = true;
      return 0;
    }
  if (protect_argv == NULL)
    return cr_fail (err, 0,
                    "protect the runtime binary: the sealed trampoline cannot start this container "
                    "and this verb is never re-executed (a pid namespace of its own, no hooks, no LSM label "
                    "and a seccomp filter that allows execve/execveat are needed)");
  return runtime_protect_binary (protect_argv, err);
}

int
runtime_protect_for (const struct spec *spec, bool *trampoline, struct cr_error *err)
{
  return protect_with (selfexe_trampoline_fits (spec), trampoline, err);
}

int
runtime_protect_for_exec (const struct spec *spec, const struct spec_process *p, bool *trampoline, struct cr_error *err)
{
  return protect_with (selfexe_trampoline_fits_exec (spec, p), trampoline, err);
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
