/* Hybrid hosts: v1 controller hierarchies plus the cgroup2 tree at
   <root>/unified. This backend composes the v1 and v2 ones: resources go
   to v1 except linux.resources.unified (v2 file names, written in the
   unified tree); the v1 freezer is used when mounted, else cgroup.freeze. */
#include "config.h"
#include "linux/cgroups/cgroups_internal.h"

#include <errno.h>
#include <string.h>

#include "base/utils.h"

static bool
word_listed (const char *list, const char *word)
{
  size_t wl = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += wl)
    if ((p == list || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
      return true;
  return false;
}

/* Hybrid: unified keys name v2 files, which live in the unified tree. A
   key's controller (e.g. hugetlb, bound only to unified) is enabled there
   when the unified root lists it; a controller bound to v1 (memory on most
   hybrid hosts) has no file there, which is reported as such rather than as
   a bare ENOENT. */
static int
apply_unified_hybrid (struct cgroup_manager *m, const struct spec_resources *res, struct cr_error *err)
{
  _cleanup_free_ char *avail = NULL;
  struct cr_error ignored = { 0 };
  cgroup_read_at (m->unified.rootfd, "cgroup.controllers", &avail, &ignored);
  for (size_t i = 0; i < res->unified_len; i++)
    {
      const struct spec_kv *kv = &res->unified[i];
      const char *dot = kv->key ? strchr (kv->key, '.') : NULL;
      char controller[32] = "";
      if (dot && (size_t) (dot - kv->key) < sizeof controller)
        memcpy (controller, kv->key, dot - kv->key);
      bool listed = *controller && avail && word_listed (avail, controller);
      int r;
      if (listed && strcmp (controller, "cgroup") != 0)
        {
          struct spec_resources one = { 0 };
          one.unified = (struct spec_kv *) kv;
          one.unified_len = 1;
          if ((r = cgroup_v2_enable_controllers (m, &one, err)) < 0)
            return r;
        }
      r = cgroup_v2_write_unified (m->unified.fd, kv, err);
      if (r < 0 && err->code == ENOENT && *controller && !listed && strcmp (controller, "cgroup") != 0)
        return cr_fail (err, EOPNOTSUPP, "linux.resources.unified.%s: cgroup v2 controller %s is not available",
                        kv->key, controller);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
hybrid_apply (struct cgroup_manager *m, const struct spec_resources *res, bool update, struct cr_error *err)
{
  int r;
  if (res->unified_len)
    {
      if (m->unified.fd < 0)
        return cr_fail (err, EOPNOTSUPP, "linux.resources.unified: needs cgroup v2");
      if ((r = apply_unified_hybrid (m, res, err)) < 0)
        return r;
    }
  return cgroup_v1_apply (m, res, update, err);
}

static int
hybrid_freeze (struct cgroup_manager *m, bool frozen, struct cr_error *err)
{
  return cgroup_v1_has_freezer (m) ? cgroup_v1_freeze (m, frozen, err) : cgroup_v2_freeze (m, frozen, err);
}

static int
hybrid_is_frozen (struct cgroup_manager *m, bool *out, struct cr_error *err)
{
  return cgroup_v1_has_freezer (m) ? cgroup_v1_is_frozen (m, out, err) : cgroup_v2_is_frozen (m, out, err);
}

const struct cgroup_backend cgroup_backend_hybrid = {
  .name = "cgroupfs hybrid",
  .apply = hybrid_apply,
  .freeze = hybrid_freeze,
  .is_frozen = hybrid_is_frozen,
  .stats = cgroup_v1_stats,
  .oom_event_fd = cgroup_v1_oom_event_fd,
};
