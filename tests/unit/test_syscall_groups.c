/* The syscall table (policy/syscall_groups.c) and the filters built from
   it (policy/profile_seccomp.c): every name is a syscall libseccomp knows,
   no name is in two groups (so none is both allowed and denied), the
   strict filter allows exactly the allowed groups and denies exactly the
   denied ones, it fits the kernel's BPF limit, and, loaded in a child, the
   argument rules split every value the way docs/profiles.md says.  Only
   harmless calls are attempted (fd -1, queries). */
#include "config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/profile.h"
#include "policy/syscall_groups.h"
#include "linux/seccomp_filter.h"
#include "unit.h"
#include "bpf_sim.h"
#include "base/utils.h"

static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM };

static bool
known_somewhere (const char *name)
{
  for (size_t a = 0; a < ARRAY_SIZE (arches); a++)
    if (seccomp_bpf_resolve (arches[a], name) >= 0)
      return true;
  return false;
}

static void
test_table (void)
{
  size_t names = 0, unknown = 0, twice = 0, empty = 0;
  for (size_t g = 0; g < syscall_groups_len; g++)
    {
      const struct syscall_group *grp = &syscall_groups[g];
      if (!grp->names[0] || !grp->reason || !grp->reason[0])
        empty++;
      for (const char *const *n = grp->names; *n; n++)
        {
          names++;
          if (!known_somewhere (*n))
            {
              printf ("# %s: %s is a syscall of no ABI libseccomp knows\n", grp->name, *n);
              unknown++;
            }
          if (syscall_group_of (*n) != grp)
            {
              printf ("# %s is in %s and %s\n", *n, syscall_group_of (*n)->name, grp->name);
              twice++;
            }
          else
            for (const char *const *m = n + 1; *m; m++)
              if (strcmp (*m, *n) == 0)
                twice++;
        }
    }
  CHECK (names > 350 && unknown == 0, "all %zu names of the table resolve (libseccomp, or seccomp_bpf.c's newer ones)",
         names);
  CHECK (twice == 0, "no name is in two groups, so none is both allowed and denied");
  CHECK (empty == 0, "every group has names and a reason");
  CHECK (syscall_group_of ("clone3") == NULL, "clone3 is not in the table (ENOSYS so libc falls back to clone)");

  /* Every syscall of the native ABI: in the table, or left out on purpose
     (ENOSYS).  The left-out ones are printed, for review when libseccomp
     learns new names. */
  size_t native = 0, listed = 0;
  printf ("# x86_64 syscalls not in the table (ENOSYS under strict):");
  for (int nr = 0; nr < 1024; nr++)
    {
      char *n = seccomp_syscall_resolve_num_arch (SCMP_ARCH_X86_64, nr);
      if (!n)
        continue;
      native++;
      if (syscall_group_of (n))
        listed++;
      else
        printf (" %s", n);
      free (n);
    }
  printf ("\n");
  CHECK (native == 0 || listed * 100 / native >= 85, "the table covers most x86_64 syscalls (%zu of %zu)", listed,
         native);
  static const char *const required[] = { "execve",     "exit_group", "close_range", "fcntl",      "rseq",
                                          "futex",      "mmap",       "brk",         "getdents64", "openat",
                                          "newfstatat", "wait4",      "socket",      "pipe2" };
  bool all = true;
  for (size_t i = 0; i < ARRAY_SIZE (required); i++)
    if (!syscall_group_of (required[i]) || syscall_group_of (required[i])->kind != SG_ALLOW)
      {
        printf ("# %s is not allowed\n", required[i]);
        all = false;
      }
  CHECK (all, "what the runtime calls after loading the filter, and libc start-up, is allowed");
}

/* The build-time table (seccomp_numbers.c, from src/gen): a row for every
   name of the syscall table, sorted, each number what libseccomp answers at
   run time (so the compiled filter, which reads only the table, matches
   the one test_same_as_libseccomp builds through libseccomp), and every
   name the profile filters use is in it (compiling them makes no
   libseccomp lookup). */
static const struct seccomp_number_row *
row_named (const char *name)
{
  for (size_t i = 0; i < seccomp_table_rows_len; i++)
    if (strcmp (seccomp_table_rows[i].name, name) == 0)
      return &seccomp_table_rows[i];
  return NULL;
}

