/* Profile layer: every row of the translation table in docs/profiles.md,
   profile selection, env pass-through, the writable allowlist, the overlay
   workspace mount, the operator floor over a bundle's writable binds
   (strict_bundle_binds) and capability names compared the same way in the
   profile's sets as in exec's ceiling (caps_name_equal). Workspace parsing
   and diff/commit on the filesystem are tests/unit/test_workspace.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/capnames.h"
#include "policy/config_file.h"
#include "policy/envpass.h"
#include "policy/profile.h"
#include "linux/seccomp_filter.h"
#include "unit.h"
#include "base/utils.h"
#include "linux/workspace_fs.h"
#include "policy/workspace.h"

static const char *base_json =
    "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
    "\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"env\":[\"PATH=/bin\",\"HOME=/"
    "root\"],"
    "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\",\"CAP_KILL\"],\"effective\":[\"CAP_CHOWN\","
    "\"CAP_SYS_ADMIN\"],\"permitted\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"],\"inheritable\":[],\"ambient\":[\"CAP_NET_"
    "ADMIN\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024},{\"type\":\"RLIMIT_CORE\",\"hard\":99,"
    "\"soft\":99}]},"
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"size=65536k\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"rw\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"rw\"]},"
    "{\"destination\":\"/tmp/sub\",\"type\":\"bind\",\"source\":\"/srv\",\"options\":[\"rbind\"]}],"
    "\"annotations\":{%s},"
    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/var/run/netns/pod\"}],"
    "\"maskedPaths\":[\"/proc/custom\"],\"readonlyPaths\":[\"/proc/sys\"]%s}}";

static struct spec *
make_spec (const char *annotations, const char *linux_extra)
{
  _cleanup_free_ char *json = NULL;
  xasprintf (&json, base_json, annotations ? annotations : "", linux_extra ? linux_extra : "");
  struct cr_error err = { 0 };
  struct spec *s = spec_parse_data (json, strlen (json), &err);
  if (s == NULL)
    {
      printf ("# spec_parse_data: %s\n", err.msg);
      abort ();
    }
  return s;
}

static const struct spec_mount *
find_mount (const struct spec *s, const char *dest, size_t *idx)
{
  const struct spec_mount *found = NULL;
  for (size_t i = 0; i < s->mounts_len; i++)
    if (strcmp (s->mounts[i].destination, dest) == 0)
      {
        found = &s->mounts[i];
        if (idx)
          *idx = i;
      }
  return found;
}

static bool
has_opt (const struct spec_mount *m, const char *o)
{
  for (size_t i = 0; m && m->options && m->options[i]; i++)
    if (strcmp (m->options[i], o) == 0)
      return true;
  return false;
}

static const struct spec_namespace *
find_ns (const struct spec *s, const char *type)
{
  for (size_t i = 0; i < s->linux->namespaces_len; i++)
    if (strcmp (s->linux->namespaces[i].type, type) == 0)
      return &s->linux->namespaces[i];
  return NULL;
}

static bool
filter_names (const struct spec_seccomp *f, const char *name)
{
  for (size_t i = 0; f && i < f->syscalls_len; i++)
    if (strv_has (f->syscalls[i].names, name))
      return true;
  return false;
}

/* An unconditional EPERM rule for NAME. */
static bool
filter_denies_plain (const struct spec_seccomp *f, const char *name)
{
  for (size_t i = 0; f && i < f->syscalls_len; i++)
    if (f->syscalls[i].args_len == 0 && strv_has (f->syscalls[i].names, name))
      return f->syscalls[i].errno_ret == EPERM;
  return false;
}

static int
apply (const struct spec *in, const struct profile_request *req, const struct cellrun_config *cfg, char *const *env,
       struct spec **out, struct profile_result *res, struct cr_error *err)
{
  cr_error_clear (err);
  return profile_apply (in, req, cfg, env, out, res, err);
}

