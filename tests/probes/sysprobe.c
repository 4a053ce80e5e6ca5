/* sysprobe: tells whether syscalls are allowed inside a test container.

   Usage: sysprobe NAME [NAME...]
          sysprobe notify MESSAGE   (send MESSAGE as one datagram to
          $NOTIFY_SOCKET, a path or @abstract name, as sd_notify does;
          prints "notify OK" or "notify <ERRNO>", exits 0 or 1)
   Prints "NAME OK", "NAME <ERRNO>" (e.g. "mount EPERM"), "NAME SIG<X>" when
   the probe was killed (seccomp KILL/TRAP), or "NAME UNKNOWN". Exit 0.

   Terminal attacks on fd 0 (the caller's terminal when stdin is a tty),
   each one line in the same format, run in sysprobe itself:
     sysprobe tty-inject TEXT   ioctl(0, TIOCSTI) for each byte of TEXT
     sysprobe tty-foreground    setpgid(0, 0), then tcsetpgrp(0, getpgrp())
     sysprobe tty-ctty          open /dev/tty (ENXIO: no controlling tty)
   Two NAMEs take arguments: "int80 NR [ARG...]" issues syscall NR of the
   i386 ABI with `int $0x80` (from this 64-bit binary), "x32 NR [ARG...]"
   syscall NR of the x32 ABI (NR | 0x40000000); they print "int80-NR ..."
   and "x32-NR ..."; "nr NR [ARG...]" issues native syscall NR (a number
   past the table, or one libc has no wrapper for) and prints "nr-NR ...".
   Up to five ARGs, each a number (strtol base 0) or a
   buffer below 4 GiB (the i386 ABI has 32-bit pointers): "@zero" (a zeroed
   page), "@badts" (struct __kernel_timespec {0, -1}) or "@badts32" (two
   32-bit words {0, -1}: old_timespec32 and old_timeval32). The arguments
   end at the next word that is neither.

   Each call gets arguments the kernel rejects early (bad flags, NULL
   pointers, fd -1) or that do nothing, so an allowed call fails with
   EINVAL/EFAULT/EBADF/ENOENT or succeeds harmlessly, while a seccomp
   filter answers before the kernel looks at the arguments. Some syscalls
   check capabilities before their arguments (pivot_root, reboot, ...):
   without the capability those report EPERM even when allowed.

   Every probe runs in its own forked child so namespace changes,
   personality changes and seccomp kills cannot affect the next probe.
   Built -static and libc-only: it runs in busybox images.

   Tools (first argument, then their own arguments; exit 0 on success,
   1 with a message on stderr otherwise):
     sysprobe exchange-loop A B SECONDS   renameat2(A, B, RENAME_EXCHANGE) in a
                                          tight loop for SECONDS
     sysprobe setxattr PATH NAME VALUE    setxattr(2), which busybox lacks */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* x86_64 numbers for syscalls older libc headers may lack. */
#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load 320
#endif
#ifndef SYS_bpf
#define SYS_bpf 321
#endif
#ifndef SYS_userfaultfd
#define SYS_userfaultfd 323
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_io_uring_enter
#define SYS_io_uring_enter 426
#endif
#ifndef SYS_io_uring_register
#define SYS_io_uring_register 427
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif
#ifndef SYS_lookup_dcookie
#define SYS_lookup_dcookie 212
#endif
#ifndef SYS_iopl
#define SYS_iopl 172
#endif
#ifndef SYS_ioperm
#define SYS_ioperm 173
#endif

#define BAD_FLAGS 0x7fff0000UL /* no syscall here defines these bits */
#define NOPATH "/nonexistent-sysprobe-path"

/* Each probe returns the syscall result; errno is read when it is < 0. */
typedef long (*probe_fn) (void);

