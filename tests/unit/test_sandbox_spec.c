/* policy/sandbox_spec.c: flags -> spec, and the flag parsers. */
#include "config.h"
#include "unit.h"
#include "policy/sandbox_spec.h"
#include "policy/profile.h"
#include "base/utils.h"

#include <stdlib.h>

static const struct spec_mount *
find_mount (const struct spec *s, const char *dest)
{
  for (size_t i = 0; i < s->mounts_len; i++)
    if (strcmp (s->mounts[i].destination, dest) == 0)
      return &s->mounts[i];
  return NULL;
}

static ssize_t
mount_index (const struct spec *s, const char *dest)
{
  for (size_t i = 0; i < s->mounts_len; i++)
    if (strcmp (s->mounts[i].destination, dest) == 0)
      return i;
  return -1;
}

static bool
has_ns (const struct spec *s, const char *type)
{
  for (size_t i = 0; i < s->linux->namespaces_len; i++)
    if (strcmp (s->linux->namespaces[i].type, type) == 0)
      return true;
  return false;
}

static bool
has_option (const struct spec_mount *m, const char *opt)
{
  for (size_t i = 0; m && m->options && m->options[i]; i++)
    if (strcmp (m->options[i], opt) == 0)
      return true;
  return false;
}

static void
test_defaults (void)
{
  char *args[] = { (char *) "/bin/true", NULL };
  struct sandbox_flags f = { .args = args, .uid = 1000, .gid = 1001 };
  struct spec *s = NULL;
  struct cr_error err = { 0 };
  int r = sandbox_spec_build (&f, &s, &err);
  CHECK (r == 0 && s, "defaults build");
  if (s == NULL)
    return;
  CHECK_STR (s->root->path, "/", "default root is the host's /");
  CHECK (s->root->readonly, "root read-only");
  CHECK (find_mount (s, "/proc") && strcmp (find_mount (s, "/proc")->type, "proc") == 0, "fresh /proc");
  CHECK (find_mount (s, "/tmp") && strcmp (find_mount (s, "/tmp")->type, "tmpfs") == 0, "private /tmp");
  CHECK (find_mount (s, "/var/tmp") && strcmp (find_mount (s, "/var/tmp")->type, "tmpfs") == 0, "private /var/tmp");
  CHECK (find_mount (s, "/dev/shm") && strcmp (find_mount (s, "/dev/shm")->type, "tmpfs") == 0, "private /dev/shm");
  CHECK (has_ns (s, "pid") && has_ns (s, "mount") && has_ns (s, "ipc") && has_ns (s, "uts") && has_ns (s, "cgroup"),
         "pid, mount, ipc, uts, cgroup namespaces");
  CHECK (has_ns (s, "network"), "--network none (default): a network namespace");
  CHECK (s->process->user.uid == 1000 && s->process->user.gid == 1001, "uid/gid as given");
  CHECK_STR (s->process->cwd, "/", "cwd / by default");
  CHECK (s->process->no_new_privileges, "no_new_privileges");
  CHECK (s->process->capabilities && s->process->capabilities->bounding
             && s->process->capabilities->bounding[0] == NULL,
         "no capabilities");
  CHECK_STR (spec_annotation (s, "run.cellrun.profile"), "strict", "strict by default");
  CHECK (!s->linux->resources->has_pids_limit && s->linux->resources->memory == NULL, "no limits unless asked");
  CHECK (!s->process->terminal, "no terminal unless -t");
  spec_free (s);
}

