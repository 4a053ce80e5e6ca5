/* config.json -> struct spec. Every structure is allocated zeroed and
   attached to its parent before its fields are parsed, so on the first
   error the caller frees the whole partial tree with spec_free. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "base/utils.h"

/* Sub-object helper: KEY of OBJ, parsed by FN into a freshly allocated
   struct of SIZE stored in *OUT; absent leaves *OUT NULL. */
typedef int (*parse_object_fn) (struct json_ctx *c, json_val v, void *out);

static int
parse_sub_object (struct json_ctx *c, json_val obj, const char *key, bool required, size_t size, void **out,
                  parse_object_fn fn)
{
  json_val v;
  int r = json_get_object (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  *out = xcalloc (1, size);
  size_t old = json_push_key (c, key);
  r = fn (c, v, *out);
  json_pop (c, old);
  return r < 0 ? r : 1;
}

/* Freeing. Each function accepts partially filled structs. */

static void
hook_array_free (struct spec_hook *h, size_t n)
{
  if (h == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].path);
      json_strv_free (h[i].args);
      json_strv_free (h[i].env);
    }
  free (h);
}

static void
hooks_free (struct spec_hooks *h)
{
  if (h == NULL)
    return;
  hook_array_free (h->prestart, h->prestart_len);
  hook_array_free (h->create_runtime, h->create_runtime_len);
  hook_array_free (h->create_container, h->create_container_len);
  hook_array_free (h->start_container, h->start_container_len);
  hook_array_free (h->poststart, h->poststart_len);
  hook_array_free (h->poststop, h->poststop_len);
  free (h);
}

void
spec_process_free (struct spec_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  free (p->user.username);
  json_strv_free (p->args);
  free (p->command_line);
  json_strv_free (p->env);
  free (p->cwd);
  if (p->capabilities)
    {
      json_strv_free (p->capabilities->bounding);
      json_strv_free (p->capabilities->effective);
      json_strv_free (p->capabilities->inheritable);
      json_strv_free (p->capabilities->permitted);
      json_strv_free (p->capabilities->ambient);
      free (p->capabilities);
    }
  for (size_t i = 0; i < p->rlimits_len; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p->io_priority_class);
  free (p->scheduler_policy);
  free (p);
}

void
spec_seccomp_free (struct spec_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->default_action);
  json_strv_free (s->architectures);
  json_strv_free (s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      struct spec_seccomp_syscall *sc = &s->syscalls[i];
      json_strv_free (sc->names);
      free (sc->action);
      for (size_t j = 0; j < sc->args_len; j++)
        free (sc->args[j].op);
      free (sc->args);
    }
  free (s->syscalls);
  free (s);
}

static void
linux_free (struct spec_linux *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->namespaces_len; i++)
    {
      free (l->namespaces[i].type);
      free (l->namespaces[i].path);
    }
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; i < l->time_offsets_len; i++)
    free (l->time_offsets[i].clock);
  free (l->time_offsets);
  for (size_t i = 0; i < l->devices_len; i++)
    {
      free (l->devices[i].type);
      free (l->devices[i].path);
    }
  free (l->devices);
  free (l->cgroups_path);
  spec_resources_free (l->resources);
  free (l->rootfs_propagation);
  spec_seccomp_free (l->seccomp);
  json_kv_free (l->sysctl, l->sysctl_len);
  json_strv_free (l->masked_paths);
  json_strv_free (l->readonly_paths);
  free (l->mount_label);
  if (l->personality)
    {
      free (l->personality->domain);
      json_strv_free (l->personality->flags);
      free (l->personality);
    }
  spec_seccomp_free (l->profile_seccomp);
  free (l);
}

