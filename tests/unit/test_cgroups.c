/* cgroups: path rules, v1->v2 conversions, the BPF device filter (run in
   a tiny interpreter), resource writes against fake v1/v2 trees, and when
   root, the real hierarchy plus a private cgroup2 mount. */
#include "config.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/cgroups/cgroups_internal.h"
#include "base/utils.h"

/* ---- helpers ------------------------------------------------------------- */

/* Stats as the CLI renders them (struct from cgroups, JSON from libocispec). */
static int
stats_json (struct cgroup_manager *m, char **json, struct cr_error *err)
{
  struct oci_stats st;
  if (cgroup_stats (m, &st, err) < 0)
    return -1;
  *json = oci_stats_to_json (&st);
  oci_stats_clear (&st);
  return 0;
}

static char *
resolve (const char *p, const char *id, bool systemd, const char *own)
{
  char *out = NULL;
  struct cr_error err = { 0 };
  if (cgroup_resolve_path_own (p, id, systemd, own, &out, &err) < 0)
    return NULL;
  return out;
}

static void
put (const char *dir, const char *file, const char *content)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  write_file (path, content, strlen (content), 0644, NULL);
}

static char got_buf[4096];
static const char *
get (const char *dir, const char *file)
{
  char path[4096];
  char *s = NULL;
  snprintf (path, sizeof path, "%s/%s", dir, file);
  if (read_file (path, &s, NULL, NULL) < 0)
    return "(missing)";
  snprintf (got_buf, sizeof got_buf, "%s", s);
  free (s);
  size_t l = strlen (got_buf);
  while (l > 0 && got_buf[l - 1] == '\n')
    got_buf[--l] = '\0';
  return got_buf;
}

static void
mkdirs (const char *fmt, const char *a, const char *b)
{
  char path[4096];
  snprintf (path, sizeof path, fmt, a, b);
  mkdir_p (path, 0755, NULL);
}

/* ---- BPF interpreter for the instructions cgroups_bpf.c emits ------------ */

static int
bpf_run (const struct bpf_insn *p, size_t len, uint32_t type, uint32_t access, uint32_t major, uint32_t minor)
{
  uint64_t r[11] = { 0 };
  uint32_t ctx[3] = { (access << 16) | type, major, minor };
  for (size_t pc = 0; pc < len; pc++)
    {
      const struct bpf_insn *i = &p[pc];
      uint64_t imm = (uint64_t) (int64_t) i->imm;
      switch (i->code)
        {
        case BPF_LDX | BPF_W | BPF_MEM: r[i->dst_reg] = ctx[i->off / 4]; break;
        case BPF_ALU64 | BPF_MOV | BPF_X: r[i->dst_reg] = r[i->src_reg]; break;
        case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = imm; break;
        case BPF_ALU64 | BPF_AND | BPF_K: r[i->dst_reg] &= imm; break;
        case BPF_ALU64 | BPF_RSH | BPF_K: r[i->dst_reg] >>= i->imm; break;
        case BPF_JMP | BPF_JNE | BPF_K:
          if (r[i->dst_reg] != imm)
            pc += i->off;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          if (r[i->dst_reg] == imm)
            pc += i->off;
          break;
        case BPF_JMP | BPF_EXIT: return (int) r[0];
        default: return -1;
        }
    }
  return -2; /* fell off the end: a verifier would reject this */
}

#define DEV(al, ty, ma, mi, ac)                                                                          \
  {                                                                                                      \
    .allow = (al), .type = (char *) (ty), .has_major = (ma) >= 0, .major = (ma), .has_minor = (mi) >= 0, \
    .minor = (mi), .access = (char *) (ac)                                                               \
  }

/* Every request on a grid of devices and access masks gives the same answer
   from the program and from applying the rules in order. */
static bool
bpf_matches_reference (const struct spec_device_cgroup *rules, size_t n)
{
  struct bpf_insn *insns = NULL;
  size_t len = 0;
  if (cgroup_bpf_assemble (rules, n, &insns, &len, NULL) < 0)
    return false;
  bool ok = true;
  const char types[] = { 'c', 'b' };
  for (int t = 0; t < 2; t++)
    for (uint32_t ma = 0; ma < 4; ma++)
      for (uint32_t mi = 0; mi < 6; mi++)
        for (uint32_t acc = 1; acc < 8; acc++)
          {
            bool want = cgroup_devices_allowed (rules, n, types[t], ma, mi, acc);
            int got = bpf_run (insns, len, types[t] == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, acc, ma, mi);
            if (got != (int) want)
              ok = false;
          }
  free (insns);
  return ok;
}

