/* linux.cgroupsPath -> the path inside every hierarchy: the pure part of
   cgroup_resolve_path (own cgroup given), plain and systemd forms, and the
   /proc/self/cgroup parser.  Input: cgroupsPath \n id \n own. */
#include <stdbool.h>
#include "fuzz.h"
#include "base/error.h"
#include "linux/cgroups/cgroups_internal.h"

/* The path is opened below each hierarchy root: it must be absolute and
   hold no ".." component (which would climb out of the cgroup fs). */
static void
check_path (const char *p)
{
  size_t n = strlen (p);
  if (p[0] != '/' || strstr (p, "/../") || (n >= 3 && strcmp (p + n - 3, "/..") == 0))
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *buf = fuzz_strndup (data, size);
  char *cur = buf;
  char *path = fuzz_next_field (&cur);
  char *id = fuzz_next_field (&cur);
  char *own = fuzz_next_field (&cur);
  struct cr_error err = { 0 };
  for (int systemd = 0; systemd < 2; systemd++)
    {
      char *out = NULL;
      if (cgroup_resolve_path_own (path, id[0] ? id : "c1", systemd, own, &out, &err) == 0)
        check_path (out);
      free (out);
    }
  char *out = NULL;
  if (cgroup_systemd_expand (path, id[0] ? id : "c1", &out, &err) == 0)
    check_path (out);
  free (out);
  out = NULL;
  (void) cgroup_own_from_proc (cur, &out, &err);
  free (out);
  free (buf);
  return 0;
}
