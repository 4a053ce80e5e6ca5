/* The operator config file (/etc/cellrun/cellrun.conf): config_file_parse. */
#include "fuzz.h"
#include "base/error.h"
#include "policy/config_file.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = fuzz_strndup (data, size);
  struct cr_error err = { 0 };
  struct cellrun_config c = { 0 };
  if (config_file_parse (text, "fuzz.conf", &c, &err) == 0 && c.writable_allowlist == NULL)
    abort (); /* config_file.h: never NULL after a successful load */
  config_file_clear (&c);
  free (text);
  return 0;
}