static void
test_logic (void)
{
  char *s;
  CHECK_STR (s = resolve ("/a/b", "id", false, "/own"), "/a/b", "absolute path kept");
  free (s);
  CHECK_STR (s = resolve ("/a/../../b//c/.", "id", false, "/own"), "/b/c", "absolute path cleaned, no escape");
  free (s);
  CHECK_STR (s = resolve ("x/y", "id", false, "/user.slice/me"), "/user.slice/me/x/y", "relative below own cgroup");
  free (s);
  CHECK_STR (s = resolve ("", "ctr1", false, "/"), "/ctr1", "empty -> <own>/<id>");
  free (s);
  CHECK_STR (s = resolve (NULL, "ctr1", false, "/a"), "/a/ctr1", "absent -> <own>/<id>");
  free (s);
  CHECK_STR (s = resolve ("machine.slice:cellrun:abc", "id", true, NULL), "/machine.slice/cellrun-abc.scope",
             "systemd slice:prefix:name");
  free (s);
  CHECK_STR (s = resolve ("a-b-c.slice:p:n", "id", true, NULL), "/a.slice/a-b.slice/a-b-c.slice/p-n.scope",
             "systemd nested slice expansion");
  free (s);
  CHECK_STR (s = resolve ("-.slice:p:n", "id", true, NULL), "/p-n.scope", "systemd root slice");
  free (s);
  CHECK_STR (s = resolve ("", "xyz", true, NULL), "/system.slice/cellrun-xyz.scope", "systemd default");
  free (s);
  CHECK_STR (s = resolve (":p:n", "id", true, NULL), "/system.slice/p-n.scope", "systemd empty slice");
  free (s);
  CHECK (resolve ("foo", "id", true, NULL) == NULL, "systemd path without colons refused");
  CHECK (resolve ("a--b.slice:p:n", "id", true, NULL) == NULL, "systemd invalid slice refused");
  CHECK (resolve ("x.slice:p:a/b", "id", true, NULL) == NULL, "systemd name with / refused");
  {
    /* Found by tests/fuzz/fuzz_cgroups_path: a 40 KB slice made the nested
       expansion allocate 3.2 GB. Names over systemd's 255 bytes are refused. */
    char *big = xmalloc (40016);
    memset (big, 'a', 40000);
    strcpy (big + 40000, ".slice:p:n");
    CHECK (resolve (big, "id", true, NULL) == NULL, "systemd slice over 255 bytes refused");
    memset (big, 'a', 300);
    strcpy (big + 300, ".slice:p:n");
    CHECK (resolve (big, "id", true, NULL) == NULL, "systemd slice of 306 bytes refused");
    strcpy (big, "x.slice:p:");
    memset (big + 10, 'n', 250);
    big[260] = '\0';
    CHECK (resolve (big, "id", true, NULL) == NULL, "systemd scope name over 255 bytes refused");
    big[10 + 240] = '\0';
    char *ok = resolve (big, "id", true, NULL);
    CHECK (ok != NULL, "systemd scope name of 248 bytes accepted");
    free (ok);
    free (big);
  }

  char *own = NULL;
  cgroup_own_from_proc ("9:name=systemd:/sd\n4:memory:/mem/x\n0::/unified/y\n", &own, NULL);
  CHECK_STR (own, "/unified/y", "own cgroup: 0:: entry wins");
  free (own);
  own = NULL;
  cgroup_own_from_proc ("9:name=systemd:/sd\n4:memory:/mem/x\n", &own, NULL);
  CHECK_STR (own, "/sd", "own cgroup on v1: name=systemd");
  free (own);
  own = NULL;
  cgroup_own_from_proc ("4:cpu,memory:/mem/x\n", &own, NULL);
  CHECK_STR (own, "/mem/x", "own cgroup on v1 without systemd: memory");
  free (own);

  CHECK (cgroup_shares_to_weight (2) == 1, "shares 2 -> weight 1");
  CHECK (cgroup_shares_to_weight (1024) == 39, "shares 1024 -> weight 39");
  CHECK (cgroup_shares_to_weight (262144) == 10000, "shares max -> weight 10000");
  CHECK (cgroup_shares_to_weight (0) == 0, "shares 0 = unset");
  CHECK (cgroup_blkio_to_io_weight (10) == 1, "blkio 10 -> io 1");
  CHECK (cgroup_blkio_to_io_weight (500) == 4950, "blkio 500 -> io 4950");
  CHECK (cgroup_blkio_to_io_weight (1000) == 10000, "blkio 1000 -> io 10000");

  int64_t v;
  bool max;
  struct cr_error err = { 0 };
  CHECK (cgroup_swap_to_v2 (2 << 20, 1 << 20, true, &v, &max, &err) == 0 && v == 1 << 20 && !max,
         "swap.max = swap - limit");
  CHECK (cgroup_swap_to_v2 (-1, 1 << 20, true, &v, &max, &err) == 0 && max, "swap -1 -> max");
  CHECK (cgroup_swap_to_v2 (0, -1, true, &v, &max, &err) == 0 && max, "limit -1 without swap -> swap max");
  CHECK (cgroup_swap_to_v2 (0, 1 << 20, true, &v, &max, &err) == 0 && !max && v == 0, "swap 0 = unset");
  CHECK (cgroup_swap_to_v2 (1 << 10, 1 << 20, true, &v, &max, &err) < 0, "swap below limit refused");
  CHECK (cgroup_swap_to_v2 (1 << 20, 0, false, &v, &max, &err) < 0, "swap without limit refused");

  char buf[64];
  struct spec_device_cgroup d1 = DEV (true, "c", 1, 3, "rw");
  cgroup_device_rule_string (&d1, buf, sizeof buf);
  CHECK_STR (buf, "c 1:3 rw", "v1 device rule string");
  struct spec_device_cgroup d2 = DEV (false, NULL, -1, -1, NULL);
  cgroup_device_rule_string (&d2, buf, sizeof buf);
  CHECK_STR (buf, "a *:* rwm", "v1 wildcard device rule string");

  /* BPF device filter against the in-order reference. */
  struct spec_device_cgroup runc_like[] = {
    DEV (false, "a", -1, -1, "rwm"), DEV (true, "c", 1, 3, "rwm"), DEV (true, "c", 1, 5, "rwm"),
    DEV (true, "c", 136, -1, "rwm"), DEV (false, "c", 1, 5, "w"),  DEV (true, "b", 2, -1, "r"),
  };
  CHECK (bpf_matches_reference (runc_like, ARRAY_SIZE (runc_like)), "bpf: runc-like list equals in-order rules");
  struct spec_device_cgroup allow_then_deny[] = {
    DEV (true, "a", -1, -1, "rwm"),
    DEV (false, "c", 1, 3, "r"),
    DEV (false, "b", -1, 4, "m"),
  };
  CHECK (bpf_matches_reference (allow_then_deny, ARRAY_SIZE (allow_then_deny)), "bpf: allow-all then denies");
  struct spec_device_cgroup interleaved[] = {
    DEV (true, "c", -1, -1, "rw"), DEV (false, "c", 1, -1, "w"), DEV (true, "c", 1, 2, "rwm"),
    DEV (false, NULL, -1, 2, "r"), DEV (true, "b", 3, 1, "w"),
  };
  CHECK (bpf_matches_reference (interleaved, ARRAY_SIZE (interleaved)), "bpf: interleaved partial rules");
  CHECK (bpf_matches_reference (NULL, 0), "bpf: no rules denies everything");
  CHECK (cgroup_devices_allowed (runc_like, 6, 'c', 1, 5, BPF_DEVCG_ACC_READ)
             && !cgroup_devices_allowed (runc_like, 6, 'c', 1, 5, BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_READ)
             && !cgroup_devices_allowed (runc_like, 6, 'c', 2, 0, BPF_DEVCG_ACC_READ),
         "devices: last matching rule wins per access bit");
  struct bpf_insn *insns = NULL;
  size_t len = 0;
  cgroup_bpf_assemble (runc_like, ARRAY_SIZE (runc_like), &insns, &len, NULL);
  CHECK (len > 6 && len < 60, "bpf: program stops at the deny-all rule (%zu insns)", len);
  free (insns);
  struct spec_device_cgroup bad = DEV (true, "x", -1, -1, "rwm");
  CHECK (cgroup_bpf_assemble (&bad, 1, &insns, &len, &err) < 0 && strstr (err.msg, "devices[0].type"),
         "bpf: bad type refused: %s", err.msg);
}

/* ---- fake trees ---------------------------------------------------------- */