static void
test_strict (void)
{
  struct spec *in = make_spec (NULL, NULL);
  struct profile_request req = { .operator_profile = "strict",
                                 .operator_source = "--profile",
                                 .workspace = "/tmp:/tmp/ws:ro" };
  struct spec *out = NULL;
  struct profile_result res;
  struct cr_error err = { 0 };
  int r = apply (in, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0, "strict: profile_apply succeeds (%s)", err.msg);
  if (r < 0)
    return;
  CHECK_STR (res.profile, "strict", "strict: result names the profile");
  const char *ns[] = { "pid", "ipc", "uts", "mount", "cgroup", "network" };
  for (size_t i = 0; i < ARRAY_SIZE (ns); i++)
    CHECK (find_ns (out, ns[i]) != NULL, "strict: %s namespace present", ns[i]);
  CHECK (find_ns (out, "network") && find_ns (out, "network")->path
             && strcmp (find_ns (out, "network")->path, "/var/run/netns/pod") == 0,
         "strict: bundle's netns path (pod) kept");
  struct spec_capabilities *c = out->process->capabilities;
  CHECK (c->bounding && !c->bounding[0] && c->effective && !c->effective[0] && c->permitted && !c->permitted[0]
             && c->inheritable && !c->inheritable[0] && c->ambient && !c->ambient[0],
         "strict: all five capability sets empty (non-NULL)");
  CHECK (out->process->no_new_privileges, "strict: noNewPrivileges");
  CHECK (out->root->readonly, "strict: read-only root");
  size_t itmp = 0, ishm = 0, idev = 0, iws = 0, isub = 0;
  const char *tmps[] = { "/tmp", "/var/tmp", "/dev/shm" };
  for (size_t i = 0; i < ARRAY_SIZE (tmps); i++)
    {
      const struct spec_mount *m = find_mount (out, tmps[i], NULL);
      CHECK (m && strcmp (m->type, "tmpfs") == 0 && has_opt (m, "nosuid") && has_opt (m, "nodev")
                 && has_opt (m, "mode=1777"),
             "strict: private tmpfs at %s with nosuid,nodev", tmps[i]);
    }
  find_mount (out, "/tmp", &itmp);
  find_mount (out, "/dev/shm", &ishm);
  find_mount (out, "/dev", &idev);
  find_mount (out, "/tmp/sub", &isub);
  const struct spec_mount *ws = find_mount (out, "/tmp/ws", &iws);
  CHECK (!has_opt (find_mount (out, "/dev/shm", NULL), "size=65536k"), "strict: bundle's /dev/shm replaced");
  CHECK (idev < ishm, "strict: /dev/shm tmpfs after the /dev mount");
  CHECK (ws && itmp < iws, "strict: workspace under /tmp mounted after the private /tmp");
  CHECK (itmp < isub, "strict: bundle mount under /tmp stays after the private /tmp");
  CHECK (ws && has_opt (ws, "rbind") && has_opt (ws, "ro") && has_opt (ws, "nosuid") && has_opt (ws, "nodev"),
         "strict: ro workspace is rbind,ro,nosuid,nodev");
  size_t count_tmp = 0;
  for (size_t i = 0; i < out->mounts_len; i++)
    count_tmp += strcmp (out->mounts[i].destination, "/tmp") == 0;
  CHECK (count_tmp == 1, "strict: exactly one mount at /tmp");
  const struct spec_mount *sys = find_mount (out, "/sys", NULL), *cg = find_mount (out, "/sys/fs/cgroup", NULL);
  CHECK (has_opt (sys, "ro") && !has_opt (sys, "rw"), "strict: /sys read-only");
  CHECK (has_opt (cg, "ro") && !has_opt (cg, "rw"), "strict: cgroup mount read-only");
  for (size_t i = 0; profile_masked_paths[i]; i++)
    CHECK (strv_has (out->linux->masked_paths, profile_masked_paths[i]), "strict: masked %s", profile_masked_paths[i]);
  CHECK (strv_has (out->linux->masked_paths, "/proc/custom"), "strict: bundle's masked path kept");
  for (size_t i = 0; profile_readonly_paths[i]; i++)
    CHECK (strv_has (out->linux->readonly_paths, profile_readonly_paths[i]), "strict: read-only %s",
           profile_readonly_paths[i]);
  size_t nsys = 0;
  for (size_t i = 0; out->linux->readonly_paths[i]; i++)
    nsys += strcmp (out->linux->readonly_paths[i], "/proc/sys") == 0;
  CHECK (nsys == 1, "strict: read-only paths are a union (no duplicate)");
  bool core = false, nofile = false;
  for (size_t i = 0; i < out->process->rlimits_len; i++)
    {
      if (strcmp (out->process->rlimits[i].type, "RLIMIT_CORE") == 0)
        core = out->process->rlimits[i].soft == 0 && out->process->rlimits[i].hard == 0;
      if (strcmp (out->process->rlimits[i].type, "RLIMIT_NOFILE") == 0)
        nofile = true;
    }
  CHECK (core, "strict: RLIMIT_CORE 0/0");
  CHECK (nofile, "strict: other rlimits kept");
  CHECK (out->linux->resources && out->linux->resources->has_pids_limit
             && out->linux->resources->pids_limit == PROFILE_STRICT_PIDS_LIMIT,
         "strict: pids limit 1024 by default");
  const struct spec_seccomp *f = out->linux->profile_seccomp;
  CHECK (f && strcmp (f->default_action, "SCMP_ACT_ERRNO") == 0 && f->has_default_errno_ret
             && f->default_errno_ret == ENOSYS,
         "strict: profile seccomp is an allowlist (default ENOSYS)");
  const char *denied[] = { "mount",
                           "umount2",
                           "pivot_root",
                           "move_mount",
                           "open_tree",
                           "fsopen",
                           "fsmount",
                           "fsconfig",
                           "mount_setattr",
                           "setns",
                           "ptrace",
                           "process_vm_readv",
                           "process_vm_writev",
                           "kexec_load",
                           "kexec_file_load",
                           "init_module",
                           "finit_module",
                           "delete_module",
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
                           "settimeofday",
                           "clock_settime",
                           "clock_adjtime",
                           "adjtimex",
                           "iopl",
                           "ioperm",
                           "quotactl",
                           "lookup_dcookie",
                           "syslog",
                           "io_uring_setup",
                           "io_uring_enter",
                           "io_uring_register" };
  for (size_t i = 0; i < ARRAY_SIZE (denied); i++)
    CHECK (filter_denies_plain (f, denied[i]), "strict seccomp: %s -> EPERM", denied[i]);
  CHECK (filter_names (f, "personality") && filter_names (f, "unshare") && filter_names (f, "clone")
             && filter_names (f, "ioctl") && filter_names (f, "clone3"),
         "strict seccomp: conditional rules for personality, unshare, clone, ioctl, clone3");
  CHECK (in->linux->profile_seccomp == NULL, "strict: input spec has no profile seccomp");
  spec_free (out);
  profile_result_clear (&res);

  /* Bundle-set pids limit kept. */
  struct spec *in2 = make_spec (NULL, ",\"resources\":{\"pids\":{\"limit\":100}}");
  r = apply (in2, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && out->linux->resources->pids_limit == 100, "strict: bundle's pids limit kept");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in2);

  /* No network namespace in the bundle: strict adds a fresh one. */
  in2 = make_spec (NULL, NULL);
  free (in2->linux->namespaces[1].path);
  in2->linux->namespaces[1].path = NULL;
  free (in2->linux->namespaces[1].type);
  in2->linux->namespaces[1].type = xstrdup ("uts");
  r = apply (in2, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && find_ns (out, "network") && find_ns (out, "network")->path == NULL,
         "strict: new network namespace added when the bundle has none");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in2);
  spec_free (in);
}

