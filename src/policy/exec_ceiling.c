#include "config.h"
#include "policy/exec_ceiling.h"
#include "base/utils.h"

#include <string.h>
#include <strings.h>

/* Capability names compare without regard to case, as the Linux layer does
   when it resolves them (caps_name_equal). */
static bool
cap_in (const char *name, char *const *allowed)
{
  for (size_t k = 0; allowed && allowed[k]; k++)
    if (name && strcasecmp (name, allowed[k]) == 0)
      return true;
  return false;
}

/* Keep only the names of SET that ALLOWED also has. */
static void
caps_intersect (char ***set, size_t *len, char **allowed)
{
  size_t out = 0;
  for (size_t i = 0; i < *len; i++)
    {
      if (cap_in ((*set)[i], allowed))
        (*set)[out++] = (*set)[i];
      else
        free ((*set)[i]);
    }
  *len = out;
  if (*set)
    (*set)[out] = NULL;
}

/* No rlimit of P may be above the container's process's of the same type (strict's
   RLIMIT_CORE 0): clamp those above, add those P lacks, which would otherwise be
   inherited from the exec caller. Only lowering, so no capability is needed. */
static void
rlimits_ceiling (struct spec_process *p, const struct spec_process *container)
{
  for (size_t i = 0; container && i < container->rlimits_len; i++)
    {
      const struct spec_rlimit *c = &container->rlimits[i];
      struct spec_rlimit *mine = NULL;
      for (size_t k = 0; k < p->rlimits_len && mine == NULL; k++)
        if (strcmp (p->rlimits[k].type, c->type) == 0)
          mine = &p->rlimits[k];
      if (mine == NULL)
        {
          p->rlimits = xrealloc (p->rlimits, (p->rlimits_len + 1) * sizeof *p->rlimits);
          mine = &p->rlimits[p->rlimits_len++];
          mine->type = xstrdup (c->type);
          mine->soft = c->soft;
          mine->hard = c->hard;
        }
      if (mine->hard > c->hard)
        mine->hard = c->hard;
      if (mine->soft > mine->hard)
        mine->soft = mine->hard;
    }
}

void
profile_exec_ceiling (const char *profile, const struct spec_process *container, struct spec_process *p)
{
  if (profile == NULL || strcmp (profile, "none") == 0)
    return;
  static const struct spec_capabilities empty;
  const struct spec_capabilities *cl = container && container->capabilities ? container->capabilities : &empty;
  struct spec_capabilities *pc = p->capabilities;
  if (pc)
    {
      caps_intersect (&pc->bounding, &pc->bounding_len, cl->bounding);
      caps_intersect (&pc->effective, &pc->effective_len, cl->effective);
      caps_intersect (&pc->permitted, &pc->permitted_len, cl->permitted);
      caps_intersect (&pc->inheritable, &pc->inheritable_len, cl->inheritable);
      caps_intersect (&pc->ambient, &pc->ambient_len, cl->ambient);
    }
  p->no_new_privileges = true;
  rlimits_ceiling (p, container);
}

struct spec_seccomp *
profile_exec_seccomp (const char *profile)
{
  enum profile_level level = PROFILE_NONE;
  struct cr_error ignored;
  profile_parse_name (profile, &level, &ignored);
  return level == PROFILE_NONE ? NULL : profile_seccomp_build (level);
}
