/* policy/exec_ceiling.c: under a profile an exec'd process never holds more
   than the container's process; without one it is left alone. */
#include "config.h"
#include "unit.h"
#include "policy/exec_ceiling.h"
#include "base/utils.h"

#include <stdlib.h>

static char **
names (const char *a, const char *b)
{
  char **v = xcalloc (3, sizeof *v);
  size_t n = 0;
  if (a)
    v[n++] = xstrdup (a);
  if (b)
    v[n++] = xstrdup (b);
  return v;
}

static struct spec_process *
process (const char *cap1, const char *cap2, uint64_t nofile_hard)
{
  struct spec_process *p = xcalloc (1, sizeof *p);
  p->capabilities = xcalloc (1, sizeof *p->capabilities);
  p->capabilities->bounding = names (cap1, cap2);
  p->capabilities->bounding_len = strv_len (p->capabilities->bounding);
  p->capabilities->effective = names (cap1, cap2);
  p->capabilities->effective_len = strv_len (p->capabilities->effective);
  p->rlimits = xcalloc (1, sizeof *p->rlimits);
  p->rlimits_len = 1;
  p->rlimits[0].type = xstrdup ("RLIMIT_NOFILE");
  p->rlimits[0].soft = nofile_hard;
  p->rlimits[0].hard = nofile_hard;
  return p;
}

static void
test_ceiling (void)
{
  struct spec_process *container = process ("CAP_CHOWN", NULL, 1024);
  container->rlimits = xrealloc (container->rlimits, 2 * sizeof *container->rlimits);
  container->rlimits[1] = (struct spec_rlimit){ .type = xstrdup ("RLIMIT_CORE"), .soft = 0, .hard = 0 };
  container->rlimits_len = 2;

  struct spec_process *p = process ("cap_chown", "CAP_SYS_ADMIN", 4096);
  profile_exec_ceiling ("strict", container, p);
  CHECK (p->capabilities->bounding_len == 1 && strcmp (p->capabilities->bounding[0], "cap_chown") == 0
             && p->capabilities->bounding[1] == NULL,
         "strict: a capability the container lacks is dropped, names compare without case");
  CHECK (p->capabilities->effective_len == 1, "strict: the effective set is intersected too");
  CHECK (p->no_new_privileges, "strict: no_new_privileges is forced");
  CHECK (p->rlimits_len == 2 && p->rlimits[0].hard == 1024 && p->rlimits[0].soft == 1024,
         "strict: an rlimit above the container's is clamped");
  CHECK (p->rlimits_len == 2 && strcmp (p->rlimits[1].type, "RLIMIT_CORE") == 0 && p->rlimits[1].hard == 0,
         "strict: an rlimit the process lacks is added at the container's value");
  spec_process_free (p);

  p = process ("CAP_SYS_ADMIN", NULL, 4096);
  profile_exec_ceiling ("none", container, p);
  CHECK (p->capabilities->bounding_len == 1 && !p->no_new_privileges && p->rlimits_len == 1
             && p->rlimits[0].hard == 4096,
         "none: the process is left as asked");
  profile_exec_ceiling (NULL, container, p);
  CHECK (p->capabilities->bounding_len == 1 && !p->no_new_privileges, "no saved profile: no ceiling");
  spec_process_free (p);
  spec_process_free (container);
}

static void
test_seccomp (void)
{
  CHECK (profile_exec_seccomp ("none") == NULL && profile_exec_seccomp (NULL) == NULL,
         "none: exec gets no profile filter");
  struct spec_seccomp *s = profile_exec_seccomp ("balanced");
  CHECK (s != NULL && s->syscalls_len > 0, "balanced: exec gets the profile's filter");
  if (s)
    spec_seccomp_free (s);
}

int
main (void)
{
  test_ceiling ();
  test_seccomp ();
  return UNIT_DONE ();
}