static long
p_mount (void)
{
  return syscall (SYS_mount, NULL, NULL, NULL, 0UL, NULL);
}
static long
p_umount2 (void)
{
  return syscall (SYS_umount2, NOPATH, (int) BAD_FLAGS);
}
static long
p_pivot_root (void)
{
  return syscall (SYS_pivot_root, NULL, NULL);
}
static long
p_move_mount (void)
{
  return syscall (SYS_move_mount, -1, NULL, -1, NULL, BAD_FLAGS);
}
static long
p_open_tree (void)
{
  return syscall (SYS_open_tree, -1, NULL, BAD_FLAGS);
}
static long
p_fsopen (void)
{
  return syscall (SYS_fsopen, NULL, BAD_FLAGS);
}
static long
p_fsmount (void)
{
  return syscall (SYS_fsmount, -1, BAD_FLAGS, 0UL);
}
static long
p_fsconfig (void)
{
  return syscall (SYS_fsconfig, -1, 0U, NULL, NULL, 0);
}
static long
p_mount_setattr (void)
{
  return syscall (SYS_mount_setattr, -1, NULL, BAD_FLAGS, NULL, 0UL);
}
static long
p_unshare (void)
{
  return syscall (SYS_unshare, 0UL);
}
static long
p_unshare_net (void)
{
  return syscall (SYS_unshare, (unsigned long) CLONE_NEWNET);
}
static long
p_unshare_user (void)
{
  return syscall (SYS_unshare, (unsigned long) CLONE_NEWUSER);
}
static long
p_setns (void)
{
  return syscall (SYS_setns, -1, 0);
}

static long
p_clone_ns (void)
{
  long pid = syscall (SYS_clone, (unsigned long) (CLONE_NEWNS | SIGCHLD), NULL, NULL, NULL, 0UL);
  if (pid == 0)
    _exit (0);
  if (pid > 0)
    {
      waitpid ((pid_t) pid, NULL, 0);
      return 0;
    }
  return pid;
}

/* Smaller than the first struct clone_args: an allowed call gets EINVAL. */
static long
p_clone3 (void)
{
  char buf[8] = { 0 };
  return syscall (SYS_clone3, buf, (size_t) 1);
}

/* The probe child asks to be traced by sysprobe itself, then exits. */
static long
p_ptrace (void)
{
  return syscall (SYS_ptrace, 0L /* PTRACE_TRACEME */, 0L, NULL, NULL);
}

static long
p_process_vm_readv (void)
{
  return syscall (SYS_process_vm_readv, (long) getpid (), NULL, 0UL, NULL, 0UL, 1UL);
}
static long
p_process_vm_writev (void)
{
  return syscall (SYS_process_vm_writev, (long) getpid (), NULL, 0UL, NULL, 0UL, 1UL);
}
static long
p_unshare_mnt (void)
{
  return syscall (SYS_unshare, (unsigned long) CLONE_NEWNS);
}
static long
p_kexec_load (void)
{
  return syscall (SYS_kexec_load, 0UL, 0UL, NULL, BAD_FLAGS);
}
static long
p_kexec_file_load (void)
{
  return syscall (SYS_kexec_file_load, -1, -1, 0UL, NULL, BAD_FLAGS);
}
static long
p_init_module (void)
{
  return syscall (SYS_init_module, NULL, 0UL, NULL);
}
static long
p_finit_module (void)
{
  return syscall (SYS_finit_module, -1, NULL, (int) BAD_FLAGS);
}
static long
p_delete_module (void)
{
  return syscall (SYS_delete_module, NULL, (unsigned) BAD_FLAGS);
}
static long
p_bpf (void)
{
  return syscall (SYS_bpf, 9999, NULL, 0U);
}
static long
p_perf_event_open (void)
{
  return syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0UL);
}
/* All flag bits include UFFD_USER_MODE_ONLY (allowed unprivileged), so an
   allowed call reaches the flag check: EINVAL. */
static long
p_userfaultfd (void)
{
  return syscall (SYS_userfaultfd, -1);
}
static long
p_keyctl (void)
{
  return syscall (SYS_keyctl, 9999, 0UL, 0UL, 0UL, 0UL);
}
static long
p_add_key (void)
{
  return syscall (SYS_add_key, NULL, NULL, NULL, 0UL, 0);
}
static long
p_request_key (void)
{
  return syscall (SYS_request_key, NULL, NULL, NULL, 0);
}
static long
p_open_by_handle_at (void)
{
  return syscall (SYS_open_by_handle_at, -1, NULL, 0);
}
static long
p_name_to_handle_at (void)
{
  return syscall (SYS_name_to_handle_at, -1, NULL, NULL, NULL, (int) BAD_FLAGS);
}
static long
p_swapon (void)
{
  return syscall (SYS_swapon, NOPATH, (int) BAD_FLAGS);
}
static long
p_swapoff (void)
{
  return syscall (SYS_swapoff, NOPATH);
}
/* Right magic1, wrong magic2: an allowed, privileged call gets EINVAL. */
static long
p_reboot (void)
{
  return syscall (SYS_reboot, 0xfee1deadUL, 1UL, 0x01234567UL, NULL);
}
static long
p_sethostname (void)
{
  return syscall (SYS_sethostname, NULL, (size_t) -1);
}
static long
p_setdomainname (void)
{
  return syscall (SYS_setdomainname, NULL, (size_t) -1);
}
static long
p_acct (void)
{
  return syscall (SYS_acct, NOPATH);
}