static void
test_fake_v2 (void)
{
  char root[] = "/tmp/cellrun-cgv2-XXXXXX";
  if (mkdtemp (root) == NULL)
    return;
  char c[4200], parent[4200];
  snprintf (parent, sizeof parent, "%s/test", root);
  snprintf (c, sizeof c, "%s/test/c1", root);
  put (root, "cgroup.controllers", "cpu memory pids io\n");
  put (root, "cgroup.subtree_control", "");
  mkdirs ("%s/test/c1", root, "");
  put (parent, "cgroup.subtree_control", "");
  static const char *const files[] = { "memory.max",   "memory.swap.max", "memory.low", "memory.high",
                                       "cpu.weight",   "cpu.max",         "pids.max",   "io.weight",
                                       "cgroup.procs", "memory.current",  "io.max" };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    put (c, files[i], "");
  put (c, "memory.current", "4096\n");

  enum cgroup_mode mode = CGROUP_MODE_V1;
  struct cr_error err = { 0 };
  CHECK (cgroup_detect_mode (root, &mode, &err) == 0 && mode == CGROUP_MODE_V2, "fake v2 tree detected as v2");

  struct spec_memory mem = { .has_limit = true,
                             .limit = 1 << 30,
                             .has_swap = true,
                             .swap = 2LL << 30,
                             .has_reservation = true,
                             .reservation = 1 << 29 };
  struct spec_cpu cpu = {
    .has_shares = true, .shares = 1024, .has_quota = true, .quota = 50000, .has_period = true, .period = 100000
  };
  struct spec_blkio io = { .has_weight = true, .weight = 500 };
  struct spec_throttle_device thr = { 8, 0, 1048576 };
  io.throttle_read_bps_device = &thr;
  io.throttle_read_bps_device_len = 1;
  struct spec_kv kv = { (char *) "memory.high", (char *) "900M" };
  struct spec_resources res = { .memory = &mem,
                                .cpu = &cpu,
                                .has_pids_limit = true,
                                .pids_limit = 100,
                                .block_io = &io,
                                .unified = &kv,
                                .unified_len = 1 };
  struct cgroup_manager *m = NULL;
  int r = cgroup_create (root, "/test/c1", &res, &m, &err);
  CHECK (r == 0, "v2 create with resources: %s", r ? err.msg : "ok");
  CHECK_STR (get (c, "memory.max"), "1073741824", "v2 memory.max");
  CHECK_STR (get (c, "memory.swap.max"), "1073741824", "v2 memory.swap.max = swap - limit");
  CHECK_STR (get (c, "memory.low"), "536870912", "v2 memory.low from reservation");
  CHECK_STR (get (c, "cpu.weight"), "39", "v2 cpu.weight from shares");
  CHECK_STR (get (c, "cpu.max"), "50000 100000", "v2 cpu.max");
  CHECK_STR (get (c, "pids.max"), "100", "v2 pids.max");
  CHECK_STR (get (c, "io.weight"), "4950", "v2 io.weight converted");
  CHECK_STR (get (c, "io.max"), "8:0 rbps=1048576", "v2 io.max throttle");
  CHECK_STR (get (c, "memory.high"), "900M", "v2 unified key written");
  CHECK_STR (get (root, "cgroup.subtree_control"), "+memory +cpu +pids +io", "v2 controllers enabled at root");
  CHECK_STR (get (parent, "cgroup.subtree_control"), "+memory +cpu +pids +io", "v2 controllers enabled in parent");
  CHECK (m && cgroup_v2_dirfd (m) >= 0, "v2 dirfd available");

  if (m)
    {
      struct spec_memory mem2 = { .has_limit = true, .limit = -1 };
      struct spec_cpu cpu2 = { .has_quota = true, .quota = -1 };
      struct spec_resources up = { .memory = &mem2, .cpu = &cpu2, .has_pids_limit = true, .pids_limit = -1 };
      r = cgroup_update (m, &up, &err);
      CHECK (r == 0, "v2 update: %s", r ? err.msg : "ok");
      CHECK_STR (get (c, "memory.max"), "max", "v2 memory -1 -> max");
      CHECK_STR (get (c, "memory.swap.max"), "max", "v2 memory -1 lifts swap too");
      CHECK_STR (get (c, "pids.max"), "max", "v2 pids -1 -> max");
      CHECK_STR (get (c, "cpu.max"), "max", "v2 quota -1 -> max (period kept)");

      struct spec_cpu cpu3 = { .has_period = true, .period = 20000 };
      put (c, "cpu.max", "30000 100000\n");
      struct spec_resources up3 = { .cpu = &cpu3 };
      cgroup_update (m, &up3, &err);
      CHECK_STR (get (c, "cpu.max"), "30000 20000", "v2 period alone keeps the quota");

      struct spec_memory mem4 = {
        .has_limit = true, .limit = 1024, .has_check_before_update = true, .check_before_update = true
      };
      struct spec_resources up4 = { .memory = &mem4 };
      r = cgroup_update (m, &up4, &err);
      CHECK (r < 0 && strstr (err.msg, "below the current usage"), "v2 checkBeforeUpdate: %s", err.msg);

      struct spec_cpu rt = { .has_realtime_runtime = true, .realtime_runtime = 1000 };
      struct spec_resources up5 = { .cpu = &rt };
      r = cgroup_update (m, &up5, &err);
      CHECK_STR (r < 0 ? err.msg : "",
                 "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2: Operation not supported",
                 "v2 realtime refused");
      struct spec_hugepage_limit hp = { (char *) "2MB", 1 << 21 };
      struct spec_resources up6 = { .hugepage_limits = &hp, .hugepage_limits_len = 1 };
      r = cgroup_update (m, &up6, &err);
      CHECK (r < 0 && strstr (err.msg, "controller hugetlb is not available"), "v2 missing controller: %s", err.msg);
      struct spec_resources up7 = { .has_net_class_id = true, .net_class_id = 1 };
      r = cgroup_update (m, &up7, &err);
      CHECK (r < 0 && strstr (err.msg, "network: not supported"), "v2 network refused: %s", err.msg);
      struct spec_kv badkv = { (char *) "../x.y", (char *) "1" };
      struct spec_resources up8 = { .unified = &badkv, .unified_len = 1 };
      r = cgroup_update (m, &up8, &err);
      CHECK (r < 0 && strstr (err.msg, "invalid key"), "v2 unified key with / refused: %s", err.msg);

      CHECK (cgroup_enter (m, 0, &err) == 0, "v2 enter writes cgroup.procs");
      pid_t *pids = NULL;
      size_t n = 0;
      char want[32];
      snprintf (want, sizeof want, "%d", (int) getpid ());
      CHECK_STR (get (c, "cgroup.procs"), want, "v2 cgroup.procs holds our pid");
      CHECK (cgroup_pids (m, &pids, &n, &err) == 0 && n == 1 && pids[0] == getpid (), "v2 pids read back");
      free (pids);
      char *json = NULL;
      CHECK (stats_json (m, &json, &err) == 0 && json && strstr (json, "\"memory\""), "v2 stats json: %s",
             json ? json : err.msg);
      free (json);
      cgroup_manager_free (m);
    }

  /* A failing create removes the directories it made, not the others. */
  struct spec_kv depth = { (char *) "cgroup.max.depth", (char *) "2" };
  struct spec_resources bad = { .unified = &depth, .unified_len = 1 };
  r = cgroup_create (root, "/new/deeper", &bad, &m, &err);
  char probe[4200];
  snprintf (probe, sizeof probe, "%s/new", root);
  CHECK (r < 0 && strstr (err.msg, "cgroup.max.depth") && access (probe, F_OK) < 0, "v2 failed create rolled back: %s",
         err.msg);
  CHECK (access (parent, F_OK) == 0, "v2 rollback left pre-existing dirs alone");
  r = cgroup_create (root, "/", NULL, &m, &err);
  CHECK (r < 0, "root cgroup refused: %s", err.msg);
  rm_rf_at (AT_FDCWD, root, NULL);
}