void
spec_free (struct spec *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  if (s->root)
    {
      free (s->root->path);
      free (s->root);
    }
  for (size_t i = 0; i < s->mounts_len; i++)
    {
      struct spec_mount *m = &s->mounts[i];
      free (m->destination);
      free (m->type);
      free (m->source);
      json_strv_free (m->options);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (s->mounts);
  spec_process_free (s->process);
  free (s->hostname);
  free (s->domainname);
  hooks_free (s->hooks);
  json_kv_free (s->annotations, s->annotations_len);
  linux_free (s->linux);
  free (s);
}

/* Version gate: the struct layout follows 1.0 - 1.2; a 2.x document
   could mean something different for the same keys. */
static bool
oci_version_supported (const char *v)
{
  if (strncmp (v, "1.0.", 4) != 0 && strncmp (v, "1.1.", 4) != 0 && strncmp (v, "1.2.", 4) != 0)
    return false;
  const char *p = v + 4;
  size_t digits = strspn (p, "0123456789");
  if (digits == 0)
    return false;
  p += digits;
  /* Pre-release ("-rc5", "-dev") and build ("+dev") suffixes. */
  return *p == '\0' || *p == '-' || *p == '+';
}

/* process */

static int
parse_id_mapping (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_id_mapping *m = elem;
  TRY (json_get_uint32 (c, v, "containerID", true, &m->container_id));
  TRY (json_get_uint32 (c, v, "hostID", true, &m->host_id));
  TRY (json_get_uint32 (c, v, "size", true, &m->size));
  return 0;
}

static int
parse_rlimit (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_rlimit *r = elem;
  TRY (json_get_string (c, v, "type", true, &r->type));
  if (!has_prefix (r->type, "RLIMIT_"))
    return json_fail_key (c, "type", "expected an RLIMIT_* name, got \"%s\"", r->type);
  TRY (json_get_uint64 (c, v, "hard", true, &r->hard));
  TRY (json_get_uint64 (c, v, "soft", true, &r->soft));
  return 0;
}

static int
parse_capabilities (struct json_ctx *c, json_val v, void *out)
{
  struct spec_capabilities *caps = out;
  TRY (json_get_strv (c, v, "bounding", false, &caps->bounding, &caps->bounding_len));
  TRY (json_get_strv (c, v, "effective", false, &caps->effective, &caps->effective_len));
  TRY (json_get_strv (c, v, "inheritable", false, &caps->inheritable, &caps->inheritable_len));
  TRY (json_get_strv (c, v, "permitted", false, &caps->permitted, &caps->permitted_len));
  TRY (json_get_strv (c, v, "ambient", false, &caps->ambient, &caps->ambient_len));
  return 0;
}

static int
parse_user (struct json_ctx *c, json_val v, struct spec_user *u)
{
  json_val gids;
  int r;
  TRY (json_get_uint32 (c, v, "uid", true, &u->uid));
  TRY (json_get_uint32 (c, v, "gid", true, &u->gid));
  OPT (u->has_umask, json_get_uint32 (c, v, "umask", false, &u->umask));
  TRY (r = json_get_array (c, v, "additionalGids", false, &gids));
  if (r > 0)
    {
      size_t n = gids->u.array.len;
      u->additional_gids = xcalloc (n ? n : 1, sizeof *u->additional_gids);
      u->additional_gids_len = n;
      size_t old = json_push_key (c, "additionalGids");
      for (size_t i = 0; i < n && r >= 0; i++)
        {
          uint64_t gid = 0;
          size_t old_i = json_push_index (c, i);
          r = json_as_uint64 (c, gids->u.array.values[i], UINT32_MAX, &gid);
          u->additional_gids[i] = (uint32_t) gid;
          json_pop (c, old_i);
        }
      json_pop (c, old);
      TRY (r);
    }
  TRY (json_get_string (c, v, "username", false, &u->username));
  return 0;
}

static int
parse_process_fields (struct json_ctx *c, json_val v, struct spec_process *p)
{
  static const char *const io_classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };
  json_val sub;
  size_t old;
  int r;

  TRY (json_get_bool (c, v, "terminal", false, &p->terminal));
  TRY (r = json_get_object (c, v, "consoleSize", false, &sub));
  if (r > 0)
    {
      old = json_push_key (c, "consoleSize");
      r = json_get_uint32 (c, sub, "height", true, &p->console_height);
      if (r >= 0)
        r = json_get_uint32 (c, sub, "width", true, &p->console_width);
      json_pop (c, old);
      TRY (r);
      p->has_console_size = true;
    }

  TRY (json_get_object (c, v, "user", true, &sub));
  old = json_push_key (c, "user");
  r = parse_user (c, sub, &p->user);
  json_pop (c, old);
  TRY (r);

  /* config.md: args is optional only for Windows (commandLine). */
  TRY (json_get_strv (c, v, "args", true, &p->args, &p->args_len));
  if (p->args_len == 0)
    return json_fail_key (c, "args", "at least one entry is required");
  TRY (json_get_string (c, v, "commandLine", false, &p->command_line));
  TRY (json_get_strv (c, v, "env", false, &p->env, &p->env_len));
  TRY (json_get_string (c, v, "cwd", true, &p->cwd));
  if (p->cwd[0] != '/')
    return json_fail_key (c, "cwd", "expected an absolute path");

  TRY (parse_sub_object (c, v, "capabilities", false, sizeof *p->capabilities, (void **) &p->capabilities,
                         parse_capabilities));
  TRY (json_get_object_array (c, v, "rlimits", false, sizeof *p->rlimits, (void **) &p->rlimits, &p->rlimits_len,
                              parse_rlimit));
  TRY (json_get_bool (c, v, "noNewPrivileges", false, &p->no_new_privileges));
  OPT (p->has_oom_score_adj, json_get_int (c, v, "oomScoreAdj", false, &p->oom_score_adj));
  TRY (json_get_string (c, v, "apparmorProfile", false, &p->apparmor_profile));
  TRY (json_get_string (c, v, "selinuxLabel", false, &p->selinux_label));

  TRY (r = json_get_object (c, v, "ioPriority", false, &sub));
  if (r > 0)
    {
      old = json_push_key (c, "ioPriority");
      r = json_get_string (c, sub, "class", true, &p->io_priority_class);
      if (r >= 0)
        r = json_check_enum (c, "class", p->io_priority_class, io_classes);
      if (r >= 0)
        r = json_get_int (c, sub, "priority", false, &p->io_priority);
      if (r >= 0)
        p->has_io_priority = r > 0;
      json_pop (c, old);
      TRY (r);
    }

  TRY (r = json_get_object (c, v, "scheduler", false, &sub));
  if (r > 0)
    {
      old = json_push_key (c, "scheduler");
      r = json_get_string (c, sub, "policy", true, &p->scheduler_policy);
      json_pop (c, old);
      TRY (r);
    }
  return 0;
}