static void
test_balanced (void)
{
  struct spec *in = make_spec (NULL, NULL);
  struct profile_request req = { .operator_profile = "balanced", .operator_source = "--profile" };
  struct spec *out = NULL;
  struct profile_result res;
  struct cr_error err = { 0 };
  int r = apply (in, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0, "balanced: profile_apply succeeds (%s)", err.msg);
  if (r < 0)
    return;
  const char *ns[] = { "pid", "ipc", "uts", "mount" };
  for (size_t i = 0; i < ARRAY_SIZE (ns); i++)
    CHECK (find_ns (out, ns[i]) != NULL, "balanced: %s namespace present", ns[i]);
  CHECK (find_ns (out, "cgroup") == NULL, "balanced: no cgroup namespace added");
  CHECK (out->linux->namespaces_len == 5, "balanced: network as the bundle says (kept, nothing else added)");
  struct spec_capabilities *c = out->process->capabilities;
  CHECK (strv_has (c->bounding, "CAP_CHOWN") && strv_has (c->bounding, "CAP_KILL")
             && !strv_has (c->bounding, "CAP_SYS_ADMIN") && c->bounding_len == 2,
         "balanced: bounding intersected with the default set");
  CHECK (c->effective_len == 1 && strv_has (c->effective, "CAP_CHOWN"), "balanced: effective intersected");
  CHECK (c->ambient_len == 0 && !strv_has (c->ambient, "CAP_NET_ADMIN"), "balanced: ambient intersected");
  CHECK (!strv_has (c->effective, "CAP_KILL") && c->inheritable_len == 0,
         "balanced: never adds a capability the bundle lacks");
  CHECK (out->process->no_new_privileges, "balanced: noNewPrivileges");
  CHECK (!out->root->readonly, "balanced: root left as the bundle says");
  CHECK (has_opt (find_mount (out, "/sys", NULL), "rw"), "balanced: /sys left as the bundle says");
  for (size_t i = 0; profile_masked_paths[i]; i++)
    CHECK (strv_has (out->linux->masked_paths, profile_masked_paths[i]), "balanced: masked %s",
           profile_masked_paths[i]);
  for (size_t i = 0; profile_readonly_paths[i]; i++)
    CHECK (strv_has (out->linux->readonly_paths, profile_readonly_paths[i]), "balanced: read-only %s",
           profile_readonly_paths[i]);
  CHECK (out->linux->resources == NULL || !out->linux->resources->has_pids_limit, "balanced: no pids default");
  const struct spec_seccomp *f = out->linux->profile_seccomp;
  struct spec_seccomp *strict = profile_seccomp_build (PROFILE_STRICT);
  const char *relaxed[] = { "ptrace",         "process_vm_readv", "process_vm_writev", "personality",
                            "io_uring_setup", "io_uring_enter",   "io_uring_register" };
  for (size_t i = 0; i < ARRAY_SIZE (relaxed); i++)
    CHECK (!filter_names (f, relaxed[i]), "balanced seccomp: %s not denied", relaxed[i]);
  /* Every other unconditional strict entry stays. */
  bool same = true;
  for (size_t i = 0; i < strict->syscalls_len; i++)
    for (size_t j = 0; strict->syscalls[i].args_len == 0 && strict->syscalls[i].has_errno_ret
                       && strict->syscalls[i].errno_ret == EPERM && strict->syscalls[i].names[j];
         j++)
      {
        const char *n = strict->syscalls[i].names[j];
        bool is_relaxed = false;
        for (size_t k = 0; k < ARRAY_SIZE (relaxed); k++)
          is_relaxed |= strcmp (relaxed[k], n) == 0;
        if (!is_relaxed && !filter_names (f, n))
          {
            printf ("# balanced lacks %s\n", n);
            same = false;
          }
      }
  CHECK (same, "balanced seccomp: lacks exactly ptrace/process_vm_*/personality/io_uring_*");
  bool newuser_rule = false;
  for (size_t i = 0; i < f->syscalls_len; i++)
    if (f->syscalls[i].args_len && f->syscalls[i].args[0].value == 0x10000000ULL)
      newuser_rule = true;
  CHECK (!newuser_rule, "balanced seccomp: no rule for CLONE_NEWUSER");
  spec_seccomp_free (strict);
  spec_free (out);
  profile_result_clear (&res);

  /* A bundle with fewer capabilities keeps fewer. */
  struct spec *few = make_spec (NULL, NULL);
  for (size_t i = 0; few->process->capabilities->bounding[i]; i++)
    free (few->process->capabilities->bounding[i]);
  few->process->capabilities->bounding[0] = NULL;
  few->process->capabilities->bounding_len = 0;
  r = apply (few, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && out->process->capabilities->bounding_len == 0, "balanced: empty bounding set stays empty");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (few);
  spec_free (in);
}

