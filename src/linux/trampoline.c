/* The last program the container's init runs before the user's (see
   docs/security.md, CVE-2019-5736): built with -nostdlib -static, embedded in
   cellrun and executed from a sealed memfd, so /proc/<pid>/exe of the init is
   that memfd, never the host binary, from the moment the container exists.

   argv: MARKER, SYNCFD, DIRFD, NAME, EXE, ARGS...  First become non-dumpable
   again (an exec resets it: the runtime's fds must stay out of reach of
   /proc/1/fd), then close SYNCFD, the runtime's sign that the container is
   created (the trampoline is in place). With DIRFD != "-", open NAME in
   DIRFD (exec.fifo through /proc/self/fd) for writing, which blocks until
   `cellrun start` opens it, write "0", close DIRFD and NAME, then execve EXE
   with ARGS and the environment. Failures go to the fifo as "E<message>" and
   end in exit 127.

   argv: MARKER_EXEC, SYNCFD, EXE, ARGS... (`cellrun exec`, set up outside the
   container's pid namespace, whose children land in it): non-dumpable, then
   fork the process as the runtime's child (CLONE_PARENT), send its pid on
   SYNCFD and exit; the child starts a session, marks SYNCFD close-on-exec
   and execs EXE, on
   failure it sends a SYNC_ERROR and exits 127. So every process of the
   container's pid namespace has this sealed image or the program's.

   argv: MARKER_WATCHDOG, SOCK, EXEFD, TIMEOUT_MS, DIR [ROOT PATH] (`cellrun
   sandbox`'s watchdog, on the host, never in a container; see
   core/sandbox_watchdog.c for the protocol on SOCK): wait on SOCK. On EOF
   kill the init, wait for it, and exec EXEFD (cellrun) as "cellrun
   --sandbox-cleanup DIR [ROOT PATH]", which removes the cgroup and DIR with
   the runtime's code.

   Any other argv (a `#!/proc/self/exe` script, say) exits. */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>

#define MARKER "cellrun-trampoline"
#define MARKER_EXEC "cellrun-trampoline-exec"
#define MARKER_WATCHDOG "cellrun-watchdog"
/* core/sync.h's struct sync_msg and message types (core/exec.c checks). */
#define SYNC_ERROR 5
#define SYNC_EXEC_PID 9
#define SYNC_MSG_MAX 1024
struct sync_msg
{
  int type, code, pid;
  char msg[SYNC_MSG_MAX];
};
#define CLONE_PARENT_FLAG 0x00008000
#define SIGCHLD_NR 17