int
spec_process_parse_json (struct json_ctx *c, json_val v, struct spec_process **out)
{
  _cleanup_spec_process_ struct spec_process *p = xcalloc (1, sizeof *p);
  int r = parse_process_fields (c, v, p);
  if (r < 0)
    return r;
  *out = TAKE_PTR (p);
  return 0;
}

struct spec_process *
spec_parse_process_data (const char *data, size_t len, struct cr_error *err)
{
  struct json_ctx c;
  struct spec_process *p = NULL;
  _cleanup_json_tree_ json_val tree = json_tree_parse (data, len, "process.json", err);
  if (tree == NULL)
    return NULL;
  json_ctx_init (&c, "process", err);
  if (!YAJL_IS_OBJECT (tree))
    json_fail (&c, "expected an object");
  else
    spec_process_parse_json (&c, tree, &p);
  return p;
}

/* root, mounts, hooks */

static int
parse_root (struct json_ctx *c, json_val v, void *out)
{
  struct spec_root *root = out;
  TRY (json_get_string (c, v, "path", true, &root->path));
  TRY (json_get_bool (c, v, "readonly", false, &root->readonly));
  return 0;
}

static int
parse_mount (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_mount *m = elem;
  TRY (json_get_string (c, v, "destination", true, &m->destination));
  TRY (json_get_string (c, v, "type", false, &m->type));
  TRY (json_get_string (c, v, "source", false, &m->source));
  TRY (json_get_strv (c, v, "options", false, &m->options, &m->options_len));
  TRY (json_get_object_array (c, v, "uidMappings", false, sizeof *m->uid_mappings, (void **) &m->uid_mappings,
                              &m->uid_mappings_len, parse_id_mapping));
  TRY (json_get_object_array (c, v, "gidMappings", false, sizeof *m->gid_mappings, (void **) &m->gid_mappings,
                              &m->gid_mappings_len, parse_id_mapping));
  return 0;
}

static int
parse_hook (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_hook *h = elem;
  TRY (json_get_string (c, v, "path", true, &h->path));
  TRY (json_get_strv (c, v, "args", false, &h->args, &h->args_len));
  TRY (json_get_strv (c, v, "env", false, &h->env, &h->env_len));
  OPT (h->has_timeout, json_get_int (c, v, "timeout", false, &h->timeout));
  if (h->has_timeout && h->timeout <= 0)
    return json_fail_key (c, "timeout", "expected a positive integer");
  return 0;
}