static void
test_selection (void)
{
  struct spec *out = NULL;
  struct profile_result res;
  struct cr_error err = { 0 };
  CHECK_STR (profile_from_argv0 ("/usr/bin/cellrun-strict"), "strict", "argv0 cellrun-strict");
  CHECK_STR (profile_from_argv0 ("cellrun-balanced"), "balanced", "argv0 cellrun-balanced");
  CHECK (profile_from_argv0 ("/usr/bin/cellrun") == NULL, "argv0 cellrun: no profile");

  struct spec *plain = make_spec (NULL, NULL);
  int r = apply (plain, NULL, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && strcmp (res.profile, "none") == 0 && out->linux->profile_seccomp == NULL
             && !out->process->no_new_privileges && out->mounts_len == plain->mounts_len,
         "no profile anywhere: plain OCI");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }

  struct cellrun_config cfg = { 0 };
  CHECK (config_file_parse ("# c\n\nprofile = balanced\nwritable_allowlist = /a, /b\n", "t.conf", &cfg, &err) == 0
             && strcmp (cfg.profile, "balanced") == 0 && strv_len (cfg.writable_allowlist) == 2,
         "config file parsed");
  r = apply (plain, NULL, &cfg, NULL, &out, &res, &err);
  CHECK (r == 0 && strcmp (res.profile, "balanced") == 0, "profile from the config file");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  struct spec *ask_strict = make_spec ("\"run.cellrun.profile\":\"strict\"", NULL);
  r = apply (ask_strict, NULL, &cfg, NULL, &out, &res, &err);
  CHECK (r == 0 && strcmp (res.profile, "strict") == 0, "bundle may ask for a stricter profile");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  struct spec *ask_bal = make_spec ("\"run.cellrun.profile\":\"balanced\"", NULL);
  struct profile_request req = { .operator_profile = "strict", .operator_source = "--profile" };
  r = apply (ask_bal, &req, NULL, NULL, &out, &res, &err);
  CHECK (r < 0
             && strstr (err.msg, "annotation run.cellrun.profile=balanced: weaker than the operator's profile "
                                 "strict (set by --profile)"),
         "weaker bundle profile refused: %s", err.msg);
  struct spec *ask_none = make_spec ("\"run.cellrun.profile\":\"none\"", NULL);
  r = apply (ask_none, NULL, &cfg, NULL, &out, &res, &err);
  CHECK (r < 0 && strstr (err.msg, "weaker"), "annotation none under a balanced floor refused");
  r = apply (ask_bal, NULL, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && strcmp (res.profile, "balanced") == 0, "bundle alone selects balanced");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  struct spec *ask_bad = make_spec ("\"run.cellrun.profile\":\"paranoid\"", NULL);
  r = apply (ask_bad, NULL, NULL, NULL, &out, &res, &err);
  CHECK (r < 0 && strstr (err.msg, "unknown profile \"paranoid\" (known: strict, balanced)"),
         "unknown annotation profile: %s", err.msg);
  struct profile_request bad = { .operator_profile = "lax", .operator_source = "--profile" };
  r = apply (plain, &bad, NULL, NULL, &out, &res, &err);
  CHECK (r < 0 && strstr (err.msg, "unknown profile \"lax\" (known: strict, balanced)"), "unknown flag profile: %s",
         err.msg);
  config_file_clear (&cfg);
  CHECK (config_file_parse ("profil = strict\n", "t.conf", &cfg, &err) < 0 && strstr (err.msg, "t.conf:1")
             && strstr (err.msg, "profil"),
         "config: unknown key names the line: %s", err.msg);
  CHECK (config_file_parse ("\nwritable_allowlist = rel/path\n", "t.conf", &cfg, &err) < 0
             && strstr (err.msg, "t.conf:2"),
         "config: relative allowlist entry refused");
  CHECK (config_file_load ("/nonexistent/cellrun.conf", false, &cfg, &err) == 0 && cfg.profile == NULL,
         "config: missing default file is an empty config");
  config_file_clear (&cfg);
  CHECK (config_file_load ("/nonexistent/cellrun.conf", true, &cfg, &err) < 0, "config: missing --config file fails");
  char *text = NULL;
  CHECK (profile_describe ("strict", &text, &err) == 0 && strstr (text, "RLIMIT_CORE") && strstr (text, "ptrace"),
         "profile show strict");
  free (text);
  text = NULL;
  CHECK (profile_describe ("balanced", &text, &err) == 0 && strstr (text, "CAP_CHOWN"), "profile show balanced");
  free (text);
  CHECK (profile_describe ("nope", &text, &err) < 0 && strstr (err.msg, "known: strict, balanced"),
         "profile show unknown");
  spec_free (plain);
  spec_free (ask_strict);
  spec_free (ask_bal);
  spec_free (ask_none);
  spec_free (ask_bad);
}

static bool
env_eq (char **v, const char *const *want)
{
  size_t n = 0;
  for (; want[n]; n++)
    if (!strv_has (v, want[n]))
      return false;
  return strv_len (v) == n;
}

