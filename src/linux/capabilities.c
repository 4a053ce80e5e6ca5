#include "config.h"
#include "linux/capabilities.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "base/log.h"
#include "base/utils.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

int
caps_last_cap (void)
{
  static int cached = -1;
  char buf[32];
  FILE *f;

  if (cached >= 0)
    return cached;

  f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  if (f != NULL)
    {
      if (fgets (buf, sizeof buf, f) != NULL)
        {
          int v = atoi (buf);
          if (v > 0)
            cached = v;
        }
      fclose (f);
    }
  /* /proc may not be mounted yet inside the container's init. */
  if (cached < 0)
    cached = (int) cap_max_bits () - 1;
  if (cached < 0)
    cached = CAP_LAST_CAP;
  return cached;
}

int
caps_from_name (const char *name, int *cap, struct cr_error *err)
{
  return caps_from_name_limit (name, caps_last_cap (), cap, err);
}

struct cap_set_ref
{
  const char *json_name;
  char *const *names;
  size_t len;
};

/* The five sets in the order the runtime-spec lists them. */
static void
caps_sets (const struct spec_capabilities *c, struct cap_set_ref out[5])
{
  out[0] = (struct cap_set_ref){ "bounding", c->bounding, c->bounding_len };
  out[1] = (struct cap_set_ref){ "effective", c->effective, c->effective_len };
  out[2] = (struct cap_set_ref){ "inheritable", c->inheritable, c->inheritable_len };
  out[3] = (struct cap_set_ref){ "permitted", c->permitted, c->permitted_len };
  out[4] = (struct cap_set_ref){ "ambient", c->ambient, c->ambient_len };
}

int
caps_validate (const struct spec_capabilities *c, struct cr_error *err)
{
  struct cap_set_ref sets[5];

  if (c == NULL)
    return 0;
  caps_sets (c, sets);
  for (size_t s = 0; s < 5; s++)
    for (size_t i = 0; sets[s].names && i < sets[s].len; i++)
      {
        int cap, r = caps_from_name (sets[s].names[i], &cap, err);
        if (r < 0)
          return cr_wrap (err, "process.capabilities.%s", sets[s].json_name);
      }
  return 0;
}

/* Translate one list into a bitmask indexed by capability number. */
static int
caps_mask_from_list (char *const *names, size_t len, const char *set_name, uint64_t *mask, struct cr_error *err)
{
  *mask = 0;
  for (size_t i = 0; names && i < len; i++)
    {
      int cap;
      if (caps_from_name (names[i], &cap, err) < 0)
        return cr_wrap (err, "process.capabilities.%s", set_name);
      *mask |= UINT64_C (1) << cap;
    }
  return 0;
}

void
caps_warn_unraisable_ambient (const struct spec_capabilities *c)
{
  uint64_t ambient, permitted, inheritable;
  struct cr_error ignored;
  if (c == NULL || c->ambient_len == 0
      || caps_mask_from_list (c->ambient, c->ambient_len, "ambient", &ambient, &ignored) < 0
      || caps_mask_from_list (c->permitted, c->permitted_len, "permitted", &permitted, &ignored) < 0
      || caps_mask_from_list (c->inheritable, c->inheritable_len, "inheritable", &inheritable, &ignored) < 0)
    return;
  uint64_t skipped = ambient & ~(permitted & inheritable);
  if (skipped == 0)
    return;
  char names[1024] = "";
  int count = 0;
  for (int cap = 0; cap < 64; cap++)
    if (skipped & (UINT64_C (1) << cap))
      {
        const char *n = caps_name (cap);
        if (names[0])
          strncat (names, " ", sizeof names - strlen (names) - 1);
        strncat (names, n ? n : "?", sizeof names - strlen (names) - 1);
        count++;
      }
  log_warning ("process.capabilities.ambient: %d capabilit%s not in both the permitted and inheritable sets, "
               "not raised%s",
               count, count == 1 ? "y" : "ies", log_debug_enabled () ? "" : " (--debug names them)");
  log_debug ("process.capabilities.ambient: not raised: %s", names);
}