/* create's late manager on the fake v1 tree of test_fake_v1 (cgroup c1):
   nothing in v1 until cgroup_create_v1, which hands out the `tasks` fds. */
static void
test_fake_v1_late (const char *root, const char *pids, const char *cpu)
{
  struct cr_error err = { 0 };
  struct spec_resources res = { .has_pids_limit = true, .pids_limit = 7 };
  struct cgroup_manager *m = NULL;
  put (pids, "pids.max", "");
  put (cpu, "cgroup.procs", "");
  CHECK (cgroup_create_late (root, "c1", &res, false, &m, &err) == 0, "v1 late create: %s", err.msg);
  if (m == NULL)
    return;
  CHECK (cgroup_v1_pending (m), "v1 late: the v1 cgroups are pending");
  CHECK (cgroup_clone_target (m) == -1, "v1 late: no unified tree, no clone target");
  CHECK_STR (get (pids, "pids.max"), "", "v1 late: no limit written before cgroup_create_v1");
  int tasks[16];
  size_t n = 99;
  CHECK (cgroup_create_v1 (m, &res, tasks, 16, &n, &err) == 0, "v1 late: create_v1: %s", err.msg);
  CHECK (n == 6, "v1 late: one tasks fd per hierarchy (%zu)", n);
  CHECK (!cgroup_v1_pending (m), "v1 late: nothing pending after create_v1");
  CHECK_STR (get (pids, "pids.max"), "7", "v1 late: pids.max written by create_v1");
  for (size_t i = 0; i < n && i < 16; i++)
    {
      CHECK (write (tasks[i], "0", 1) == 1, "v1 late: tasks fd %zu writable", i);
      close (tasks[i]);
    }
  CHECK_STR (get (pids, "tasks"), "0", "v1 late: the fd is the hierarchy's tasks file");
  CHECK (cgroup_enter (m, 0, &err) == 0, "v1 late: enter after create_v1: %s", err.msg);
  CHECK_STR (get (cpu, "cgroup.procs"), "", "v1 late: cgroup_enter skips the v1 cgroups the init joined");
  size_t n2 = 99;
  CHECK (cgroup_create_v1 (m, &res, tasks, 16, &n2, &err) == 0 && n2 == 0, "v1 late: a second create_v1 is a no-op");
  cgroup_manager_free (m);
  m = NULL;
  CHECK (cgroup_create_late (root, "c1", &res, false, &m, &err) == 0, "v1 late create again: %s", err.msg);
  n2 = 99;
  CHECK (m && cgroup_create_v1 (m, &res, tasks, 2, &n2, &err) < 0 && n2 == 0 && strstr (err.msg, "more than 2"),
         "v1 late: more hierarchies than fds refused: %s", err.msg);
  cgroup_manager_free (m);
}

/* More v1 hierarchies than CGROUP_DONE carries fds for: the late manager
   makes them all at once (nothing pending), as cgroup_create would. */
static void
test_fake_v1_late_too_many (void)
{
  char root[] = "/tmp/cellrun-cgv1m-XXXXXX";
  if (mkdtemp (root) == NULL)
    return;
  for (int i = 0; i <= CGROUP_V1_LATE_MAX; i++)
    mkdirs ("%s/name=h%d", root, i);
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  CHECK (cgroup_create_late (root, "big", NULL, false, &m, &err) == 0, "many v1: late create: %s", err.msg);
  CHECK (m && !cgroup_v1_pending (m), "many v1: %d hierarchies are made at once, none left pending",
         CGROUP_V1_LATE_MAX + 1);
  char d[4200];
  snprintf (d, sizeof d, "%s/name=h%d/big", root, CGROUP_V1_LATE_MAX);
  CHECK (access (d, F_OK) == 0, "many v1: the last hierarchy has the cgroup already");
  cgroup_manager_free (m);
  rm_rf_at (AT_FDCWD, root, NULL);
}

