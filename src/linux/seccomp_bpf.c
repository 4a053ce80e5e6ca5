#include "config.h"
#include "linux/seccomp_bpf.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/seccomp_filter.h"
#include "base/utils.h"

#define MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel refuses longer programs */
#define X32_BIT 0x40000000U
#define OFF_NR ((uint32_t) offsetof (struct seccomp_data, nr))
#define OFF_ARCH ((uint32_t) offsetof (struct seccomp_data, arch))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define OFF_ARG_LO(i) ((uint32_t) (offsetof (struct seccomp_data, args) + 8 * (i)))
#define OFF_ARG_HI(i) (OFF_ARG_LO (i) + 4)
#else
#define OFF_ARG_HI(i) ((uint32_t) (offsetof (struct seccomp_data, args) + 8 * (i)))
#define OFF_ARG_LO(i) (OFF_ARG_HI (i) + 4)
#endif

void
seccomp_prog_free (struct seccomp_prog *p)
{
  if (p)
    free (p->insns);
  free (p);
}

static size_t
emit (struct seccomp_prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
  if (p->len == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 256;
      p->insns = xrealloc (p->insns, p->cap * sizeof *p->insns);
    }
  p->insns[p->len] = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
  return p->len++;
}

static void
emit_ret (struct seccomp_prog *p, uint32_t act)
{
  emit (p, BPF_RET | BPF_K, 0, 0, act);
}

/* Point the `ja` at AT to the next instruction to be emitted. */
static void
patch_ja (struct seccomp_prog *p, size_t at)
{
  p->insns[at].k = (uint32_t) (p->len - at - 1);
}

/* i386: libseccomp 2.5 resolves the socket and System V IPC names to the
   socketcall/ipc multiplexers only; the kernel also has direct entries
   (Linux 4.3 and 5.1), which a C library may call instead. */
static const struct
{
  const char *name;
  int nr;
} i386_direct[] = {
  { "socket", 359 },   { "socketpair", 360 }, { "bind", 361 },       { "connect", 362 },     { "listen", 363 },
  { "accept4", 364 },  { "getsockopt", 365 }, { "setsockopt", 366 }, { "getsockname", 367 }, { "getpeername", 368 },
  { "sendto", 369 },   { "sendmsg", 370 },    { "recvfrom", 371 },   { "recvmsg", 372 },     { "shutdown", 373 },
  { "recvmmsg", 337 }, { "sendmmsg", 345 },   { "semget", 393 },     { "semctl", 394 },      { "shmget", 395 },
  { "shmctl", 396 },   { "shmat", 397 },      { "shmdt", 398 },      { "msgget", 399 },      { "msgsnd", 400 },
  { "msgrcv", 401 },   { "msgctl", 402 },
};

/* Syscalls newer than the libseccomp this was written against (2.5.4),
   which the table names anyway (a denied twin must not wait for a
   libseccomp upgrade).  Since Linux 5.1 new syscalls have one number on
   every ABI here (x86_64, i386, arm, aarch64). */
static const struct
{
  const char *name;
  int nr;
} newer[] = {
  { "open_tree_attr", 467 }, /* Linux 6.15: open_tree with mount attributes */
};

int
seccomp_bpf_resolve (uint32_t arch, const char *name)
{
  int nr = seccomp_syscall_resolve_name_arch (arch, name);
  if (nr < 0 && arch == SCMP_ARCH_X86)
    for (size_t i = 0; i < ARRAY_SIZE (i386_direct); i++)
      if (strcmp (i386_direct[i].name, name) == 0)
        return i386_direct[i].nr;
  if (nr == __NR_SCMP_ERROR
      && (arch == SCMP_ARCH_X86_64 || arch == SCMP_ARCH_X86 || arch == SCMP_ARCH_ARM || arch == SCMP_ARCH_AARCH64))
    for (size_t i = 0; i < ARRAY_SIZE (newer); i++)
      if (strcmp (newer[i].name, name) == 0)
        return newer[i].nr;
  return nr;
}

/* What one syscall number of one ABI does: an unconditional action, or
   conditional rules (indices into s->syscalls) checked in order. */
struct entry
{
  uint32_t nr;
  bool plain;
  uint32_t act;
  size_t *conds;
  size_t nconds;
};

struct abi
{
  uint32_t arch;
  struct entry *e;
  size_t n;
};

