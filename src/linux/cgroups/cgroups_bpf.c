/* cgroup v2 device filter: cgroup v2 has no devices.allow/deny, access is
   decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup.
   We assemble it by hand (no libbpf, no clang at runtime).

   Semantics: the result equals applying linux.resources.devices in order
   to a deny-all start, per device and per access bit. The program walks
   the rules from last to first and keeps the access bits not yet decided:
   a matching allow rule settles its bits as allowed, a matching deny rule
   that covers an undecided bit denies. Bits nobody settled are denied. */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/utils.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* Registers: r2 device type, r3 undecided access bits, r4 major, r5 minor,
   r1 scratch once the context has been read. */
enum
{
  R0,
  R1,
  R2,
  R3,
  R4,
  R5
};

static int
parse_access (const char *s, uint32_t *out)
{
  uint32_t acc = 0;
  for (const char *p = s ? s : "rwm"; *p; p++)
    switch (*p)
      {
      case 'r': acc |= BPF_DEVCG_ACC_READ; break;
      case 'w': acc |= BPF_DEVCG_ACC_WRITE; break;
      case 'm': acc |= BPF_DEVCG_ACC_MKNOD; break;
      default: return -EINVAL;
      }
  *out = acc;
  return 0;
}

/* 0 for "all", else BPF_DEVCG_DEV_*. */
static int
parse_type (const char *s, uint32_t *out)
{
  if (s == NULL || strcmp (s, "a") == 0 || *s == '\0')
    *out = 0;
  else if (strcmp (s, "c") == 0)
    *out = BPF_DEVCG_DEV_CHAR;
  else if (strcmp (s, "b") == 0)
    *out = BPF_DEVCG_DEV_BLOCK;
  else
    return -EINVAL;
  return 0;
}

bool
cgroup_devices_allowed (const struct spec_device_cgroup *rules, size_t n, char type, uint32_t major, uint32_t minor,
                        uint32_t access)
{
  uint32_t allowed = 0;
  for (size_t i = 0; i < n; i++)
    {
      const struct spec_device_cgroup *d = &rules[i];
      uint32_t acc;
      if (parse_access (d->access, &acc) < 0)
        continue;
      if (d->type && *d->type && strcmp (d->type, "a") != 0 && d->type[0] != type)
        continue;
      if (d->has_major && d->major >= 0 && (uint32_t) d->major != major)
        continue;
      if (d->has_minor && d->minor >= 0 && (uint32_t) d->minor != minor)
        continue;
      allowed = d->allow ? allowed | acc : allowed & ~acc;
    }
  return (access & ~allowed) == 0;
}

int
cgroup_bpf_assemble (const struct spec_device_cgroup *rules, size_t n, struct bpf_insn **insns, size_t *len,
                     struct cr_error *err)
{
  /* Worst case per rule: 3 conditions + 5 action instructions. */
  size_t cap = 8 + n * 8, o = 0;
  _cleanup_free_ struct bpf_insn *p = xcalloc (cap, sizeof *p);

