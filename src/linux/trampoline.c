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

   Any other argv (a `#!/proc/self/exe` script, say) exits. */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>

#define MARKER "cellrun-trampoline"
#define MARKER_EXEC "cellrun-trampoline-exec"
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
sys3 (long n, long a, long b, long c)
{
  return sys4 (n, a, b, c, 0);
}
__asm__(".text\n.global _start\n_start:\n mov x0, sp\n bl tramp_main\n brk #0\n");
#else
#error "the trampoline knows x86_64 and aarch64 only"
#endif

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
