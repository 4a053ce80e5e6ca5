/* Capability names and numbers, with no kernel involved: the table of
   names the OCI spec uses ("CAP_CHOWN" = 0 ...), lookups both ways and the
   one name comparison every layer uses. What the running kernel supports
   (caps_last_cap, caps_from_name) is linux/capabilities.h. */
#ifndef CELLRUN_CAPNAMES_H
#define CELLRUN_CAPNAMES_H

#include <stdbool.h>

#include "base/error.h"

/* "CAP_CHOWN" (case-insensitive, CAP_ prefix required as in the OCI spec)
   -> 0, accepting only numbers up to LAST_CAP. Errors (EINVAL): "unknown
   capability CAP_FOO", "capability CAP_X is not supported by the running
   kernel". caps_from_name (linux/capabilities.h) passes the running
   kernel's last capability. */
int caps_from_name_limit (const char *name, int last_cap, int *cap, struct cr_error *err);

/* Whether names A and B denote the same capability.  Names are
   case-insensitive, as caps_from_name reads them: every comparison of
   capability names (the profile's sets, exec's ceiling) uses this, so a
   name spelled "cap_chown" is neither kept nor dropped differently from
   "CAP_CHOWN" by one layer than by another. */
bool caps_name_equal (const char *a, const char *b);

/* Canonical upper-case name ("CAP_CHOWN"), NULL for unknown numbers. */
const char *caps_name (int cap);

#endif
