/* The sandbox's watchdog (docs/sandbox.md, "Dying with cellrun").

   The kernel cleans up most of a sandbox when cellrun is killed with
   SIGKILL: the init has PR_SET_PDEATHSIG(SIGKILL) and is pid 1 of its pid
   namespace, so its death kills every process of the sandbox, and the mounts
   live in mount namespaces that go with their last process. Two things are
   not the kernel's: the cgroup directories and the temp dir. This process,
   started before anything else exists, holds the other end of a socketpair;
   EOF on it means cellrun is gone (however it died). It then kills what is
   left (the init through its pidfd), waits for the init to be gone, removes
   the cgroup and the temp dir, and exits.

   It also owns the --timeout: armed when cellrun hands it the init, and on
   expiry it tells cellrun ("T") and kills the sandbox. One timer serves the
   plain and the -t (pty relay) waits alike.

   The cgroup (ROOT and PATH: <own>/<DIR's name>, known before it exists)
   comes with the arguments at the spawn. Protocol on the socket
   (SOCK_SEQPACKET, cellrun -> watchdog): "S" with the init's pidfd as
   SCM_RIGHTS, "E" the normal end; watchdog -> cellrun: "T" the timeout
   expired.

   The watchdog is the trampoline blob's watchdog mode (linux/trampoline.c):
   a vfork and an execveat of the sealed memfd, so cellrun's page tables are
   never copied. It waits without libc; only on EOF, the rare path, does it
   exec cellrun again (from an fd on /proc/self/exe opened here) as
   `cellrun --sandbox-cleanup DIR [ROOT PATH]`, which runs remove_leftovers:
   the runtime's own cgroup removal and rm_rf_at. Where the blob does not
   build, the watchdog is a fork running watchdog_main. */
#include "config.h"
#include "core/sandbox.h"
#include "core/container.h"
#include "linux/cgroups/cgroups.h"
#include "linux/selfexe.h"
#include "base/utils.h"

#include <inttypes.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
extern const size_t selfexe_trampoline_len;

struct watchdog_state
{
  const char *dir;
  uint64_t timeout_ms;
  int sock;
  int pidfd;
  int timer;
  char cgroup[4096]; /* "root\0path\0" */
  bool has_cgroup;
};