static void
test_fake_v1 (void)
{
  char root[] = "/tmp/cellrun-cgv1-XXXXXX";
  if (mkdtemp (root) == NULL)
    return;
  static const char *const hier[] = { "memory", "cpu,cpuacct", "pids", "blkio", "devices", "systemd" };
  for (size_t i = 0; i < ARRAY_SIZE (hier); i++)
    {
      mkdirs ("%s/%s/c1", root, hier[i]);
      char d[4200];
      snprintf (d, sizeof d, "%s/%s/c1", root, hier[i]);
      put (d, "cgroup.procs", "");
      put (d, "tasks", "");
    }
  char link[4200];
  snprintf (link, sizeof link, "%s/cpu", root);
  symlink ("cpu,cpuacct", link);
  char mem[4200], cpu[4200], pids[4200], blk[4200], dev[4200];
  snprintf (mem, sizeof mem, "%s/memory/c1", root);
  snprintf (cpu, sizeof cpu, "%s/cpu,cpuacct/c1", root);
  snprintf (pids, sizeof pids, "%s/pids/c1", root);
  snprintf (blk, sizeof blk, "%s/blkio/c1", root);
  snprintf (dev, sizeof dev, "%s/devices/c1", root);
  put (mem, "memory.limit_in_bytes", "");
  put (mem, "memory.memsw.limit_in_bytes", "");
  put (mem, "memory.swappiness", "");
  put (cpu, "cpu.shares", "");
  put (cpu, "cpu.cfs_quota_us", "");
  put (cpu, "cpu.cfs_period_us", "");
  put (pids, "pids.max", "");
  put (blk, "blkio.weight", "");
  put (dev, "devices.allow", "");
  put (dev, "devices.deny", "");

  enum cgroup_mode mode = CGROUP_MODE_V2;
  struct cr_error err = { 0 };
  CHECK (cgroup_detect_mode (root, &mode, &err) == 0 && mode == CGROUP_MODE_V1, "fake v1 tree detected as v1");
  struct spec_memory m1 = {
    .has_limit = true, .limit = 1 << 30, .has_swap = true, .swap = 2LL << 30, .has_swappiness = true, .swappiness = 10
  };
  struct spec_cpu c1 = {
    .has_shares = true, .shares = 512, .has_quota = true, .quota = 50000, .has_period = true, .period = 100000
  };
  struct spec_blkio io = { .has_weight = true, .weight = 300 };
  struct spec_device_cgroup devs[] = { DEV (false, "a", -1, -1, "rwm"), DEV (true, "c", 1, 3, "rwm"),
                                       DEV (true, "c", 1, 5, "r") };
  struct spec_resources res = { .memory = &m1,
                                .cpu = &c1,
                                .has_pids_limit = true,
                                .pids_limit = 0,
                                .block_io = &io,
                                .devices = devs,
                                .devices_len = 3 };
  struct cgroup_manager *m = NULL;
  int r = cgroup_create (root, "c1", &res, &m, &err);
  CHECK (r == 0, "v1 create with resources: %s", r ? err.msg : "ok");
  CHECK_STR (get (mem, "memory.limit_in_bytes"), "1073741824", "v1 memory.limit_in_bytes");
  CHECK_STR (get (mem, "memory.memsw.limit_in_bytes"), "2147483648", "v1 memsw = spec swap");
  CHECK_STR (get (mem, "memory.swappiness"), "10", "v1 swappiness");
  CHECK_STR (get (cpu, "cpu.shares"), "512", "v1 cpu.shares via cpu,cpuacct");
  CHECK_STR (get (cpu, "cpu.cfs_quota_us"), "50000", "v1 quota");
  CHECK_STR (get (cpu, "cpu.cfs_period_us"), "100000", "v1 period");
  CHECK_STR (get (pids, "pids.max"), "max", "v1 pids 0 -> max");
  CHECK_STR (get (blk, "blkio.weight"), "300", "v1 blkio.weight");
  CHECK_STR (get (dev, "devices.deny"), "a", "v1 devices start from deny-all");
  CHECK_STR (get (dev, "devices.allow"), "c 1:5 r", "v1 devices rules written in order (last one kept)");
  if (m)
    {
      struct spec_kv kv = { (char *) "memory.high", (char *) "1" };
      struct spec_resources up = { .unified = &kv, .unified_len = 1 };
      r = cgroup_update (m, &up, &err);
      CHECK (r < 0 && strstr (err.msg, "unified: needs cgroup v2"), "v1 unified refused: %s", err.msg);
      struct spec_hugepage_limit hp = { (char *) "2MB", 1 << 21 };
      struct spec_resources up2 = { .hugepage_limits = &hp, .hugepage_limits_len = 1 };
      r = cgroup_update (m, &up2, &err);
      CHECK (r < 0 && strstr (err.msg, "controller hugetlb is not mounted"), "v1 missing controller: %s", err.msg);
      struct spec_memory m3 = { .has_swappiness = true, .swappiness = 200 };
      struct spec_resources up3 = { .memory = &m3 };
      r = cgroup_update (m, &up3, &err);
      CHECK (r < 0 && strstr (err.msg, "swappiness"), "v1 swappiness > 100 refused: %s", err.msg);
      CHECK (cgroup_v2_dirfd (m) == -1, "v1 has no v2 dirfd");
      CHECK (cgroup_clone_target (m) == -1, "v1: no clone target");
      CHECK (cgroup_enter (m, 0, &err) == 0, "v1 enter every hierarchy");
      char want[32];
      snprintf (want, sizeof want, "%d", (int) getpid ());
      CHECK_STR (get (cpu, "cgroup.procs"), want, "v1 cgroup.procs written");
      cgroup_manager_free (m);
    }
  test_fake_v1_late (root, pids, cpu);
  rm_rf_at (AT_FDCWD, root, NULL);
}

static void
test_fake_hybrid (void)
{
  char root[] = "/tmp/cellrun-cghy-XXXXXX";
  if (mkdtemp (root) == NULL)
    return;
  char uni[4200], mem[4200];
  mkdirs ("%s/unified/%s", root, "");
  mkdirs ("%s/memory/%s", root, "");
  snprintf (uni, sizeof uni, "%s/unified", root);
  put (uni, "cgroup.controllers", "");
  enum cgroup_mode mode = CGROUP_MODE_V1;
  struct cr_error err = { 0 };
  CHECK (cgroup_detect_mode (root, &mode, &err) == 0 && mode == CGROUP_MODE_HYBRID, "fake hybrid tree detected");
  struct cgroup_manager *m = NULL;
  int r = cgroup_create (root, "/h1", NULL, &m, &err);
  snprintf (uni, sizeof uni, "%s/unified/h1", root);
  snprintf (mem, sizeof mem, "%s/memory/h1", root);
  CHECK (r == 0 && access (uni, F_OK) == 0 && access (mem, F_OK) == 0, "hybrid create makes v1 and unified dirs");
  if (m)
    {
      put (uni, "memory.high", "");
      put (mem, "memory.limit_in_bytes", "");
      struct spec_kv kv = { (char *) "memory.high", (char *) "5M" };
      struct spec_memory lim = { .has_limit = true, .limit = 1 << 20 };
      struct spec_resources up = { .memory = &lim, .unified = &kv, .unified_len = 1 };
      r = cgroup_update (m, &up, &err);
      CHECK (r == 0, "hybrid update: %s", r ? err.msg : "ok");
      CHECK_STR (get (uni, "memory.high"), "5M", "hybrid unified key goes to the unified cgroup");
      CHECK_STR (get (mem, "memory.limit_in_bytes"), "1048576", "hybrid typed limits go to v1");
      CHECK (cgroup_v2_dirfd (m) >= 0, "hybrid exposes the unified dirfd");
      cgroup_manager_free (m);
    }
  rm_rf_at (AT_FDCWD, root, NULL);
}

/* cgroup_create_needed (what `cellrun sandbox` uses): on a hybrid host only
   the v1 hierarchies the resources write to, plus the unified tree; the
   others (freezer, cpu,cpuacct without a cpu limit, name=systemd) get no
   directory, and destroy still removes everything. */