static void
test_flags (void)
{
  char *args[] = { (char *) "sh", (char *) "-c", (char *) "x", NULL };
  char *env[] = { (char *) "A=1", NULL };
  struct sandbox_mount m[3];
  struct cr_error err = { 0 };
  CHECK (sandbox_parse_mount (SANDBOX_TMPFS, "/tmp/scratch:1M", &m[0], &err) == 0 && m[0].size == 1048576,
         "--tmpfs DST:SIZE");
  CHECK (sandbox_parse_mount (SANDBOX_BIND, "/tmp:/tmp/host", &m[1], &err) == 0, "--bind SRC:DST");
  CHECK (sandbox_parse_mount (SANDBOX_RO_BIND, "/etc", &m[2], &err) == 0 && strcmp (m[2].destination, "/etc") == 0,
         "--ro-bind SRC: DST defaults to SRC");
  struct spec_rlimit rl;
  CHECK (sandbox_parse_rlimit ("nofile=64:128", &rl, &err) == 0 && strcmp (rl.type, "RLIMIT_NOFILE") == 0
             && rl.soft == 64 && rl.hard == 128,
         "--rlimit nofile=64:128");
  struct sandbox_flags f = { .args = args,
                             .env = env,
                             .rootfs = "/srv/root",
                             .profile = "balanced",
                             .network_host = true,
                             .mounts = m,
                             .mounts_len = 3,
                             .has_memory = true,
                             .memory = 64 << 20,
                             .has_cpus = true,
                             .cpu_millis = 1500,
                             .has_pids = true,
                             .pids = 50,
                             .rlimits = &rl,
                             .rlimits_len = 1,
                             .cwd = "/work",
                             .hostname = "box",
                             .terminal = true };
  struct spec *s = NULL;
  int r = sandbox_spec_build (&f, &s, &err);
  CHECK (r == 0 && s, "all flags build (%s)", err.msg);
  if (s == NULL)
    return;
  CHECK_STR (s->root->path, "/srv/root", "--rootfs");
  CHECK (!has_ns (s, "network"), "--network host: no network namespace");
  CHECK_STR (spec_annotation (s, "run.cellrun.profile"), "balanced", "--profile balanced");
  const struct spec_mount *t = find_mount (s, "/tmp/scratch");
  CHECK (t && has_option (t, "size=1048576"), "--tmpfs size option");
  const struct spec_mount *b = find_mount (s, "/tmp/host");
  CHECK (b && strcmp (b->source, "/tmp") == 0 && has_option (b, "rbind") && has_option (b, "rw"), "--bind rw");
  const struct spec_mount *ro = find_mount (s, "/etc");
  CHECK (ro && has_option (ro, "ro") && has_option (ro, "rbind"), "--ro-bind: recursive read-only");
  CHECK (mount_index (s, "/tmp") < mount_index (s, "/tmp/host"), "the private /tmp comes before a bind below it");
  CHECK (s->linux->resources->memory && s->linux->resources->memory->limit == 64 << 20, "--memory");
  CHECK (s->linux->resources->cpu && s->linux->resources->cpu->quota == 150000
             && s->linux->resources->cpu->period == 100000,
         "--cpus 1.5 = quota 150000 / period 100000");
  CHECK (s->linux->resources->has_pids_limit && s->linux->resources->pids_limit == 50, "--pids");
  CHECK (s->process->rlimits_len == 1 && strcmp (s->process->rlimits[0].type, "RLIMIT_NOFILE") == 0, "--rlimit");
  CHECK (s->process->env_len == 1 && strcmp (s->process->env[0], "A=1") == 0, "--env");
  CHECK_STR (s->process->cwd, "/work", "--cwd");
  CHECK_STR (s->hostname, "box", "--hostname");
  CHECK (s->process->terminal, "-t");
  CHECK (s->process->args_len == 3 && strcmp (s->process->args[2], "x") == 0, "the command");
  spec_free (s);
  for (int i = 0; i < 3; i++)
    sandbox_mount_clear (&m[i]);
  free (rl.type);
}

