/* The profile translation: (bundle spec, request, operator config, caller
   environment) -> new spec.  Pure apart from resolving paths for the
   workspace and the writable allowlist; the runtime applies the result
   through its ordinary code paths, so a profile can never reach a code path
   a plain bundle could not.  Rule: a profile only ever adds restrictions;
   whatever the bundle already restricts stays restricted. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "base/capnames.h"
#include "policy/envpass.h"
#include "base/log.h"
#include "policy/profile.h"
#include "policy/profile_select.h"
#include "base/utils.h"

const struct spec_kv profile_annotations[] = {
  { (char *) PROFILE_ANNOTATION_PROFILE, (char *) "isolation profile applied to the bundle: strict or balanced" },
  { (char *) PROFILE_ANNOTATION_WORKSPACE, (char *) "writable workspace for the container" },
  { (char *) PROFILE_ANNOTATION_WORKSPACE_MAX, (char *) "size limit of the workspace in bytes" },
  { (char *) PROFILE_ANNOTATION_EXTRA_WRITABLE, (char *) "additional paths left writable under a profile" },
  { (char *) PROFILE_ANNOTATION_ENV,
    (char *) "environment pass-through policy: none, allow:PATTERNS or deny:PATTERNS" },
};
const size_t profile_annotations_len = ARRAY_SIZE (profile_annotations);
const char *const profile_unsafe_annotations[] = { PROFILE_ANNOTATION_PREFIX, NULL };

const char *const profile_masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
  NULL,
};

const char *const profile_readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

const char *const profile_balanced_capabilities[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
  NULL,
};

static const char *const strict_namespaces[] = { "pid", "ipc", "uts", "mount", "cgroup", "network", NULL };
static const char *const balanced_namespaces[] = { "pid", "ipc", "uts", "mount", NULL };
static const char *const strict_tmpfs[] = { "/tmp", "/var/tmp", "/dev/shm", NULL };

/* ---- names ------------------------------------------------------------- */

const char *
profile_level_name (enum profile_level level)
{
  switch (level)
    {
    case PROFILE_STRICT: return "strict";
    case PROFILE_BALANCED: return "balanced";
    default: return "none";
    }
}

int
profile_parse_name (const char *name, enum profile_level *out, struct cr_error *err)
{
  if (name == NULL || strcmp (name, "none") == 0)
    *out = PROFILE_NONE;
  else if (strcmp (name, "strict") == 0)
    *out = PROFILE_STRICT;
  else if (strcmp (name, "balanced") == 0)
    *out = PROFILE_BALANCED;
  else
    return cr_fail (err, EINVAL, "unknown profile \"%s\" (known: strict, balanced)", name);
  return 0;
}

/* ---- small spec editing helpers ----------------------------------------- */

static bool
strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

static void
strv_append (char ***v, size_t *len, const char *s)
{
  size_t n = *v ? strv_len (*v) : 0;
  *v = xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
  *len = n + 1;
}

static void
strv_union (char ***v, size_t *len, const char *const *add)
{
  for (size_t i = 0; add[i]; i++)
    if (!strv_contains (*v, add[i]))
      strv_append (v, len, add[i]);
}

static char **
strv_new (const char *const *items)
{
  size_t n = items ? strv_len ((char *const *) items) : 0;
  char **v = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    v[i] = xstrdup (items[i]);
  return v;
}

static void
strv_free (char **v)
{
  cr_strvfreep (&v);
}

static void
mount_clear (struct spec_mount *m)
{
  free (m->destination);
  free (m->type);
  free (m->source);
  strv_free (m->options);
  free (m->uid_mappings);
  free (m->gid_mappings);
  memset (m, 0, sizeof *m);
}

static void
mount_set (struct spec_mount *m, const char *dest, const char *type, const char *source, const char *const *options)
{
  m->destination = xstrdup (dest);
  m->type = xstrdup (type);
  m->source = xstrdup (source);
  m->options = strv_new (options);
  m->options_len = strv_len (m->options);
}

