/* The spec of a `cellrun sandbox` run (docs/sandbox.md, "What runs"). */
#include "config.h"
#include "policy/sandbox_spec.h"
#include "policy/workspace.h"
#include "base/utils.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
sandbox_check_ct_path (const char *what, const char *path, struct cr_error *err)
{
  if (path == NULL || path[0] != '/')
    return cr_invalid (err, "%s %s: the container path must be absolute", what, path ? path : "(empty)");
  for (const char *p = path; (p = strstr (p, "..")) != NULL; p += 2)
    if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
      return cr_invalid (err, "%s %s: the container path must not contain \"..\"", what, path);
  _cleanup_free_ char *clean = path_clean (path);
  if (strcmp (clean, "/") == 0)
    return cr_invalid (err, "%s %s: the container path must not be /", what, path);
  return 0;
}

void
sandbox_mount_clear (struct sandbox_mount *m)
{
  free (m->source);
  free (m->destination);
  memset (m, 0, sizeof *m);
}

void
sandbox_collect_clear (struct sandbox_collect *c)
{
  free (c->ct_path);
  free (c->host_dest);
  memset (c, 0, sizeof *c);
}

int
sandbox_parse_mount (enum sandbox_mount_kind kind, const char *value, struct sandbox_mount *out, struct cr_error *err)
{
  static const char *const names[] = { "--bind", "--ro-bind", "--tmpfs" };
  const char *what = names[kind];
  memset (out, 0, sizeof *out);
  out->kind = kind;
  const char *colon = strchr (value, ':');
  _cleanup_free_ char *first = colon ? strndup (value, colon - value) : xstrdup (value);
  const char *second = colon ? colon + 1 : NULL;
  int r;
  if (kind == SANDBOX_TMPFS)
    {
      if ((r = sandbox_check_ct_path (what, first, err)) < 0)
        return r;
      if (second && (parse_byte_size (second, &out->size) < 0 || out->size == 0))
        return cr_invalid (err, "%s %s: bad size \"%s\" (want a byte count, e.g. 64M)", what, value, second);
      out->destination = path_clean (first);
      return 0;
    }
  if (first[0] != '/')
    return cr_invalid (err, "%s %s: the source must be an absolute path", what, value);
  const char *dest = second ? second : first;
  if ((r = sandbox_check_ct_path (what, dest, err)) < 0)
    return r;
  out->source = xstrdup (first);
  out->destination = path_clean (dest);
  return 0;
}

static const char *const rlimit_names[] = {
  "RLIMIT_AS",      "RLIMIT_CORE",     "RLIMIT_CPU",        "RLIMIT_DATA",   "RLIMIT_FSIZE", "RLIMIT_LOCKS",
  "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",       "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS",
  "RLIMIT_RTPRIO",  "RLIMIT_RTTIME",   "RLIMIT_SIGPENDING", "RLIMIT_STACK",  NULL,
};

