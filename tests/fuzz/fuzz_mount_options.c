/* mounts[].options -> mount(2) flags, propagation, mount_setattr attrs and
   the data string (mount_options_parse).  Input: one option per line. */
#include "fuzz.h"
#include "base/error.h"
#include "linux/mounts.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *buf = fuzz_strndup (data, size);
  size_t n = 1;
  for (size_t i = 0; i < size; i++)
    n += buf[i] == '\n';
  char **opts = calloc (n + 1, sizeof *opts);
  char *cur = buf;
  for (size_t i = 0; i < n; i++)
    opts[i] = fuzz_next_field (&cur);
  struct mount_options o = { 0 };
  struct cr_error err = { 0 };
  (void) mount_options_parse (opts, &o, &err);
  mount_options_clear (&o);
  free (opts);
  free (buf);
  return 0;
}