static void
kill_sandbox (struct watchdog_state *s)
{
  if (s->pidfd >= 0)
    syscall (SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
  if (s->has_cgroup)
    {
      struct cgroup_manager *m = NULL;
      struct cr_error ignored = { 0 };
      if (cgroup_open (s->cgroup, s->cgroup + strlen (s->cgroup) + 1, &m, &ignored) == 0)
        {
          cgroup_kill_all (m, SIGKILL, &ignored);
          cgroup_manager_free (m);
        }
    }
}

/* The cgroup (ROOT and PATH, or ROOT NULL) and the temp dir DIR, once the
   init is gone; the blob's watchdog execs cellrun for this. */
static void
remove_leftovers (const char *dir, const char *root, const char *path)
{
  struct cr_error ignored = { 0 };
  if (root && *root)
    {
      struct cgroup_manager *m = NULL;
      if (cgroup_open (root, path, &m, &ignored) == 0)
        {
          /* What escaped the init's pid namespace, if anything. */
          cgroup_kill_all (m, SIGKILL, &ignored);
          cgroup_destroy (m, &ignored);
          cgroup_manager_free (m);
        }
    }
  /* We live in the host's mount namespace: there the temp dir is a plain
     directory (cellrun's tmpfs on it was in cellrun's own namespace). */
  rm_rf_at (AT_FDCWD, dir, &ignored);
}

/* The hidden mode removes a tree and kills a cgroup, so it takes only what
   a sandbox makes: DIR a real directory of the caller named
   cellrun-sandbox.*, and a cgroup PATH whose last component is DIR's name.
   Anything else (a typo, a hand-made call) is refused. */
static bool
cleanup_args_ok (const char *dir, const char *path)
{
  const char *name = strrchr (dir, '/');
  name = name ? name + 1 : dir;
  if (strncmp (name, "cellrun-sandbox.", 16) != 0 || strlen (name) <= 16)
    return false;
  struct stat st;
  if (lstat (dir, &st) < 0 || !S_ISDIR (st.st_mode) || st.st_uid != geteuid ())
    return false;
  if (path == NULL)
    return true;
  const char *last = strrchr (path, '/');
  return strcmp (last ? last + 1 : path, name) == 0;
}

void
sandbox_watchdog_cleanup_main (int argc, char **argv)
{
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (argc < 3 || !cleanup_args_ok (argv[2], argc >= 5 ? argv[4] : NULL))
    _exit (1);
  remove_leftovers (argv[2], argc >= 5 ? argv[3] : NULL, argc >= 5 ? argv[4] : NULL);
  _exit (0);
}

static __attribute__ ((noreturn)) void
cleanup_and_exit (struct watchdog_state *s)
{
  kill_sandbox (s);
  if (s->pidfd >= 0)
    {
      /* pid 1 of a pid namespace finishes exiting only once every other
         process of it is gone: then the cgroup can be removed. */
      struct pollfd p = { .fd = s->pidfd, .events = POLLIN };
      while (poll (&p, 1, 10000) < 0 && errno == EINTR)
        ;
    }
  remove_leftovers (s->dir, s->has_cgroup ? s->cgroup : NULL, s->cgroup + strlen (s->cgroup) + 1);
  _exit (0);
}

static void
receive (struct watchdog_state *s)
{
  char buf[16];
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n = recvmsg (s->sock, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0 && errno == EINTR)
    return;
  if (n <= 0)
    cleanup_and_exit (s);
  if (buf[0] == 'E')
    _exit (0);
  if (buf[0] != 'S')
    return;
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
    memcpy (&s->pidfd, CMSG_DATA (c), sizeof (int));
  if (s->timeout_ms)
    {
      struct itimerspec its = { .it_value = { .tv_sec = s->timeout_ms / 1000,
                                              .tv_nsec = (long) (s->timeout_ms % 1000) * 1000000 } };
      s->timer = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC);
      if (s->timer >= 0)
        timerfd_settime (s->timer, 0, &its, NULL);
    }
}

static __attribute__ ((noreturn)) void
watchdog_main (struct watchdog_state *s)
{
  /* Only cellrun's death (EOF) or its word ends us, never a signal meant
     for the command: a session of our own, and signals ignored. */
  sigset_t all;
  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  setsid ();
  /* A signal meanwhile stays pending, and the ignored ones are dropped when
     they become ignored. Messages from cellrun queue on the socket. */
  static const int ignored[] = {
    SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU
  };
  for (size_t i = 0; i < ARRAY_SIZE (ignored); i++)
    signal (ignored[i], SIG_IGN);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* The caller's stdio is not ours to keep open once cellrun is gone. */
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; null >= 0 && fd < 3; fd++)
    dup2 (null, fd);
  int keep[] = { s->sock };
  close_fds_except (3, keep, 1);
  for (;;)
    {
      struct pollfd p[2] = { { .fd = s->sock, .events = POLLIN }, { .fd = s->timer, .events = POLLIN } };
      if (poll (p, 2, -1) < 0)
        continue;
      if (p[1].revents & POLLIN)
        {
          uint64_t ticks;
          if (read (s->timer, &ticks, sizeof ticks) > 0)
            {
              send (s->sock, "T", 1, MSG_NOSIGNAL);
              kill_sandbox (s);
            }
          close (s->timer);
          s->timer = -1;
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        receive (s);
    }
}

/* The watchdog as the trampoline blob's watchdog mode, started with vfork
   semantics (no copy of our page tables) from its sealed memfd. */