static void
test_bad_input (void)
{
  struct cr_error err = { 0 };
  struct sandbox_mount m;
  struct sandbox_collect c;
  uint64_t ms, millis;
  struct spec_rlimit rl;
  CHECK (sandbox_parse_mount (SANDBOX_TMPFS, "/x:lots", &m, &err) < 0 && strstr (err.msg, "bad size"), "a bad SIZE: %s",
         err.msg);
  CHECK (sandbox_parse_mount (SANDBOX_TMPFS, "rel", &m, &err) < 0 && strstr (err.msg, "absolute"),
         "a relative CT path");
  CHECK (sandbox_parse_mount (SANDBOX_BIND, "/tmp:/a/../etc", &m, &err) < 0 && strstr (err.msg, ".."),
         "a CT path with ..: %s", err.msg);
  CHECK (sandbox_parse_mount (SANDBOX_BIND, "/tmp:/a..b", &m, &err) == 0, "a.. b is a name, not ..");
  sandbox_mount_clear (&m);
  CHECK (sandbox_parse_collect ("out.txt", &c, &err) < 0, "--collect relative");
  CHECK (sandbox_parse_collect ("/tmp/../etc/passwd", &c, &err) < 0, "--collect with ..");
  CHECK (sandbox_parse_collect ("/tmp/out", &c, &err) == 0 && strcmp (c.host_dest, "out") == 0,
         "--collect default destination is the basename");
  sandbox_collect_clear (&c);
  CHECK (sandbox_parse_timeout ("0", &ms, &err) < 0, "--timeout 0");
  CHECK (sandbox_parse_timeout ("-3", &ms, &err) < 0, "--timeout -3");
  CHECK (sandbox_parse_timeout ("1.5", &ms, &err) == 0 && ms == 1500, "--timeout 1.5");
  CHECK (sandbox_parse_cpus ("0", &millis, &err) < 0 && sandbox_parse_cpus ("x", &millis, &err) < 0, "--cpus 0 / x");
  CHECK (sandbox_parse_cpus ("0.25", &millis, &err) == 0 && millis == 250, "--cpus 0.25");
  CHECK (sandbox_parse_rlimit ("bogus=1", &rl, &err) < 0, "unknown rlimit");
  CHECK (sandbox_parse_rlimit ("nofile=10:5", &rl, &err) < 0, "soft above hard");
  uid_t u;
  gid_t g;
  CHECK (sandbox_parse_user ("nobody", &u, &g, &err) < 0, "--user takes numbers");
  CHECK (sandbox_parse_user ("123", &u, &g, &err) == 0 && u == 123 && g == 123, "--user UID: GID = UID");
  char *args[] = { (char *) "true", NULL };
  struct sandbox_mount missing = { .kind = SANDBOX_BIND,
                                   .source = (char *) "/nonexistent-cellrun-src",
                                   .destination = (char *) "/x" };
  struct sandbox_flags f = { .args = args, .mounts = &missing, .mounts_len = 1 };
  struct spec *s = NULL;
  CHECK (sandbox_spec_build (&f, &s, &err) < 0 && strstr (err.msg, "/nonexistent-cellrun-src"),
         "a missing --bind source: %s", err.msg);
  struct sandbox_flags none = { 0 };
  CHECK (sandbox_spec_build (&none, &s, &err) < 0 && strstr (err.msg, "missing CMD"), "no command");
  struct sandbox_flags host = { .args = args, .network_host = true };
  CHECK (sandbox_spec_build (&host, &s, &err) < 0 && strstr (err.msg, "strict"), "--network host under strict");
  struct sandbox_flags lax = { .args = args, .profile = "lax" };
  CHECK (sandbox_spec_build (&lax, &s, &err) < 0, "unknown --profile");
}

/* Through the profile layer (strict): the sandbox's own --bind stays writable (the caller's choice,
   like --workspace), and a bind below the workspace goes on top of it. */
static void
test_through_profile (void)
{
  char *args[] = { (char *) "true", NULL };
  struct sandbox_mount m = { .kind = SANDBOX_BIND, .source = (char *) "/tmp", .destination = (char *) "/tmp/out" };
  struct sandbox_flags f = { .args = args, .mounts = &m, .mounts_len = 1 };
  struct spec *s = NULL, *out = NULL;
  struct cr_error err = { 0 };
  CHECK (sandbox_spec_build (&f, &s, &err) == 0, "build");
  char *binds[] = { (char *) "/tmp", NULL };
  struct profile_request req = { .workspace = "/tmp:/tmp:rw",
                                 .env_pass = SANDBOX_DEFAULT_ENV_PASS,
                                 .state_dir = "/nonexistent-state",
                                 .operator_binds = binds };
  struct profile_result res;
  int r = profile_apply (s, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && out, "profile_apply (%s)", err.msg);
  if (out)
    {
      ssize_t ws = -1, bind = -1;
      for (size_t i = 0; i < out->mounts_len; i++)
        {
          if (strcmp (out->mounts[i].destination, "/tmp") == 0 && strcmp (out->mounts[i].type, "bind") == 0)
            ws = i;
          if (strcmp (out->mounts[i].destination, "/tmp/out") == 0)
            bind = i;
        }
      CHECK (ws >= 0 && bind > ws, "the bind below the workspace comes after it (%zd, %zd)", ws, bind);
      CHECK (bind >= 0 && has_option (&out->mounts[bind], "rw") && !has_option (&out->mounts[bind], "ro"),
             "strict keeps the operator's --bind writable");
      spec_free (out);
      profile_result_clear (&res);
    }
  /* The same bind from a bundle (not the operator's) is forced read-only by strict. */
  req.operator_binds = NULL;
  req.workspace = NULL;
  r = profile_apply (s, &req, NULL, NULL, &out, &res, &err);
  CHECK (r == 0 && out, "profile_apply without operator binds");
  if (out)
    {
      const struct spec_mount *b = find_mount (out, "/tmp/out");
      CHECK (b && has_option (b, "ro"), "a bundle's writable bind is forced read-only");
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (s);
}

int
main (void)
{
  test_through_profile ();
  test_defaults ();
  test_flags ();
  test_bad_input ();
  return UNIT_DONE ();
}
