/* The pod sandbox's process for tests/integration/cri.bats: it holds the pod's namespaces
   while the pod lives.  It blocks every signal it handles and takes them one at a time with
   sigwaitinfo: SIGCHLD reaps whatever children it inherited (as PID 1 of a pid namespace it
   adopts orphans), SIGTERM and SIGINT end it with status 0.  Built with gcc -static so the
   image needs nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int
main (void)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    {
      perror ("pause: sigprocmask");
      return 1;
    }
  for (;;)
    {
      int sig = sigwaitinfo (&set, NULL);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          perror ("pause: sigwaitinfo");
          return 1;
        }
      if (sig == SIGTERM || sig == SIGINT)
        return 0;
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
    }
}
