/* process.json (exec --process FILE): the parser exec_process.c uses, then
   the validation exec does (process_validate in src/core/exec.c). */
#include "fuzz.h"
#include "spec.h"
#include "base/error.h"
#include "linux/process.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct cr_error err = { 0 };
  struct spec_process *p = spec_parse_process_data ((const char *) data, size, &err);
  if (p == NULL)
    return 0;
  (void) process_validate (p, &err);
  spec_process_free (p);
  return 0;
}