static void
test_env (void)
{
  char *caller[] = {
    "LANG=C",        "LC_ALL=C",    "LC_TIME=x",      "GITHUB_TOKEN=t",   "API_KEY=k",    "AWS_REGION=r",
    "DB_PASSWORD=p", "MYPASSWDX=p", "APP_SECRET_V=s", "SSH_AUTH_SOCK=/s", "HOME=/home/u", "KUBECONFIG=/k",
    "LC_TOKEN=t",    NULL
  };
  char **out = NULL;
  struct cr_error err = { 0 };
  CHECK (envpass_compute (NULL, ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0 && out[0] == NULL,
         "env: default none");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("none", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0 && out[0] == NULL, "env: none");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("allow:LC_*,LANG", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0
             && env_eq (out, (const char *[]){ "LANG=C", "LC_ALL=C", "LC_TIME=x", NULL }),
         "env: allow glob filters secrets (LC_TOKEN dropped)");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("allow:GITHUB_TOKEN", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0
             && env_eq (out, (const char *[]){ "GITHUB_TOKEN=t", NULL }),
         "env: a secret named exactly in allow passes");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("allow:*", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0
             && env_eq (out, (const char *[]){ "LANG=C", "LC_ALL=C", "LC_TIME=x", "HOME=/home/u", NULL }),
         "env: allow:* still drops every secret");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("deny:HOME", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0
             && env_eq (out, (const char *[]){ "LANG=C", "LC_ALL=C", "LC_TIME=x", NULL }),
         "env: deny mode drops listed names and all secrets");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("deny:LANG", ENVPASS_FROM_OPERATOR, (char *[]){ "GITHUB_TOKEN=t", "X=1", NULL }, NULL, &out,
                          &err)
                 == 0
             && env_eq (out, (const char *[]){ "X=1", NULL }),
         "env: secret denylist always applies in deny mode");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("allow:LC_*,LANG", ENVPASS_FROM_OPERATOR, caller, (char *[]){ "allow:LANG,HOME", NULL }, &out,
                          &err)
                 == 0
             && env_eq (out, (const char *[]){ "LANG=C", NULL }),
         "env: exec narrowing intersects (HOME not widened)");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("none", ENVPASS_FROM_OPERATOR, caller, (char *[]){ "allow:*", NULL }, &out, &err) == 0
             && out[0] == NULL,
         "env: narrowing cannot widen none");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("everything", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) < 0,
         "env: bad policy refused");
  CHECK (envpass_compute ("allow:", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) < 0, "env: empty allow refused");
  const char *secrets[] = { "X_TOKEN",       "X_SECRET",      "X_SECRET_Y", "X_KEY",   "X_PASSWORD",
                            "APASSWDB",      "X_CREDENTIALS", "AWS_X",      "AZURE_X", "GOOGLE_APPLICATION_CREDENTIALS",
                            "SSH_AUTH_SOCK", "KUBECONFIG" };
  bool all = true;
  for (size_t i = 0; i < ARRAY_SIZE (secrets); i++)
    all &= envpass_is_secret (secrets[i]);
  CHECK (all && !envpass_is_secret ("KEYBOARD") && !envpass_is_secret ("PATH"), "env: secret denylist patterns");
  char **merged = NULL;
  envpass_merge ((char *[]){ "PATH=/bin", "LANG=en", NULL }, (char *[]){ "LANG=C", "TZ=UTC", NULL }, &merged);
  CHECK (env_eq (merged, (const char *[]){ "PATH=/bin", "LANG=en", "TZ=UTC", NULL }),
         "env: explicit process.env value wins");
  cr_strvfreep (&merged);

  /* Through profile_apply: strict default passes nothing; annotation allows. */
  struct spec *in = make_spec ("\"run.cellrun.env\":\"allow:LANG,HOME\"", NULL);
  struct spec *o = NULL;
  struct profile_result res;
  struct profile_request req = { .operator_profile = "strict", .operator_source = "--profile" };
  int r = apply (in, &req, NULL, caller, &o, &res, &err);
  CHECK (r == 0 && strv_has (o->process->env, "LANG=C") && strv_has (o->process->env, "HOME=/root")
             && !strv_has (o->process->env, "HOME=/home/u") && strcmp (res.env_policy, "allow:LANG,HOME") == 0,
         "env via annotation: passed, explicit HOME wins, policy reported");
  if (r == 0)
    {
      spec_free (o);
      profile_result_clear (&res);
    }
  req.env_pass = "none";
  r = apply (in, &req, NULL, caller, &o, &res, &err);
  CHECK (r == 0 && o->process->env_len == 2, "env: --env-pass flag overrides the annotation");
  if (r == 0)
    {
      spec_free (o);
      profile_result_clear (&res);
    }
  spec_free (in);
}

static char tmpdir[] = "/tmp/cellrun-test-profile-XXXXXX";

static void
mkdir_rel (const char *rel)
{
  _cleanup_free_ char *p = NULL;
  xasprintf (&p, "%s/%s", tmpdir, rel);
  mkdir (p, 0755);
}

static void
test_allowlist (void)
{
  struct cr_error err = { 0 };
  mkdir_rel ("ws");
  mkdir_rel ("ws/scratch");
  mkdir_rel ("ws/scratch/sub");
  mkdir_rel ("ws/scratch2");
  mkdir_rel ("etc");
  _cleanup_free_ char *scratch = NULL, *link = NULL, *link2 = NULL, *p = NULL;
  xasprintf (&scratch, "%s/ws/scratch", tmpdir);
  xasprintf (&link, "%s/ws/scratch/escape", tmpdir);
  xasprintf (&link2, "%s/link-to-scratch", tmpdir);
  symlink ("../../etc", link);
  symlink (scratch, link2);
  char *allow[] = { scratch, NULL };
  char *resolved = NULL;
  CHECK (path_within_allowlist (scratch, allow, &resolved, &err) == 0, "allowlist: entry itself");
  free (resolved);
  xasprintf (&p, "%s/ws/scratch/sub", tmpdir);
  CHECK (path_within_allowlist (p, allow, NULL, &err) == 0, "allowlist: subdirectory");
  free (p);
  xasprintf (&p, "%s/ws/scratch2", tmpdir);
  CHECK (path_within_allowlist (p, allow, NULL, &err) < 0, "allowlist: scratch2 is not inside scratch");
  free (p);
  xasprintf (&p, "%s/ws/scratch/../../etc", tmpdir);
  CHECK (path_within_allowlist (p, allow, NULL, &err) < 0, "allowlist: ../ escape refused");
  CHECK (path_within_allowlist (link, allow, NULL, &err) < 0, "allowlist: symlink escape refused");
  char *allow_link[] = { link2, NULL };
  free (p);
  xasprintf (&p, "%s/ws/scratch/sub", tmpdir);
  CHECK (path_within_allowlist (p, allow_link, NULL, &err) == 0, "allowlist: symlinked entry resolved");
  CHECK (path_within_allowlist (p, NULL, NULL, &err) < 0, "allowlist: empty allowlist refuses");

  /* Through profile_apply: extra-writable. */
  _cleanup_free_ char *ann = NULL;
  xasprintf (&ann, "\"run.cellrun.extra-writable\":\"%s/ws/scratch/sub\"", tmpdir);
  struct spec *in = make_spec (ann, NULL);
  struct cellrun_config cfg = { .writable_allowlist = allow };
  struct spec *out = NULL;
  struct profile_result res;
  int r = apply (in, NULL, &cfg, NULL, &out, &res, &err);
  free (p);
  xasprintf (&p, "%s/ws/scratch/sub", tmpdir);
  const struct spec_mount *m = r == 0 ? find_mount (out, p, NULL) : NULL;
  CHECK (m && has_opt (m, "rw") && has_opt (m, "rbind"), "extra-writable: allowed path bound rw (%s)", err.msg);
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);
  free (ann);
  xasprintf (&ann, "\"run.cellrun.extra-writable\":\"%s/ws/scratch2\"", tmpdir);
  in = make_spec (ann, NULL);
  r = apply (in, NULL, &cfg, NULL, &out, &res, &err);
  CHECK (r < 0 && strstr (err.msg, "writable_allowlist"), "extra-writable: path outside allowlist refused");
  spec_free (in);
}