static int
parse_hooks (struct json_ctx *c, json_val v, void *out)
{
  struct spec_hooks *h = out;
#define HOOKS(key, field)                                                                                        \
  TRY (json_get_object_array (c, v, key, false, sizeof (struct spec_hook), (void **) &h->field, &h->field##_len, \
                              parse_hook))
  HOOKS ("prestart", prestart);
  HOOKS ("createRuntime", create_runtime);
  HOOKS ("createContainer", create_container);
  HOOKS ("startContainer", start_container);
  HOOKS ("poststart", poststart);
  HOOKS ("poststop", poststop);
#undef HOOKS
  return 0;
}

/* linux */

static int
parse_namespace (struct json_ctx *c, json_val v, void *elem)
{
  static const char *const types[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL };
  struct spec_namespace *ns = elem;
  TRY (json_get_string (c, v, "type", true, &ns->type));
  TRY (json_check_enum (c, "type", ns->type, types));
  TRY (json_get_string (c, v, "path", false, &ns->path));
  return 0;
}

static int
parse_device (struct json_ctx *c, json_val v, void *elem)
{
  static const char *const types[] = { "c", "b", "u", "p", NULL };
  struct spec_device *d = elem;
  TRY (json_get_string (c, v, "type", true, &d->type));
  TRY (json_check_enum (c, "type", d->type, types));
  TRY (json_get_string (c, v, "path", true, &d->path));
  /* Character and block devices need numbers; fifos have none. */
  bool needs_numbers = strcmp (d->type, "p") != 0;
  OPT (d->has_major, json_get_int64 (c, v, "major", needs_numbers, &d->major));
  OPT (d->has_minor, json_get_int64 (c, v, "minor", needs_numbers, &d->minor));
  OPT (d->has_file_mode, json_get_uint32 (c, v, "fileMode", false, &d->file_mode));
  OPT (d->has_uid, json_get_uint32 (c, v, "uid", false, &d->uid));
  OPT (d->has_gid, json_get_uint32 (c, v, "gid", false, &d->gid));
  return 0;
}

static int
parse_seccomp_arg (struct json_ctx *c, json_val v, void *elem)
{
  static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
                                     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };
  struct spec_seccomp_arg *a = elem;
  TRY (json_get_uint32 (c, v, "index", true, &a->index));
  TRY (json_get_uint64 (c, v, "value", true, &a->value));
  OPT (a->has_value_two, json_get_uint64 (c, v, "valueTwo", false, &a->value_two));
  TRY (json_get_string (c, v, "op", true, &a->op));
  TRY (json_check_enum (c, "op", a->op, ops));
  return 0;
}

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL
};

static int
parse_seccomp_syscall (struct json_ctx *c, json_val v, void *elem)
{
  struct spec_seccomp_syscall *sc = elem;
  TRY (json_get_strv (c, v, "names", true, &sc->names, &sc->names_len));
  TRY (json_get_string (c, v, "action", true, &sc->action));
  TRY (json_check_enum (c, "action", sc->action, seccomp_actions));
  OPT (sc->has_errno_ret, json_get_uint32 (c, v, "errnoRet", false, &sc->errno_ret));
  TRY (json_get_object_array (c, v, "args", false, sizeof *sc->args, (void **) &sc->args, &sc->args_len,
                              parse_seccomp_arg));
  return 0;
}

static int
parse_seccomp (struct json_ctx *c, json_val v, void *out)
{
  struct spec_seccomp *s = out;
  TRY (json_get_string (c, v, "defaultAction", true, &s->default_action));
  TRY (json_check_enum (c, "defaultAction", s->default_action, seccomp_actions));
  OPT (s->has_default_errno_ret, json_get_uint32 (c, v, "defaultErrnoRet", false, &s->default_errno_ret));
  TRY (json_get_strv (c, v, "architectures", false, &s->architectures, &s->architectures_len));
  TRY (json_get_strv (c, v, "flags", false, &s->flags, &s->flags_len));
  TRY (json_get_string (c, v, "listenerPath", false, &s->listener_path));
  TRY (json_get_string (c, v, "listenerMetadata", false, &s->listener_metadata));
  TRY (json_get_object_array (c, v, "syscalls", false, sizeof *s->syscalls, (void **) &s->syscalls, &s->syscalls_len,
                              parse_seccomp_syscall));
  return 0;
}