static int
parse_rlimit_value (const char *s, uint64_t *out)
{
  if (strcmp (s, "unlimited") == 0 || strcmp (s, "infinity") == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  unsigned long long v;
  if (parse_uint64 (s, &v) < 0)
    return -EINVAL;
  *out = v;
  return 0;
}

int
sandbox_parse_rlimit (const char *value, struct spec_rlimit *out, struct cr_error *err)
{
  memset (out, 0, sizeof *out);
  const char *eq = strchr (value, '=');
  if (eq == NULL || eq == value)
    return cr_invalid (err, "--rlimit %s: expected NAME=SOFT[:HARD]", value);
  _cleanup_free_ char *name = NULL;
  xasprintf (&name, "%s%.*s", strncasecmp (value, "RLIMIT_", 7) == 0 ? "" : "RLIMIT_", (int) (eq - value), value);
  for (char *p = name; *p; p++)
    *p = toupper ((unsigned char) *p);
  bool known = false;
  for (size_t i = 0; rlimit_names[i]; i++)
    known = known || strcmp (rlimit_names[i], name) == 0;
  if (!known)
    return cr_invalid (err, "--rlimit %s: unknown limit %s", value, name);
  _cleanup_free_ char *vals = xstrdup (eq + 1);
  char *colon = strchr (vals, ':');
  if (colon)
    *colon++ = '\0';
  if (parse_rlimit_value (vals, &out->soft) < 0 || parse_rlimit_value (colon ? colon : vals, &out->hard) < 0)
    return cr_invalid (err, "--rlimit %s: expected numbers or \"unlimited\"", value);
  if (out->soft > out->hard)
    return cr_invalid (err, "--rlimit %s: the soft limit is above the hard one", value);
  out->type = TAKE_PTR (name);
  return 0;
}

int
sandbox_parse_cpus (const char *value, uint64_t *millis, struct cr_error *err)
{
  unsigned long long whole = 0, frac = 0;
  int digits = 0;
  const char *p = value;
  if (!isdigit ((unsigned char) *p) && *p != '.')
    return cr_invalid (err, "--cpus %s: expected a positive number", value);
  for (; isdigit ((unsigned char) *p) && whole < 100000; p++)
    whole = whole * 10 + (*p - '0');
  if (*p == '.')
    for (p++; isdigit ((unsigned char) *p) && digits < 3; p++, digits++)
      frac = frac * 10 + (*p - '0');
  for (int d = digits; d < 3; d++)
    frac *= 10;
  if (*p != '\0' || whole >= 100000 || whole * 1000 + frac == 0)
    return cr_invalid (err, "--cpus %s: expected a positive number (at most 3 decimals)", value);
  *millis = whole * 1000 + frac;
  return 0;
}

int
sandbox_parse_user (const char *value, uid_t *uid, gid_t *gid, struct cr_error *err)
{
  _cleanup_free_ char *copy = xstrdup (value);
  char *colon = strchr (copy, ':');
  if (colon)
    *colon++ = '\0';
  unsigned long long u, g;
  if (parse_uint64 (copy, &u) < 0 || u >= UINT32_MAX || (colon && (parse_uint64 (colon, &g) < 0 || g >= UINT32_MAX)))
    return cr_invalid (err, "--user %s: expected numeric UID[:GID]", value);
  *uid = u;
  *gid = colon ? g : u;
  return 0;
}

int
sandbox_parse_collect (const char *value, struct sandbox_collect *out, struct cr_error *err)
{
  memset (out, 0, sizeof *out);
  const char *colon = strchr (value, ':');
  _cleanup_free_ char *ct = colon ? strndup (value, colon - value) : xstrdup (value);
  int r = sandbox_check_ct_path ("--collect", ct, err);
  if (r < 0)
    return r;
  if (colon && colon[1] == '\0')
    return cr_invalid (err, "--collect %s: empty host destination", value);
  out->ct_path = path_clean (ct);
  if (colon)
    out->host_dest = xstrdup (colon + 1);
  else
    {
      const char *base = strrchr (out->ct_path, '/');
      out->host_dest = xstrdup (base + 1);
    }
  return 0;
}

int
sandbox_parse_timeout (const char *value, uint64_t *ms, struct cr_error *err)
{
  char *end = NULL;
  errno = 0;
  double v = strtod (value, &end);
  if (errno || end == value || *end != '\0' || !(v > 0) || v > 1e9)
    return cr_invalid (err, "--timeout %s: expected a number of seconds > 0", value);
  *ms = (uint64_t) (v * 1000.0 + 0.5);
  if (*ms == 0)
    *ms = 1;
  return 0;
}

/* ---- the spec ------------------------------------------------------------ */

static char **
strv_of (const char *const *items)
{
  size_t n = 0;
  while (items[n])
    n++;
  char **v = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    v[i] = xstrdup (items[i]);
  return v;
}

static struct spec_mount *
mount_add (struct spec *s, const char *dest, const char *type, const char *source, const char *const *options)
{
  s->mounts = xrealloc (s->mounts, (s->mounts_len + 1) * sizeof *s->mounts);
  struct spec_mount *m = &s->mounts[s->mounts_len++];
  memset (m, 0, sizeof *m);
  m->destination = xstrdup (dest);
  m->type = xstrdup (type);
  m->source = source ? xstrdup (source) : NULL;
  m->options = strv_of (options);
  m->options_len = strv_len (m->options);
  return m;
}

static void
namespace_add (struct spec_linux *l, const char *type)
{
  l->namespaces = xrealloc (l->namespaces, (l->namespaces_len + 1) * sizeof *l->namespaces);
  l->namespaces[l->namespaces_len].type = xstrdup (type);
  l->namespaces[l->namespaces_len].path = NULL;
  l->namespaces_len++;
}

static void
annotation_add (struct spec *s, const char *key, const char *value)
{
  s->annotations = xrealloc (s->annotations, (s->annotations_len + 1) * sizeof *s->annotations);
  s->annotations[s->annotations_len].key = xstrdup (key);
  s->annotations[s->annotations_len].value = xstrdup (value);
  s->annotations_len++;
}

static int
add_mounts (struct spec *s, const struct sandbox_flags *f, struct cr_error *err)
{
  static const char *const proc_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const tmp_opts[] = { "nosuid", "nodev", "mode=1777", NULL };
  static const char *const shm_opts[] = { "nosuid", "nodev", "noexec", "mode=1777", NULL };
  static const char *const bind_opts[] = { "rbind", "rw", NULL };
  static const char *const ro_bind_opts[] = { "rbind", "ro", "nosuid", "nodev", NULL };
  mount_add (s, "/proc", "proc", "proc", proc_opts);
  /* The private tmpfs go first: a --bind or a workspace below /tmp then
     lands inside the private /tmp instead of under it. */
  mount_add (s, "/tmp", "tmpfs", "tmpfs", tmp_opts);
  mount_add (s, "/var/tmp", "tmpfs", "tmpfs", tmp_opts);
  mount_add (s, "/dev/shm", "tmpfs", "shm", shm_opts);
  for (size_t i = 0; i < f->mounts_len; i++)
    {
      const struct sandbox_mount *m = &f->mounts[i];
      if (m->kind == SANDBOX_TMPFS)
        {
          _cleanup_free_ char *size = NULL;
          if (m->size)
            xasprintf (&size, "size=%llu", m->size);
          const char *const opts[] = { "nosuid", "nodev", "mode=1777", size, NULL };
          mount_add (s, m->destination, "tmpfs", "tmpfs", opts);
          continue;
        }
      struct stat st;
      if (stat (m->source, &st) < 0)
        return cr_fail (err, errno, "%s %s", m->kind == SANDBOX_BIND ? "--bind" : "--ro-bind", m->source);
      mount_add (s, m->destination, "bind", m->source, m->kind == SANDBOX_BIND ? bind_opts : ro_bind_opts);
    }
  return 0;
}

static struct spec_process *
build_process (const struct sandbox_flags *f)
{
  struct spec_process *p = xcalloc (1, sizeof *p);
  p->terminal = f->terminal;
  p->user.uid = f->uid;
  p->user.gid = f->gid;
  p->args = strv_of ((const char *const *) f->args);
  p->args_len = strv_len (p->args);
  size_t n = f->env ? strv_len (f->env) : 0;
  p->env = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    p->env[i] = xstrdup (f->env[i]);
  p->env_len = n;
  p->cwd = xstrdup (f->cwd ? f->cwd : f->workspace_ct ? f->workspace_ct : "/");
  /* No capability at all, whatever the profile; no way to gain any. */
  p->capabilities = xcalloc (1, sizeof *p->capabilities);
  p->capabilities->bounding = xcalloc (1, sizeof (char *));
  p->capabilities->effective = xcalloc (1, sizeof (char *));
  p->capabilities->inheritable = xcalloc (1, sizeof (char *));
  p->capabilities->permitted = xcalloc (1, sizeof (char *));
  p->capabilities->ambient = xcalloc (1, sizeof (char *));
  p->no_new_privileges = true;
  if (f->rlimits_len)
    {
      p->rlimits = xcalloc (f->rlimits_len, sizeof *p->rlimits);
      for (size_t i = 0; i < f->rlimits_len; i++)
        {
          p->rlimits[i] = f->rlimits[i];
          p->rlimits[i].type = xstrdup (f->rlimits[i].type);
        }
      p->rlimits_len = f->rlimits_len;
    }
  return p;
}

static struct spec_resources *
build_resources (const struct sandbox_flags *f)
{
  struct spec_resources *r = xcalloc (1, sizeof *r);
  if (f->has_memory)
    {
      r->memory = xcalloc (1, sizeof *r->memory);
      r->memory->has_limit = true;
      r->memory->limit = f->memory;
    }
  if (f->has_cpus)
    {
      r->cpu = xcalloc (1, sizeof *r->cpu);
      r->cpu->has_period = true;
      r->cpu->period = 100000;
      r->cpu->has_quota = true;
      r->cpu->quota = (int64_t) (f->cpu_millis * 100);
    }
  if (f->has_pids)
    {
      r->has_pids_limit = true;
      r->pids_limit = f->pids;
    }
  return r;
}

int
sandbox_spec_build (const struct sandbox_flags *f, struct spec **out, struct cr_error *err)
{
  *out = NULL;
  if (f->args == NULL || f->args[0] == NULL)
    return cr_invalid (err, "missing CMD");
  const char *profile = f->profile ? f->profile : "strict";
  if (strcmp (profile, "strict") != 0 && strcmp (profile, "balanced") != 0)
    return cr_invalid (err, "--profile %s: expected strict or balanced", profile);
  if (f->network_host && strcmp (profile, "strict") == 0)
    return cr_invalid (err, "--network host: the strict profile always has its own network namespace (use --profile "
                            "balanced)");
  if (f->cwd && f->cwd[0] != '/')
    return cr_invalid (err, "--cwd %s: must be an absolute path", f->cwd);
  _cleanup_spec_ struct spec *s = xcalloc (1, sizeof *s);
  s->oci_version = xstrdup (OCI_VERSION);
  s->root = xcalloc (1, sizeof *s->root);
  s->root->path = xstrdup (f->rootfs ? f->rootfs : "/");
  s->root->readonly = true;
  if (f->hostname)
    s->hostname = xstrdup (f->hostname);
  int r = add_mounts (s, f, err);
  if (r < 0)
    return r;
  s->process = build_process (f);
  s->linux = xcalloc (1, sizeof *s->linux);
  static const char *const ns[] = { "pid", "ipc", "uts", "mount", "cgroup", NULL };
  for (size_t i = 0; ns[i]; i++)
    namespace_add (s->linux, ns[i]);
  if (!f->network_host)
    namespace_add (s->linux, "network");
  s->linux->resources = build_resources (f);
  annotation_add (s, SANDBOX_ANNOTATION, "1");
  annotation_add (s, CGROUP_HIERARCHIES_ANNOTATION, "needed");
  annotation_add (s, "run.cellrun.profile", profile);
  *out = TAKE_PTR (s);
  return 0;
}