static long
p_settimeofday (void)
{
  struct timeval tv = { .tv_sec = 0, .tv_usec = -1 };
  return syscall (SYS_settimeofday, &tv, NULL);
}

static long
p_clock_settime (void)
{
  struct timespec ts = { .tv_sec = 0, .tv_nsec = -1 };
  return syscall (SYS_clock_settime, CLOCK_REALTIME, &ts);
}

static long
p_clock_adjtime (void)
{
  struct timex tx;
  memset (&tx, 0, sizeof tx); /* modes 0: read only */
  return syscall (SYS_clock_adjtime, CLOCK_REALTIME, &tx);
}

static long
p_adjtimex (void)
{
  struct timex tx;
  memset (&tx, 0, sizeof tx);
  return syscall (SYS_adjtimex, &tx);
}

static long
p_iopl (void)
{
  return syscall (SYS_iopl, 4);
}
static long
p_ioperm (void)
{
  return syscall (SYS_ioperm, 0x10000UL, 1UL, 0);
}
/* Quota type 0xff does not exist: EINVAL before anything else. */
static long
p_quotactl (void)
{
  return syscall (SYS_quotactl, 0xff, NULL, 0, NULL);
}
static long
p_lookup_dcookie (void)
{
  return syscall (SYS_lookup_dcookie, 0ULL, NULL, 0UL);
}
static long
p_syslog (void)
{
  return syscall (SYS_syslog, 10 /* SIZE_BUFFER */, NULL, 0);
}
static long
p_io_uring_setup (void)
{
  return syscall (SYS_io_uring_setup, 1U, NULL);
}
static long
p_io_uring_enter (void)
{
  return syscall (SYS_io_uring_enter, -1, 0U, 0U, 0U, NULL, 0UL);
}
static long
p_io_uring_register (void)
{
  return syscall (SYS_io_uring_register, -1, 0U, NULL, 0U);
}
static long
p_personality (void)
{
  return syscall (SYS_personality, 0xffffffffUL);
}
static long
p_personality_linux32 (void)
{
  return syscall (SYS_personality, (unsigned long) PER_LINUX32);
}

static long
p_tiocsti (void)
{
  int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  char c = 'x';
  return syscall (SYS_ioctl, fd, (unsigned long) TIOCSTI, &c);
}

static long
p_getpid (void)
{
  return syscall (SYS_getpid);
}

static void
print_result (const char *name, long r, int e)
{
  const char *n = strerrorname_np (e);
  if (r >= 0)
    printf ("%s OK\n", name);
  else if (n)
    printf ("%s %s\n", name, n);
  else
    printf ("%s ERRNO-%d\n", name, e);
}

/* Types TEXT into the input queue of the terminal on fd 0, as a keyboard
   would: that needs fd 0 to be our controlling tty (or CAP_SYS_ADMIN). */
static int
tty_inject (const char *text)
{
  long r = 0;
  int e = 0;
  for (const char *c = text; *c && r >= 0; c++)
    {
      r = ioctl (0, TIOCSTI, c);
      e = errno;
    }
  print_result ("tty-inject", r, e);
  return 0;
}

/* Takes the terminal's foreground, as a shell does for a job: the next
   line typed at it would be ours. SIGTTOU is ignored as shells do, so a
   member of the tty's session is not merely stopped. setpgid fails (EPERM,
   reported on its own line) for a session or group leader, which already
   leads its group: tcsetpgrp is tried either way. */
static int
tty_foreground (void)
{
  signal (SIGTTOU, SIG_IGN);
  if (setpgid (0, 0) < 0)
    print_result ("setpgid", -1, errno);
  long r = tcsetpgrp (0, getpgrp ());
  print_result ("tcsetpgrp", r, errno);
  return 0;
}

static int
tty_ctty (void)
{
  int fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  print_result ("tty-ctty", fd, errno);
  return 0;
}