#if defined(__x86_64__)
static long
sys3 (long n, long a, long b, long c)
{
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
static long
sys4 (long n, long a, long b, long c, long d)
{
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return r;
}
static long
sys6 (long n, long a, long b, long c, long d, long e, long f)
{
  long r;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return r;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call tramp_main\n hlt\n");
#elif defined(__aarch64__)
static long
sys4 (long n, long a, long b, long c, long d)
{
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
static long
sys6 (long n, long a, long b, long c, long d, long e, long f)
{
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
static long
sys3 (long n, long a, long b, long c)
{
  return sys4 (n, a, b, c, 0);
}
__asm__(".text\n.global _start\n_start:\n mov x0, sp\n bl tramp_main\n brk #0\n");
#else
#error "the trampoline knows x86_64 and aarch64 only"
#endif
static long
sys5 (long n, long a, long b, long c, long d, long e)
{
  return sys6 (n, a, b, c, d, e, 0);
}

static __attribute__ ((noreturn)) void
quit (int code)
{
  for (;;)
    sys3 (__NR_exit_group, code, 0, 0);
}

static int
same (const char *a, const char *b)
{
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

static int
number (const char *s)
{
  int n = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    n = n * 10 + (*s - '0');
  return n;
}

static const char *
why (long e)
{
  switch (e)
    {
    case 1: return "Operation not permitted";
    case 2: return "No such file or directory";
    case 7: return "Argument list too long";
    case 8: return "Exec format error";
    case 12: return "Cannot allocate memory";
    case 13: return "Permission denied";
    case 20: return "Not a directory";
    case 21: return "Is a directory";
    case 26: return "Text file busy";
    case 40: return "Too many levels of symbolic links";
    default: return "error";
    }
}

/* "E" PREFIX ARG ": " reason, in one write (start reads it whole). */
static void
report (int fd, const char *prefix, const char *arg, long e)
{
  char buf[512];
  unsigned long n = 0;
  const char *parts[] = { "E", prefix, arg, ": ", why (e) };
  /* On stderr without the "E" of the fifo protocol, as a line. */
  for (unsigned i = fd == 2; i < sizeof parts / sizeof parts[0]; i++)
    for (const char *p = parts[i]; *p && n < sizeof buf - 1; p++)
      buf[n++] = *p;
  if (fd == 2)
    buf[n++] = '\n';
  sys3 (__NR_write, fd, (long) buf, n);
}

static void
send_msg (int fd, int type, int code, int pid, const char *a, const char *b)
{
  struct sync_msg m;
  /* volatile: the compiler must not turn this into a call to memset */
  volatile char *z = (volatile char *) &m;
  for (unsigned long i = 0; i < sizeof m; i++)
    z[i] = 0;
  char *d = m.msg;
  m.type = type, m.code = code, m.pid = pid;
  const char *parts[] = { "exec ", a, ": ", b };
  for (unsigned i = 0; a && i < sizeof parts / sizeof parts[0]; i++)
    for (const char *p = parts[i]; *p && d < m.msg + SYNC_MSG_MAX - 1; p++)
      *d++ = *p;
  sys3 (__NR_write, fd, (long) &m, sizeof m);
}

static __attribute__ ((noreturn)) void
exec_mode (char **argv, char **envp)
{
  int sync = number (argv[1]);
  long pid = sys4 (__NR_clone, CLONE_PARENT_FLAG | SIGCHLD_NR, 0, 0, 0);
  if (pid == 0)
    {
      sys3 (__NR_setsid, 0, 0, 0); /* its own session, as without the trampoline */
      sys3 (__NR_fcntl, sync, F_SETFD, FD_CLOEXEC);
      long r = sys3 (__NR_execve, (long) argv[2], (long) (argv + 3), (long) envp);
      send_msg (sync, SYNC_ERROR, -r, 0, argv[2], why (-r));
      quit (127);
    }
  if (pid < 0)
    send_msg (sync, SYNC_ERROR, -pid, 0, argv[2], why (-pid));
  else
    send_msg (sync, SYNC_EXEC_PID, 0, pid, 0, 0);
  quit (pid < 0 ? 127 : 0);
}

/* The watchdog's kernel structures (64-bit layouts) and constants. */
struct wd_iovec
{
  void *base;
  unsigned long len;
};
struct wd_msghdr
{
  void *name;
  int namelen;
  struct wd_iovec *iov;
  unsigned long iovlen;
  void *control;
  unsigned long controllen;
  unsigned flags;
};
struct wd_pollfd
{
  int fd;
  short events, revents;
};
struct wd_timespec
{
  long sec, nsec;
};
#define WD_MSG_CMSG_CLOEXEC 0x40000000
#define WD_MSG_NOSIGNAL 0x4000
#define WD_MSG_DONTWAIT 0x40
#define WD_POLLIN 1
#define WD_AT_EMPTY_PATH 0x1000
#define WD_SIGKILL 9

/* Only cellrun's death or word ends us: every signal blocked (SIGKILL
   aside), non-dumpable (cellrun was), a session of our own, stdio on
   /dev/null and no fd but SOCK and EXEFD. */
static void
watchdog_setup (long sock, long exefd)
{
  unsigned long all = ~0UL;
  sys4 (__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long) &all, 0, 8);
  sys3 (__NR_prctl, PR_SET_DUMPABLE, 0, 0);
  sys3 (__NR_prctl, PR_SET_NAME, (long) "cellrun-wd", 0);
  sys3 (__NR_setsid, 0, 0, 0);
  long null = sys4 (__NR_openat, AT_FDCWD, (long) "/dev/null", O_RDWR | O_CLOEXEC, 0);
  for (long fd = 0; null >= 0 && fd < 3; fd++)
    sys3 (__NR_dup3, null, fd, 0);
  long lo = sock < exefd ? sock : exefd, hi = sock < exefd ? exefd : sock;
  if (lo > 3)
    sys3 (__NR_close_range, 3, lo - 1, 0);
  if (hi > lo + 1)
    sys3 (__NR_close_range, lo + 1, hi - 1, 0);
  sys3 (__NR_close_range, hi + 1, ~0U, 0);
}

static __attribute__ ((noreturn)) void
watchdog_mode (long argc, char **argv, char **envp)
{
  long sock = number (argv[1]), exefd = number (argv[2]), pidfd = -1, timer = -1;
  long timeout_ms = 0; /* a long: more than an int's 24 days of milliseconds */
  for (const char *d = argv[3]; *d >= '0' && *d <= '9'; d++)
    timeout_ms = timeout_ms * 10 + (*d - '0');
  watchdog_setup (sock, exefd);
  for (;;)
    {
      struct wd_pollfd p[2] = { { (int) sock, WD_POLLIN, 0 }, { (int) timer, WD_POLLIN, 0 } };
      if (sys5 (__NR_ppoll, (long) p, 2, 0, 0, 8) < 0)
        continue;
      if (p[1].revents)
        {
          unsigned long ticks;
          if (sys3 (__NR_read, timer, (long) &ticks, sizeof ticks) > 0)
            {
              sys6 (__NR_sendto, sock, (long) "T", 1, WD_MSG_NOSIGNAL, 0, 0);
              sys4 (__NR_pidfd_send_signal, pidfd, WD_SIGKILL, 0, 0);
            }
          sys3 (__NR_close, timer, 0, 0);
          timer = -1;
        }
      if (!p[0].revents)
        continue;
      char buf[16];
      long cbuf[4]; /* cmsghdr (16 bytes) and one int */
      struct wd_iovec iov = { buf, sizeof buf };
      struct wd_msghdr mh = { 0, 0, &iov, 1, cbuf, sizeof cbuf, 0 };
      long n = sys3 (__NR_recvmsg, sock, (long) &mh, WD_MSG_CMSG_CLOEXEC | WD_MSG_DONTWAIT);
      if (n == -4 /* EINTR */ || n == -11 /* EAGAIN */)
        continue;
      if (n <= 0)
        break;
      if (buf[0] == 'E')
        quit (0);
      if (buf[0] == 'S' && mh.controllen >= 20 && ((int *) cbuf)[2] == 1 /* SOL_SOCKET */
          && ((int *) cbuf)[3] == 1 /* SCM_RIGHTS */)
        pidfd = ((int *) cbuf)[4];
      if (buf[0] == 'S' && timeout_ms > 0)
        {
          struct wd_timespec its[2] = { { 0, 0 }, { timeout_ms / 1000, (timeout_ms % 1000) * 1000000 } };
          timer = sys3 (__NR_timerfd_create, 1 /* CLOCK_MONOTONIC */, O_CLOEXEC, 0);
          if (timer >= 0)
            sys4 (__NR_timerfd_settime, timer, 0, (long) its, 0);
        }
    }
  /* cellrun is gone. pid 1 of a pid namespace finishes exiting only once
     every other process of it is gone: then the cgroup can go. */
  if (pidfd >= 0 && sys4 (__NR_pidfd_send_signal, pidfd, WD_SIGKILL, 0, 0) == 0)
    {
      struct wd_pollfd p = { (int) pidfd, WD_POLLIN, 0 };
      struct wd_timespec limit = { 10, 0 };
      while (sys5 (__NR_ppoll, (long) &p, 1, (long) &limit, 0, 8) == -4)
        ;
    }
  char *args[] = { "cellrun", "--sandbox-cleanup", argv[4], argc >= 7 ? argv[5] : 0, argc >= 7 ? argv[6] : 0, 0 };
  sys5 (__NR_execveat, exefd, (long) "", (long) args, (long) envp, WD_AT_EMPTY_PATH);
  quit (127);
}

__attribute__ ((used, noreturn)) void
tramp_main (long *sp)
{
  long argc = sp[0];
  char **argv = (char **) (sp + 1);
  char **envp = argv + argc + 1;
  if (argc >= 4 && same (argv[0], MARKER_EXEC))
    {
      if (sys3 (__NR_prctl, PR_SET_DUMPABLE, 0, 0) < 0)
        quit (127);
      exec_mode (argv, envp);
    }
  if (argc >= 5 && same (argv[0], MARKER_WATCHDOG))
    watchdog_mode (argc, argv, envp);
  if (argc < 6 || !same (argv[0], MARKER))
    {
      static const char msg[] = "cellrun-trampoline: not a program to run\n";
      sys3 (__NR_write, 2, (long) msg, sizeof msg - 1);
      quit (127);
    }
  if (sys3 (__NR_prctl, PR_SET_DUMPABLE, 0, 0) < 0)
    quit (127);
  sys3 (__NR_close, number (argv[1]), 0, 0);
  argv++;
  long fifo = -1;
  if (!same (argv[1], "-"))
    {
      int dirfd = number (argv[1]);
      fifo = sys4 (__NR_openat, dirfd, (long) argv[2], O_WRONLY | O_CLOEXEC, 0);
      if (fifo < 0)
        {
          report (2, "cellrun: open exec.fifo", "", -fifo);
          quit (1);
        }
      if (sys3 (__NR_write, fifo, (long) "0", 1) != 1)
        quit (1);
      sys3 (__NR_close, dirfd, 0, 0);
      sys3 (__NR_close, number (argv[2]), 0, 0);
    }
  long r = sys3 (__NR_execve, (long) argv[3], (long) (argv + 4), (long) envp);
  report (fifo >= 0 ? fifo : 2, "exec ", argv[3], -r);
  quit (127);
}
