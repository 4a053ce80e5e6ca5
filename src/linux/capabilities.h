/* Linux capabilities for the container process: name validation against
   the running kernel (the names themselves are base/capnames.h), and the bounding/keep/final steps the container's
   init performs right before exec:

     caps_drop_bounding -> caps_set_keep -> setgroups/setresgid/setresuid
       -> caps_apply_final -> no_new_privs -> seccomp load -> exec  */
#ifndef CELLRUN_CAPABILITIES_H
#define CELLRUN_CAPABILITIES_H

#include <stdbool.h>

#include "base/capnames.h"
#include "base/error.h"
#include "spec.h"

/* "CAP_CHOWN" (case-insensitive, CAP_ prefix required as in the OCI spec)
   -> 0. Errors (EINVAL): "unknown capability CAP_FOO",
   "capability CAP_X is not supported by the running kernel". */
int caps_from_name (const char *name, int *cap, struct cr_error *err);

/* Highest capability number the running kernel knows
   (/proc/sys/kernel/cap_last_cap, falling back to libcap's cap_max_bits). */
int caps_last_cap (void);

/* Check every name in all five sets; the message names the set:
   "process.capabilities.bounding: unknown capability CAP_FOO". C may be NULL. */
int caps_validate (const struct spec_capabilities *c, struct cr_error *err);

/* The kernel raises an ambient capability only if it is in both the permitted
   and the inheritable set; `runc spec` lists ambient capabilities and no
   inheritable ones. Like runc, such a bundle runs without them: one warning
   line here (the runtime's, not the container's stderr), the names with
   --debug; caps_apply_final then skips them. C may be NULL. */
void caps_warn_unraisable_ambient (const struct spec_capabilities *c);

/* Must run while still uid 0 with CAP_SETPCAP: drop from the bounding set
   every capability not listed in c->bounding (C NULL drops all). */
int caps_drop_bounding (const struct spec_capabilities *c, struct cr_error *err);

/* PR_SET_KEEPCAPS=1 so the permitted set survives setresuid away from 0. */
int caps_set_keep (struct cr_error *err);

/* After setresuid/setresgid: set effective/permitted/inheritable to exactly
   the listed sets, clear the ambient set and raise each listed ambient
   capability that is also permitted and inheritable, and reset
   PR_SET_KEEPCAPS to 0. C NULL = all sets empty. */
int caps_apply_final (const struct spec_capabilities *c, struct cr_error *err);

#endif