int
caps_drop_bounding (const struct spec_capabilities *c, struct cr_error *err)
{
  uint64_t keep = 0;
  int last = caps_last_cap ();

  if (c != NULL)
    {
      int r = caps_mask_from_list (c->bounding, c->bounding_len, "bounding", &keep, err);
      if (r < 0)
        return r;
    }

  for (int cap = 0; cap <= last && cap < 64; cap++)
    {
      if (keep & (UINT64_C (1) << cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
        {
          /* EINVAL: the kernel has no such capability after all (its
             cap_last_cap lied or /proc was someone else's); nothing to drop. */
          if (errno == EINVAL)
            continue;
          const char *n = caps_name (cap);
          if (n)
            return cr_fail (err, errno, "drop %s from the bounding set", n);
          return cr_fail (err, errno, "drop capability %d from the bounding set", cap);
        }
    }
  return 0;
}

int
caps_set_keep (struct cr_error *err)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return cr_fail (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

static int
caps_flag_set (cap_t caps, cap_flag_t flag, uint64_t mask, int last, struct cr_error *err)
{
  for (int cap = 0; cap <= last && cap < 64; cap++)
    {
      cap_value_t v = cap;
      if (!(mask & (UINT64_C (1) << cap)))
        continue;
      if (cap_set_flag (caps, flag, 1, &v, CAP_SET) < 0)
        return cr_fail (err, errno, "set %s in capability state", caps_name (cap));
    }
  return 0;
}

static void
caps_freep (cap_t *caps)
{
  if (*caps)
    cap_free (*caps);
}
/* A libcap state freed when the variable goes out of scope. */
#define _cleanup_cap_ __attribute__ ((cleanup (caps_freep)))

/* Set the effective, permitted and inheritable sets of the calling thread. */
static int
caps_set_proc (uint64_t effective, uint64_t permitted, uint64_t inheritable, int last, struct cr_error *err)
{
  _cleanup_cap_ cap_t caps = cap_init ();
  int r;
  if (caps == NULL)
    return cr_fail (err, errno, "allocate capability state");
  if ((r = caps_flag_set (caps, CAP_EFFECTIVE, effective, last, err)) < 0
      || (r = caps_flag_set (caps, CAP_PERMITTED, permitted, last, err)) < 0
      || (r = caps_flag_set (caps, CAP_INHERITABLE, inheritable, last, err)) < 0)
    return r;
  /* The usual cause of a failure: effective not a subset of permitted, or a
     permitted capability missing from the bounding set. */
  if (cap_set_proc (caps) < 0)
    return cr_fail (err, errno, "set process capabilities");
  return 0;
}

int
caps_apply_final (const struct spec_capabilities *c, struct cr_error *err)
{
  uint64_t effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  int last = caps_last_cap ();
  int r;

  if (c != NULL)
    {
      if ((r = caps_mask_from_list (c->effective, c->effective_len, "effective", &effective, err)) < 0
          || (r = caps_mask_from_list (c->permitted, c->permitted_len, "permitted", &permitted, err)) < 0
          || (r = caps_mask_from_list (c->inheritable, c->inheritable_len, "inheritable", &inheritable, err)) < 0
          || (r = caps_mask_from_list (c->ambient, c->ambient_len, "ambient", &ambient, err)) < 0)
        return r;
    }

  if ((r = caps_set_proc (effective, permitted, inheritable, last, err)) < 0)
    return r;

  /* Ambient capabilities are inherited across execve by unprivileged
     programs, so anything left over from the runtime must go first. Kernels
     before 4.3 have no ambient set: fine as long as nothing is requested. */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    {
      if (errno != EINVAL || ambient != 0)
        return cr_fail (err, errno, "clear the ambient capability set");
    }
  /* The kernel requires the capability in both permitted and inheritable:
     the others were reported by caps_warn_unraisable_ambient and are skipped. */
  ambient &= permitted & inheritable;
  for (int cap = 0; cap <= last && cap < 64; cap++)
    {
      if (!(ambient & (UINT64_C (1) << cap)))
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        return cr_fail (err, errno, "raise ambient capability %s", caps_name (cap));
    }

  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return cr_fail (err, errno, "prctl PR_SET_KEEPCAPS 0");
  log_debug ("capabilities applied: effective=%#llx permitted=%#llx inheritable=%#llx ambient=%#llx",
             (unsigned long long) effective, (unsigned long long) permitted, (unsigned long long) inheritable,
             (unsigned long long) ambient);
  return 0;
}
