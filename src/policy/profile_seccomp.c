/* The strict and balanced seccomp denylists, expressed as an OCI
   linux.seccomp object so the ordinary seccomp loader can build them.  The
   profile layer stores the result in spec->linux->profile_seccomp, a second
   filter stacked on the bundle's own: the kernel runs a syscall only when
   every installed filter allows it, so the profile can only take away.

   Default action is ALLOW (this is a denylist on top of whatever the bundle
   allows); denied calls return EPERM, except clone3 which returns ENOSYS so
   that libc falls back to clone(2), whose flags a filter can inspect
   (clone3 passes them in memory, out of a filter's reach). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "policy/profile.h"
#include "base/utils.h"

#define CLONE_NS_NEWTIME 0x00000080ULL
#define CLONE_NS_NEWNS 0x00020000ULL
#define CLONE_NS_NEWCGROUP 0x02000000ULL
#define CLONE_NS_NEWUTS 0x04000000ULL
#define CLONE_NS_NEWIPC 0x08000000ULL
#define CLONE_NS_NEWUSER 0x10000000ULL
#define CLONE_NS_NEWPID 0x20000000ULL
#define CLONE_NS_NEWNET 0x40000000ULL

#define TIOCSTI_REQUEST 0x5412ULL

/* Denied under both profiles: escaping or reconfiguring the sandbox (mount
   API, namespaces by fd), kernel code and state (modules, kexec, bpf,
   swap, clocks, reboot), kernel attack surface rarely needed by workloads
   (userfaultfd, keyrings, perf, handle-based opens that bypass path checks). */
static const char *const denied_always[] = {
  "mount",
  "umount",
  "umount2",
  "pivot_root",
  "move_mount",
  "open_tree",
  "fsopen",
  "fsmount",
  "fsconfig",
  "fspick",
  "mount_setattr",
  "setns",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "create_module",
  "bpf",
  "perf_event_open",
  "userfaultfd",
  "keyctl",
  "add_key",
  "request_key",
  "open_by_handle_at",
  "name_to_handle_at",
  "swapon",
  "swapoff",
  "reboot",
  "sethostname",
  "setdomainname",
  "acct",
  /* Clocks: every name of every ABI the filter admits.  The i386 ABI has
     the time64 twins (clock_settime64 404, clock_adjtime64 405) besides the
     old calls; libseccomp resolves each name per architecture and skips
     names an ABI lacks (the *64 ones on x86_64, stime on x86_64). */
  "settimeofday",
  "stime",
  "clock_settime",
  "clock_settime64",
  "clock_adjtime",
  "clock_adjtime64",
  "adjtimex",
  "iopl",
  "ioperm",
  "quotactl",
  "quotactl_fd",
  "lookup_dcookie",
  "syslog",
  "nfsservctl",
  "uselib",
  "vm86",
  "vm86old",
  NULL,
};

/* Denied under both profiles: calls that reach into another process the way
   ptrace does (the kernel checks them with ptrace access rules): take a copy
   of its file descriptors, compare its kernel objects, advise its memory.
   Balanced keeps ptrace itself (clarification 10), so there these narrow the
   surface rather than separate the container's processes; under strict they
   close what "ptrace is denied" leaves open. */
static const char *const denied_cross_process[] = {
  "pidfd_getfd",
  "kcmp",
  "process_madvise",
  NULL,
};

/* Denied by strict only: balanced keeps what debuggers, profilers, rootless
   build tools and fast I/O runtimes need (clarification 10). */
static const char *const denied_strict_only[] = {
  "ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup", "io_uring_enter", "io_uring_register", NULL,
};

struct ns_flag
{
  unsigned long long flag;
  bool in_clone; /* meaningful in clone(2)'s flags word */
};

/* clone(2) keeps the exit signal in the low byte of its flags, where
   CLONE_NEWTIME's bit lives for unshare; the kernel only accepts NEWTIME
   through unshare and clone3, so clone(2) gets no rule for that bit. */
static const struct ns_flag ns_flags[] = {
  { CLONE_NS_NEWNS, true },   { CLONE_NS_NEWCGROUP, true }, { CLONE_NS_NEWUTS, true }, { CLONE_NS_NEWIPC, true },
  { CLONE_NS_NEWUSER, true }, { CLONE_NS_NEWPID, true },    { CLONE_NS_NEWNET, true }, { CLONE_NS_NEWTIME, false },
};

struct filter_builder
{
  struct spec_seccomp *s;
  size_t cap;
};

static struct spec_seccomp_syscall *
builder_add (struct filter_builder *b, const char *const *names, uint32_t errno_ret)
{
  if (b->s->syscalls_len == b->cap)
    {
      b->cap = b->cap ? b->cap * 2 : 16;
      b->s->syscalls = xrealloc (b->s->syscalls, b->cap * sizeof *b->s->syscalls);
    }
  struct spec_seccomp_syscall *sc = &b->s->syscalls[b->s->syscalls_len++];
  memset (sc, 0, sizeof *sc);
  size_t n = strv_len ((char *const *) names);
  sc->names = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    sc->names[i] = xstrdup (names[i]);
  sc->names_len = n;
  sc->action = xstrdup ("SCMP_ACT_ERRNO");
  sc->has_errno_ret = true;
  sc->errno_ret = errno_ret;
  return sc;
}