static void
test_build_time_table (void)
{
  size_t missing = 0, wrong = 0, unsorted = 0, unused = 0;
  CHECK (seccomp_table_rows_len > 350, "the build-time table has rows (%zu)", seccomp_table_rows_len);
  for (size_t i = 0; i < seccomp_table_rows_len; i++)
    {
      const struct seccomp_number_row *r = &seccomp_table_rows[i];
      if (i > 0 && strcmp (seccomp_table_rows[i - 1].name, r->name) >= 0)
        unsorted++;
      bool enosys = false;
      for (const char *const *n = syscall_enosys_names; *n; n++)
        enosys |= strcmp (*n, r->name) == 0;
      if (syscall_group_of (r->name) == NULL && !enosys)
        unused++;
      for (size_t a = 0; a < SECCOMP_TABLE_ARCHES; a++)
        if (r->nr[a] != seccomp_bpf_resolve_lib (seccomp_table_arches[a], r->name))
          {
            printf ("# %s on ABI %#x: table %d, libseccomp %d\n", r->name, seccomp_table_arches[a], r->nr[a],
                    seccomp_bpf_resolve_lib (seccomp_table_arches[a], r->name));
            wrong++;
          }
    }
  for (size_t g = 0; g < syscall_groups_len; g++)
    for (const char *const *n = syscall_groups[g].names; *n; n++)
      if (row_named (*n) == NULL)
        {
          printf ("# %s is not in the build-time table\n", *n);
          missing++;
        }
  CHECK (unsorted == 0 && unused == 0, "the table's rows are sorted by name and all from the syscall table");
  for (const char *const *n = syscall_enosys_names; *n; n++)
    missing += row_named (*n) == NULL;
  CHECK (missing == 0, "every name of the syscall table has a row");
  CHECK (wrong == 0, "every number is what libseccomp (with seccomp_bpf.c's additions) gives at run time");
  bool arches_ok = true;
  for (size_t a = 0; a < ARRAY_SIZE (arches); a++)
    arches_ok &= seccomp_table_arches[a] == arches[a];
  CHECK (arches_ok, "the table's columns are x86_64, i386, aarch64 and arm");

  size_t outside = 0;
  for (int level = PROFILE_BALANCED; level <= PROFILE_STRICT; level++)
    {
      struct spec_seccomp *s = profile_seccomp_build ((enum profile_level) level);
      for (size_t i = 0; s && i < s->syscalls_len; i++)
        for (size_t k = 0; k < s->syscalls[i].names_len; k++)
          if (row_named (s->syscalls[i].names[k]) == NULL)
            {
              printf ("# profile rule %zu names %s, which the table lacks\n", i, s->syscalls[i].names[k]);
              outside++;
            }
      spec_seccomp_free (s);
    }
  CHECK (outside == 0, "the profile filters name only syscalls of the build-time table");
}

/* The unconditional rule F has for NAME, or NULL. */
static const struct spec_seccomp_syscall *
plain_rule (const struct spec_seccomp *f, const char *name)
{
  for (size_t i = 0; i < f->syscalls_len; i++)
    if (f->syscalls[i].args_len == 0 && strv_has (f->syscalls[i].names, name))
      return &f->syscalls[i];
  return NULL;
}

static void
test_filters (void)
{
  struct spec_seccomp *s = profile_seccomp_build (PROFILE_STRICT);
  struct spec_seccomp *b = profile_seccomp_build (PROFILE_BALANCED);
  size_t wrong = 0;
  for (size_t g = 0; g < syscall_groups_len; g++)
    for (const char *const *n = syscall_groups[g].names; *n; n++)
      {
        const struct spec_seccomp_syscall *rs = plain_rule (s, *n), *rb = plain_rule (b, *n);
        bool s_allow = rs && strcmp (rs->action, "SCMP_ACT_ALLOW") == 0;
        bool s_eperm = rs && rs->has_errno_ret && rs->errno_ret == EPERM;
        bool b_eperm = rb && rb->has_errno_ret && rb->errno_ret == EPERM;
        bool ok;
        switch (syscall_groups[g].kind)
          {
          case SG_ALLOW: ok = s_allow && !rb; break;
          case SG_ALLOW_ARGS: ok = !rs && !rb; break;
          case SG_DENY: ok = s_eperm && b_eperm; break;
          case SG_DENY_STRICT: ok = s_eperm && !rb; break;
          default: ok = false;
          }
        if (!ok)
          {
            printf ("# %s (%s): wrong rule\n", *n, syscall_groups[g].name);
            wrong++;
          }
      }
  CHECK (wrong == 0, "strict allows the allowed groups and EPERMs the denied ones; balanced EPERMs only the denied");
  CHECK (strcmp (s->default_action, "SCMP_ACT_ERRNO") == 0 && s->default_errno_ret == ENOSYS,
         "strict's default is ENOSYS");
  CHECK (strcmp (b->default_action, "SCMP_ACT_ALLOW") == 0, "balanced's default is allow");

  struct cr_error err = { 0 };
  struct seccomp_prog *prog = NULL;
  CHECK (seccomp_filter_build_profile (s, &prog, &err) == 0, "strict builds (%s)", err.msg);
  if (prog)
    /* BPF_MAXINSNS: the kernel refuses a longer classic BPF program. */
    CHECK (prog->len > 100 && prog->len < 4096, "strict's BPF program fits the kernel's 4096 instructions (%zu)",
           prog->len);
  seccomp_prog_free (prog);
  spec_seccomp_free (s);
  spec_seccomp_free (b);
}