static void
test_fake_hybrid_needed (void)
{
  char root[] = "/tmp/cellrun-cgnd-XXXXXX";
  if (mkdtemp (root) == NULL)
    return;
  static const char *const dirs[] = { "memory", "pids", "freezer", "cpu,cpuacct", "systemd", "devices" };
  char d[4200];
  mkdirs ("%s/unified/%s", root, "");
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      snprintf (d, sizeof d, "%s/%s", root, dirs[i]);
      mkdirs ("%s/%s", d, "");
    }
  snprintf (d, sizeof d, "%s/unified", root);
  put (d, "cgroup.controllers", "");
  /* The files the limits are written to (a real cgroupfs makes them). */
  mkdirs ("%s/memory/%s", root, "n1");
  mkdirs ("%s/pids/%s", root, "n1");
  snprintf (d, sizeof d, "%s/memory/n1", root);
  put (d, "memory.limit_in_bytes", "");
  snprintf (d, sizeof d, "%s/pids/n1", root);
  put (d, "pids.max", "");
  struct spec_memory mem = { .has_limit = true, .limit = 1 << 20 };
  struct spec_resources res = { .memory = &mem, .has_pids_limit = true, .pids_limit = 7 };
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  int r = cgroup_create_needed (root, "/n1", &res, &m, &err);
  CHECK (r == 0, "hybrid create_needed: %s", r ? err.msg : "ok");
  bool made[ARRAY_SIZE (dirs)];
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      snprintf (d, sizeof d, "%s/%s/n1", root, dirs[i]);
      made[i] = access (d, F_OK) == 0;
    }
  snprintf (d, sizeof d, "%s/unified/n1", root);
  CHECK (made[0] && made[1] && access (d, F_OK) == 0, "memory, pids and unified have the cgroup");
  CHECK (!made[2] && !made[3] && !made[4] && !made[5], "freezer, cpu,cpuacct, systemd and devices do not");
  snprintf (d, sizeof d, "%s/pids/n1", root);
  CHECK_STR (get (d, "pids.max"), "7", "the pids limit is written");
  CHECK (cgroup_v1_needed (&res, "memory") && cgroup_v1_needed (&res, "pids") && !cgroup_v1_needed (&res, "cpu")
             && !cgroup_v1_needed (&res, "freezer") && !cgroup_v1_needed (NULL, "memory"),
         "cgroup_v1_needed follows the resources");
  struct spec_cpu cpu = { .has_quota = true, .quota = 50000 }, cpuset = { .cpus = (char *) "0" };
  struct spec_resources with_cpu = { .cpu = &cpu }, with_cpuset = { .cpu = &cpuset };
  CHECK (cgroup_v1_needed (&with_cpu, "cpu") && !cgroup_v1_needed (&with_cpu, "cpuset")
             && cgroup_v1_needed (&with_cpuset, "cpuset") && !cgroup_v1_needed (&with_cpuset, "cpu"),
         "a quota needs cpu, a cpu list cpuset");
  /* A real cgroupfs removes its files with the directory; here they go first. */
  snprintf (d, sizeof d, "%s/memory/n1/memory.limit_in_bytes", root);
  unlink (d);
  snprintf (d, sizeof d, "%s/pids/n1/pids.max", root);
  unlink (d);
  if (m)
    {
      CHECK (cgroup_destroy (m, &err) == 0, "destroy with hierarchies left out: %s", err.msg);
      cgroup_manager_free (m);
    }
  snprintf (d, sizeof d, "%s/memory/n1", root);
  CHECK (access (d, F_OK) != 0, "destroy removed the cgroup");
  /* cgroup_open_existing (the sandbox after its run): the hierarchies
     without the cgroup are left out, destroy does not try them. */
  mkdirs ("%s/memory/%s", root, "n1");
  mkdirs ("%s/unified/%s", root, "n1");
  m = NULL;
  CHECK (cgroup_open_existing (root, "/n1", &m, &err) == 0 && m, "open_existing: %s", err.msg);
  CHECK (cgroup_manager_is (m, "/n1") && cgroup_manager_is (m, "n1/") && !cgroup_manager_is (m, "/n2")
             && !cgroup_manager_is (NULL, "/n1"),
         "cgroup_manager_is compares the cleaned path");
  mkdirs ("%s/freezer/%s", root, "n1"); /* made behind its back: not its to remove */
  if (m)
    {
      CHECK (cgroup_destroy (m, &err) == 0, "destroy of an open_existing manager: %s", err.msg);
      cgroup_manager_free (m);
    }
  snprintf (d, sizeof d, "%s/memory/n1", root);
  CHECK (access (d, F_OK) != 0, "open_existing: destroy removed the memory cgroup");
  snprintf (d, sizeof d, "%s/unified/n1", root);
  CHECK (access (d, F_OK) != 0, "open_existing: destroy removed the unified cgroup");
  snprintf (d, sizeof d, "%s/freezer/n1", root);
  CHECK (access (d, F_OK) == 0, "open_existing: destroy did not try the freezer hierarchy it had not found");
  rm_rf_at (AT_FDCWD, root, NULL);
}

/* ---- backend table and stats rendering ---------------------------------- */

/* The facade picks one backend per mode; hybrid composes the freezers (v1
   when a freezer hierarchy is mounted, else the unified cgroup.freeze). */
static void
test_fake_backends (void)
{
  char root[] = "/tmp/cellrun-cgbk-XXXXXX";
  if (mkdtemp (root) == NULL)
    return;
  char uni[4200], fz[4200];
  mkdirs ("%s/unified/%s", root, "b1");
  mkdirs ("%s/memory/%s", root, "b1");
  snprintf (uni, sizeof uni, "%s/unified", root);
  put (uni, "cgroup.controllers", "");
  snprintf (uni, sizeof uni, "%s/unified/b1", root);
  put (uni, "cgroup.freeze", "");
  put (uni, "cgroup.events", "populated 0\nfrozen 1\n");
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  bool frozen = false;
  CHECK (cgroup_open (root, "/b1", &m, &err) == 0 && m->ops == &cgroup_backend_hybrid, "hybrid root: hybrid backend");
  CHECK (m && cgroup_is_frozen (m, &frozen, &err) == 0 && frozen, "hybrid without v1 freezer reads cgroup.events: %s",
         err.msg);
  cgroup_manager_free (m);
  mkdirs ("%s/freezer/%s", root, "b1");
  snprintf (fz, sizeof fz, "%s/freezer/b1", root);
  put (fz, "freezer.state", "THAWED");
  m = NULL;
  CHECK (cgroup_open (root, "/b1", &m, &err) == 0 && m && cgroup_is_frozen (m, &frozen, &err) == 0 && !frozen,
         "hybrid with a v1 freezer asks the v1 freezer first");
  cgroup_manager_free (m);

  /* The same tree without "unified" is v1: no v2 fallback, no unified keys. */
  char cmd[4200];
  snprintf (cmd, sizeof cmd, "%s/unified", root);
  rm_rf_at (AT_FDCWD, cmd, NULL);
  m = NULL;
  CHECK (cgroup_open (root, "/b1", &m, &err) == 0 && m->ops == &cgroup_backend_v1, "v1 root: v1 backend");
  struct spec_kv kv = { (char *) "memory.high", (char *) "5M" };
  struct spec_resources up = { .unified = &kv, .unified_len = 1 };
  CHECK (m && cgroup_update (m, &up, &err) < 0 && strstr (err.msg, "unified: needs cgroup v2"),
         "v1 backend refuses unified keys: %s", err.msg);
  cgroup_manager_free (m);
  rm_rf_at (AT_FDCWD, root, NULL);

  char v2[] = "/tmp/cellrun-cgb2-XXXXXX";
  if (mkdtemp (v2) == NULL)
    return;
  put (v2, "cgroup.controllers", "");
  mkdirs ("%s/%s", v2, "b2");
  m = NULL;
  CHECK (cgroup_open (v2, "/b2", &m, &err) == 0 && m->ops == &cgroup_backend_v2, "v2 root: v2 backend");
  CHECK (m && cgroup_freeze (m, true, &err) < 0 && err.code == ENOTSUP, "v2 without cgroup.freeze: %s", err.msg);
  cgroup_manager_free (m);
  rm_rf_at (AT_FDCWD, v2, NULL);
}

