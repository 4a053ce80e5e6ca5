/* With --systemd-cgroup on a host where systemd is PID 1, the container's
   cgroup is registered as a transient scope unit over D-Bus (like runc's
   systemd driver), so systemd knows it, accounts it and leaves it alone
   (Delegate=yes).  Optional: built only with libsystemd (sd-bus). */
#ifndef CELLRUN_SYSTEMD_SCOPE_H
#define CELLRUN_SYSTEMD_SCOPE_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

/* True when cellrun was built with sd-bus and systemd runs the host
   (sd_booted: /run/systemd/system exists). */
bool systemd_scope_available (void);

/* Unit and slice names from a resolved systemd cgroup path
   ("/system.slice/cellrun-ID.scope" -> "cellrun-ID.scope", "system.slice";
   a scope at the root is in "-.slice").  malloc'd; -EINVAL when the last
   component is not a .scope. */
int systemd_scope_names (const char *cgroup_path, char **unit, char **slice, struct cr_error *err);

/* StartTransientUnit UNIT in SLICE holding PID with Delegate=yes, and wait
   until systemd reports the job done. */
int systemd_scope_start (const char *unit, const char *slice, const char *description, pid_t pid, struct cr_error *err);

/* StopUnit UNIT and wait for the job; a unit that is already gone is success. */
int systemd_scope_stop (const char *unit, struct cr_error *err);

#endif