/* libseccomp's BPF for the same spec (its rule database, then its code
   generator), with the profile's bad-architecture action. */
static struct sock_filter *
libseccomp_bpf (const struct spec_seccomp *s, size_t *len)
{
  struct cr_error err = { 0 };
  scmp_filter_ctx ctx = NULL;
  *len = 0;
  if (seccomp_filter_build (s, &ctx, &err) < 0
      || seccomp_attr_set (ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO (EPERM)) < 0)
    return NULL;
  int fd = memfd_create ("bpf", MFD_CLOEXEC);
  struct sock_filter *f = NULL;
  if (fd >= 0 && seccomp_export_bpf (ctx, fd) == 0)
    {
      off_t n = lseek (fd, 0, SEEK_END);
      f = malloc (n);
      if (f && pread (fd, f, n, 0) == n)
        *len = n / sizeof *f;
    }
  if (fd >= 0)
    close (fd);
  seccomp_release (ctx);
  return f;
}

/* i386 numbers libseccomp 2.5 leaves to the socketcall/ipc multiplexers
   (its names resolve there), which seccomp_bpf.c also allows directly. */
static bool
i386_direct (uint32_t nr)
{
  return (nr >= 359 && nr <= 373) || (nr >= 393 && nr <= 402) || nr == 337 || nr == 345;
}

/* The compiled filter answers like libseccomp's for every number of both
   ABIs (and x32, and a foreign ABI), with arguments that exercise every
   argument rule: namespace flags, the denied ioctls and their neighbours,
   personas, high bits the kernel ignores. */