static void
test_overlay_workspace (void)
{
  struct cr_error err = { 0 };
  /* Overlay mount produced by profile_apply. */
  _cleanup_free_ char *state = NULL, *flag = NULL;
  xasprintf (&state, "%s/state", tmpdir);
  xasprintf (&flag, "%s/lower:/work", tmpdir);
  mkdir_rel ("lower");
  struct spec *in = make_spec ("\"run.cellrun.workspace.max-bytes\":\"5M\"", NULL);
  struct profile_request req = { .workspace = flag, .state_dir = state };
  struct spec *out = NULL;
  struct profile_result res;
  int r = apply (in, &req, NULL, NULL, &out, &res, &err);
  const struct spec_mount *m = r == 0 ? find_mount (out, "/work", NULL) : NULL;
  _cleanup_free_ char *up = NULL;
  xasprintf (&up, "upperdir=%s/workspace/upper", state);
  CHECK (m && strcmp (m->type, "overlay") == 0 && has_opt (m, up), "overlay workspace mount (%s)", err.msg);
  CHECK (r == 0 && res.workspace.max_bytes == 5ULL << 20 && res.upper_dir && strstr (res.upper_dir, state),
         "overlay workspace: max-bytes and upper dir reported");
  CHECK (r == 0 && strcmp (res.profile, "none") == 0, "workspace without a profile");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);
  in = make_spec (NULL, NULL);
  struct profile_request req_ro = { .workspace = "/nonexistent/cellrun-ws:/work:ro" };
  CHECK (apply (in, &req_ro, NULL, NULL, &out, &res, &err) < 0, "ro workspace: missing host path is an error");
  struct profile_request req_rw = { .workspace = "/nonexistent/cellrun-ws:/work:rw" };
  r = apply (in, &req_rw, NULL, NULL, &out, &res, &err);
  CHECK (r == 0, "rw workspace: missing host path accepted (created at create time)");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);
}

/* Strict's floor over the bundle's writable binds (issue 9 finding 5):
   outside writable_allowlist they are forced ro (default) or refused. */
static void
test_strict_binds (void)
{
  struct cr_error err = { 0 };
  mkdir_rel ("binds");
  mkdir_rel ("binds/allowed");
  mkdir_rel ("binds/other");
  _cleanup_free_ char *allowed = NULL, *other = NULL, *link = NULL, *ann = NULL, *extra = NULL;
  xasprintf (&allowed, "%s/binds/allowed", tmpdir);
  xasprintf (&other, "%s/binds/other", tmpdir);
  xasprintf (&link, "%s/binds/link-to-allowed", tmpdir);
  symlink (allowed, link);
  xasprintf (&ann, "\"run.cellrun.workspace\":\"%s:/ws:rw\"", other);
  xasprintf (
      &extra,
      ",\"mounts\":[{\"destination\":\"/hostetc\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\",\"rw\"]},"
      "{\"destination\":\"/ok\",\"type\":\"none\",\"source\":\"%s\",\"options\":[\"bind\"]},"
      "{\"destination\":\"/ro\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rw\",\"ro\"]}]",
      other, link, other);
  /* A small document of its own: base_json's mounts would get in the way. */
  _cleanup_free_ char *json = NULL;
  xasprintf (&json,
             "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,"
             "\"gid\":0},\"args\":[\"sh\"]},\"annotations\":{%s}%s}",
             ann, extra);
  struct spec *in = spec_parse_data (json, strlen (json), &err);
  CHECK (in != NULL, "strict binds: spec parses (%s)", err.msg);
  if (in == NULL)
    return;
  char *allow[] = { allowed, NULL };
  struct cellrun_config cfg = { .writable_allowlist = allow };
  struct profile_request strict = { .operator_profile = "strict", .operator_source = "--profile" };
  struct spec *out = NULL;
  struct profile_result res;
  int r = apply (in, &strict, &cfg, NULL, &out, &res, &err);
  CHECK (r == 0, "strict binds: applied (%s)", err.msg);
  if (r == 0)
    {
      const struct spec_mount *m = find_mount (out, "/hostetc", NULL);
      CHECK (m && has_opt (m, "ro") && !has_opt (m, "rw") && has_opt (m, "rbind"),
             "strict: a bundle rw bind outside writable_allowlist is forced ro (rbind kept: ro is recursive)");
      m = find_mount (out, "/ok", NULL);
      CHECK (m && !has_opt (m, "ro") && strcmp (m->source, allowed) == 0,
             "strict: a bind inside writable_allowlist stays writable, mounted from its resolved path");
      m = find_mount (out, "/ro", NULL);
      CHECK (m && has_opt (m, "ro") && m->options_len == 2, "strict: an already read-only bind is left alone");
      m = find_mount (out, "/ws", NULL);
      CHECK (m && has_opt (m, "ro") && !has_opt (m, "rw"),
             "strict: an rw workspace from the annotation outside writable_allowlist is forced ro");
      spec_free (out);
      profile_result_clear (&res);
    }
  _cleanup_free_ char *flag = NULL;
  xasprintf (&flag, "%s:/ws:rw", other);
  strict.workspace = flag;
  r = apply (in, &strict, &cfg, NULL, &out, &res, &err);
  const struct spec_mount *m = r == 0 ? find_mount (out, "/ws", NULL) : NULL;
  CHECK (m && has_opt (m, "rw") && !has_opt (m, "ro"), "strict: the operator's --workspace rw stays writable (%s)",
         err.msg);
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  strict.workspace = NULL;
  cfg.strict_bundle_binds = CONFIG_STRICT_BINDS_REFUSE;
  r = apply (in, &strict, &cfg, NULL, &out, &res, &err);
  CHECK (r < 0 && strstr (err.msg, "/hostetc") && strstr (err.msg, "strict_bundle_binds = refuse"),
         "strict_bundle_binds = refuse: the container is refused, naming the mount (%s)", err.msg);
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  struct profile_request balanced = { .operator_profile = "balanced", .operator_source = "--profile" };
  r = apply (in, &balanced, &cfg, NULL, &out, &res, &err);
  m = r == 0 ? find_mount (out, "/hostetc", NULL) : NULL;
  CHECK (m && has_opt (m, "rw") && !has_opt (m, "ro"), "balanced: bundle binds as the bundle says");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);

  struct cellrun_config c;
  CHECK (config_file_parse ("strict_bundle_binds = refuse\n", "t", &c, &err) == 0
             && c.strict_bundle_binds == CONFIG_STRICT_BINDS_REFUSE,
         "config: strict_bundle_binds = refuse");
  config_file_clear (&c);
  CHECK (config_file_parse ("profile = strict\n", "t", &c, &err) == 0
             && c.strict_bundle_binds == CONFIG_STRICT_BINDS_RO,
         "config: strict_bundle_binds defaults to ro");
  config_file_clear (&c);
  CHECK (config_file_parse ("strict_bundle_binds = rw\n", "t", &c, &err) < 0 && strstr (err.msg, "t:1:"),
         "config: a bad strict_bundle_binds value is an error naming the line");
}

