/* The profile seccomp lists against every ABI the filter admits (issue 9,
   finding 7): names that resolve, time64 twins that are not forgotten, the
   cross-process calls, the architectures of the built filter (x86_64 and
   i386, no x32) and its bad-architecture action; then a child loads the
   strict filter and tries the calls of the finding through int $0x80 and
   the x32 bit.  Only harmless calls are attempted (queries, getpid), so a
   missing rule cannot hurt the machine running the test. */
#include "config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/profile.h"
#include "linux/seccomp_filter.h"
#include "unit.h"
#include "bpf_sim.h"
#include "base/utils.h"

/* Does F deny NAME unconditionally (a rule without arguments)? */
static bool
denies (const struct spec_seccomp *f, const char *name)
{
  for (size_t i = 0; i < f->syscalls_len; i++)
    for (size_t j = 0; f->syscalls[i].args_len == 0 && j < f->syscalls[i].names_len; j++)
      if (strcmp (f->syscalls[i].names[j], name) == 0)
        return true;
  return false;
}

static bool
known_on (uint32_t arch, const char *name)
{
  return seccomp_bpf_resolve (arch, name) >= 0;
}

static void
test_names (enum profile_level level, const char *label)
{
  struct spec_seccomp *f = profile_seccomp_build (level);
  size_t unknown = 0, names = 0;

  /* The loader skips names libseccomp does not know (for bundles that list
     newer syscalls); in the profile such a name would be a silent hole. */
  for (size_t i = 0; i < f->syscalls_len; i++)
    for (size_t j = 0; j < f->syscalls[i].names_len; j++)
      {
        const char *n = f->syscalls[i].names[j];
        names++;
        if (!known_on (SCMP_ARCH_X86_64, n) && !known_on (SCMP_ARCH_X86, n) && !known_on (SCMP_ARCH_AARCH64, n)
            && !known_on (SCMP_ARCH_ARM, n))
          {
            printf ("# %s: %s is a syscall of no architecture libseccomp knows\n", label, n);
            unknown++;
          }
      }
  CHECK (names > 50 && unknown == 0, "%s: all %zu names resolve on x86_64, i386, aarch64 or arm", label, names);

  /* Every denied call with a time64 twin (i386, arm) has the twin denied. */
  size_t twins = 0, missing = 0;
  for (size_t i = 0; i < f->syscalls_len; i++)
    for (size_t j = 0; f->syscalls[i].args_len == 0 && j < f->syscalls[i].names_len; j++)
      {
        static const char *const suffix[] = { "64", "_time64" };
        for (size_t k = 0; k < ARRAY_SIZE (suffix); k++)
          {
            _cleanup_free_ char *twin = NULL;
            xasprintf (&twin, "%s%s", f->syscalls[i].names[j], suffix[k]);
            if (!known_on (SCMP_ARCH_X86, twin) && !known_on (SCMP_ARCH_ARM, twin))
              continue;
            twins++;
            if (!denies (f, twin))
              {
                printf ("# %s: %s denied but its twin %s is not\n", label, f->syscalls[i].names[j], twin);
                missing++;
              }
          }
      }
  CHECK (twins >= 2 && missing == 0, "%s: every time64 twin of a denied call is denied (%zu twins)", label, twins);
  CHECK (denies (f, "clock_adjtime64") && denies (f, "clock_settime64") && denies (f, "adjtimex"),
         "%s: clock_adjtime64, clock_settime64 and adjtimex denied", label);
  CHECK (denies (f, "pidfd_getfd") && denies (f, "kcmp") && denies (f, "process_madvise"),
         "%s: pidfd_getfd, kcmp and process_madvise denied", label);
  CHECK (denies (f, "ptrace") == (level == PROFILE_STRICT), "%s: ptrace denied by strict only", label);
  spec_seccomp_free (f);
}