static int
parse_personality (struct json_ctx *c, json_val v, void *out)
{
  static const char *const domains[] = { "LINUX", "LINUX32", NULL };
  struct spec_personality *p = out;
  TRY (json_get_string (c, v, "domain", true, &p->domain));
  TRY (json_check_enum (c, "domain", p->domain, domains));
  TRY (json_get_strv (c, v, "flags", false, &p->flags, &p->flags_len));
  return 0;
}

/* timeOffsets is an object keyed by clock name. */
static int
parse_time_offsets (struct json_ctx *c, json_val obj, struct spec_linux *l)
{
  static const char *const clocks[] = { "monotonic", "boottime", NULL };
  json_val v;
  int r = json_get_object (c, obj, "timeOffsets", false, &v);
  if (r <= 0)
    return r;
  size_t n = v->u.object.len;
  l->time_offsets = xcalloc (n ? n : 1, sizeof *l->time_offsets);
  l->time_offsets_len = n;
  size_t old = json_push_key (c, "timeOffsets");
  for (size_t i = 0; i < n && r >= 0; i++)
    {
      struct spec_time_offset *t = &l->time_offsets[i];
      json_val e = v->u.object.values[i];
      t->clock = xstrdup (v->u.object.keys[i]);
      r = json_check_enum (c, t->clock, t->clock, clocks);
      if (r < 0)
        break;
      size_t old_i = json_push_key (c, t->clock);
      if (!YAJL_IS_OBJECT (e))
        r = json_fail (c, "expected an object");
      if (r >= 0)
        r = json_get_int64 (c, e, "secs", false, &t->secs);
      if (r >= 0)
        r = json_get_uint32 (c, e, "nanosecs", false, &t->nanosecs);
      json_pop (c, old_i);
    }
  json_pop (c, old);
  return r;
}

static int
check_duplicate_namespaces (struct json_ctx *c, const struct spec_linux *l)
{
  for (size_t i = 0; i < l->namespaces_len; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp (l->namespaces[i].type, l->namespaces[j].type) == 0)
        {
          size_t old = json_push_key (c, "namespaces");
          size_t old_i = json_push_index (c, i);
          int r = json_fail_key (c, "type", "namespace \"%s\" listed more than once", l->namespaces[i].type);
          json_pop (c, old_i);
          json_pop (c, old);
          return r;
        }
  return 0;
}

static int
parse_resources_member (struct json_ctx *c, json_val v, struct spec_linux *l)
{
  json_val sub;
  int r = json_get_object (c, v, "resources", false, &sub);
  if (r <= 0)
    return r;
  size_t old = json_push_key (c, "resources");
  r = spec_resources_parse_json (c, sub, &l->resources);
  json_pop (c, old);
  return r;
}

static int
parse_linux (struct json_ctx *c, json_val v, void *out)
{
  static const char *const propagations[] = { "shared", "slave",    "private",     "unbindable", "rshared",
                                              "rslave", "rprivate", "runbindable", NULL };
  struct spec_linux *l = out;
  TRY (json_get_object_array (c, v, "namespaces", false, sizeof *l->namespaces, (void **) &l->namespaces,
                              &l->namespaces_len, parse_namespace));
  TRY (check_duplicate_namespaces (c, l));
  TRY (json_get_object_array (c, v, "uidMappings", false, sizeof *l->uid_mappings, (void **) &l->uid_mappings,
                              &l->uid_mappings_len, parse_id_mapping));
  TRY (json_get_object_array (c, v, "gidMappings", false, sizeof *l->gid_mappings, (void **) &l->gid_mappings,
                              &l->gid_mappings_len, parse_id_mapping));
  TRY (parse_time_offsets (c, v, l));
  TRY (json_get_object_array (c, v, "devices", false, sizeof *l->devices, (void **) &l->devices, &l->devices_len,
                              parse_device));
  TRY (json_get_string (c, v, "cgroupsPath", false, &l->cgroups_path));
  TRY (parse_resources_member (c, v, l));
  TRY (json_get_string (c, v, "rootfsPropagation", false, &l->rootfs_propagation));
  if (l->rootfs_propagation)
    TRY (json_check_enum (c, "rootfsPropagation", l->rootfs_propagation, propagations));
  TRY (parse_sub_object (c, v, "seccomp", false, sizeof *l->seccomp, (void **) &l->seccomp, parse_seccomp));
  TRY (json_get_string_map (c, v, "sysctl", &l->sysctl, &l->sysctl_len));
  TRY (json_get_strv (c, v, "maskedPaths", false, &l->masked_paths, &l->masked_paths_len));
  TRY (json_get_strv (c, v, "readonlyPaths", false, &l->readonly_paths, &l->readonly_paths_len));
  TRY (json_get_string (c, v, "mountLabel", false, &l->mount_label));
  TRY (parse_sub_object (c, v, "personality", false, sizeof *l->personality, (void **) &l->personality,
                         parse_personality));
  return 0;
}