/* Capability names compare case-insensitively in every layer (caps_name_equal):
   the profile's sets agree with caps_from_name and with exec's ceiling. */
static void
test_cap_names (void)
{
  CHECK (caps_name_equal ("cap_chown", "CAP_CHOWN") && !caps_name_equal ("CAP_CHOWN", "CAP_KILL")
             && !caps_name_equal (NULL, "CAP_KILL"),
         "caps_name_equal: case-insensitive, NULL never equal");
  const char *json = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\","
                     "\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"cap_chown\","
                     "\"cap_sys_admin\",\"Cap_Kill\"]}}}";
  struct cr_error err = { 0 };
  struct spec *in = spec_parse_data (json, strlen (json), &err);
  struct profile_request req = { .operator_profile = "balanced", .operator_source = "--profile" };
  struct spec *out = NULL;
  struct profile_result res;
  int r = in ? apply (in, &req, NULL, NULL, &out, &res, &err) : -1;
  CHECK (r == 0 && out->process->capabilities->bounding_len == 2
             && strv_has (out->process->capabilities->bounding, "cap_chown")
             && strv_has (out->process->capabilities->bounding, "Cap_Kill"),
         "balanced: lower-case names of allowed capabilities are kept, cap_sys_admin dropped");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);
}

/* Load the profile's filter in a child with the runtime's own loader, and
   check the conditional rules behave as documented. */
static int
load_filter (const struct spec_seccomp *f)
{
  struct cr_error err = { 0 };
  struct seccomp_prog *prog = NULL;
  if (seccomp_filter_build_profile (f, &prog, &err) < 0)
    return -1;
  prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return seccomp_prog_load (prog, &err);
}