static void
test_same_as_libseccomp (enum profile_level level, const char *label)
{
  static const uint64_t fixed[] = {
    0,          0x11,       0x100,  0x400,  0x20000,    0x10000000,  0x10000011,
    0x40000000, 0x20020000, 0x80,   0x5412, 0x541c,     0x5410,      0x541e,
    0x5413,     0x1541c,    0x5401, 0x8,    0xffffffff, 0x100005412, 0xffffffff00000000ULL,
    0xdeadbeef
  };
  /* And for the one- and two-bit tests (JSET): every bit alone, with bit 0,
     and every bit cleared from all ones and from TIOCSTI. */
  uint64_t values[ARRAY_SIZE (fixed) + 4 * 32];
  memcpy (values, fixed, sizeof fixed);
  for (unsigned i = 0; i < 32; i++)
    {
      values[ARRAY_SIZE (fixed) + 4 * i] = 1ULL << i;
      values[ARRAY_SIZE (fixed) + 4 * i + 1] = 1ULL | (1ULL << i);
      values[ARRAY_SIZE (fixed) + 4 * i + 2] = 0xffffffffULL & ~(1ULL << i);
      values[ARRAY_SIZE (fixed) + 4 * i + 3] = 0x5412ULL ^ (1ULL << i);
    }
  static const uint32_t abis[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_ARM };
  struct spec_seccomp *s = profile_seccomp_build (level);
  struct cr_error err = { 0 };
  struct seccomp_prog *mine = NULL;
  size_t ref_len = 0;
  struct sock_filter *ref = libseccomp_bpf (s, &ref_len);
  if (seccomp_filter_build_profile (s, &mine, &err) < 0 || ref == NULL)
    {
      CHECK (0, "%s: both compilers build (%s)", label, err.msg);
      return;
    }
  size_t cases = 0, diff = 0, direct_ok = 0, newer_ok = 0;
  for (size_t a = 0; a < ARRAY_SIZE (abis); a++)
    for (uint32_t nr = 0; nr < 1100; nr++)
      for (size_t v0 = 0; v0 < ARRAY_SIZE (values); v0++)
        for (size_t v1 = 0; v1 < ARRAY_SIZE (values); v1 += (nr == 16 || nr == 54 ? 1 : ARRAY_SIZE (values)))
          {
            uint32_t n = a == 0 && nr >= 1000 ? (nr - 1000) | 0x40000000 : nr; /* some x32 numbers */
            struct seccomp_data d = { .nr = (int) n, .arch = abis[a], .args = { values[v0], values[v1] } };
            if (abis[a] == SCMP_ARCH_X86)
              d.args[0] &= 0xffffffff, d.args[1] &= 0xffffffff; /* what a 32-bit ABI can pass */
            uint32_t got = bpf_sim (mine->insns, mine->len, &d), want = bpf_sim (ref, ref_len, &d);
            cases++;
            if (n == 467 && abis[a] != SCMP_ARCH_ARM)
              {
                /* open_tree_attr: newer than libseccomp, denied by number */
                newer_ok += got == SCMP_ACT_ERRNO (EPERM);
                continue;
              }
            if (abis[a] == SCMP_ARCH_X86 && i386_direct (n))
              {
                direct_ok += level == PROFILE_STRICT ? got == SCMP_ACT_ALLOW : got == want;
                continue;
              }
            if (got != want || got == BPF_SIM_BAD)
              {
                if (diff++ < 5)
                  printf ("# %s: arch %#x nr %#x args %#llx %#llx: compiled %#x, libseccomp %#x\n", label, abis[a], n,
                          (unsigned long long) d.args[0], (unsigned long long) d.args[1], got, want);
              }
            if (v0 > 0 && nr != 16 && nr != 54 && nr != 56 && nr != 272 && nr != 135 && nr != 120 && nr != 310
                && nr != 136)
              break; /* only the argument syscalls need every value */
          }
  CHECK (diff == 0, "%s: the compiled filter answers like libseccomp's in all %zu cases", label, cases);
  CHECK (direct_ok > 0, "%s: the direct i386 socket and IPC entries are allowed by strict, as by balanced", label);
  CHECK (newer_ok == 2 * ARRAY_SIZE (values), "%s: open_tree_attr (467, newer than libseccomp) is EPERM on both ABIs",
         label);
  seccomp_prog_free (mine);
  free (ref);
  spec_seccomp_free (s);
}

/* Without an architectures list the compiler admits the native ABI and its
   compat ABIs but x32, as the loader does for the native ones. */
static void
test_default_arches (void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
  struct spec_seccomp s = { .default_action = (char *) "SCMP_ACT_ALLOW" };
  struct seccomp_prog *p = NULL;
  struct cr_error err = { 0 };
  CHECK (seccomp_prog_compile (&s, SCMP_ACT_ERRNO (EPERM), &p, &err) == 0, "a rule-less filter compiles (%s)", err.msg);
  if (p == NULL)
    return;
  struct seccomp_data d[] = { { .nr = 39, .arch = SCMP_ARCH_X86_64 },
                              { .nr = 20, .arch = SCMP_ARCH_X86 },
                              { .nr = 39 | 0x40000000, .arch = SCMP_ARCH_X86_64 },
                              { .nr = 20, .arch = SCMP_ARCH_ARM } };
  uint32_t r[4];
  for (size_t i = 0; i < 4; i++)
    r[i] = bpf_sim (p->insns, p->len, &d[i]);
  CHECK (r[0] == SCMP_ACT_ALLOW && r[1] == SCMP_ACT_ALLOW && r[2] == SCMP_ACT_ERRNO (EPERM)
             && r[3] == SCMP_ACT_ERRNO (EPERM),
         "no architectures: x86_64 and i386 admitted, x32 and arm get the bad-arch action (%#x %#x %#x %#x)", r[0],
         r[1], r[2], r[3]);
  seccomp_prog_free (p);
  struct spec_seccomp x32 = s;
  char *arches[] = { (char *) "SCMP_ARCH_X32", NULL };
  x32.architectures = arches;
  x32.architectures_len = 1;
  CHECK (seccomp_prog_compile (&x32, SCMP_ACT_ERRNO (EPERM), &p, &err) < 0 && p == NULL,
         "the profile compiler refuses to admit x32 (%s)", err.msg);
#else
  CHECK (1, "# SKIP x86_64 only");
#endif
}

