/* The floor of `run`: what any runtime must do for the bench bundle, and
   nothing else. clone into new pid, net, ipc, uts, mount and cgroup
   namespaces; in the child: make the mounts private, bind the rootfs onto
   itself, mount /proc in it, pivot_root into it, drop the old root and exec
   the program; the parent waits for it.

   usage: run_floor ROOTFS PROGRAM [ARGS...] */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char **args;
static const char *rootfs;

static int
child (void *unused)
{
  (void) unused;
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0
      || chdir (rootfs) < 0 || mount ("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0
      || syscall (SYS_pivot_root, ".", ".") < 0 || umount2 (".", MNT_DETACH) < 0 || chdir ("/") < 0)
    {
      perror ("run_floor: setup");
      return 126;
    }
  execv (args[0], args);
  perror ("run_floor: exec");
  return 127;
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: run_floor ROOTFS PROGRAM [ARGS...]\n");
      return 2;
    }
  rootfs = argv[1];
  args = argv + 2;
  static char stack[64 * 1024] __attribute__ ((aligned (16)));
  int flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP | SIGCHLD;
  pid_t pid = clone (child, stack + sizeof stack, flags, NULL);
  if (pid < 0)
    {
      perror ("run_floor: clone");
      return 1;
    }
  int status;
  if (waitpid (pid, &status, 0) < 0)
    return 1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
