/* The floor of `exec`: join the namespaces of a running process (one pidfd,
   one setns), take its root, fork (the child lands in its pid namespace),
   exec the program in the child and wait for it.

   usage: exec_floor PID PROGRAM [ARGS...] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: exec_floor PID PROGRAM [ARGS...]\n");
      return 2;
    }
  int pid = atoi (argv[1]);
  int pidfd = syscall (SYS_pidfd_open, pid, 0);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/root", pid);
  int root = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (pidfd < 0 || root < 0
      || setns (pidfd, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP) < 0
      || fchdir (root) < 0 || chroot (".") < 0)
    {
      perror ("exec_floor: join");
      return 1;
    }
  pid_t child = fork ();
  if (child == 0)
    {
      execv (argv[2], argv + 2);
      perror ("exec_floor: exec");
      _exit (127);
    }
  int status;
  if (child < 0 || waitpid (child, &status, 0) < 0)
    return 1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
