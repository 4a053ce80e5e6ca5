/* struct spec -> config.json. Field names and nesting mirror spec_parse.c
   so that parse(write(parse(x))) equals parse(x); optional fields absent
   in the struct (NULL or has_* false) are left out. */
#include "config.h"

#include <string.h>

#include "json.h"
#include "base/utils.h"

static void
gen_id_mappings (yajl_gen g, const char *key, const struct spec_id_mapping *m, size_t n)
{
  if (m == NULL)
    return;
  json_gen_str (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      json_gen_map_open (g);
      json_gen_kuint (g, "containerID", m[i].container_id);
      json_gen_kuint (g, "hostID", m[i].host_id);
      json_gen_kuint (g, "size", m[i].size);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
}

static void
gen_user (yajl_gen g, const struct spec_user *u)
{
  json_gen_str (g, "user");
  json_gen_map_open (g);
  json_gen_kuint (g, "uid", u->uid);
  json_gen_kuint (g, "gid", u->gid);
  if (u->has_umask)
    json_gen_kuint (g, "umask", u->umask);
  if (u->additional_gids)
    {
      json_gen_str (g, "additionalGids");
      json_gen_array_open (g);
      for (size_t i = 0; i < u->additional_gids_len; i++)
        json_gen_uint (g, u->additional_gids[i]);
      json_gen_array_close (g);
    }
  json_gen_kstr (g, "username", u->username);
  json_gen_map_close (g);
}

void
spec_process_gen (yajl_gen g, const struct spec_process *p)
{
  json_gen_map_open (g);
  json_gen_kbool (g, "terminal", p->terminal);
  if (p->has_console_size)
    {
      json_gen_str (g, "consoleSize");
      json_gen_map_open (g);
      json_gen_kuint (g, "height", p->console_height);
      json_gen_kuint (g, "width", p->console_width);
      json_gen_map_close (g);
    }
  gen_user (g, &p->user);
  json_gen_kstrv (g, "args", p->args, p->args_len);
  json_gen_kstr (g, "commandLine", p->command_line);
  json_gen_kstrv (g, "env", p->env, p->env_len);
  json_gen_kstr (g, "cwd", p->cwd);
  if (p->capabilities)
    {
      const struct spec_capabilities *c = p->capabilities;
      json_gen_str (g, "capabilities");
      json_gen_map_open (g);
      json_gen_kstrv (g, "bounding", c->bounding, c->bounding_len);
      json_gen_kstrv (g, "effective", c->effective, c->effective_len);
      json_gen_kstrv (g, "inheritable", c->inheritable, c->inheritable_len);
      json_gen_kstrv (g, "permitted", c->permitted, c->permitted_len);
      json_gen_kstrv (g, "ambient", c->ambient, c->ambient_len);
      json_gen_map_close (g);
    }
  if (p->rlimits)
    {
      json_gen_str (g, "rlimits");
      json_gen_array_open (g);
      for (size_t i = 0; i < p->rlimits_len; i++)
        {
          json_gen_map_open (g);
          json_gen_kstr (g, "type", p->rlimits[i].type);
          json_gen_kuint (g, "hard", p->rlimits[i].hard);
          json_gen_kuint (g, "soft", p->rlimits[i].soft);
          json_gen_map_close (g);
        }
      json_gen_array_close (g);
    }
  json_gen_kbool (g, "noNewPrivileges", p->no_new_privileges);
  if (p->has_oom_score_adj)
    json_gen_kint (g, "oomScoreAdj", p->oom_score_adj);
  json_gen_kstr (g, "apparmorProfile", p->apparmor_profile);
  json_gen_kstr (g, "selinuxLabel", p->selinux_label);
  if (p->io_priority_class)
    {
      json_gen_str (g, "ioPriority");
      json_gen_map_open (g);
      json_gen_kstr (g, "class", p->io_priority_class);
      if (p->has_io_priority)
        json_gen_kint (g, "priority", p->io_priority);
      json_gen_map_close (g);
    }
  if (p->scheduler_policy)
    {
      json_gen_str (g, "scheduler");
      json_gen_map_open (g);
      json_gen_kstr (g, "policy", p->scheduler_policy);
      json_gen_map_close (g);
    }
  json_gen_map_close (g);
}

static void
gen_mount (yajl_gen g, const struct spec_mount *m)
{
  json_gen_map_open (g);
  json_gen_kstr (g, "destination", m->destination);
  json_gen_kstr (g, "type", m->type);
  json_gen_kstr (g, "source", m->source);
  json_gen_kstrv (g, "options", m->options, m->options_len);
  gen_id_mappings (g, "uidMappings", m->uid_mappings, m->uid_mappings_len);
  gen_id_mappings (g, "gidMappings", m->gid_mappings, m->gid_mappings_len);
  json_gen_map_close (g);
}

static void
gen_hook_list (yajl_gen g, const char *key, const struct spec_hook *h, size_t n)
{
  if (h == NULL)
    return;
  json_gen_str (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      json_gen_map_open (g);
      json_gen_kstr (g, "path", h[i].path);
      json_gen_kstrv (g, "args", h[i].args, h[i].args_len);
      json_gen_kstrv (g, "env", h[i].env, h[i].env_len);
      if (h[i].has_timeout)
        json_gen_kint (g, "timeout", h[i].timeout);
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
}

static void
gen_hooks (yajl_gen g, const struct spec_hooks *h)
{
  json_gen_str (g, "hooks");
  json_gen_map_open (g);
  gen_hook_list (g, "prestart", h->prestart, h->prestart_len);
  gen_hook_list (g, "createRuntime", h->create_runtime, h->create_runtime_len);
  gen_hook_list (g, "createContainer", h->create_container, h->create_container_len);
  gen_hook_list (g, "startContainer", h->start_container, h->start_container_len);
  gen_hook_list (g, "poststart", h->poststart, h->poststart_len);
  gen_hook_list (g, "poststop", h->poststop, h->poststop_len);
  json_gen_map_close (g);
}

static void
gen_seccomp (yajl_gen g, const struct spec_seccomp *s)
{
  json_gen_str (g, "seccomp");
  json_gen_map_open (g);
  json_gen_kstr (g, "defaultAction", s->default_action);
  if (s->has_default_errno_ret)
    json_gen_kuint (g, "defaultErrnoRet", s->default_errno_ret);
  json_gen_kstrv (g, "architectures", s->architectures, s->architectures_len);
  json_gen_kstrv (g, "flags", s->flags, s->flags_len);
  json_gen_kstr (g, "listenerPath", s->listener_path);
  json_gen_kstr (g, "listenerMetadata", s->listener_metadata);
  if (s->syscalls)
    {
      json_gen_str (g, "syscalls");
      json_gen_array_open (g);
      for (size_t i = 0; i < s->syscalls_len; i++)
        {
          const struct spec_seccomp_syscall *sc = &s->syscalls[i];
          json_gen_map_open (g);
          json_gen_kstrv (g, "names", sc->names, sc->names_len);
          json_gen_kstr (g, "action", sc->action);
          if (sc->has_errno_ret)
            json_gen_kuint (g, "errnoRet", sc->errno_ret);
          if (sc->args)
            {
              json_gen_str (g, "args");
              json_gen_array_open (g);
              for (size_t j = 0; j < sc->args_len; j++)
                {
                  json_gen_map_open (g);
                  json_gen_kuint (g, "index", sc->args[j].index);
                  json_gen_kuint (g, "value", sc->args[j].value);
                  if (sc->args[j].has_value_two)
                    json_gen_kuint (g, "valueTwo", sc->args[j].value_two);
                  json_gen_kstr (g, "op", sc->args[j].op);
                  json_gen_map_close (g);
                }
              json_gen_array_close (g);
            }
          json_gen_map_close (g);
        }
      json_gen_array_close (g);
    }
  json_gen_map_close (g);
}

static void
gen_linux (yajl_gen g, const struct spec_linux *l)
{
  json_gen_str (g, "linux");
  json_gen_map_open (g);
  if (l->namespaces)
    {
      json_gen_str (g, "namespaces");
      json_gen_array_open (g);
      for (size_t i = 0; i < l->namespaces_len; i++)
        {
          json_gen_map_open (g);
          json_gen_kstr (g, "type", l->namespaces[i].type);
          json_gen_kstr (g, "path", l->namespaces[i].path);
          json_gen_map_close (g);
        }
      json_gen_array_close (g);
    }
  gen_id_mappings (g, "uidMappings", l->uid_mappings, l->uid_mappings_len);
  gen_id_mappings (g, "gidMappings", l->gid_mappings, l->gid_mappings_len);
  if (l->time_offsets)
    {
      json_gen_str (g, "timeOffsets");
      json_gen_map_open (g);
      for (size_t i = 0; i < l->time_offsets_len; i++)
        {
          json_gen_str (g, l->time_offsets[i].clock);
          json_gen_map_open (g);
          json_gen_kint (g, "secs", l->time_offsets[i].secs);
          json_gen_kuint (g, "nanosecs", l->time_offsets[i].nanosecs);
          json_gen_map_close (g);
        }
      json_gen_map_close (g);
    }
  if (l->devices)
    {
      json_gen_str (g, "devices");
      json_gen_array_open (g);
      for (size_t i = 0; i < l->devices_len; i++)
        {
          const struct spec_device *d = &l->devices[i];
          json_gen_map_open (g);
          json_gen_kstr (g, "type", d->type);
          json_gen_kstr (g, "path", d->path);
          if (d->has_major)
            json_gen_kint (g, "major", d->major);
          if (d->has_minor)
            json_gen_kint (g, "minor", d->minor);
          if (d->has_file_mode)
            json_gen_kuint (g, "fileMode", d->file_mode);
          if (d->has_uid)
            json_gen_kuint (g, "uid", d->uid);
          if (d->has_gid)
            json_gen_kuint (g, "gid", d->gid);
          json_gen_map_close (g);
        }
      json_gen_array_close (g);
    }
  json_gen_kstr (g, "cgroupsPath", l->cgroups_path);
  if (l->resources)
    {
      json_gen_str (g, "resources");
      spec_resources_gen (g, l->resources);
    }
  json_gen_kstr (g, "rootfsPropagation", l->rootfs_propagation);
  if (l->seccomp)
    gen_seccomp (g, l->seccomp);
  if (l->sysctl)
    json_gen_kmap (g, "sysctl", l->sysctl, l->sysctl_len);
  json_gen_kstrv (g, "maskedPaths", l->masked_paths, l->masked_paths_len);
  json_gen_kstrv (g, "readonlyPaths", l->readonly_paths, l->readonly_paths_len);
  json_gen_kstr (g, "mountLabel", l->mount_label);
  if (l->personality)
    {
      json_gen_str (g, "personality");
      json_gen_map_open (g);
      json_gen_kstr (g, "domain", l->personality->domain);
      json_gen_kstrv (g, "flags", l->personality->flags, l->personality->flags_len);
      json_gen_map_close (g);
    }
  /* profile_seccomp is deliberately not written: it is cellrun's runtime
     overlay, never part of a bundle, and config.json has no key for it. */
  json_gen_map_close (g);
}

char *
spec_to_json (const struct spec *s, struct cr_error *err)
{
  return spec_to_json_format (s, true, err);
}

char *
spec_to_json_format (const struct spec *s, bool pretty, struct cr_error *err)
{
  if (s == NULL)
    {
      cr_fail (err, 0, "spec_to_json: no spec");
      return NULL;
    }
  yajl_gen g = json_gen_new (pretty);
  json_gen_map_open (g);
  json_gen_kstr (g, "ociVersion", s->oci_version ? s->oci_version : OCI_VERSION);
  if (s->root)
    {
      json_gen_str (g, "root");
      json_gen_map_open (g);
      json_gen_kstr (g, "path", s->root->path);
      json_gen_kbool (g, "readonly", s->root->readonly);
      json_gen_map_close (g);
    }
  if (s->mounts)
    {
      json_gen_str (g, "mounts");
      json_gen_array_open (g);
      for (size_t i = 0; i < s->mounts_len; i++)
        gen_mount (g, &s->mounts[i]);
      json_gen_array_close (g);
    }
  if (s->process)
    {
      json_gen_str (g, "process");
      spec_process_gen (g, s->process);
    }
  json_gen_kstr (g, "hostname", s->hostname);
  json_gen_kstr (g, "domainname", s->domainname);
  if (s->hooks)
    gen_hooks (g, s->hooks);
  if (s->annotations)
    json_gen_kmap (g, "annotations", s->annotations, s->annotations_len);
  if (s->linux)
    gen_linux (g, s->linux);
  json_gen_map_close (g);
  return json_gen_finish (g);
}