static int
parse_process_member (struct json_ctx *c, json_val v, struct spec *s)
{
  json_val sub;
  int r = json_get_object (c, v, "process", false, &sub);
  if (r <= 0)
    return r;
  size_t old = json_push_key (c, "process");
  r = spec_process_parse_json (c, sub, &s->process);
  json_pop (c, old);
  return r;
}

static int
parse_spec (struct json_ctx *c, json_val v, struct spec *s)
{
  TRY (json_get_string (c, v, "ociVersion", true, &s->oci_version));
  if (!oci_version_supported (s->oci_version))
    return json_fail_key (c, "ociVersion", "unsupported version %s (supported: 1.0.x to 1.2.x)", s->oci_version);
  TRY (parse_sub_object (c, v, "root", false, sizeof *s->root, (void **) &s->root, parse_root));
  TRY (json_get_object_array (c, v, "mounts", false, sizeof *s->mounts, (void **) &s->mounts, &s->mounts_len,
                              parse_mount));
  TRY (parse_process_member (c, v, s));
  TRY (json_get_string (c, v, "hostname", false, &s->hostname));
  TRY (json_get_string (c, v, "domainname", false, &s->domainname));
  TRY (parse_sub_object (c, v, "hooks", false, sizeof *s->hooks, (void **) &s->hooks, parse_hooks));
  TRY (json_get_string_map (c, v, "annotations", &s->annotations, &s->annotations_len));
  TRY (parse_sub_object (c, v, "linux", false, sizeof *s->linux, (void **) &s->linux, parse_linux));
  return 0;
}

struct spec *
spec_parse_data (const char *data, size_t len, struct cr_error *err)
{
  struct json_ctx c;
  _cleanup_json_tree_ json_val tree = json_tree_parse (data, len, "config.json", err);
  if (tree == NULL)
    return NULL;
  json_ctx_init (&c, NULL, err);
  if (!YAJL_IS_OBJECT (tree))
    {
      cr_fail (err, 0, "config.json: expected a JSON object");
      return NULL;
    }
  _cleanup_spec_ struct spec *s = xcalloc (1, sizeof *s);
  if (parse_spec (&c, tree, s) < 0)
    return NULL;
  return TAKE_PTR (s);
}

/* A bundle's config.json is read only if it is a regular file of a sane
   size: a FIFO there must not block create, nor a link to /dev/zero make it
   read until memory runs out. */
#define SPEC_FILE_MAX (16u << 20)

struct spec *
spec_parse_file (const char *path, struct cr_error *err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      cr_fail (err, errno, "open %s", path);
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      cr_fail (err, errno, "stat %s", path);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      cr_fail (err, 0, "%s: not a regular file", path);
      return NULL;
    }
  if (st.st_size > SPEC_FILE_MAX)
    {
      cr_fail (err, 0, "%s: larger than %u MiB", path, SPEC_FILE_MAX >> 20);
      return NULL;
    }
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (read_all_fd (fd, path, &data, &len, err) < 0)
    return NULL;
  return spec_parse_data (data, len, err);
}

const char *
spec_annotation (const struct spec *s, const char *key)
{
  if (s == NULL)
    return NULL;
  /* Last match wins, consistent with duplicate JSON keys. */
  for (size_t i = s->annotations_len; i > 0; i--)
    if (strcmp (s->annotations[i - 1].key, key) == 0)
      return s->annotations[i - 1].value;
  return NULL;
}