/* The stats JSON keeps runc's events shape, key order and "max" -> 0. */
static void
test_stats_render (void)
{
  struct oci_stats s = { 0 };
  s.cpu_total = (struct oci_stat){ true, 5 };
  s.cpu_kernel = (struct oci_stat){ true, 2 };
  s.has_memory_usage = true;
  s.mem_usage = (struct oci_stat){ true, 10 };
  s.mem_limit = (struct oci_stat){ true, UINT64_MAX };
  s.has_memory_raw = true;
  oci_stats_add_raw (&s, "cache", 7);
  s.pids_current = (struct oci_stat){ true, 3 };
  oci_stats_add_blkio (&s.io_bytes, &s.io_bytes_len, 8, 0, "Read", 9);
  oci_stats_add_hugetlb (&s, "2MB")->usage = (struct oci_stat){ true, 1 };
  char *json = oci_stats_to_json (&s);
  CHECK_STR (
      json,
      "{\"cpu\":{\"usage\":{\"total\":5,\"kernel\":2}},\"memory\":{\"usage\":{\"usage\":10,\"limit\":0},"
      "\"raw\":{\"cache\":7}},\"pids\":{\"current\":3},\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,"
      "\"minor\":0,\"op\":\"Read\",\"value\":9}],\"ioServicedRecursive\":[]},\"hugetlb\":{\"2MB\":{\"usage\":1}}}",
      "stats JSON shape");
  free (json);
  oci_stats_clear (&s);
  s.has_swap = true;
  json = oci_stats_to_json (&s);
  CHECK (strstr (json, "\"memory\":{\"swap\":{}}") != NULL, "swap object only when set: %s", json);
  free (json);
}

/* ---- real hierarchies (root only) ---------------------------------------- */

static pid_t
spawn_sleeper (int *wfd)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      char c;
      close (p[1]);
      /* Wait for the parent's go (or its death), then exit by signal only. */
      while (read (p[0], &c, 1) > 0)
        ;
      pause ();
      _exit (0);
    }
  close (p[0]);
  *wfd = p[1];
  return pid;
}

