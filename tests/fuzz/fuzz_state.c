/* state.json (<root>/<id>/state.json): libocispec's state_file_parse, then
   a write + re-parse round trip (what cellrun writes it must read back). */
#include "fuzz.h"
#include "state_json.h"
#include "base/error.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct cr_error err = { 0 };
  struct container_state *st = state_file_parse ((const char *) data, size, "state.json", &err);
  if (st == NULL)
    return 0;
  char *json = state_file_to_json (st);
  struct container_state *again = state_file_parse (json, strlen (json), "state.json", &err);
  if (again == NULL)
    abort ();
  state_file_free (again);
  free (json);
  state_file_free (st);
  return 0;
}