static bool
path_is_below_or_equal (const char *path, const char *base)
{
  size_t l = strlen (base);
  if (l == 1 && base[0] == '/')
    return true;
  return strncmp (path, base, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

/* Insert an empty slot at POS and return it. */
static struct spec_mount *
mounts_insert (struct spec *s, size_t pos)
{
  s->mounts = xrealloc (s->mounts, (s->mounts_len + 1) * sizeof *s->mounts);
  memmove (&s->mounts[pos + 1], &s->mounts[pos], (s->mounts_len - pos) * sizeof *s->mounts);
  s->mounts_len++;
  memset (&s->mounts[pos], 0, sizeof *s->mounts);
  return &s->mounts[pos];
}

static void
mounts_remove (struct spec *s, size_t pos)
{
  mount_clear (&s->mounts[pos]);
  memmove (&s->mounts[pos], &s->mounts[pos + 1], (s->mounts_len - pos - 1) * sizeof *s->mounts);
  s->mounts_len--;
}

/* Put a private tmpfs at DEST.  An existing mount at DEST is replaced in
   place (later duplicates removed); otherwise the tmpfs goes after the last
   mount that is a parent of DEST (/dev before /dev/shm) and before the first
   mount below DEST, so bundle mounts under /tmp stay visible on top of it. */
static void
mounts_put_private_tmpfs (struct spec *s, const char *dest)
{
  static const char *const opts[] = { "nosuid", "nodev", "mode=1777", NULL };
  ssize_t at = -1;
  for (size_t i = 0; i < s->mounts_len;)
    {
      if (s->mounts[i].destination && strcmp (s->mounts[i].destination, dest) == 0)
        {
          if (at < 0)
            {
              at = i;
              i++;
            }
          else
            mounts_remove (s, i);
          continue;
        }
      i++;
    }
  if (at >= 0)
    {
      mount_clear (&s->mounts[at]);
      mount_set (&s->mounts[at], dest, "tmpfs", "tmpfs", opts);
      return;
    }
  size_t pos = 0, first_below = s->mounts_len;
  for (size_t i = 0; i < s->mounts_len; i++)
    {
      const char *d = s->mounts[i].destination;
      if (d == NULL)
        continue;
      if (path_is_below_or_equal (dest, d))
        pos = i + 1;
      else if (path_is_below_or_equal (d, dest) && i < first_below)
        first_below = i;
    }
  if (first_below < pos)
    pos = first_below;
  mount_set (mounts_insert (s, pos), dest, "tmpfs", "tmpfs", opts);
}

/* Force a mount read-only: drop "rw", add "ro" once. */
static void
mount_force_ro (struct spec_mount *m)
{
  size_t n = 0;
  for (size_t i = 0; m->options && m->options[i]; i++)
    {
      if (strcmp (m->options[i], "rw") == 0)
        {
          free (m->options[i]);
          continue;
        }
      m->options[n++] = m->options[i];
    }
  if (m->options)
    m->options[n] = NULL;
  m->options_len = n;
  if (!strv_contains (m->options, "ro"))
    strv_append (&m->options, &m->options_len, "ro");
}

static bool
mount_is_sys_or_cgroup (const struct spec_mount *m)
{
  if (m->type
      && (strcmp (m->type, "sysfs") == 0 || strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0))
    return true;
  /* Also a bind of the host's /sys (rootless setups without a netns bind
     /sys instead of mounting sysfs) and anything bound at the cgroup root. */
  return m->destination
         && (strcmp (m->destination, "/sys") == 0 || path_is_below_or_equal (m->destination, "/sys/fs/cgroup"));
}

static struct spec_linux *
spec_linux_get (struct spec *s)
{
  if (s->linux == NULL)
    s->linux = xcalloc (1, sizeof *s->linux);
  return s->linux;
}

static void
namespaces_add_missing (struct spec *s, const char *const *types)
{
  struct spec_linux *l = spec_linux_get (s);
  for (size_t t = 0; types[t]; t++)
    {
      bool found = false;
      for (size_t i = 0; i < l->namespaces_len; i++)
        if (l->namespaces[i].type && strcmp (l->namespaces[i].type, types[t]) == 0)
          found = true; /* kept as is, with its path: joining a pod's netns must keep working */
      if (found)
        continue;
      l->namespaces = xrealloc (l->namespaces, (l->namespaces_len + 1) * sizeof *l->namespaces);
      l->namespaces[l->namespaces_len].type = xstrdup (types[t]);
      l->namespaces[l->namespaces_len].path = NULL;
      l->namespaces_len++;
    }
}

static bool
capset_contains (const char *const *set, const char *name)
{
  for (size_t i = 0; set && set[i]; i++)
    if (caps_name_equal (set[i], name))
      return true;
  return false;
}

/* Keep only the entries of *SET that are in ALLOWED (never adds). */
static void
capset_intersect (char ***set, size_t *len, const char *const *allowed)
{
  if (*set == NULL)
    return;
  size_t n = 0;
  for (size_t i = 0; (*set)[i]; i++)
    {
      if (capset_contains (allowed, (*set)[i]))
        (*set)[n++] = (*set)[i];
      else
        free ((*set)[i]);
    }
  (*set)[n] = NULL;
  *len = n;
}

static void
capset_empty (char ***set, size_t *len)
{
  strv_free (*set);
  *set = xcalloc (1, sizeof (char *));
  *len = 0;
}

static void
rlimit_set (struct spec_process *p, const char *type, uint64_t soft, uint64_t hard)
{
  for (size_t i = 0; i < p->rlimits_len; i++)
    if (p->rlimits[i].type && strcmp (p->rlimits[i].type, type) == 0)
      {
        p->rlimits[i].soft = soft;
        p->rlimits[i].hard = hard;
        return;
      }
  p->rlimits = xrealloc (p->rlimits, (p->rlimits_len + 1) * sizeof *p->rlimits);
  p->rlimits[p->rlimits_len].type = xstrdup (type);
  p->rlimits[p->rlimits_len].soft = soft;
  p->rlimits[p->rlimits_len].hard = hard;
  p->rlimits_len++;
}

/* ---- the two profiles --------------------------------------------------- */

static void
apply_common (struct spec *s, enum profile_level level)
{
  struct spec_linux *l = spec_linux_get (s);
  strv_union (&l->masked_paths, &l->masked_paths_len, profile_masked_paths);
  strv_union (&l->readonly_paths, &l->readonly_paths_len, profile_readonly_paths);
  if (s->process)
    s->process->no_new_privileges = true;
  spec_seccomp_free (l->profile_seccomp);
  l->profile_seccomp = profile_seccomp_build (level);
}

static void
apply_balanced (struct spec *s)
{
  namespaces_add_missing (s, balanced_namespaces);
  struct spec_capabilities *c = s->process ? s->process->capabilities : NULL;
  if (c)
    {
      capset_intersect (&c->bounding, &c->bounding_len, profile_balanced_capabilities);
      capset_intersect (&c->effective, &c->effective_len, profile_balanced_capabilities);
      capset_intersect (&c->inheritable, &c->inheritable_len, profile_balanced_capabilities);
      capset_intersect (&c->permitted, &c->permitted_len, profile_balanced_capabilities);
      capset_intersect (&c->ambient, &c->ambient_len, profile_balanced_capabilities);
    }
  apply_common (s, PROFILE_BALANCED);
}

static void
apply_strict (struct spec *s)
{
  namespaces_add_missing (s, strict_namespaces);
  if (s->process)
    {
      if (s->process->capabilities == NULL)
        s->process->capabilities = xcalloc (1, sizeof *s->process->capabilities);
      struct spec_capabilities *c = s->process->capabilities;
      capset_empty (&c->bounding, &c->bounding_len);
      capset_empty (&c->effective, &c->effective_len);
      capset_empty (&c->inheritable, &c->inheritable_len);
      capset_empty (&c->permitted, &c->permitted_len);
      capset_empty (&c->ambient, &c->ambient_len);
      rlimit_set (s->process, "RLIMIT_CORE", 0, 0);
    }
  if (s->root)
    s->root->readonly = true;
  for (size_t i = 0; strict_tmpfs[i]; i++)
    mounts_put_private_tmpfs (s, strict_tmpfs[i]);
  for (size_t i = 0; i < s->mounts_len; i++)
    if (mount_is_sys_or_cgroup (&s->mounts[i]))
      mount_force_ro (&s->mounts[i]);
  struct spec_linux *l = spec_linux_get (s);
  if (l->resources == NULL)
    l->resources = xcalloc (1, sizeof *l->resources);
  /* A non-positive limit means "unlimited" in the spec: not a limit the
     bundle chose to keep, so strict replaces it like an absent one. */
  if (!l->resources->has_pids_limit || l->resources->pids_limit <= 0)
    {
      l->resources->has_pids_limit = true;
      l->resources->pids_limit = PROFILE_STRICT_PIDS_LIMIT;
    }
  apply_common (s, PROFILE_STRICT);
}

/* ---- strict: writable host binds ---------------------------------------- */

static bool
mount_is_bind (const struct spec_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  return strv_contains (m->options, "bind") || strv_contains (m->options, "rbind");
}

/* The last of "ro" and "rw" wins (as in mount_options_parse); rw by default. */
static bool
mount_is_writable (const struct spec_mount *m)
{
  bool rw = true;
  for (size_t i = 0; m->options && m->options[i]; i++)
    if (strcmp (m->options[i], "ro") == 0)
      rw = false;
    else if (strcmp (m->options[i], "rw") == 0)
      rw = true;
  return rw;
}

/* Strict's floor: whatever the bundle asks, only paths in the operator's
   writable_allowlist are writable from the host.  A writable bind whose
   source resolves inside the allowlist is kept and mounted from the resolved
   path (what was checked is what gets mounted); any other is forced
   read-only (recursively for rbind), or refused when the operator set
   strict_bundle_binds = refuse.  WHAT names the mount's origin in errors. */
static int
strict_restrict_bind (struct spec_mount *m, const char *what, const struct cellrun_config *cfg,
                      char *const *operator_binds, struct cr_error *err)
{
  if (!mount_is_bind (m) || !mount_is_writable (m))
    return 0;
  /* The operator's own bind (sandbox --bind), named exactly: not a bundle's. */
  for (size_t i = 0; m->source && operator_binds && operator_binds[i]; i++)
    if (strcmp (operator_binds[i], m->source) == 0)
      return 0;
  struct cr_error ignored = { 0 };
  char *resolved = NULL;
  if (m->source && m->source[0] == '/'
      && path_within_allowlist (m->source, cfg ? cfg->writable_allowlist : NULL, &resolved, &ignored) == 0)
    {
      free (m->source);
      m->source = resolved;
      return 0;
    }
  if (cfg && cfg->strict_bundle_binds == CONFIG_STRICT_BINDS_REFUSE)
    return cr_fail (err, 0,
                    "%s %s: writable bind of host path %s is outside writable_allowlist (strict_bundle_binds = refuse)",
                    what, m->destination ? m->destination : "(no destination)", m->source ? m->source : "(none)");
  log_debug ("strict: %s %s (source %s) forced read-only: outside writable_allowlist", what, m->destination,
             m->source ? m->source : "(none)");
  mount_force_ro (m);
  return 0;
}

static int
strict_restrict_bundle_binds (struct spec *s, const struct cellrun_config *cfg, char *const *operator_binds,
                              struct cr_error *err)
{
  for (size_t i = 0; i < s->mounts_len; i++)
    {
      int r = strict_restrict_bind (&s->mounts[i], "mount", cfg, operator_binds, err);
      if (r < 0)
        return r;
    }
  return 0;
}

/* ---- workspace, extra-writable, env --------------------------------------- */

static size_t
path_depth (const char *p)
{
  size_t d = 0;
  for (; *p; p++)
    if (*p == '/' && p[1] != '\0' && p[1] != '/')
      d++;
  return d;
}

/* Mounts the profile layer appends go last, parents before children, so a
   workspace at /tmp/ws lands inside strict's private /tmp and an
   extra-writable path below the workspace stays visible.  Returns the new
   mount (valid until the next insertion). */
static struct spec_mount *
mount_append_sorted (struct spec *s, size_t first_appended, const char *dest, const char *type, const char *source,
                     const char *const *options)
{
  size_t pos = s->mounts_len, depth = path_depth (dest);
  for (size_t i = first_appended; i < s->mounts_len; i++)
    if (path_depth (s->mounts[i].destination) > depth)
      {
        pos = i;
        break;
      }
  struct spec_mount *m = mounts_insert (s, pos);
  mount_set (m, dest, type, source, options);
  return m;
}

static int
workspace_resolve (const struct spec *in, const struct profile_request *req, struct profile_result *res,
                   struct cr_error *err)
{
  const char *value = req->workspace;
  const char *what = "--workspace";
  if (value == NULL)
    {
      value = spec_annotation (in, PROFILE_ANNOTATION_WORKSPACE);
      what = "annotation " PROFILE_ANNOTATION_WORKSPACE;
    }
  const char *max = spec_annotation (in, PROFILE_ANNOTATION_WORKSPACE_MAX);
  if (value == NULL)
    {
      if (max)
        return cr_fail (err, EINVAL, "annotation %s set without a workspace", PROFILE_ANNOTATION_WORKSPACE_MAX);
      return 0;
    }
  int r = workspace_parse (value, &res->workspace, err);
  if (r < 0)
    return cr_wrap (err, "%s", what);
  struct workspace_request *w = &res->workspace;
  if (max)
    {
      if (strcmp (w->mode, "overlay") != 0)
        return cr_fail (err, EINVAL, "annotation %s applies to overlay workspaces only (mode is %s)",
                        PROFILE_ANNOTATION_WORKSPACE_MAX, w->mode);
      if (parse_byte_size (max, &w->max_bytes) < 0 || w->max_bytes == 0)
        return cr_fail (err, EINVAL, "annotation %s=%s: expected a positive byte count (e.g. 1048576, 512K, 5M, 1G)",
                        PROFILE_ANNOTATION_WORKSPACE_MAX, max);
    }
  struct stat st;
  if (stat (w->host_path, &st) < 0)
    {
      if (errno != ENOENT || strcmp (w->mode, "ro") == 0)
        return cr_fail (err, errno, "%s: workspace host path %s", what, w->host_path);
      /* rw/overlay: created by workspace_prepare_host_path at create time. */
    }
  else if (!S_ISDIR (st.st_mode))
    return cr_fail (err, ENOTDIR, "%s: workspace host path %s", what, w->host_path);
  if (strcmp (w->mode, "overlay") == 0)
    {
      if (req->state_dir == NULL)
        return cr_fail (err, EINVAL, "%s: an overlay workspace needs the container's state dir", what);
      /* overlay's option parser splits on ',' and uses ':' between lower
         dirs; such a host path cannot be expressed safely. */
      if (strpbrk (w->host_path, ",:\\") || strpbrk (req->state_dir, ",:\\"))
        return cr_fail (err, EINVAL, "%s: overlay workspace paths must not contain ',', ':' or '\\'", what);
      xasprintf (&res->workspace_dir, "%s/workspace", req->state_dir);
      xasprintf (&res->upper_dir, "%s/workspace/upper", req->state_dir);
      xasprintf (&res->work_dir, "%s/workspace/work", req->state_dir);
    }
  return 0;
}

/* Returns the workspace's mount (valid until the next insertion). */
static struct spec_mount *
workspace_add_mount (struct spec *s, size_t first_appended, const struct profile_result *res)
{
  const struct workspace_request *w = &res->workspace;
  if (strcmp (w->mode, "overlay") == 0)
    {
      _cleanup_free_ char *lower = NULL, *upper = NULL, *work = NULL;
      xasprintf (&lower, "lowerdir=%s", w->host_path);
      xasprintf (&upper, "upperdir=%s", res->upper_dir);
      xasprintf (&work, "workdir=%s", res->work_dir);
      /* redirect_dir and metacopy off: renamed directories are copied (a
         rename shows as D+A) and copied-up files hold their full data, which
         is what workspace_diff/commit read. */
      /* userxattr: the namespace of the overlay's markers, which diff must
         read (the state records it). */
      const char *xattr_opt = w->userxattr ? "userxattr" : NULL;
      /* With userxattr the kernel takes redirect_dir=off for "follow" (the
         redirect_always_follow default) and refuses it: nofollow creates no
         redirects either. */
      const char *redirect = w->userxattr ? "redirect_dir=nofollow" : "redirect_dir=off";
      const char *const opts[] = { lower, upper, work, redirect, "metacopy=off", xattr_opt, NULL };
      return mount_append_sorted (s, first_appended, w->container_path, "overlay", "overlay", opts);
    }
  if (strcmp (w->mode, "ro") == 0)
    {
      static const char *const opts[] = { "rbind", "ro", "nosuid", "nodev", NULL };
      return mount_append_sorted (s, first_appended, w->container_path, "bind", w->host_path, opts);
    }
  static const char *const opts[] = { "rbind", "rw", NULL };
  return mount_append_sorted (s, first_appended, w->container_path, "bind", w->host_path, opts);
}

static int
extra_writable_apply (struct spec *s, size_t first_appended, const char *value, const struct cellrun_config *cfg,
                      struct profile_result *res, struct cr_error *err)
{
  _cleanup_free_ char *copy = xstrdup (value);
  size_t n = 0;
  res->extra_writable = xcalloc (1, sizeof (char *));
  char *save = NULL;
  for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      tok = str_trim_spaces (tok);
      if (*tok == '\0')
        continue;
      if (tok[0] != '/')
        return cr_fail (err, EINVAL, "annotation %s: %s is not an absolute path", PROFILE_ANNOTATION_EXTRA_WRITABLE,
                        tok);
      char *resolved = NULL;
      int r = path_within_allowlist (tok, cfg ? cfg->writable_allowlist : NULL, &resolved, err);
      if (r < 0)
        return cr_wrap (err, "annotation %s", PROFILE_ANNOTATION_EXTRA_WRITABLE);
      static const char *const opts[] = { "rbind", "rw", NULL };
      /* Bound at the same path it was requested as, from its resolved
         location: what was checked is what gets mounted. */
      mount_append_sorted (s, first_appended, tok, "bind", resolved, opts);
      res->extra_writable = xrealloc (res->extra_writable, (n + 2) * sizeof (char *));
      res->extra_writable[n++] = resolved;
      res->extra_writable[n] = NULL;
    }
  return 0;
}

static int
env_apply (struct spec *s, const struct profile_request *req, char *const *caller_env, struct profile_result *res,
           struct cr_error *err)
{
  const char *policy = req->env_pass;
  const char *what = "--env-pass";
  res->env_from_operator = policy != NULL;
  if (policy == NULL)
    {
      policy = spec_annotation (s, PROFILE_ANNOTATION_ENV);
      what = "annotation " PROFILE_ANNOTATION_ENV;
    }
  if (policy == NULL)
    policy = "none";
  int r = envpass_validate (policy, err);
  if (r < 0)
    return cr_wrap (err, "%s", what);
  res->env_policy = xstrdup (policy);
  if (s->process == NULL)
    return 0;
  res->env_explicit_len = s->process->env ? strv_len (s->process->env) : 0;
  _cleanup_strv_ char **passed = NULL;
  r = envpass_compute (policy, res->env_from_operator ? ENVPASS_FROM_OPERATOR : ENVPASS_FROM_BUNDLE, caller_env, NULL,
                       &passed, err);
  if (r < 0)
    return r;
  if (passed[0] == NULL)
    return 0;
  char **merged = NULL;
  envpass_merge (s->process->env, passed, &merged);
  strv_free (s->process->env);
  s->process->env = merged;
  s->process->env_len = strv_len (merged);
  return 0;
}

/* ---- rootless -------------------------------------------------------------- */

static void
single_mapping (struct spec_id_mapping **map, size_t *len, uint32_t host)
{
  *map = xcalloc (1, sizeof **map);
  (*map)->container_id = 0;
  (*map)->host_id = host;
  (*map)->size = 1;
  *len = 1;
}

/* An unprivileged caller (not even root of a user namespace) can make the
   other namespaces only as root of a user namespace of its own: one is added (when the spec makes any new
   namespace and names no user namespace), and a new user namespace without
   mappings maps container 0 to the caller (docs/rootless.md). */
static void
apply_rootless (struct spec *s, const struct profile_request *req)
{
  struct spec_linux *l = spec_linux_get (s);
  bool has_user = false, new_user = false, any_new = false;
  for (size_t i = 0; i < l->namespaces_len; i++)
    {
      bool is_new = l->namespaces[i].path == NULL || *l->namespaces[i].path == '\0';
      any_new |= is_new;
      if (l->namespaces[i].type && strcmp (l->namespaces[i].type, "user") == 0)
        has_user = true, new_user = is_new;
    }
  if (!has_user && any_new)
    {
      static const char *const user[] = { "user", NULL };
      namespaces_add_missing (s, user);
      new_user = true;
    }
  if (!new_user)
    return;
  if (l->uid_mappings_len == 0)
    single_mapping (&l->uid_mappings, &l->uid_mappings_len, req->caller_uid);
  if (l->gid_mappings_len == 0)
    single_mapping (&l->gid_mappings, &l->gid_mappings_len, req->caller_gid);
}

/* ---- entry points -------------------------------------------------------- */

/* The steps of profile_apply on S (a copy of IN); RES is filled as they go. */
static int
apply_steps (struct spec *s, const struct spec *in, const struct profile_request *req, const struct cellrun_config *cfg,
             char *const *caller_env, enum profile_level level, struct profile_result *res, struct cr_error *err)
{
  int r = workspace_resolve (in, req, res, err);
  if (r < 0)
    return r;
  /* A kernel overlay mounted in a user namespace keeps its markers in
     user.overlay.* (trusted.* needs the host's CAP_SYS_ADMIN). */
  if (req->rootless && res->workspace.present && strcmp (res->workspace.mode, "overlay") == 0)
    res->workspace.userxattr = true;
  r = env_apply (s, req, caller_env, res, err);
  if (r < 0)
    return r;
  if (level == PROFILE_STRICT)
    {
      apply_strict (s);
      /* Only the bundle's mounts and strict's tmpfs exist yet: the
         operator's workspace and the allowlisted extra-writable paths below
         are not subject to it. */
      r = strict_restrict_bundle_binds (s, cfg, req->operator_binds, err);
      if (r < 0)
        return r;
    }
  else if (level == PROFILE_BALANCED)
    apply_balanced (s);
  /* Root of a user namespace (rootless podman) creates namespaces without a
     nested one, and a nested one would map only its uid 0. */
  if (req->rootless && req->caller_uid != 0)
    apply_rootless (s, req);

  /* Appended after the profile's own mounts: see mount_append_sorted. */
  size_t first_appended = s->mounts_len;
  if (res->workspace.present)
    {
      /* A bundle mount below the workspace (sandbox --bind /x:/tmp/out with
         the workspace at /tmp) goes on top of it, or the workspace would
         hide it: it moves behind the workspace, its order kept. */
      size_t below = 0;
      for (size_t i = 0; i < first_appended - below;)
        if (s->mounts[i].destination && path_is_below_or_equal (s->mounts[i].destination, res->workspace.container_path)
            && strcmp (s->mounts[i].destination, res->workspace.container_path) != 0)
          {
            struct spec_mount m = s->mounts[i];
            memmove (&s->mounts[i], &s->mounts[i + 1], (s->mounts_len - i - 1) * sizeof m);
            s->mounts[s->mounts_len - 1] = m;
            below++;
          }
        else
          i++;
      first_appended -= below;
      struct spec_mount *wm = workspace_add_mount (s, first_appended, res);
      /* A workspace the bundle chose (annotation, not --workspace) is a
         bundle bind like any other (an overlay never writes to the host). */
      if (level == PROFILE_STRICT && req->workspace == NULL
          && (r = strict_restrict_bind (wm, "annotation " PROFILE_ANNOTATION_WORKSPACE, cfg, NULL, err)) < 0)
        return r;
    }
  const char *extra = spec_annotation (in, PROFILE_ANNOTATION_EXTRA_WRITABLE);
  if (extra)
    return extra_writable_apply (s, first_appended, extra, cfg, res, err);
  return 0;
}

int
profile_apply (const struct spec *in, const struct profile_request *req, const struct cellrun_config *cfg,
               char *const *caller_env, struct spec **out, struct profile_result *res, struct cr_error *err)
{
  static const struct profile_request no_request = { 0 };
  if (req == NULL)
    req = &no_request;
  memset (res, 0, sizeof *res);
  *out = NULL;
  enum profile_level level = PROFILE_NONE;
  int r = profile_select (in, req, cfg, &level, err);
  if (r < 0)
    return r;
  res->profile = xstrdup (profile_level_name (level));

  _cleanup_spec_ struct spec *s = spec_dup (in);
  r = apply_steps (s, in, req, cfg, caller_env, level, res, err);
  if (r < 0)
    {
      profile_result_clear (res);
      return r;
    }
  log_debug ("profile %s applied (workspace %s, env %s)", res->profile,
             res->workspace.present ? res->workspace.mode : "none", res->env_policy);
  *out = TAKE_PTR (s);
  return 0;
}

void
profile_result_clear (struct profile_result *r)
{
  if (r == NULL)
    return;
  free (r->profile);
  workspace_request_clear (&r->workspace);
  free (r->upper_dir);
  free (r->work_dir);
  free (r->workspace_dir);
  free (r->env_policy);
  strv_free (r->extra_writable);
  memset (r, 0, sizeof *r);
}

/* ---- `cellrun profile show` --------------------------------------------- */

static void
text_list (struct text_buf *t, const char *label, const char *const *items)
{
  text_append (t, "%s:", label);
  for (size_t i = 0; items[i]; i++)
    text_append (t, "%s%s", i ? ", " : " ", items[i]);
  text_append (t, "\n");
}

static void
text_seccomp (struct text_buf *t, enum profile_level level)
{
  _cleanup_free_ char *s = profile_seccomp_describe (level);
  text_append (t, "%s", s);
}

int
profile_describe (const char *name, char **text, struct cr_error *err)
{
  enum profile_level level = PROFILE_NONE;
  int r = profile_parse_name (name, &level, err);
  if (r < 0)
    return r;
  struct text_buf t = { xstrdup (""), 0 };
  text_append (&t, "profile: %s\n", profile_level_name (level));
  if (level == PROFILE_NONE)
    {
      text_append (&t, "plain OCI behaviour: the bundle's config.json is applied unchanged\n");
      *text = t.buf;
      return 0;
    }
  if (level == PROFILE_STRICT)
    {
      text_list (&t, "namespaces added when missing", strict_namespaces);
      text_append (&t, "network: new namespace with only loopback, unless the bundle joins one by path\n");
      text_append (&t, "capabilities: all five sets empty\n");
      text_append (&t, "root: read-only\n");
      text_list (&t, "private tmpfs (nosuid,nodev,mode=1777)", strict_tmpfs);
      text_append (&t, "sysfs and cgroup mounts: read-only\n");
      text_append (&t, "rlimits: RLIMIT_CORE 0/0\n");
      text_append (&t, "pids limit: %d when the bundle sets none\n", PROFILE_STRICT_PIDS_LIMIT);
    }
  else
    {
      text_list (&t, "namespaces added when missing", balanced_namespaces);
      text_append (&t, "network: as the bundle says\n");
      text_list (&t, "capabilities: each set intersected with", profile_balanced_capabilities);
    }
  text_append (&t, "noNewPrivileges: true\n");
  text_list (&t, "masked paths added", profile_masked_paths);
  text_list (&t, "read-only paths added", profile_readonly_paths);
  text_seccomp (&t, level);
  text_append (&t, "environment pass-through default: none\n");
  text_list (&t, "secret denylist (names, ignoring case; also any value with a URL userinfo@)",
             envpass_secret_patterns);
  *text = t.buf;
  return 0;
}