static long
elapsed_us (struct timespec *a)
{
  struct timespec b;
  clock_gettime (CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000000L + (b.tv_nsec - a->tv_nsec) / 1000;
}

static void
real_lifecycle (const char *root, const char *label, const char *path)
{
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  int r = cgroup_create (root, path, NULL, &m, &err);
  CHECK (r == 0, "%s: create %s: %s", label, path, r ? err.msg : "ok");
  if (r < 0)
    return;
  int wfd = -1;
  pid_t child = spawn_sleeper (&wfd);
  r = cgroup_enter (m, child, &err);
  CHECK (r == 0, "%s: enter child: %s", label, r ? err.msg : "ok");
  pid_t *pids = NULL;
  size_t n = 0;
  r = cgroup_pids (m, &pids, &n, &err);
  CHECK (r == 0 && n == 1 && pids[0] == child, "%s: pids lists the child (%zu)", label, n);
  free (pids);
  bool frozen = false;
  r = cgroup_freeze (m, true, &err);
  CHECK (r == 0 && cgroup_is_frozen (m, &frozen, &err) == 0 && frozen, "%s: frozen: %s", label, r ? err.msg : "ok");
  r = cgroup_freeze (m, false, &err);
  CHECK (r == 0 && cgroup_is_frozen (m, &frozen, &err) == 0 && !frozen, "%s: thawed: %s", label, r ? err.msg : "ok");
  char *json = NULL;
  CHECK (stats_json (m, &json, &err) == 0 && json && strstr (json, "\"pids\""), "%s: stats %s", label,
         json ? json : err.msg);
  free (json);
  r = cgroup_kill_all (m, SIGKILL, &err);
  int status = 0;
  pid_t w = waitpid (child, &status, 0);
  CHECK (r == 0 && w == child && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "%s: kill_all: %s", label,
         r ? err.msg : "ok");
  close (wfd);
  r = cgroup_destroy (m, &err);
  CHECK (r == 0, "%s: destroy: %s", label, r ? err.msg : "ok");
  cgroup_manager_free (m);
  r = cgroup_open (root, path, &m, &err);
  CHECK (r == 0 && m && (m->unified.rootfd < 0 || m->unified.fd < 0), "%s: nothing left (unified)", label);
  bool left = false;
  for (size_t i = 0; m && i < m->v1_len; i++)
    left |= m->v1[i].fd >= 0;
  CHECK (!left, "%s: nothing left (v1)", label);
  if (m)
    {
      cgroup_destroy (m, &err);
      cgroup_manager_free (m);
    }
}

static void
real_v1_resources (const char *root, const char *path)
{
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  struct spec_memory mem = { .has_limit = true, .limit = 64 << 20 };
  struct spec_device_cgroup devs[] = { DEV (false, "a", -1, -1, "rwm"), DEV (true, "c", 1, 3, "rwm") };
  struct spec_resources res = {
    .memory = &mem, .has_pids_limit = true, .pids_limit = 10, .devices = devs, .devices_len = 2
  };
  int r = cgroup_create (root, path, &res, &m, &err);
  CHECK (r == 0, "real v1: create with memory/pids/devices: %s", r ? err.msg : "ok");
  char dir[4200];
  snprintf (dir, sizeof dir, "%s/memory%s", root, path);
  CHECK_STR (get (dir, "memory.limit_in_bytes"), "67108864", "real v1: memory.limit_in_bytes");
  snprintf (dir, sizeof dir, "%s/devices%s", root, path);
  CHECK_STR (get (dir, "devices.list"), "c 1:3 rwm", "real v1: devices.list after deny-all + allow");
  if (m)
    {
      cgroup_destroy (m, &err);
      cgroup_manager_free (m);
    }
  /* The kernel refuses a 500us quota (minimum 1ms): named error, rollback. */
  struct spec_cpu cpu = { .has_quota = true, .quota = 500 };
  struct spec_resources bad = { .cpu = &cpu };
  r = cgroup_create (root, path, &bad, &m, &err);
  snprintf (dir, sizeof dir, "%s/cpu%s", root, path);
  CHECK (r < 0 && strcmp (err.msg, "cgroup cpu.cfs_quota_us: Invalid argument") == 0 && access (dir, F_OK) < 0,
         "real v1: kernel error named, create rolled back: %s", err.msg);
}

/* create + enter + destroy per container, as `cellrun run` pays them. The
   child is parked in a holding cgroup of ours between rounds, so nothing
   ever writes to the host's root cgroup. */
static void
real_timing (const char *root, const char *label, const char *path, const char *hold_path)
{
  enum
  {
    N = 50
  };
  struct cr_error err = { 0 };
  long t_create = 0, t_enter = 0, t_destroy = 0;
  struct cgroup_manager *hold = NULL;
  if (cgroup_create (root, hold_path, NULL, &hold, &err) < 0)
    {
      CHECK (0, "%s: holding cgroup: %s", label, err.msg);
      return;
    }
  int wfd = -1;
  pid_t child = spawn_sleeper (&wfd);
  int done = 0;
  for (int i = 0; i < N; i++)
    {
      struct cgroup_manager *m = NULL;
      struct timespec t;
      clock_gettime (CLOCK_MONOTONIC, &t);
      if (cgroup_create (root, path, NULL, &m, &err) < 0)
        break;
      t_create += elapsed_us (&t);
      clock_gettime (CLOCK_MONOTONIC, &t);
      int r = cgroup_enter (m, child, &err);
      t_enter += elapsed_us (&t);
      if (r == 0)
        r = cgroup_enter (hold, child, &err);
      clock_gettime (CLOCK_MONOTONIC, &t);
      int d = cgroup_destroy (m, &err);
      t_destroy += elapsed_us (&t);
      cgroup_manager_free (m);
      if (r < 0 || d < 0)
        break;
      done++;
    }
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  close (wfd);
  cgroup_destroy (hold, &err);
  cgroup_manager_free (hold);
  CHECK (done == N, "%s: timing loop completed (%d/%d): %s", label, done, N, done == N ? "ok" : err.msg);
  if (done)
    printf ("# %s timing over %d runs: create %ld us, enter %ld us, destroy %ld us (per container)\n", label, done,
            t_create / done, t_enter / done, t_destroy / done);
}

static void
real_v2_devices (const char *root, const char *path)
{
  struct cr_error err = { 0 };
  struct cgroup_manager *m = NULL;
  struct spec_device_cgroup devs[] = { DEV (false, "a", -1, -1, "rwm"), DEV (true, "c", 1, 3, "rwm"),
                                       DEV (true, "c", 1, 5, "rwm"), DEV (false, "c", 1, 5, "w") };
  struct spec_resources res = { .devices = devs, .devices_len = 4 };
  int r = cgroup_create (root, path, &res, &m, &err);
  CHECK (r == 0, "cgroup2 mount: BPF device filter attached: %s", r ? err.msg : "ok");
  if (r < 0)
    return;
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return;
  pid_t child = fork ();
  if (child == 0)
    {
      char c;
      close (p[1]);
      if (read (p[0], &c, 1) != 1)
        _exit (99);
      int bits = 0;
      int fd = open ("/dev/null", O_RDWR);
      bits |= fd >= 0 ? 1 : 0;
      fd = open ("/dev/zero", O_RDONLY);
      bits |= fd >= 0 ? 2 : 0;
      fd = open ("/dev/zero", O_WRONLY);
      bits |= fd < 0 && errno == EPERM ? 4 : 0;
      fd = open ("/dev/full", O_RDONLY);
      bits |= fd < 0 && errno == EPERM ? 8 : 0;
      _exit (bits);
    }
  close (p[0]);
  r = cgroup_enter (m, child, &err);
  CHECK (r == 0, "cgroup2 mount: enter: %s", r ? err.msg : "ok");
  write (p[1], "x", 1);
  close (p[1]);
  int status = 0;
  waitpid (child, &status, 0);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 15,
         "cgroup2 mount: /dev/null rw ok, /dev/zero r ok w denied, /dev/full denied (got %d)",
         WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  struct spec_device_cgroup all[] = { DEV (true, "a", -1, -1, "rwm") };
  struct spec_resources up = { .devices = all, .devices_len = 1 };
  r = cgroup_update (m, &up, &err);
  CHECK (r == 0, "cgroup2 mount: device filter replaced on update: %s", r ? err.msg : "ok");
  r = cgroup_destroy (m, &err);
  CHECK (r == 0, "cgroup2 mount: destroy: %s", r ? err.msg : "ok");
  cgroup_manager_free (m);
}

static void
test_real (void)
{
  struct statfs st;
  if (geteuid () != 0 || statfs ("/sys/fs/cgroup", &st) < 0)
    {
      unit_count++;
      printf ("ok %d # skip real cgroup tests need root and /sys/fs/cgroup\n", unit_count);
      return;
    }
  char path[64], path2[64];
  snprintf (path, sizeof path, "/cellrun-test-%d", (int) getpid ());
  snprintf (path2, sizeof path2, "/cellrun-test-%d-b", (int) getpid ());
  enum cgroup_mode mode;
  struct cr_error err = { 0 };
  CHECK (cgroup_detect_mode ("/sys/fs/cgroup", &mode, &err) == 0, "host mode detected: %s",
         mode == CGROUP_MODE_V1   ? "v1"
         : mode == CGROUP_MODE_V2 ? "v2"
                                  : "hybrid");
  real_lifecycle ("/sys/fs/cgroup", "host", path);
  if (mode != CGROUP_MODE_V2)
    real_v1_resources ("/sys/fs/cgroup", path2);
  real_timing ("/sys/fs/cgroup", "host", path, path2);

  char mnt[] = "/tmp/cellrun-cg2mnt-XXXXXX";
  if (mkdtemp (mnt) == NULL)
    return;
  if (mount ("none", mnt, "cgroup2", 0, NULL) < 0)
    {
      unit_count++;
      printf ("ok %d # skip cannot mount cgroup2: %s\n", unit_count, strerror (errno));
      rmdir (mnt);
      return;
    }
  CHECK (cgroup_detect_mode (mnt, &mode, &err) == 0 && mode == CGROUP_MODE_V2, "own cgroup2 mount is v2");
  real_lifecycle (mnt, "cgroup2 mount", path);
  real_v2_devices (mnt, path2);
  real_timing (mnt, "cgroup2 mount", path, path2);

  /* Whatever failed above, leave nothing behind. */
  struct cgroup_manager *m = NULL;
  if (cgroup_open (mnt, path2, &m, &err) == 0)
    {
      cgroup_destroy (m, &err);
      cgroup_manager_free (m);
    }
  umount2 (mnt, MNT_DETACH);
  rmdir (mnt);
}

static void
cleanup_real (void)
{
  if (geteuid () != 0)
    return;
  char path[64];
  struct cr_error err;
  for (int k = 0; k < 2; k++)
    {
      snprintf (path, sizeof path, k ? "/cellrun-test-%d-b" : "/cellrun-test-%d", (int) getpid ());
      struct cgroup_manager *m = NULL;
      if (cgroup_open ("/sys/fs/cgroup", path, &m, &err) == 0)
        {
          cgroup_kill_all (m, SIGKILL, &err);
          cgroup_destroy (m, &err);
          cgroup_manager_free (m);
        }
    }
}

int
main (void)
{
  test_logic ();
  test_fake_v2 ();
  test_fake_v1 ();
  test_fake_v1_late_too_many ();
  test_fake_hybrid ();
  test_fake_hybrid_needed ();
  test_fake_backends ();
  test_stats_render ();
  test_real ();
  cleanup_real ();
  return UNIT_DONE ();
}