static void
abi_clear (struct abi *a)
{
  for (size_t i = 0; i < a->n; i++)
    free (a->e[i].conds);
  free (a->e);
  a->e = NULL;
  a->n = 0;
}

/* One (number, rule) pair of an ABI, before grouping by number. */
struct item
{
  uint32_t nr;
  size_t rule;
  uint32_t act;
  bool plain;
  const char *name;
};

static int
cmp_item (const void *x, const void *y)
{
  const struct item *a = x, *b = y;
  if (a->nr != b->nr)
    return a->nr < b->nr ? -1 : 1;
  return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Every (number, rule) pair of ABI A from S's rules, sorted by number then
   rule: the grouping by number is then one pass. */
static int
abi_items (const struct spec_seccomp *s, uint32_t arch, struct item **out, size_t *n, struct cr_error *err)
{
  size_t cap = 0;
  *out = NULL;
  *n = 0;
  for (size_t i = 0; s->syscalls && i < s->syscalls_len; i++)
    {
      const struct spec_seccomp_syscall *sc = &s->syscalls[i];
      uint32_t act;
      if (seccomp_parse_action (sc->action, sc->errno_ret, sc->has_errno_ret, &act, err) < 0)
        return cr_wrap (err, "linux.seccomp.syscalls[%zu].action", i);
      if (act == SCMP_ACT_NOTIFY)
        return cr_invalid (err, "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY in a profile filter", i);
      for (size_t a_ = 0; a_ < sc->args_len; a_++)
        {
          enum scmp_compare op;
          if (sc->args[a_].index >= 6 || seccomp_parse_operator (sc->args[a_].op, &op, err) < 0
              || (op != SCMP_CMP_EQ && op != SCMP_CMP_MASKED_EQ))
            return cr_invalid (err, "linux.seccomp.syscalls[%zu].args[%zu]: only EQ and MASKED_EQ on args 0-5", i, a_);
        }
      for (size_t k = 0; sc->names && k < sc->names_len; k++)
        {
          int nr = seccomp_bpf_resolve (arch, sc->names[k]);
          if (nr < 0)
            continue; /* not a syscall of this ABI */
          if (*n == cap)
            *out = xrealloc (*out, (cap = cap ? cap * 2 : 512) * sizeof **out);
          (*out)[(*n)++] = (struct item){ (uint32_t) nr, i, act, sc->args_len == 0, sc->names[k] };
        }
    }
  if (*n > 1)
    qsort (*out, *n, sizeof **out, cmp_item);
  return 0;
}

/* The entries of ABI A from S's rules, sorted by number. */
static int
abi_collect (const struct spec_seccomp *s, struct abi *a, struct cr_error *err)
{
  struct item *it;
  size_t n;
  if (abi_items (s, a->arch, &it, &n, err) < 0)
    {
      free (it);
      return -1;
    }
  a->e = xcalloc (n + 1, sizeof *a->e);
  for (size_t i = 0; i < n; i++)
    {
      struct entry *e = a->n && a->e[a->n - 1].nr == it[i].nr ? &a->e[a->n - 1] : NULL;
      if (e == NULL)
        {
          e = &a->e[a->n++];
          *e = (struct entry){ .nr = it[i].nr };
        }
      if (it[i].plain ? (e->nconds || (e->plain && e->act != it[i].act)) : e->plain)
        {
          cr_invalid (err, "linux.seccomp.syscalls[%zu]: %s has conflicting rules", it[i].rule, it[i].name);
          free (it);
          return -1;
        }
      if (it[i].plain)
        {
          e->plain = true;
          e->act = it[i].act;
          continue;
        }
      e->conds = xrealloc (e->conds, (e->nconds + 1) * sizeof *e->conds);
      e->conds[e->nconds++] = it[i].rule;
    }
  free (it);
  return 0;
}

/* A contiguous range of numbers [lo, next segment's lo) with one leaf. */
struct segment
{
  uint32_t lo;
  const struct entry *e; /* NULL: ACT for the whole range */
  uint32_t act;
};

/* One comparison of rule RULE: jump to FAIL (patched later) unless it holds. */
static void
emit_cmp (struct seccomp_prog *p, const struct spec_seccomp_arg *arg, bool wide, size_t *fails, size_t *nfails)
{
  bool masked = strcmp (arg->op, "SCMP_CMP_MASKED_EQ") == 0;
  uint64_t mask = masked ? arg->value : ~0ULL, value = masked ? arg->value_two : arg->value;
  for (int half = wide ? 1 : 0; half >= 0; half--)
    {
      uint32_t m = (uint32_t) (half ? mask >> 32 : mask), v = (uint32_t) (half ? value >> 32 : value);
      if (m == 0 && v == 0)
        continue;
      emit (p, BPF_LD | BPF_W | BPF_ABS, 0, 0, half ? OFF_ARG_HI (arg->index) : OFF_ARG_LO (arg->index));
      if (m != 0xffffffffU)
        emit (p, BPF_ALU | BPF_AND | BPF_K, 0, 0, m);
      fails[(*nfails)++] = emit (p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, v);
    }
}

static int
emit_leaf (struct seccomp_prog *p, const struct spec_seccomp *s, const struct segment *g, uint32_t arch,
           uint32_t default_act, struct cr_error *err)
{
  if (g->e == NULL || g->e->nconds == 0)
    {
      emit_ret (p, g->e ? g->e->act : g->act);
      return 0;
    }
  /* The 32-bit ABIs pass 32-bit arguments: their upper halves are zero. */
  bool wide = arch != SCMP_ARCH_X86 && arch != SCMP_ARCH_ARM;
  for (size_t c = 0; c < g->e->nconds; c++)
    {
      const struct spec_seccomp_syscall *sc = &s->syscalls[g->e->conds[c]];
      size_t fails[12], nfails = 0;
      uint32_t act;
      seccomp_parse_action (sc->action, sc->errno_ret, sc->has_errno_ret, &act, err);
      for (size_t a = 0; a < sc->args_len && a < 6; a++)
        emit_cmp (p, &sc->args[a], wide, fails, &nfails);
      emit_ret (p, act);
      for (size_t f = 0; f < nfails; f++)
        {
          size_t off = p->len - fails[f] - 1;
          if (off > 255)
            return cr_invalid (err, "seccomp: rule too long");
          p->insns[fails[f]].jf = (uint8_t) off;
        }
    }
  emit_ret (p, default_act);
  return 0;
}

/* A binary search over SEGS[a..b): "nr >= lo of the middle" goes right. */
static int
emit_tree (struct seccomp_prog *p, const struct spec_seccomp *s, const struct segment *segs, size_t a, size_t b,
           uint32_t arch, uint32_t default_act, struct cr_error *err)
{
  if (b - a == 1)
    return emit_leaf (p, s, &segs[a], arch, default_act, err);
  size_t m = a + (b - a) / 2;
  emit (p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, segs[m].lo);
  size_t ja = emit (p, BPF_JMP | BPF_JA, 0, 0, 0);
  if (emit_tree (p, s, segs, a, m, arch, default_act, err) < 0)
    return -1;
  patch_ja (p, ja);
  return emit_tree (p, s, segs, m, b, arch, default_act, err);
}

/* The segments of ABI A: its entries, the default in the gaps (adjacent
   numbers with the same plain action merged), and BADARCH for the x32
   numbers when X32_OUT. */
static struct segment *
abi_segments (const struct abi *a, uint32_t default_act, bool x32_out, uint32_t badarch, size_t *n)
{
  struct segment *g = xcalloc (2 * a->n + 3, sizeof *g);
  size_t k = 0;
  uint32_t end = x32_out ? X32_BIT : 0; /* 0: up to 2^32 */
#define PUSH(LO, E, ACT)                                                    \
  do                                                                        \
    {                                                                       \
      struct segment s_ = { (LO), (E), (ACT) };                             \
      bool same_ = k > 0 && !s_.e && !g[k - 1].e && g[k - 1].act == s_.act; \
      if (!same_)                                                           \
        g[k++] = s_;                                                        \
    }                                                                       \
  while (0)
  PUSH (0, NULL, default_act);
  for (size_t i = 0; i < a->n; i++)
    {
      const struct entry *e = &a->e[i];
      if (end && e->nr >= end)
        break;
      if (e->nconds)
        PUSH (e->nr, e, 0);
      else
        PUSH (e->nr, NULL, e->act);
      if (e->nr + 1 != 0 && (i + 1 == a->n || a->e[i + 1].nr != e->nr + 1))
        PUSH (e->nr + 1, NULL, default_act);
    }
  if (end)
    PUSH (end, NULL, badarch);
#undef PUSH
  /* A segment that starts where the previous one does replaces it (the
     gap after an entry that the next entry fills at once). */
  size_t w = 0;
  for (size_t i = 0; i < k; i++)
    {
      if (w > 0 && g[w - 1].lo == g[i].lo)
        w--;
      g[w++] = g[i];
    }
  *n = w;
  return g;
}

static int
compile_abi (struct seccomp_prog *p, const struct spec_seccomp *s, uint32_t arch, bool x32_out, uint32_t default_act,
             uint32_t badarch, struct cr_error *err)
{
  struct abi a = { .arch = arch };
  if (abi_collect (s, &a, err) < 0)
    {
      abi_clear (&a);
      return -1;
    }
  size_t n;
  struct segment *segs = abi_segments (&a, default_act, x32_out, badarch, &n);
  emit (p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_NR);
  int r = emit_tree (p, s, segs, 0, n, arch, default_act, err);
  free (segs);
  abi_clear (&a);
  return r;
}

/* The ABIs of S: its list, else the native one and its compat ABIs. */
static size_t
prog_arches (const struct spec_seccomp *s, uint32_t arches[8], struct cr_error *err)
{
  size_t n = 0;
  for (size_t i = 0; s->architectures && i < s->architectures_len && n < 8; i++)
    if (seccomp_parse_arch (s->architectures[i], &arches[n], err) < 0)
      return (size_t) -1;
    else
      n++;
  if (n > 0)
    return n;
  arches[n++] = seccomp_arch_native ();
  if (arches[0] == SCMP_ARCH_X86_64)
    arches[n++] = SCMP_ARCH_X86;
  else if (arches[0] == SCMP_ARCH_AARCH64)
    arches[n++] = SCMP_ARCH_ARM;
  else if (arches[0] == SCMP_ARCH_S390X)
    arches[n++] = SCMP_ARCH_S390;
  return n;
}

int
seccomp_prog_compile (const struct spec_seccomp *s, uint32_t badarch_act, struct seccomp_prog **out,
                      struct cr_error *err)
{
  uint32_t default_act, arches[8];
  *out = NULL;
  if (s == NULL || s->default_action == NULL)
    return cr_invalid (err, "linux.seccomp.defaultAction: missing");
  if (seccomp_parse_action (s->default_action, s->default_errno_ret, s->has_default_errno_ret, &default_act, err) < 0)
    return cr_wrap (err, "linux.seccomp.defaultAction");
  size_t narch = prog_arches (s, arches, err);
  if (narch == (size_t) -1)
    return -1;
  for (size_t i = 0; i < narch; i++)
    if (arches[i] == SCMP_ARCH_X32)
      return cr_invalid (err, "linux.seccomp.architectures: a profile filter does not admit x32");

  _cleanup_seccomp_prog_ struct seccomp_prog *p = xcalloc (1, sizeof *p);
  size_t dispatch[8];
  emit (p, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_ARCH);
  for (size_t i = 0; i < narch; i++)
    {
      emit (p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, arches[i]);
      dispatch[i] = emit (p, BPF_JMP | BPF_JA, 0, 0, 0);
    }
  emit_ret (p, badarch_act);
  for (size_t i = 0; i < narch; i++)
    {
      patch_ja (p, dispatch[i]);
      /* x32 shares x86_64's token; its numbers have X32_BIT set. */
      bool x32_out = arches[i] == SCMP_ARCH_X86_64;
      if (compile_abi (p, s, arches[i], x32_out, default_act, badarch_act, err) < 0)
        return -1;
    }
  if (p->len > MAX_INSNS)
    return cr_invalid (err, "seccomp: the filter needs %zu BPF instructions, more than the kernel's %d", p->len,
                       MAX_INSNS);
  *out = TAKE_PTR (p);
  return 0;
}

int
seccomp_prog_load (struct seccomp_prog *p, struct cr_error *err)
{
  _cleanup_seccomp_prog_ struct seccomp_prog *owned = p;
  if (owned == NULL)
    return cr_invalid (err, "seccomp: no filter to load");
  struct sock_fprog prog = { .len = (unsigned short) owned->len, .filter = owned->insns };
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return cr_fail (err, errno, "load seccomp filter");
  return 0;
}
