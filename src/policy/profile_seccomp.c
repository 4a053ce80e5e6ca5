/* The profiles' seccomp filters, built from the table of syscall_groups.c
   as an OCI linux.seccomp object so the ordinary seccomp loader can build
   them.  The profile layer stores the result in spec->linux->profile_seccomp,
   a second filter stacked on the bundle's own: the kernel runs a syscall
   only when every installed filter allows it, so the profile can only take
   away.

   strict: an allowlist.  Default action ERRNO(ENOSYS): a syscall the table
   does not allow (forgotten, obscure, or newer than the table or libseccomp)
   looks "not implemented", so libc falls back where it can and programs see
   no security error.  The denied groups return EPERM, and four calls are
   allowed only with the arguments the profile accepts (clone, unshare,
   ioctl, personality): their allowed and denied argument sets are disjoint
   and cover every value, so the order in which rules are checked does not
   matter.  (libseccomp, which the unit tests compare with, drops the
   conditional rules of a syscall once it has an unconditional one, and
   linux/seccomp_bpf.c refuses such a mix.)

   balanced: a denylist (default ALLOW) of the denied groups but
   debug-fast-io, and the same argument rules minus personality and
   CLONE_NEWUSER alone (clarification 10).

   Both: clone3 returns ENOSYS so that libc falls back to clone(2), whose
   flags a filter can inspect (clone3 passes them in memory). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/profile.h"
#include "policy/syscall_groups.h"
#include "base/utils.h"

#define CLONE_NS_NEWTIME 0x00000080ULL
#define CLONE_NS_NEWNS 0x00020000ULL
#define CLONE_NS_NEWCGROUP 0x02000000ULL
#define CLONE_NS_NEWUTS 0x04000000ULL
#define CLONE_NS_NEWIPC 0x08000000ULL
#define CLONE_NS_NEWUSER 0x10000000ULL
#define CLONE_NS_NEWPID 0x20000000ULL
#define CLONE_NS_NEWNET 0x40000000ULL

#define LOW32 0xffffffffULL

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

/* ioctl requests denied under both profiles: TIOCSTI pushes a byte into a
   terminal's input queue, TIOCLINUX's TIOCL_PASTESEL (and friends) pastes
   the console selection into it; with a terminal shared with the host both
   type commands into the caller's shell. */
static const unsigned long long denied_ioctls[] = { 0x5412ULL /* TIOCSTI */, 0x541cULL /* TIOCLINUX */ };

struct filter_builder
{
  struct spec_seccomp *s;
  size_t cap;
};

/* A rule for NAMES: ACTION "SCMP_ACT_ALLOW", or ERRNO_RET for
   SCMP_ACT_ERRNO when ACTION is NULL. */
static struct spec_seccomp_syscall *
builder_add (struct filter_builder *b, const char *const *names, const char *action, uint32_t errno_ret)
{
  if (b->s->syscalls_len == b->cap)
    {
      b->cap = b->cap ? b->cap * 2 : 32;
      b->s->syscalls = xrealloc (b->s->syscalls, b->cap * sizeof *b->s->syscalls);
    }
  struct spec_seccomp_syscall *sc = &b->s->syscalls[b->s->syscalls_len++];
  memset (sc, 0, sizeof *sc);
  size_t n = strv_len ((char *const *) names);
  sc->names = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    sc->names[i] = xstrdup (names[i]);
  sc->names_len = n;
  sc->action = xstrdup (action ? action : "SCMP_ACT_ERRNO");
  sc->has_errno_ret = action == NULL;
  sc->errno_ret = action == NULL ? errno_ret : 0;
  return sc;
}

/* A rule for NAME on one masked argument: (arg[INDEX] & MASK) == VALUE. */
static void
builder_add_masked (struct filter_builder *b, const char *name, uint32_t index, unsigned long long mask,
                    unsigned long long value, const char *action, uint32_t errno_ret)
{
  const char *names[] = { name, NULL };
  struct spec_seccomp_syscall *sc = builder_add (b, names, action, errno_ret);
  sc->args = xcalloc (1, sizeof *sc->args);
  sc->args_len = 1;
  sc->args[0].index = index;
  sc->args[0].value = mask;
  sc->args[0].has_value_two = true;
  sc->args[0].value_two = value;
  sc->args[0].op = xstrdup ("SCMP_CMP_MASKED_EQ");
}

