/* Deep copy of a parsed spec.  The profile layer never edits the bundle's
   spec in place: it copies it and edits the copy, so the caller can still
   compare or serialize the original.  Every pointer is allocated with
   xmalloc/xstrdup exactly like spec_parse.c does, so spec_free can release
   a copy the same way it releases a parsed spec. */
#include "config.h"

/* gnu11 predefines `linux` as 1, which would clobber spec.h's field name. */
#undef linux

#include <string.h>

#include "spec.h"
#include "base/utils.h"

/* Copy a NULL-terminated string vector.  A NULL vector (field absent in the
   JSON) stays NULL so "absent" and "empty" remain distinguishable. */
static char **
dup_strv (char *const *v, size_t len)
{
  if (v == NULL)
    return NULL;
  /* Trust the terminator rather than LEN: vectors built by hand sometimes
     leave LEN stale, and the copy's LEN is recomputed by the caller. */
  (void) len;
  size_t n = 0;
  while (v[n])
    n++;
  char **r = xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

/* Copy a plain-old-data array (no pointers inside). */
static void *
dup_pod (const void *p, size_t n, size_t size)
{
  if (p == NULL)
    return NULL;
  void *r = xcalloc (n ? n : 1, size);
  if (n)
    memcpy (r, p, n * size);
  return r;
}

static struct spec_kv *
dup_kv (const struct spec_kv *kv, size_t n)
{
  if (kv == NULL)
    return NULL;
  struct spec_kv *r = xcalloc (n ? n : 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    {
      r[i].key = xstrdup (kv[i].key);
      r[i].value = xstrdup (kv[i].value);
    }
  return r;
}

static struct spec_mount *
dup_mounts (const struct spec_mount *m, size_t n)
{
  if (m == NULL)
    return NULL;
  struct spec_mount *r = xcalloc (n ? n : 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    {
      r[i].destination = xstrdup (m[i].destination);
      r[i].type = xstrdup (m[i].type);
      r[i].source = xstrdup (m[i].source);
      r[i].options = dup_strv (m[i].options, m[i].options_len);
      r[i].options_len = r[i].options ? strv_len (r[i].options) : 0;
      r[i].uid_mappings = dup_pod (m[i].uid_mappings, m[i].uid_mappings_len, sizeof (struct spec_id_mapping));
      r[i].uid_mappings_len = m[i].uid_mappings ? m[i].uid_mappings_len : 0;
      r[i].gid_mappings = dup_pod (m[i].gid_mappings, m[i].gid_mappings_len, sizeof (struct spec_id_mapping));
      r[i].gid_mappings_len = m[i].gid_mappings ? m[i].gid_mappings_len : 0;
    }
  return r;
}

#define DUP_STRV_FIELD(dst, src, name)                              \
  do                                                                \
    {                                                               \
      (dst)->name = dup_strv ((src)->name, (src)->name##_len);      \
      (dst)->name##_len = (dst)->name ? strv_len ((dst)->name) : 0; \
    }                                                               \
  while (0)

static struct spec_capabilities *
dup_capabilities (const struct spec_capabilities *c)
{
  if (c == NULL)
    return NULL;
  struct spec_capabilities *r = xcalloc (1, sizeof *r);
  DUP_STRV_FIELD (r, c, bounding);
  DUP_STRV_FIELD (r, c, effective);
  DUP_STRV_FIELD (r, c, inheritable);
  DUP_STRV_FIELD (r, c, permitted);
  DUP_STRV_FIELD (r, c, ambient);
  return r;
}

static struct spec_process *
dup_process (const struct spec_process *p)
{
  if (p == NULL)
    return NULL;
  struct spec_process *r = xmalloc (sizeof *r);
  *r = *p; /* scalars; every pointer is replaced below */
  r->user.additional_gids = dup_pod (p->user.additional_gids, p->user.additional_gids_len, sizeof (uint32_t));
  r->user.additional_gids_len = r->user.additional_gids ? p->user.additional_gids_len : 0;
  r->user.username = xstrdup (p->user.username);
  DUP_STRV_FIELD (r, p, args);
  r->command_line = xstrdup (p->command_line);
  DUP_STRV_FIELD (r, p, env);
  r->cwd = xstrdup (p->cwd);
  r->capabilities = dup_capabilities (p->capabilities);
  r->rlimits = NULL;
  r->rlimits_len = 0;
  if (p->rlimits)
    {
      r->rlimits = xcalloc (p->rlimits_len ? p->rlimits_len : 1, sizeof *r->rlimits);
      for (size_t i = 0; i < p->rlimits_len; i++)
        {
          r->rlimits[i] = p->rlimits[i];
          r->rlimits[i].type = xstrdup (p->rlimits[i].type);
        }
      r->rlimits_len = p->rlimits_len;
    }
  r->apparmor_profile = xstrdup (p->apparmor_profile);
  r->selinux_label = xstrdup (p->selinux_label);
  r->io_priority_class = xstrdup (p->io_priority_class);
  r->scheduler_policy = xstrdup (p->scheduler_policy);
  return r;
}

static struct spec_hook *
dup_hook_list (const struct spec_hook *h, size_t n)
{
  if (h == NULL)
    return NULL;
  struct spec_hook *r = xcalloc (n ? n : 1, sizeof *r);
  for (size_t i = 0; i < n; i++)
    {
      r[i] = h[i];
      r[i].path = xstrdup (h[i].path);
      DUP_STRV_FIELD (&r[i], &h[i], args);
      DUP_STRV_FIELD (&r[i], &h[i], env);
    }
  return r;
}

static struct spec_hooks *
dup_hooks (const struct spec_hooks *h)
{
  if (h == NULL)
    return NULL;
  struct spec_hooks *r = xcalloc (1, sizeof *r);
#define DUP_HOOKS(name)                             \
  r->name = dup_hook_list (h->name, h->name##_len); \
  r->name##_len = r->name ? h->name##_len : 0
  DUP_HOOKS (prestart);
  DUP_HOOKS (create_runtime);
  DUP_HOOKS (create_container);
  DUP_HOOKS (start_container);
  DUP_HOOKS (poststart);
  DUP_HOOKS (poststop);
#undef DUP_HOOKS
  return r;
}

static struct spec_blkio *
dup_blkio (const struct spec_blkio *b)
{
  if (b == NULL)
    return NULL;
  struct spec_blkio *r = xmalloc (sizeof *r);
  *r = *b;
#define DUP_POD_FIELD(name, type)                            \
  r->name = dup_pod (b->name, b->name##_len, sizeof (type)); \
  r->name##_len = r->name ? b->name##_len : 0
  DUP_POD_FIELD (weight_device, struct spec_weight_device);
  DUP_POD_FIELD (throttle_read_bps_device, struct spec_throttle_device);
  DUP_POD_FIELD (throttle_write_bps_device, struct spec_throttle_device);
  DUP_POD_FIELD (throttle_read_iops_device, struct spec_throttle_device);
  DUP_POD_FIELD (throttle_write_iops_device, struct spec_throttle_device);
#undef DUP_POD_FIELD
  return r;
}

static struct spec_resources *
dup_resources (const struct spec_resources *s)
{
  if (s == NULL)
    return NULL;
  struct spec_resources *r = xmalloc (sizeof *r);
  *r = *s;
  r->devices = NULL;
  r->devices_len = 0;
  if (s->devices)
    {
      r->devices = xcalloc (s->devices_len ? s->devices_len : 1, sizeof *r->devices);
      for (size_t i = 0; i < s->devices_len; i++)
        {
          r->devices[i] = s->devices[i];
          r->devices[i].type = xstrdup (s->devices[i].type);
          r->devices[i].access = xstrdup (s->devices[i].access);
        }
      r->devices_len = s->devices_len;
    }
  r->memory = dup_pod (s->memory, 1, sizeof *s->memory);
  r->cpu = NULL;
  if (s->cpu)
    {
      r->cpu = xmalloc (sizeof *r->cpu);
      *r->cpu = *s->cpu;
      r->cpu->cpus = xstrdup (s->cpu->cpus);
      r->cpu->mems = xstrdup (s->cpu->mems);
    }
  r->block_io = dup_blkio (s->block_io);
  r->hugepage_limits = NULL;
  r->hugepage_limits_len = 0;
  if (s->hugepage_limits)
    {
      r->hugepage_limits = xcalloc (s->hugepage_limits_len ? s->hugepage_limits_len : 1, sizeof *r->hugepage_limits);
      for (size_t i = 0; i < s->hugepage_limits_len; i++)
        {
          r->hugepage_limits[i] = s->hugepage_limits[i];
          r->hugepage_limits[i].page_size = xstrdup (s->hugepage_limits[i].page_size);
        }
      r->hugepage_limits_len = s->hugepage_limits_len;
    }
  r->net_priorities = NULL;
  r->net_priorities_len = 0;
  if (s->net_priorities)
    {
      r->net_priorities = xcalloc (s->net_priorities_len ? s->net_priorities_len : 1, sizeof *r->net_priorities);
      for (size_t i = 0; i < s->net_priorities_len; i++)
        {
          r->net_priorities[i] = s->net_priorities[i];
          r->net_priorities[i].name = xstrdup (s->net_priorities[i].name);
        }
      r->net_priorities_len = s->net_priorities_len;
    }
  r->rdma = NULL;
  r->rdma_len = 0;
  if (s->rdma)
    {
      r->rdma = xcalloc (s->rdma_len ? s->rdma_len : 1, sizeof *r->rdma);
      for (size_t i = 0; i < s->rdma_len; i++)
        {
          r->rdma[i] = s->rdma[i];
          r->rdma[i].device = xstrdup (s->rdma[i].device);
        }
      r->rdma_len = s->rdma_len;
    }
  r->unified = dup_kv (s->unified, s->unified_len);
  r->unified_len = r->unified ? s->unified_len : 0;
  return r;
}

/* Exported for the profile layer, which builds and copies filters. */
struct spec_seccomp *spec_seccomp_dup (const struct spec_seccomp *s);

struct spec_seccomp *
spec_seccomp_dup (const struct spec_seccomp *s)
{
  if (s == NULL)
    return NULL;
  struct spec_seccomp *r = xmalloc (sizeof *r);
  *r = *s;
  r->default_action = xstrdup (s->default_action);
  DUP_STRV_FIELD (r, s, architectures);
  DUP_STRV_FIELD (r, s, flags);
  r->listener_path = xstrdup (s->listener_path);
  r->listener_metadata = xstrdup (s->listener_metadata);
  r->syscalls = NULL;
  r->syscalls_len = 0;
  if (s->syscalls)
    {
      r->syscalls = xcalloc (s->syscalls_len ? s->syscalls_len : 1, sizeof *r->syscalls);
      for (size_t i = 0; i < s->syscalls_len; i++)
        {
          const struct spec_seccomp_syscall *from = &s->syscalls[i];
          struct spec_seccomp_syscall *to = &r->syscalls[i];
          *to = *from;
          DUP_STRV_FIELD (to, from, names);
          to->action = xstrdup (from->action);
          to->args = NULL;
          to->args_len = 0;
          if (from->args)
            {
              to->args = xcalloc (from->args_len ? from->args_len : 1, sizeof *to->args);
              for (size_t j = 0; j < from->args_len; j++)
                {
                  to->args[j] = from->args[j];
                  to->args[j].op = xstrdup (from->args[j].op);
                }
              to->args_len = from->args_len;
            }
        }
      r->syscalls_len = s->syscalls_len;
    }
  return r;
}

static struct spec_linux *
dup_linux (const struct spec_linux *l)
{
  if (l == NULL)
    return NULL;
  struct spec_linux *r = xmalloc (sizeof *r);
  *r = *l;
  r->namespaces = NULL;
  r->namespaces_len = 0;
  if (l->namespaces)
    {
      r->namespaces = xcalloc (l->namespaces_len ? l->namespaces_len : 1, sizeof *r->namespaces);
      for (size_t i = 0; i < l->namespaces_len; i++)
        {
          r->namespaces[i].type = xstrdup (l->namespaces[i].type);
          r->namespaces[i].path = xstrdup (l->namespaces[i].path);
        }
      r->namespaces_len = l->namespaces_len;
    }
  r->uid_mappings = dup_pod (l->uid_mappings, l->uid_mappings_len, sizeof (struct spec_id_mapping));
  r->uid_mappings_len = r->uid_mappings ? l->uid_mappings_len : 0;
  r->gid_mappings = dup_pod (l->gid_mappings, l->gid_mappings_len, sizeof (struct spec_id_mapping));
  r->gid_mappings_len = r->gid_mappings ? l->gid_mappings_len : 0;
  r->time_offsets = NULL;
  r->time_offsets_len = 0;
  if (l->time_offsets)
    {
      r->time_offsets = xcalloc (l->time_offsets_len ? l->time_offsets_len : 1, sizeof *r->time_offsets);
      for (size_t i = 0; i < l->time_offsets_len; i++)
        {
          r->time_offsets[i] = l->time_offsets[i];
          r->time_offsets[i].clock = xstrdup (l->time_offsets[i].clock);
        }
      r->time_offsets_len = l->time_offsets_len;
    }
  r->devices = NULL;
  r->devices_len = 0;
  if (l->devices)
    {
      r->devices = xcalloc (l->devices_len ? l->devices_len : 1, sizeof *r->devices);
      for (size_t i = 0; i < l->devices_len; i++)
        {
          r->devices[i] = l->devices[i];
          r->devices[i].type = xstrdup (l->devices[i].type);
          r->devices[i].path = xstrdup (l->devices[i].path);
        }
      r->devices_len = l->devices_len;
    }
  r->cgroups_path = xstrdup (l->cgroups_path);
  r->resources = dup_resources (l->resources);
  r->rootfs_propagation = xstrdup (l->rootfs_propagation);
  r->seccomp = spec_seccomp_dup (l->seccomp);
  r->sysctl = dup_kv (l->sysctl, l->sysctl_len);
  r->sysctl_len = r->sysctl ? l->sysctl_len : 0;
  DUP_STRV_FIELD (r, l, masked_paths);
  DUP_STRV_FIELD (r, l, readonly_paths);
  r->mount_label = xstrdup (l->mount_label);
  r->personality = NULL;
  if (l->personality)
    {
      r->personality = xcalloc (1, sizeof *r->personality);
      r->personality->domain = xstrdup (l->personality->domain);
      DUP_STRV_FIELD (r->personality, l->personality, flags);
    }
  r->profile_seccomp = spec_seccomp_dup (l->profile_seccomp);
  return r;
}

struct spec *
spec_dup (const struct spec *s)
{
  if (s == NULL)
    return NULL;
  struct spec *r = xcalloc (1, sizeof *r);
  r->oci_version = xstrdup (s->oci_version);
  if (s->root)
    {
      r->root = xcalloc (1, sizeof *r->root);
      r->root->path = xstrdup (s->root->path);
      r->root->readonly = s->root->readonly;
    }
  r->mounts = dup_mounts (s->mounts, s->mounts_len);
  r->mounts_len = r->mounts ? s->mounts_len : 0;
  r->process = dup_process (s->process);
  r->hostname = xstrdup (s->hostname);
  r->domainname = xstrdup (s->domainname);
  r->hooks = dup_hooks (s->hooks);
  r->annotations = dup_kv (s->annotations, s->annotations_len);
  r->annotations_len = r->annotations ? s->annotations_len : 0;
  r->linux = dup_linux (s->linux);
  return r;
}
