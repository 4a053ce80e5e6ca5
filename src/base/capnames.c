/* Capability names <-> numbers (see base/capnames.h). */
#include "config.h"
#include "base/capnames.h"

#include <stddef.h>
#include <strings.h>

#include "base/utils.h"

/* Our own table rather than libcap's cap_from_name: libcap also accepts
   numbers and names without the CAP_ prefix, which the OCI spec does not,
   and a libcap older than the kernel would call new capabilities unknown. */
static const char *const cap_names[] = {
  [0] = "CAP_CHOWN",
  [1] = "CAP_DAC_OVERRIDE",
  [2] = "CAP_DAC_READ_SEARCH",
  [3] = "CAP_FOWNER",
  [4] = "CAP_FSETID",
  [5] = "CAP_KILL",
  [6] = "CAP_SETGID",
  [7] = "CAP_SETUID",
  [8] = "CAP_SETPCAP",
  [9] = "CAP_LINUX_IMMUTABLE",
  [10] = "CAP_NET_BIND_SERVICE",
  [11] = "CAP_NET_BROADCAST",
  [12] = "CAP_NET_ADMIN",
  [13] = "CAP_NET_RAW",
  [14] = "CAP_IPC_LOCK",
  [15] = "CAP_IPC_OWNER",
  [16] = "CAP_SYS_MODULE",
  [17] = "CAP_SYS_RAWIO",
  [18] = "CAP_SYS_CHROOT",
  [19] = "CAP_SYS_PTRACE",
  [20] = "CAP_SYS_PACCT",
  [21] = "CAP_SYS_ADMIN",
  [22] = "CAP_SYS_BOOT",
  [23] = "CAP_SYS_NICE",
  [24] = "CAP_SYS_RESOURCE",
  [25] = "CAP_SYS_TIME",
  [26] = "CAP_SYS_TTY_CONFIG",
  [27] = "CAP_MKNOD",
  [28] = "CAP_LEASE",
  [29] = "CAP_AUDIT_WRITE",
  [30] = "CAP_AUDIT_CONTROL",
  [31] = "CAP_SETFCAP",
  [32] = "CAP_MAC_OVERRIDE",
  [33] = "CAP_MAC_ADMIN",
  [34] = "CAP_SYSLOG",
  [35] = "CAP_WAKE_ALARM",
  [36] = "CAP_BLOCK_SUSPEND",
  [37] = "CAP_AUDIT_READ",
  [38] = "CAP_PERFMON",
  [39] = "CAP_BPF",
  [40] = "CAP_CHECKPOINT_RESTORE",
};

#define CAPS_TABLE_LAST ((int) ARRAY_SIZE (cap_names) - 1)
const char *
caps_name (int cap)
{
  if (cap < 0 || cap > CAPS_TABLE_LAST)
    return NULL;
  return cap_names[cap];
}

bool
caps_name_equal (const char *a, const char *b)
{
  return a && b && strcasecmp (a, b) == 0;
}

int
caps_from_name_limit (const char *name, int last_cap, int *cap, struct cr_error *err)
{
  if (name == NULL)
    return cr_invalid (err, "unknown capability (null)");
  for (int i = 0; i <= CAPS_TABLE_LAST; i++)
    if (strcasecmp (name, cap_names[i]) == 0)
      {
        if (i > last_cap)
          return cr_invalid (err, "capability %s is not supported by the running kernel", cap_names[i]);
        *cap = i;
        return 0;
      }
  return cr_invalid (err, "unknown capability %s", name);
}