static int
spawn_blob (const char *dir, uint64_t timeout_ms, const char *const cgroup[2], int sock, pid_t *pid,
            struct cr_error *err)
{
  _cleanup_close_ int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return cr_fail (err, errno, "sandbox watchdog: open /proc/self/exe");
  _cleanup_close_ int blob = selfexe_trampoline_open (err);
  if (blob < 0)
    return -1;
  char sockstr[16], exestr[16], timeout[24];
  snprintf (sockstr, sizeof sockstr, "%d", sock);
  snprintf (exestr, sizeof exestr, "%d", exe);
  snprintf (timeout, sizeof timeout, "%" PRIu64, timeout_ms);
  char *argv[] = { "cellrun-watchdog", sockstr, exestr, timeout, (char *) dir, (char *) cgroup[0],
                   (char *) cgroup[1], NULL };
  sigset_t all, old;
  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, &old);
  volatile long exec_error = 0;
  pid_t p = vfork ();
  if (p == 0)
    {
      /* Only raw syscalls here: we run on the parent's memory. */
      syscall (SYS_fcntl, sock, F_SETFD, 0);
      syscall (SYS_fcntl, exe, F_SETFD, 0);
      syscall (SYS_execveat, blob, "", argv, environ, AT_EMPTY_PATH);
      exec_error = errno;
      _exit (127);
    }
  int saved = errno;
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (p < 0)
    return cr_fail (err, saved, "sandbox watchdog: vfork");
  if (exec_error)
    {
      waitpid (p, NULL, 0);
      return cr_fail (err, (int) exec_error, "sandbox watchdog: exec");
    }
  *pid = p;
  return 0;
}

int
sandbox_watchdog_spawn (const char *dir, uint64_t timeout_ms, const char *cgroup_root, const char *cgroup_path,
                        struct sandbox_watchdog *w, struct cr_error *err)
{
  const char *cgroup[2] = { cgroup_root, cgroup_root ? cgroup_path : NULL };
  if (cgroup_root && strlen (cgroup_root) + strlen (cgroup_path) + 2 > sizeof ((struct watchdog_state *) 0)->cgroup)
    return cr_fail (err, ENAMETOOLONG, "sandbox watchdog: cgroup %s%s", cgroup_root, cgroup_path);
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return cr_fail (err, errno, "sandbox watchdog: socketpair");
  if (selfexe_trampoline_len > 0)
    {
      pid_t pid = -1;
      int r = spawn_blob (dir, timeout_ms, cgroup, sv[1], &pid, err);
      close (sv[1]);
      if (r < 0)
        {
          close (sv[0]);
          return r;
        }
      w->sock = sv[0];
      w->pid = pid;
      return 0;
    }
  /* Without the blob (an architecture it does not build for): a fork. */
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return cr_fail (err, errno, "sandbox watchdog: fork");
    }
  if (pid == 0)
    {
      close (sv[0]);
      struct watchdog_state s = { .dir = dir, .timeout_ms = timeout_ms, .sock = sv[1], .pidfd = -1, .timer = -1 };
      if (cgroup_root)
        {
          snprintf (s.cgroup, sizeof s.cgroup, "%s%c%s", cgroup_root, '\0', cgroup_path);
          s.has_cgroup = true;
        }
      watchdog_main (&s);
    }
  close (sv[1]);
  w->sock = sv[0];
  w->pid = pid;
  return 0;
}

int
sandbox_watchdog_start (struct sandbox_watchdog *w, int pidfd)
{
  return send_fd (w->sock, "S", 1, pidfd);
}

bool
sandbox_watchdog_timed_out (struct sandbox_watchdog *w)
{
  char c;
  ssize_t n = recv (w->sock, &c, 1, MSG_DONTWAIT);
  return n == 1 && c == 'T';
}

void
sandbox_watchdog_finish (struct sandbox_watchdog *w)
{
  if (w->sock >= 0)
    {
      send (w->sock, "E", 1, MSG_NOSIGNAL);
      close (w->sock);
      w->sock = -1;
    }
  if (w->pid > 0)
    while (waitpid (w->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  w->pid = -1;
}