static void
test_arches (void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
  struct spec_seccomp *f = profile_seccomp_build (PROFILE_STRICT);
  struct cr_error err = { 0 };
  struct seccomp_prog *prog = NULL;
  int r = seccomp_filter_build_profile (f, &prog, &err);
  CHECK (r == 0, "strict filter builds (%s)", err.msg);
  if (r == 0)
    {
      /* Asked of the compiled program (tests/unit/bpf_sim.h): getpid of each ABI. */
      struct seccomp_data d = { .nr = 39, .arch = SCMP_ARCH_X86_64 };
      uint32_t x86_64 = bpf_sim (prog->insns, prog->len, &d);
      d = (struct seccomp_data){ .nr = 20, .arch = SCMP_ARCH_X86 };
      uint32_t i386 = bpf_sim (prog->insns, prog->len, &d);
      d = (struct seccomp_data){ .nr = 39 | 0x40000000, .arch = SCMP_ARCH_X86_64 };
      uint32_t x32 = bpf_sim (prog->insns, prog->len, &d);
      d = (struct seccomp_data){ .nr = 20, .arch = SCMP_ARCH_ARM };
      uint32_t other = bpf_sim (prog->insns, prog->len, &d);
      CHECK (x86_64 == SCMP_ACT_ALLOW && i386 == SCMP_ACT_ALLOW, "the profile filter admits x86_64 and i386");
      CHECK (x32 == SCMP_ACT_ERRNO (EPERM), "the profile filter does not admit x32: EPERM (%#x)", x32);
      CHECK (other == SCMP_ACT_ERRNO (EPERM), "an ABI the filter does not admit gets EPERM (%#x)", other);
      seccomp_prog_free (prog);
    }
  /* The bundle's own filter keeps libseccomp's defaults. */
  scmp_filter_ctx ctx = NULL;
  struct spec_seccomp plain = { .default_action = (char *) "SCMP_ACT_ALLOW" };
  if (seccomp_filter_build (&plain, &ctx, &err) == 0)
    {
      uint32_t bad = 0;
      CHECK (seccomp_arch_exist (ctx, SCMP_ARCH_X32) == 0 && seccomp_attr_get (ctx, SCMP_FLTATR_ACT_BADARCH, &bad) == 0
                 && bad != SCMP_ACT_ERRNO (EPERM),
             "a bundle filter without architectures still admits x32 and keeps the default bad-arch action");
      seccomp_release (ctx);
    }
  spec_seccomp_free (f);
#else
  CHECK (1, "# SKIP architecture checks are for x86_64");
#endif
}

#if defined(__x86_64__) && !defined(__ILP32__)
static long
int80 (long nr, long a, long b)
{
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b) : "memory", "cc", "r8", "r9", "r10", "r11");
  return (int) ret; /* -errno on failure */
}

/* Exit status: a bit per expectation met. */
static int
abi_child (enum profile_level level)
{
  struct cr_error err = { 0 };
  struct spec_seccomp *f = profile_seccomp_build (level);
  struct seccomp_prog *prog;
  void *low = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (low == MAP_FAILED || prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return 100;
  if (seccomp_filter_build_profile (f, &prog, &err) < 0 || seccomp_prog_load (prog, &err) < 0)
    return 101;
  int bits = 0;
  memset (low, 0, 4096); /* struct __kernel_timex with modes 0: a query */
  if (int80 (405, 0 /* CLOCK_REALTIME */, (long) (unsigned long) low) == -EPERM)
    bits |= 1;
  if (int80 (124, (long) (unsigned long) low, 0) == -EPERM)
    bits |= 2;
  if (int80 (20 /* getpid */, 0, 0) == getpid ())
    bits |= 4;
  errno = 0;
  if (syscall (39 /* getpid */ | 0x40000000L) < 0 && errno == EPERM)
    bits |= 8;
  errno = 0;
  if (syscall (SYS_kcmp, (long) getpid (), (long) getppid (), 0, 0UL, 0UL) < 0 && errno == EPERM)
    bits |= 16;
  return bits;
}

static void
test_abi_load (void)
{
  static const enum profile_level levels[] = { PROFILE_STRICT, PROFILE_BALANCED };
  for (size_t i = 0; i < ARRAY_SIZE (levels); i++)
    {
      const char *label = levels[i] == PROFILE_STRICT ? "strict" : "balanced";
      int status = 0;
      pid_t pid = fork ();
      if (pid == 0)
        _exit (abi_child (levels[i]));
      waitpid (pid, &status, 0);
      int bits = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
      CHECK (bits >= 0 && bits < 100, "%s: filter loads (status %d)", label, bits);
      if (bits < 0 || bits >= 100)
        bits = 0;
      CHECK (bits & 1, "%s: i386 clock_adjtime64 query (int 0x80, 405) -> EPERM", label);
      CHECK (bits & 2, "%s: i386 adjtimex query (124) -> EPERM", label);
      CHECK (bits & 4, "%s: i386 getpid (20) allowed: the ABI is admitted", label);
      CHECK (bits & 8, "%s: x32 getpid -> EPERM: the whole x32 ABI is denied", label);
      CHECK (bits & 16, "%s: kcmp -> EPERM", label);
    }
}
#endif

int
main (void)
{
  test_names (PROFILE_STRICT, "strict");
  test_names (PROFILE_BALANCED, "balanced");
  test_arches ();
#if defined(__x86_64__) && !defined(__ILP32__)
  test_abi_load ();
#endif
  return UNIT_DONE ();
}