/* The attack of issue 9: a second process of the container takes a copy
   of a file descriptor of the first.  The target (a child) puts a pipe
   holding "stolen" at fd 100 and waits; the probe asks pidfd_getfd for it
   and reads the pipe through the copy. OK means the fd was stolen. */
#define GETFD_TARGET_FD 100
static long
p_pidfd_getfd (void)
{
  int data[2], ready[2];
  char c = 0, buf[16] = { 0 };
  long r;

  if (pipe (data) < 0 || pipe (ready) < 0)
    return -1;
  pid_t target = fork ();
  if (target < 0)
    return -1;
  if (target == 0)
    {
      if (dup2 (data[0], GETFD_TARGET_FD) < 0 || write (data[1], "stolen", 6) != 6)
        _exit (1);
      close (data[0]), close (data[1]);
      if (write (ready[1], "r", 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  close (data[0]), close (data[1]), close (ready[1]);
  r = read (ready[0], &c, 1) == 1 ? 0 : -1;
  int pidfd = r < 0 ? -1 : (int) syscall (SYS_pidfd_open, target, 0U);
  int fd = pidfd < 0 ? -1 : (int) syscall (SYS_pidfd_getfd, pidfd, GETFD_TARGET_FD, 0U);
  int saved = errno;
  if (fd >= 0 && (read (fd, buf, sizeof buf - 1) != 6 || strcmp (buf, "stolen") != 0))
    saved = EPROTO, fd = -1;
  kill (target, SIGKILL);
  waitpid (target, NULL, 0);
  errno = saved;
  return fd < 0 ? -1 : 0;
}

/* KCMP_FILE of the probe's fd 0 against its parent's: two real processes. */
static long
p_kcmp (void)
{
  return syscall (SYS_kcmp, (long) getpid (), (long) getppid (), 0 /* KCMP_FILE */, 0UL, 0UL);
}

/* MADV_COLD on a page of the probe itself, through its pidfd. */
static long
p_process_madvise (void)
{
  static char page[4096] __attribute__ ((aligned (4096)));
  page[0] = 1;
  int pidfd = (int) syscall (SYS_pidfd_open, getpid (), 0U);
  if (pidfd < 0)
    return -1;
  struct iovec iov = { .iov_base = page, .iov_len = sizeof page };
  return syscall (SYS_process_madvise, pidfd, &iov, 1UL, 20 /* MADV_COLD */, 0U);
}

static const struct
{
  const char *name;
  probe_fn fn;
} probes[] = {
  { "mount", p_mount },
  { "umount2", p_umount2 },
  { "pivot_root", p_pivot_root },
  { "move_mount", p_move_mount },
  { "open_tree", p_open_tree },
  { "fsopen", p_fsopen },
  { "fsmount", p_fsmount },
  { "fsconfig", p_fsconfig },
  { "mount_setattr", p_mount_setattr },
  { "unshare", p_unshare },
  { "unshare-net", p_unshare_net },
  { "unshare-user", p_unshare_user },
  { "setns", p_setns },
  { "clone-ns", p_clone_ns },
  { "clone3", p_clone3 },
  { "ptrace", p_ptrace },
  { "process_vm_readv", p_process_vm_readv },
  { "process_vm_writev", p_process_vm_writev },
  { "unshare-mnt", p_unshare_mnt },
  { "kexec_load", p_kexec_load },
  { "kexec_file_load", p_kexec_file_load },
  { "init_module", p_init_module },
  { "finit_module", p_finit_module },
  { "delete_module", p_delete_module },
  { "bpf", p_bpf },
  { "perf_event_open", p_perf_event_open },
  { "userfaultfd", p_userfaultfd },
  { "keyctl", p_keyctl },
  { "add_key", p_add_key },
  { "request_key", p_request_key },
  { "open_by_handle_at", p_open_by_handle_at },
  { "name_to_handle_at", p_name_to_handle_at },
  { "swapon", p_swapon },
  { "swapoff", p_swapoff },
  { "reboot", p_reboot },
  { "sethostname", p_sethostname },
  { "setdomainname", p_setdomainname },
  { "acct", p_acct },
  { "settimeofday", p_settimeofday },
  { "clock_settime", p_clock_settime },
  { "clock_adjtime", p_clock_adjtime },
  { "adjtimex", p_adjtimex },
  { "iopl", p_iopl },
  { "ioperm", p_ioperm },
  { "quotactl", p_quotactl },
  { "lookup_dcookie", p_lookup_dcookie },
  { "syslog", p_syslog },
  { "io_uring_setup", p_io_uring_setup },
  { "io_uring_enter", p_io_uring_enter },
  { "io_uring_register", p_io_uring_register },
  { "personality", p_personality },
  { "personality-linux32", p_personality_linux32 },
  { "tiocsti", p_tiocsti },
  { "getpid", p_getpid },
  { "pidfd_getfd", p_pidfd_getfd },
  { "kcmp", p_kcmp },
  { "process_madvise", p_process_madvise },
};

/* ---- "int80 NR ARGS" and "x32 NR ARGS" */

static void run_probe (const char *name, probe_fn fn);

#define RAW_MAX_ARGS 5
static long raw_nr, raw_args[RAW_MAX_ARGS];
static int raw_nargs;

static long
raw_int80 (void)
{
  long ret;
  /* int $0x80 from 64-bit code: the i386 ABI with eax, ebx, ecx, edx, esi,
     edi; the kernel may clobber r8-r11. */
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(raw_nr), "b"(raw_args[0]), "c"(raw_args[1]), "d"(raw_args[2]), "S"(raw_args[3]),
                     "D"(raw_args[4])
                   : "memory", "cc", "r8", "r9", "r10", "r11");
  int r = (int) ret; /* a 32-bit ABI returns 32 bits */
  if (r < 0 && r > -4096)
    {
      errno = -r;
      return -1;
    }
  return r;
}

static long
raw_x32 (void)
{
  return syscall (raw_nr | 0x40000000L, raw_args[0], raw_args[1], raw_args[2], raw_args[3], raw_args[4]);
}

static long
raw_native (void)
{
  return syscall (raw_nr, raw_args[0], raw_args[1], raw_args[2], raw_args[3], raw_args[4]);
}

/* A page below 4 GiB holding LEN bytes of INIT (or zeros). */
static long
low_buffer (const void *init, size_t len)
{
  void *p = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (p == MAP_FAILED)
    return 0;
  if (init)
    memcpy (p, init, len);
  return (long) (unsigned long) p;
}

/* Parse one argument; false when WORD is not one (the arguments end). */
static bool
parse_raw_arg (const char *word, long *out)
{
  static const long long badts[2] = { 0, -1 };
  static const int badts32[2] = { 0, -1 };
  char *end;

  if (strcmp (word, "@zero") == 0)
    *out = low_buffer (NULL, 0);
  else if (strcmp (word, "@badts") == 0)
    *out = low_buffer (badts, sizeof badts);
  else if (strcmp (word, "@badts32") == 0)
    *out = low_buffer (badts32, sizeof badts32);
  else
    {
      errno = 0;
      *out = strtol (word, &end, 0);
      return *word && *end == '\0' && errno == 0;
    }
  return true;
}

/* argv[*i] is "int80", "x32" or "nr": run it, leave *i on its last argument. */
static void
run_raw (int argc, char **argv, int *i)
{
  bool int80 = strcmp (argv[*i], "int80") == 0;
  bool native = strcmp (argv[*i], "nr") == 0;
  char name[64];

  if (*i + 1 >= argc || !parse_raw_arg (argv[*i + 1], &raw_nr))
    {
      printf ("%s BAD-NR\n", argv[*i]);
      return;
    }
  snprintf (name, sizeof name, "%s-%ld", argv[*i], raw_nr);
  *i += 1;
  memset (raw_args, 0, sizeof raw_args);
  for (raw_nargs = 0; *i + 1 < argc; raw_nargs++)
    {
      long v;
      if (!parse_raw_arg (argv[*i + 1], &v))
        break;
      if (raw_nargs == RAW_MAX_ARGS)
        {
          printf ("%s TOO-MANY-ARGS\n", name);
          return;
        }
      raw_args[raw_nargs] = v;
      *i += 1;
    }
  run_probe (name, int80 ? raw_int80 : native ? raw_native : raw_x32);
}

static void
run_probe (const char *name, probe_fn fn)
{
  int status;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    {
      printf ("%s FORK-%s\n", name, strerrorname_np (errno) ? strerrorname_np (errno) : "FAILED");
      return;
    }
  if (pid == 0)
    {
      errno = 0;
      long r = fn ();
      /* errno fits an exit status (all values are below 256). */
      _exit (r >= 0 ? 0 : (errno > 0 && errno < 256 ? errno : 255));
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        printf ("%s WAIT-FAILED\n", name);
        return;
      }
  if (WIFSIGNALED (status))
    {
      const char *sig = sigabbrev_np (WTERMSIG (status));
      if (sig)
        printf ("%s SIG%s\n", name, sig);
      else
        printf ("%s SIGNAL-%d\n", name, WTERMSIG (status));
    }
  else if (WEXITSTATUS (status) == 0)
    printf ("%s OK\n", name);
  else
    {
      const char *e = strerrorname_np (WEXITSTATUS (status));
      if (e)
        printf ("%s %s\n", name, e);
      else
        printf ("%s ERRNO-%d\n", name, WEXITSTATUS (status));
    }
}

/* ---- tools: helpers for attack tests, not probes --------------------- */

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int
tool_exchange_loop (int argc, char **argv)
{
  if (argc != 4)
    {
      fprintf (stderr, "usage: sysprobe exchange-loop A B SECONDS\n");
      return 1;
    }
  time_t end = time (NULL) + atoi (argv[3]);
  unsigned long n = 0;
  while (time (NULL) < end)
    for (int i = 0; i < 4096; i++, n++)
      if (syscall (SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0)
        {
          fprintf (stderr, "sysprobe: renameat2 %s %s: %s\n", argv[1], argv[2], strerror (errno));
          return 1;
        }
  printf ("exchanged %lu times\n", n);
  return 0;
}

static int
tool_setxattr (int argc, char **argv)
{
  if (argc != 4)
    {
      fprintf (stderr, "usage: sysprobe setxattr PATH NAME VALUE\n");
      return 1;
    }
  if (setxattr (argv[1], argv[2], argv[3], strlen (argv[3]), 0) < 0)
    {
      fprintf (stderr, "sysprobe: setxattr %s %s: %s\n", argv[1], argv[2], strerror (errno));
      return 1;
    }
  return 0;
}

/* Returns -1 when ARGV[0] names no tool. */
static int
run_tool (int argc, char **argv)
{
  if (strcmp (argv[0], "exchange-loop") == 0)
    return tool_exchange_loop (argc, argv);
  if (strcmp (argv[0], "setxattr") == 0)
    return tool_setxattr (argc, argv);
  if (argc == 2 && strcmp (argv[0], "tty-inject") == 0)
    return tty_inject (argv[1]);
  if (argc == 1 && strcmp (argv[0], "tty-foreground") == 0)
    return tty_foreground ();
  if (argc == 1 && strcmp (argv[0], "tty-ctty") == 0)
    return tty_ctty ();
  return -1;
}

/* sysprobe notify MESSAGE: what systemd-notify would send (busybox has none). */
static int
notify_main (const char *msg)
{
  const char *path = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  int e = EINVAL;
  if (path && (path[0] == '/' || path[0] == '@') && strlen (path) < sizeof a.sun_path)
    {
      size_t len = strlen (path);
      memcpy (a.sun_path, path, len);
      if (path[0] == '@')
        a.sun_path[0] = '\0';
      socklen_t alen = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + len + (path[0] == '/'));
      int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd >= 0 && sendto (fd, msg, strlen (msg), MSG_NOSIGNAL, (struct sockaddr *) &a, alen) >= 0)
        {
          printf ("notify OK\n");
          return 0;
        }
      e = errno;
    }
  printf ("notify %s\n", strerrorname_np (e) ? strerrorname_np (e) : "ERROR");
  return 1;
}

int
main (int argc, char **argv)
{
  int tool = argc > 1 ? run_tool (argc - 1, argv + 1) : -1;
  if (tool >= 0)
    return tool;
  if (argc == 3 && strcmp (argv[1], "notify") == 0)
    return notify_main (argv[2]);
  for (int i = 1; i < argc; i++)
    {
      size_t j;
      if (strcmp (argv[i], "int80") == 0 || strcmp (argv[i], "x32") == 0 || strcmp (argv[i], "nr") == 0)
        {
          run_raw (argc, argv, &i);
          continue;
        }
      for (j = 0; j < sizeof probes / sizeof probes[0]; j++)
        if (strcmp (argv[i], probes[j].name) == 0)
          break;
      if (j == sizeof probes / sizeof probes[0])
        printf ("%s UNKNOWN\n", argv[i]);
      else
        run_probe (argv[i], probes[j].fn);
    }
  fflush (stdout);
  return 0;
}