/* In a child under strict: a bit per expectation met. */
static int
strict_child (void)
{
  struct cr_error err = { 0 };
  struct spec_seccomp *f = profile_seccomp_build (PROFILE_STRICT);
  struct seccomp_prog *prog = NULL;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_filter_build_profile (f, &prog, &err) < 0
      || seccomp_prog_load (prog, &err) < 0)
    return 200;
  spec_seccomp_free (f);
  int bits = 0, n = 0;
#define EXPECT(call, want)                                                            \
  do                                                                                  \
    {                                                                                 \
      errno = 0;                                                                      \
      long r_ = (call);                                                               \
      if ((want) == 0 ? r_ >= 0 : (r_ < 0 && errno == (want)))                        \
        bits |= 1 << n;                                                               \
      else                                                                            \
        printf ("# strict: %s -> %ld errno %d, want %d\n", #call, r_, errno, (want)); \
      n++;                                                                            \
    }                                                                                 \
  while (0)
  EXPECT (syscall (SYS_getpid), 0);                                   /* 0 */
  EXPECT (syscall (SYS_sysfs, 3), ENOSYS);                            /* 1: not in the table */
  EXPECT (syscall (1000), ENOSYS);                                    /* 2: past the last */
  EXPECT (syscall (458 /* listmount */, 0, 0, 0, 0), ENOSYS);         /* 3: newer than libseccomp */
  EXPECT (syscall (SYS_ioctl, -1, 0x5412UL), EPERM);                  /* 4: TIOCSTI */
  EXPECT (syscall (SYS_ioctl, -1, 0x541cUL | (1UL << 40)), EPERM);    /* 5: TIOCLINUX, high bits */
  EXPECT (syscall (SYS_ioctl, -1, 0x5410UL), EBADF);                  /* 6: a neighbour, allowed */
  EXPECT (syscall (SYS_ioctl, -1, 0x541eUL), EBADF);                  /* 7 */
  EXPECT (syscall (SYS_ioctl, -1, 0x5413UL /* TIOCGWINSZ */), EBADF); /* 8 */
  EXPECT (syscall (SYS_ioctl, -1, 0xc0105512UL), EBADF);              /* 9: far away */
  EXPECT (syscall (SYS_ioctl, -1, 0x1541cUL), EBADF);                 /* 10: differs in a common bit */
  EXPECT (syscall (SYS_unshare, 0x40000000UL /* NEWNET */), EPERM);   /* 11 */
  EXPECT (syscall (SYS_unshare, 0x400UL /* CLONE_FILES */), 0);       /* 12 */
  EXPECT (syscall (SYS_personality, 0xffffffffUL), 0);                /* 13 */
  EXPECT (syscall (SYS_personality, 0x0008UL | (1UL << 33)), EPERM);  /* 14 */
  EXPECT (syscall (SYS_mount, 0, 0, 0, 0, 0), EPERM);                 /* 15 */
  EXPECT (syscall (SYS_ptrace, 0x4206 /* SEIZE */, 0, 0, 0), EPERM);  /* 16 */
  EXPECT (syscall (SYS_clone3, 0, 0), ENOSYS);                        /* 17 */
  EXPECT (syscall (SYS_uname, NULL), EFAULT);                         /* 18: allowed, reaches the kernel */
  fflush (stdout);
  return n == 19 && bits == (1 << 19) - 1 ? 0 : 1;
#undef EXPECT
}

static void
test_loaded (void)
{
  pid_t pid = fork ();
  if (pid == 0)
    _exit (strict_child ());
  int status = 0;
  waitpid (pid, &status, 0);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0,
         "loaded strict filter: getpid/uname allowed, sysfs/1000/listmount/clone3 ENOSYS, ioctl TIOCSTI/TIOCLINUX "
         "EPERM and their neighbours allowed, unshare/personality/mount/ptrace as documented (status %d)",
         WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

int
main (void)
{
  test_table ();
  test_build_time_table ();
  test_filters ();
  test_same_as_libseccomp (PROFILE_STRICT, "strict");
  test_same_as_libseccomp (PROFILE_BALANCED, "balanced");
  test_default_arches ();
  test_loaded ();
  return UNIT_DONE ();
}