static int
seccomp_child (enum profile_level level)
{
  struct spec_seccomp *f = profile_seccomp_build (level);
  if (load_filter (f) < 0)
    _exit (100);
  int bits = 0;
  errno = 0;
  if (syscall (SYS_personality, 0UL) >= 0)
    bits |= 1;
  if (syscall (SYS_personality, 0xffffffffUL) >= 0)
    bits |= 2;
  errno = 0;
  if (syscall (SYS_personality, (unsigned long) ADDR_NO_RANDOMIZE) < 0 && errno == EPERM)
    bits |= 4;
  syscall (SYS_personality, 0UL);
  errno = 0;
  if (syscall (SYS_unshare, CLONE_NEWUTS) < 0 && errno == EPERM)
    bits |= 8;
  errno = 0;
  if (syscall (SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
    bits |= 16;
  errno = 0;
  char ch = 'x';
  if (ioctl (0, TIOCSTI | 0x100000000UL, &ch) < 0 && errno == EPERM)
    bits |= 32;
  errno = 0;
  if (syscall (SYS_unshare, CLONE_FILES) == 0)
    bits |= 64;
  _exit (bits);
}

static void
test_seccomp_load (void)
{
  pid_t pid = fork ();
  if (pid == 0)
    seccomp_child (PROFILE_STRICT);
  int status = 0;
  waitpid (pid, &status, 0);
  int bits = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  CHECK (bits != 100 && bits >= 0, "strict filter loads with libseccomp (status %d)", bits);
  CHECK ((bits & 1) && (bits & 2), "strict: personality(0) and personality(0xffffffff) allowed");
  CHECK (bits & 4, "strict: personality(ADDR_NO_RANDOMIZE) -> EPERM");
  CHECK (bits & 8, "strict: unshare(CLONE_NEWUTS) -> EPERM");
  CHECK (bits & 16, "strict: clone3 -> ENOSYS");
  CHECK (bits & 32, "strict: ioctl TIOCSTI (high bits set) -> EPERM");
  CHECK (bits & 64, "strict: unshare(CLONE_FILES) allowed");
  pid = fork ();
  if (pid == 0)
    seccomp_child (PROFILE_BALANCED);
  waitpid (pid, &status, 0);
  bits = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  CHECK (bits >= 0 && bits != 100 && !(bits & 4) && (bits & 8) && (bits & 16),
         "balanced: personality allowed, unshare(CLONE_NEWUTS) EPERM, clone3 ENOSYS (status %d)", bits);
}

static void
test_input_unchanged (void)
{
  struct spec *in = make_spec ("\"run.cellrun.env\":\"allow:LANG\"", NULL);
  size_t mounts = in->mounts_len, nss = in->linux->namespaces_len, env = in->process->env_len;
  size_t bounding = in->process->capabilities->bounding_len, masked = in->linux->masked_paths_len;
  struct spec *out = NULL;
  struct profile_result res;
  struct cr_error err;
  struct profile_request req = { .operator_profile = "strict", .workspace = "/tmp:/tmp/ws:ro" };
  char *caller[] = { "LANG=C", NULL };
  int r = apply (in, &req, NULL, caller, &out, &res, &err);
  CHECK (r == 0 && in->mounts_len == mounts && in->linux->namespaces_len == nss && in->process->env_len == env
             && in->process->capabilities->bounding_len == bounding && in->linux->masked_paths_len == masked
             && !in->root->readonly && !in->process->no_new_privileges && in->linux->profile_seccomp == NULL
             && in->linux->resources == NULL && has_opt (find_mount (in, "/sys", NULL), "rw")
             && has_opt (find_mount (in, "/dev/shm", NULL), "size=65536k"),
         "profile_apply never modifies its input");
  if (r == 0)
    {
      struct spec *copy = spec_dup (out);
      CHECK (copy && copy->linux->profile_seccomp && copy->linux->profile_seccomp != out->linux->profile_seccomp
                 && copy->mounts_len == out->mounts_len,
             "spec_dup copies profile_seccomp");
      spec_free (copy);
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);
}

/* Rootless: a user namespace mapping the caller is added when the spec has
   none (or has one without mappings); overlay workspaces use userxattr. */
static void
test_rootless (void)
{
  struct cr_error err = { 0 };
  _cleanup_free_ char *state = NULL, *flag = NULL;
  xasprintf (&state, "%s/rlstate", tmpdir);
  xasprintf (&flag, "%s/rllower:/work", tmpdir);
  mkdir_rel ("rllower");
  struct spec *in = make_spec (NULL, NULL);
  struct profile_request req = { .operator_profile = "balanced",
                                 .workspace = flag,
                                 .state_dir = state,
                                 .rootless = true,
                                 .caller_uid = 1234,
                                 .caller_gid = 5678 };
  struct spec *out = NULL;
  struct profile_result res;
  int r = apply (in, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0, "rootless: profile_apply succeeds (%s)", err.msg);
  if (r < 0)
    return;
  const struct spec_linux *l = out->linux;
  CHECK (find_ns (out, "user") && find_ns (out, "user")->path == NULL, "rootless: a new user namespace is added");
  CHECK (l->uid_mappings_len == 1 && l->uid_mappings[0].container_id == 0 && l->uid_mappings[0].host_id == 1234
             && l->uid_mappings[0].size == 1,
         "rootless: uid 0 maps to the caller's uid, size 1");
  CHECK (l->gid_mappings_len == 1 && l->gid_mappings[0].host_id == 5678 && l->gid_mappings[0].size == 1,
         "rootless: gid 0 maps to the caller's gid, size 1");
  const struct spec_mount *m = find_mount (out, "/work", NULL);
  CHECK (res.workspace.userxattr && m && has_opt (m, "userxattr") && has_opt (m, "redirect_dir=nofollow")
             && !has_opt (m, "redirect_dir=off"),
         "rootless: the overlay workspace uses userxattr and redirect_dir=nofollow");
  spec_free (out);
  profile_result_clear (&res);

  /* Mappings the bundle set are kept; without rootless nothing is added. */
  spec_free (in);
  in = make_spec (NULL, ",\"uidMappings\":[{\"containerID\":0,\"hostID\":1234,\"size\":1},{\"containerID\":1,"
                        "\"hostID\":100000,\"size\":65536}],\"gidMappings\":[{\"containerID\":0,\"hostID\":5678,"
                        "\"size\":1}]");
  req.workspace = NULL;
  r = apply (in, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && out->linux->uid_mappings_len == 2 && out->linux->uid_mappings[1].host_id == 100000,
         "rootless: the bundle's own mappings are kept (%s)", err.msg);
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  /* Root of a user namespace (rootless podman) needs no nested one. */
  req.caller_uid = req.caller_gid = 0;
  spec_free (in);
  in = make_spec (NULL, NULL);
  r = apply (in, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && find_ns (out, "user") == NULL && out->linux->uid_mappings_len == 0,
         "rootless as uid 0 of a user namespace: no user namespace added");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  req.rootless = false;
  req.caller_uid = 1234;
  r = apply (in, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && find_ns (out, "user") == NULL && out->linux->uid_mappings_len == 0,
         "not rootless: no user namespace added");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  test_strict ();
  test_balanced ();
  test_selection ();
  test_env ();
  test_allowlist ();
  test_overlay_workspace ();
  test_strict_binds ();
  test_cap_names ();
  test_seccomp_load ();
  test_input_unchanged ();
  test_rootless ();
  struct cr_error err;
  rm_rf_at (AT_FDCWD, tmpdir, &err);
  return UNIT_DONE ();
}
