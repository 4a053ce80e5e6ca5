/* Rootless create (core/rootless.h, docs/rootless.md). */
#include "config.h"
#include "core/rootless.h"
#include "base/log.h"
#include "base/utils.h"
#include "linux/cgroups/cgroups.h"
#include "linux/process.h"
#include "linux/userns.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace,
   which a rootless caller lacks: the container gets the caller's hard limit. */
static void
clamp_rlimits (struct spec_process *p)
{
  for (size_t i = 0; p && i < p->rlimits_len; i++)
    {
      struct spec_rlimit *rl = &p->rlimits[i];
      int res;
      struct rlimit cur;
      if (process_rlimit_from_name (rl->type, &res) < 0 || getrlimit (res, &cur) < 0 || cur.rlim_max == RLIM_INFINITY
          || rl->hard <= cur.rlim_max)
        continue;
      log_warning ("rootless: process.rlimits %s: hard limit %llu is above the caller's %llu: clamped to it", rl->type,
                   (unsigned long long) rl->hard, (unsigned long long) cur.rlim_max);
      rl->hard = cur.rlim_max;
      if (rl->soft > rl->hard)
        rl->soft = rl->hard;
    }
}

static void
drop_device_rules (struct spec_resources *r)
{
  if (r == NULL || r->devices_len == 0)
    return;
  for (size_t i = 0; i < r->devices_len; i++)
    {
      free (r->devices[i].type);
      free (r->devices[i].access);
    }
  free (r->devices);
  r->devices = NULL;
  r->devices_len = 0;
  log_debug ("rootless: linux.resources.devices not applied: no device cgroup (device nodes are the host's, bound)");
}

int
rootless_prepare_spec (struct spec *spec, struct cr_error *err)
{
  struct spec_linux *lx = spec->linux;
  const struct spec_namespace *user = NULL;
  bool any_new = false;
  for (size_t i = 0; lx && i < lx->namespaces_len; i++)
    {
      if (lx->namespaces[i].type && strcmp (lx->namespaces[i].type, "user") == 0)
        user = &lx->namespaces[i];
      else if (lx->namespaces[i].path == NULL || *lx->namespaces[i].path == '\0')
        any_new = true;
    }
  /* Root of a user namespace (rootless podman) makes the others itself. */
  if (geteuid () != 0 && any_new && user == NULL)
    return cr_fail (err, 0,
                    "rootless: linux.namespaces has no user namespace: an unprivileged caller can create the "
                    "others only inside one");
  if (geteuid () != 0 && user && (user->path == NULL || *user->path == '\0'))
    {
      int r = userns_check_rootless (spec, err);
      if (r < 0)
        return cr_wrap (err, "rootless");
    }
  clamp_rlimits (spec->process);
  if (lx)
    drop_device_rules (lx->resources);
  return 0;
}

static void
add_limit (char *buf, size_t len, bool set, const char *name)
{
  if (!set)
    return;
  size_t o = strlen (buf);
  snprintf (buf + o, len - o, "%s%s", o ? ", " : "", name);
}

bool
rootless_use_cgroup (const struct spec *spec, const char *root, const char *path)
{
  _cleanup_free_ char *why = NULL;
  if (cgroup_delegated (root, path, &why))
    {
      log_debug ("rootless: cgroup %s is in a subtree delegated to the caller", path);
      return true;
    }
  const struct spec_resources *r = spec->linux ? spec->linux->resources : NULL;
  char limits[256] = "";
  if (r)
    {
      add_limit (limits, sizeof limits, r->memory != NULL, "memory");
      add_limit (limits, sizeof limits, r->cpu != NULL, "cpu");
      add_limit (limits, sizeof limits, r->has_pids_limit, "pids");
      add_limit (limits, sizeof limits, r->block_io != NULL, "blockIO");
      add_limit (limits, sizeof limits, r->hugepage_limits_len > 0, "hugepageLimits");
      add_limit (limits, sizeof limits, r->has_net_class_id || r->net_priorities_len, "network");
      add_limit (limits, sizeof limits, r->rdma_len > 0, "rdma");
      add_limit (limits, sizeof limits, r->unified_len > 0, "unified");
    }
  if (*limits)
    log_warning ("rootless: no cgroup (%s): the container runs without one; linux.resources not applied: %s", why,
                 limits);
  else
    log_warning ("rootless: no cgroup (%s): the container runs without one (it sets no resource limits)", why);
  return false;
}
