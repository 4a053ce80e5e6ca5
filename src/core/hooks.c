#include "config.h"
#include "core/hooks.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Every signal back to SIG_DFL. The raw call, since glibc's signal() refuses the two
   real-time signals it reserves (32 and 33), which a caller may have left ignored (GNU make
   does) and execve would pass on. An all-zero kernel sigaction is SIG_DFL, no flags, an empty
   mask on every architecture. */
static void
reset_all_signals (void)
{
  struct
  {
    unsigned long words[4];
  } dfl = { { 0 } };
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      syscall (SYS_rt_sigaction, sig, &dfl, NULL, (size_t) (NSIG / 8));
}

static int
hook_run_one (const struct spec_hook *h, const char *kind, size_t idx, const char *state_json, struct cr_error *err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return cr_fail (err, errno, "%s hook %zu: pipe", kind, idx);
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return cr_fail (err, errno, "%s hook %zu: fork", kind, idx);
    }
  if (pid == 0)
    {
      /* The hook starts with default signal handling: the runtime (and the init, for
         createContainer/startContainer) blocks signals to forward them and ignores SIGPIPE
         around its write below, and both would survive execve. */
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      reset_all_signals ();
      dup2 (pipefd[0], 0);
      cloexec_fds_from (3);
      char *default_args[] = { h->path, NULL };
      char *empty_env[] = { NULL };
      execve (h->path, h->args ? h->args : default_args, h->env ? h->env : empty_env);
      _exit (127);
    }
  close (pipefd[0]);
  /* A hook that does not read stdin must not kill us: ignore SIGPIPE for this write only,
     so neither the next hook nor the container's process (after createContainer and
     startContainer hooks, which run in the init) inherits SIG_IGN. */
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  sigemptyset (&ign.sa_mask);
  sigaction (SIGPIPE, &ign, &old);
  write_all (pipefd[1], state_json, strlen (state_json));
  close (pipefd[1]);
  sigaction (SIGPIPE, &old, NULL);

  /* Wait with a timeout via pidfd: no polling loop, no SIGALRM games. */
  int pidfd = syscall (SYS_pidfd_open, pid, 0);
  if (pidfd >= 0 && h->has_timeout && h->timeout > 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      int n;
      do
        n = poll (&p, 1, h->timeout * 1000);
      while (n < 0 && errno == EINTR);
      if (n == 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          close (pidfd);
          return cr_fail (err, ETIMEDOUT, "%s hook %s: timed out after %d s", kind, h->path, h->timeout);
        }
    }
  if (pidfd >= 0)
    close (pidfd);
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return cr_fail (err, errno, "%s hook %s: wait", kind, h->path);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return cr_fail (err, 0, "%s hook %s: could not be executed (exit status 127)", kind, h->path);
  if (WIFEXITED (status))
    return cr_fail (err, 0, "%s hook %s: exit status %d", kind, h->path, WEXITSTATUS (status));
  return cr_fail (err, 0, "%s hook %s: killed by signal %d", kind, h->path, WTERMSIG (status));
}

int
hooks_run (const struct spec_hook *hooks, size_t n, const char *kind, const char *state_json, struct cr_error *err)
{
  for (size_t i = 0; i < n; i++)
    {
      int r = hook_run_one (&hooks[i], kind, i, state_json, err);
      if (r < 0)
        return r;
    }
  return 0;
}