#define ALLOW "SCMP_ACT_ALLOW"
#define DENY NULL

/* One rule per flag: libseccomp ANDs the conditions of a rule and allows
   each argument only once per rule, so "any of these bits" needs separate
   rules (rules for one syscall are ORed).  Under strict the call is allowed
   when no flag of the mask is set: disjoint from every EPERM rule, and
   together they cover every value. */
static void
add_namespace_flag_rules (struct filter_builder *b, enum profile_level level)
{
  bool strict = level >= PROFILE_STRICT;
  unsigned long long unshare_mask = 0, clone_mask = 0;
  for (size_t i = 0; i < ARRAY_SIZE (ns_flags); i++)
    {
      if (!strict && ns_flags[i].flag == CLONE_NS_NEWUSER)
        continue;
      unsigned long long f = ns_flags[i].flag;
      unshare_mask |= f;
      builder_add_masked (b, "unshare", 0, f, f, DENY, EPERM);
      /* clone's flags are argument 0 except on s390x (argument 1); these
         rules target the other architectures, see docs/profiles.md. */
      if (ns_flags[i].in_clone)
        {
          clone_mask |= f;
          builder_add_masked (b, "clone", 0, f, f, DENY, EPERM);
        }
    }
  if (strict)
    {
      builder_add_masked (b, "unshare", 0, unshare_mask, 0, ALLOW, 0);
      builder_add_masked (b, "clone", 0, clone_mask, 0, ALLOW, 0);
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
      builder_add_masked (b, "personality", 0, mask, 1ULL, DENY, EPERM);
      builder_add_masked (b, "personality", 0, mask, 1ULL << i, DENY, EPERM);
    }
  builder_add_masked (b, "personality", 0, LOW32, 0, ALLOW, 0);
  builder_add_masked (b, "personality", 0, LOW32, LOW32, ALLOW, 0);
}

/* ioctl: EPERM for the denied requests (low 32 bits: the kernel truncates
   the request, so setting a high bit must not slip past).  Under strict
   every other request is allowed by rules that match exactly the
   complement: the requests' common bits are C (where all denied requests
   agree) and the rest D; a request differing from them in a bit of C is
   allowed by a one-bit rule, and one that agrees on C is allowed by a
   full rule for each pattern of D that is no denied request's. */
static void
add_ioctl_rules (struct filter_builder *b, enum profile_level level)
{
  const unsigned long long first = denied_ioctls[0];
  unsigned long long differ = 0;
  for (size_t i = 0; i < ARRAY_SIZE (denied_ioctls); i++)
    {
      builder_add_masked (b, "ioctl", 1, LOW32, denied_ioctls[i], DENY, EPERM);
      differ |= denied_ioctls[i] ^ first;
    }
  if (level < PROFILE_STRICT)
    return;
  for (unsigned bit = 0; bit < 32; bit++)
    if (!(differ & (1ULL << bit)))
      builder_add_masked (b, "ioctl", 1, 1ULL << bit, ~first & (1ULL << bit), ALLOW, 0);
  /* Enumerate the patterns of the D bits (subsets of DIFFER). */
  unsigned long long sub = 0;
  do
    {
      unsigned long long value = (first & ~differ & LOW32) | sub;
      bool denied = false;
      for (size_t i = 0; i < ARRAY_SIZE (denied_ioctls); i++)
        denied |= value == denied_ioctls[i];
      if (!denied)
        builder_add_masked (b, "ioctl", 1, LOW32, value, ALLOW, 0);
      sub = (sub - differ) & differ;
    }
  while (sub != 0);
}

/* The ABIs the filter admits.  On x86_64: the native ABI and i386 (int 0x80,
   sysenter), with the same rules by name.  x32 is not listed: the filter is
   built with seccomp_filter_build_profile, whose bad-architecture action is
   EPERM, so every x32 syscall fails whatever its number (the table has no
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

/* Does LEVEL's filter give group G an unconditional rule, and which? */
static bool
group_rule (const struct syscall_group *g, enum profile_level level, bool network, const char **action,
            uint32_t *errno_ret)
{
  *errno_ret = EPERM;
  *action = DENY;
  switch (g->kind)
    {
    case SG_ALLOW: *action = ALLOW; return level >= PROFILE_STRICT && (network || !g->network);
    case SG_ALLOW_ARGS: return false;
    case SG_DENY: return true;
    case SG_DENY_STRICT: return level >= PROFILE_STRICT;
    }
  return false;
}