static void
builder_add_arg_rule (struct filter_builder *b, const char *name, uint32_t index, const char *op,
                      unsigned long long value, bool has_two, unsigned long long value_two, uint32_t errno_ret)
{
  const char *names[] = { name, NULL };
  struct spec_seccomp_syscall *sc = builder_add (b, names, errno_ret);
  sc->args = xcalloc (1, sizeof *sc->args);
  sc->args_len = 1;
  sc->args[0].index = index;
  sc->args[0].value = value;
  sc->args[0].has_value_two = has_two;
  sc->args[0].value_two = value_two;
  sc->args[0].op = xstrdup (op);
}

/* One rule per flag: libseccomp ANDs the conditions of a rule and allows
   each argument only once per rule, so "any of these bits" needs separate
   rules (rules for one syscall are ORed). */
static void
add_namespace_flag_rules (struct filter_builder *b, bool allow_newuser)
{
  for (size_t i = 0; i < ARRAY_SIZE (ns_flags); i++)
    {
      if (allow_newuser && ns_flags[i].flag == CLONE_NS_NEWUSER)
        continue;
      builder_add_arg_rule (b, "unshare", 0, "SCMP_CMP_MASKED_EQ", ns_flags[i].flag, true, ns_flags[i].flag, EPERM);
      /* clone's flags are argument 0 except on s390x (argument 1); these
         rules target the other architectures, see docs/profiles.md. */
      if (ns_flags[i].in_clone)
        builder_add_arg_rule (b, "clone", 0, "SCMP_CMP_MASKED_EQ", ns_flags[i].flag, true, ns_flags[i].flag, EPERM);
    }
}

/* Strict allows personality(0) (the default persona) and
   personality(0xffffffff) (the query) only.  The kernel reads the argument
   as an unsigned int, so only the low 32 bits count.  "Not 0 and not all
   ones" is "some bit differs from bit 0"; with one comparison per rule that
   becomes, for every bit i in 1..31, two masked rules: bit0 set and bit i
   clear, or bit0 clear and bit i set.  Values whose high 32 bits are
   non-zero are judged by their low half, exactly as the kernel does. */
static void
add_personality_rules (struct filter_builder *b)
{
  for (unsigned i = 1; i < 32; i++)
    {
      unsigned long long mask = 1ULL | (1ULL << i);
      builder_add_arg_rule (b, "personality", 0, "SCMP_CMP_MASKED_EQ", mask, true, 1ULL, EPERM);
      builder_add_arg_rule (b, "personality", 0, "SCMP_CMP_MASKED_EQ", mask, true, 1ULL << i, EPERM);
    }
}

/* The ABIs the filter admits.  On x86_64: the native ABI and i386 (int 0x80,
   sysenter), with the same rules by name.  x32 is not listed: the filter is
   built with seccomp_filter_build_profile, whose bad-architecture action is
   EPERM, so every x32 syscall fails whatever its number (the denylist has no
   x32 rows to forget).  Elsewhere the list stays empty and the loader adds
   the native compat ABIs (arm on aarch64, s390 on s390x). */
static void
profile_set_architectures (struct spec_seccomp *s)
{
#if defined(__x86_64__) && !defined(__ILP32__)
  static const char *const arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86" };
  s->architectures = xcalloc (ARRAY_SIZE (arches) + 1, sizeof (char *));
  for (size_t i = 0; i < ARRAY_SIZE (arches); i++)
    s->architectures[i] = xstrdup (arches[i]);
  s->architectures_len = ARRAY_SIZE (arches);
#else
  (void) s;
#endif
}

struct spec_seccomp *
profile_seccomp_build (enum profile_level level)
{
  struct filter_builder b = { .s = xcalloc (1, sizeof (struct spec_seccomp)), .cap = 0 };
  b.s->default_action = xstrdup ("SCMP_ACT_ALLOW");
  profile_set_architectures (b.s);
  builder_add (&b, denied_always, EPERM);
  builder_add (&b, denied_cross_process, EPERM);
  if (level >= PROFILE_STRICT)
    {
      builder_add (&b, denied_strict_only, EPERM);
      add_personality_rules (&b);
    }
  const char *const clone3[] = { "clone3", NULL };
  builder_add (&b, clone3, ENOSYS);
  add_namespace_flag_rules (&b, level < PROFILE_STRICT);
  /* TIOCSTI injects keystrokes into the controlling terminal (input of the
     process outside the container when the tty is shared).  The kernel
     truncates the request to 32 bits, so compare only those: otherwise
     setting a high bit would slip past the filter. */
  builder_add_arg_rule (&b, "ioctl", 1, "SCMP_CMP_MASKED_EQ", 0xffffffffULL, true, TIOCSTI_REQUEST, EPERM);
  return b.s;
}
