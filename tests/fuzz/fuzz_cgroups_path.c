/* linux.cgroupsPath -> the path inside every hierarchy: the pure part of
   cgroup_resolve_path (own cgroup given), plain and systemd forms, and the
   /proc/self/cgroup parser.  Input: cgroupsPath \n id \n own. */
#include <stdbool.h>
#include "fuzz.h"
#include "base/error.h"
#include "linux/cgroups/cgroups_internal.h"

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
      if (cgroup_resolve_path_own (path, id[0] ? id : "c1", systemd, own, &out, &err) == 0 && (out == NULL || out[0] != '/'))
        abort (); /* cgroups.h: the result is an absolute path */
      free (out);
    }
  char *out = NULL;
  (void) cgroup_systemd_expand (path, id[0] ? id : "c1", &out, &err);
  free (out);
  out = NULL;
  (void) cgroup_own_from_proc (cur, &out, &err);
  free (out);
  free (buf);
  return 0;
}