struct spec_seccomp *
profile_seccomp_build (enum profile_level level)
{
  struct filter_builder b = { .s = xcalloc (1, sizeof (struct spec_seccomp)), .cap = 0 };
  bool strict = level >= PROFILE_STRICT;
  /* Strict always gives the container a network namespace of its own
     (loopback only) or the one the bundle names by path: sockets can only
     reach what the operator set up, so the network group is in. */
  bool network = true;
  if (strict)
    {
      b.s->default_action = xstrdup ("SCMP_ACT_ERRNO");
      b.s->has_default_errno_ret = true;
      b.s->default_errno_ret = ENOSYS;
    }
  else
    b.s->default_action = xstrdup ("SCMP_ACT_ALLOW");
  profile_set_architectures (b.s);
  for (size_t i = 0; i < syscall_groups_len; i++)
    {
      const char *action;
      uint32_t errno_ret;
      if (group_rule (&syscall_groups[i], level, network, &action, &errno_ret))
        builder_add (&b, syscall_groups[i].names, action, errno_ret);
    }
  if (strict)
    add_personality_rules (&b);
  /* Under strict this gives the default's answer anyway; it stays so that
     both filters name clone3. */
  builder_add (&b, syscall_enosys_names, DENY, ENOSYS);
  add_namespace_flag_rules (&b, level);
  add_ioctl_rules (&b, level);
  return b.s;
}

/* ---- `cellrun profile show` ------------------------------------------ */

static void
out_group (struct text_buf *o, const char *verdict, const struct syscall_group *g)
{
  text_append (o, "  %s %s:", verdict, g->name);
  for (const char *const *n = g->names; *n; n++)
    text_append (o, " %s", *n);
  text_append (o, "\n    why: %s\n", g->reason);
}

static void
describe_arguments (struct text_buf *o, enum profile_level level)
{
  text_append (o,
               "  EPERM: unshare and clone with a namespace flag (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, "
               "NEWPID, NEWNET; unshare also NEWTIME)%s\n",
               level == PROFILE_BALANCED ? " (CLONE_NEWUSER alone allowed)" : "");
  text_append (o, "  EPERM: ioctl TIOCSTI and TIOCLINUX (low 32 bits of the request, as the kernel reads it)\n");
  if (level >= PROFILE_STRICT)
    text_append (o, "  EPERM: personality other than 0 and 0xffffffff\n");
  text_append (o, "  ENOSYS: clone3 (libc falls back to clone, whose flags the filter sees)\n");
}

char *
profile_seccomp_describe (enum profile_level level)
{
  struct text_buf o = { xstrdup (""), 0 };
  bool strict = level >= PROFILE_STRICT;
  text_append (&o, "seccomp (stacked on the bundle's filter: a call runs only if both allow it):\n");
  if (strict)
    text_append (&o, "  default: ENOSYS for every syscall not allowed below (unknown, forgotten or newer than this "
                     "table)\n");
  else
    text_append (&o, "  default: allow (a denylist)\n");
#if defined(__x86_64__) && !defined(__ILP32__)
  text_append (&o, "  ABIs: x86_64 and i386 (int 0x80) with the same rules by name; x32: every call EPERM\n");
#else
  text_append (&o, "  ABIs: the native one and its compat ABI (arm on aarch64) with the same rules by name\n");
#endif
  for (size_t i = 0; strict && i < syscall_groups_len; i++)
    if (syscall_groups[i].kind == SG_ALLOW)
      out_group (&o, "allow", &syscall_groups[i]);
    else if (syscall_groups[i].kind == SG_ALLOW_ARGS)
      out_group (&o, "allow", &syscall_groups[i]);
  for (size_t i = 0; i < syscall_groups_len; i++)
    if (syscall_groups[i].kind == SG_DENY || (strict && syscall_groups[i].kind == SG_DENY_STRICT))
      out_group (&o, "EPERM", &syscall_groups[i]);
  describe_arguments (&o, level);
  return o.buf;
}