  p[o++] = INSN (BPF_LDX | BPF_W | BPF_MEM, R2, R1, 0, 0);
  p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0);
  p[o++] = INSN (BPF_ALU64 | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
  p[o++] = INSN (BPF_ALU64 | BPF_RSH | BPF_K, R3, 0, 0, 16);
  p[o++] = INSN (BPF_LDX | BPF_W | BPF_MEM, R4, R1, 4, 0);
  p[o++] = INSN (BPF_LDX | BPF_W | BPF_MEM, R5, R1, 8, 0);

  for (size_t k = n; k-- > 0;)
    {
      const struct spec_device_cgroup *d = &rules[k];
      uint32_t type, acc;
      if (parse_type (d->type, &type) < 0)
        return cr_fail (err, EINVAL, "linux.resources.devices[%zu].type: \"%s\" is not a, b or c", k, d->type);
      if (parse_access (d->access, &acc) < 0)
        return cr_fail (err, EINVAL, "linux.resources.devices[%zu].access: \"%s\" is not a subset of rwm", k,
                        d->access);
      if (acc == 0)
        continue;
      bool has_major = d->has_major && d->major >= 0, has_minor = d->has_minor && d->minor >= 0;
      /* A rule for every device and every access decides everything that
         reaches it: it ends the program, and earlier rules would be dead
         code, which the verifier rejects. */
      if (type == 0 && !has_major && !has_minor
          && acc == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD))
        {
          p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, d->allow ? 1 : 0);
          p[o++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
          *insns = TAKE_PTR (p);
          *len = o;
          return 0;
        }
      int conds = (type != 0) + has_major + has_minor;
      int block = conds + (d->allow ? 4 : 5);
      int at = 0;
      /* Each failed condition jumps to the end of this rule's block. */
      if (type)
        p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R2, 0, block - ++at, type);
      if (has_major)
        p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R4, 0, block - ++at, (int32_t) d->major);
      if (has_minor)
        p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R5, 0, block - ++at, (int32_t) d->minor);
      if (d->allow)
        {
          p[o++] = INSN (BPF_ALU64 | BPF_AND | BPF_K, R3, 0, 0, (int32_t) ~acc);
          p[o++] = INSN (BPF_JMP | BPF_JNE | BPF_K, R3, 0, 2, 0);
          p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
          p[o++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
      else
        {
          p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_X, R1, R3, 0, 0);
          p[o++] = INSN (BPF_ALU64 | BPF_AND | BPF_K, R1, 0, 0, (int32_t) acc);
          p[o++] = INSN (BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 2, 0);
          p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
          p[o++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
    }
  p[o++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
  p[o++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  *insns = TAKE_PTR (p);
  *len = o;
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
load_program (const struct bpf_insn *insns, size_t len, struct cr_error *err)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = len;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  int fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  int saved = errno;
  if (log_debug_enabled ())
    {
      /* Load again with the verifier log only when someone will read it. */
      static char log[16384];
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = sizeof log;
      attr.log_level = 1;
      log[0] = '\0';
      int again = sys_bpf (BPF_PROG_LOAD, &attr);
      if (again >= 0)
        close (again);
      log_debug ("cgroup: BPF verifier: %s", log);
    }
  return cr_fail (err, saved, "linux.resources.devices: load BPF device filter");
}

int
cgroup_bpf_apply_devices (int dirfd, const struct spec_device_cgroup *rules, size_t n, struct cr_error *err)
{
  _cleanup_free_ struct bpf_insn *insns = NULL;
  size_t len = 0;
  int r = cgroup_bpf_assemble (rules, n, &insns, &len, err);
  if (r < 0)
    return r;
  _cleanup_close_ int prog = load_program (insns, len, err);
  if (prog < 0)
    return prog;

  /* Remember what was attached (a previous `update`) to detach it once the
     new filter is in place: there is never a moment without a filter. */
  uint32_t old_ids[64];
  union bpf_attr q;
  memset (&q, 0, sizeof q);
  q.query.target_fd = dirfd;
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = (uint64_t) (uintptr_t) old_ids;
  q.query.prog_cnt = ARRAY_SIZE (old_ids);
  uint32_t old_n = sys_bpf (BPF_PROG_QUERY, &q) == 0 ? q.query.prog_cnt : 0;

  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.target_fd = dirfd;
  a.attach_bpf_fd = prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  /* MULTI so filters attached to ancestors (systemd's) keep applying too. */
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &a) < 0)
    return cr_fail (err, errno, "linux.resources.devices: attach BPF device filter");

  for (uint32_t i = 0; i < old_n; i++)
    {
      union bpf_attr g;
      memset (&g, 0, sizeof g);
      g.prog_id = old_ids[i];
      _cleanup_close_ int ofd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &g);
      if (ofd < 0)
        continue;
      union bpf_attr dt;
      memset (&dt, 0, sizeof dt);
      dt.target_fd = dirfd;
      dt.attach_bpf_fd = ofd;
      dt.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &dt) < 0)
        log_debug ("cgroup: detach old device filter %u: %s", old_ids[i], strerror (errno));
    }
  log_debug ("cgroup: device filter with %zu rules attached (%zu insns)", n, len);
  return 0;
}
