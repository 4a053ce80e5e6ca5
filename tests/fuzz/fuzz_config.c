/* config.json: the strict parser, then the validation create does before it
   touches the state root (create_plan_build in src/core/create.c: process
   and devices), then a write + re-parse round trip and a deep copy. */
#include <stdbool.h>
#include "fuzz.h"
#include "spec.h"
#include "base/error.h"
#include "linux/process.h"
#include "linux/devices.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct cr_error err = { 0 };
  struct spec *s = spec_parse_data ((const char *) data, size, &err);
  if (s == NULL)
    return 0;
  if (s->process)
    (void) process_validate (s->process, &err);
  (void) devices_validate (s, &err);
  (void) spec_annotation (s, "run.cellrun.profile");
  struct spec *copy = spec_dup (s);
  char *json = spec_to_json (copy, &err);
  if (json)
    {
      /* What cellrun writes it must read back. */
      struct spec *again = spec_parse_data (json, strlen (json), &err);
      if (again == NULL)
        abort ();
      spec_free (again);
      free (json);
    }
  spec_free (copy);
  spec_free (s);
  return 0;
}
