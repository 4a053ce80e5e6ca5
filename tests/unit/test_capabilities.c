/* linux/capabilities.c and base/capnames.c: capability names both ways,
   validation of the five sets against the running kernel, and (as root, in
   a child) the bounding/keep/final sequence the container's init runs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/capabilities.h"
#include "unit.h"
#include "base/utils.h"

static void
test_cap_names (void)
{
  struct cr_error err = { 0 };
  int cap = -1;

  CHECK (caps_from_name ("CAP_CHOWN", &cap, &err) == 0 && cap == CAP_CHOWN, "CAP_CHOWN");
  CHECK (caps_from_name ("cap_sys_admin", &cap, &err) == 0 && cap == CAP_SYS_ADMIN, "lower case");
  CHECK (caps_from_name ("Cap_Net_Raw", &cap, &err) == 0 && cap == CAP_NET_RAW, "mixed case");
  CHECK (caps_from_name ("CAP_FOO", &cap, &err) == -EINVAL, "CAP_FOO fails");
  CHECK_STR (err.msg, "unknown capability CAP_FOO", "CAP_FOO message");
  CHECK (caps_from_name ("CHOWN", &cap, &err) < 0, "prefix required");
  CHECK_STR (err.msg, "unknown capability CHOWN", "missing prefix message");
  CHECK (caps_from_name ("0", &cap, &err) < 0, "numbers are not names");
  CHECK (caps_from_name ("", &cap, &err) < 0, "empty name");

  /* A kernel whose last capability is CAP_SYSLOG (34) lacks CAP_BPF. */
  CHECK (caps_from_name_limit ("CAP_BPF", 34, &cap, &err) == -EINVAL, "CAP_BPF beyond last cap");
  CHECK_STR (err.msg, "capability CAP_BPF is not supported by the running kernel", "unsupported message");
  CHECK (caps_from_name_limit ("cap_syslog", 34, &cap, &err) == 0 && cap == 34, "last cap itself ok");
  CHECK (caps_last_cap () >= CAP_AUDIT_READ, "running kernel last cap %d", caps_last_cap ());
  CHECK_STR (caps_name (CAP_CHECKPOINT_RESTORE), "CAP_CHECKPOINT_RESTORE", "caps_name");
  CHECK_STR (caps_name (200), NULL, "caps_name unknown");
}

static void
test_caps_validate (void)
{
  struct cr_error err = { 0 };
  char *good[] = { "CAP_CHOWN", "CAP_KILL", NULL };
  char *bad[] = { "CAP_CHOWN", "CAP_FOO", NULL };
  struct spec_capabilities c = { 0 };

  CHECK (caps_validate (NULL, &err) == 0, "NULL capabilities valid");
  CHECK (caps_validate (&c, &err) == 0, "empty capabilities valid");
  c.bounding = good, c.bounding_len = 2;
  c.effective = good, c.effective_len = 2;
  CHECK (caps_validate (&c, &err) == 0, "good capabilities valid");

  const char *sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  for (int i = 0; i < 5; i++)
    {
      struct spec_capabilities b = { 0 };
      char want[128];
      char ***lists[] = { &b.bounding, &b.effective, &b.inheritable, &b.permitted, &b.ambient };
      size_t *lens[] = { &b.bounding_len, &b.effective_len, &b.inheritable_len, &b.permitted_len, &b.ambient_len };
      *lists[i] = bad;
      *lens[i] = 2;
      snprintf (want, sizeof want, "process.capabilities.%s: unknown capability CAP_FOO", sets[i]);
      CHECK (caps_validate (&b, &err) < 0, "bad %s fails", sets[i]);
      CHECK_STR (err.msg, want, "message names %s", sets[i]);
    }
}

static int
child_caps_sequence (void)
{
  struct cr_error err = { 0 };
  char *bounding[] = { "CAP_CHOWN", "CAP_KILL", "CAP_SETPCAP", NULL };
  char *kill_only[] = { "CAP_KILL", NULL };
  char *chown_kill[] = { "CAP_CHOWN", "CAP_KILL", NULL };
  struct spec_capabilities c = {
    .bounding = bounding,
    .bounding_len = 3,
    .effective = kill_only,
    .effective_len = 1,
    .permitted = chown_kill,
    .permitted_len = 2,
    .inheritable = kill_only,
    .inheritable_len = 1,
    .ambient = kill_only,
    .ambient_len = 1,
  };

  if (caps_drop_bounding (&c, &err) < 0)
    return 10;
  if (prctl (PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
    return 11;
  if (prctl (PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) != 1)
    return 12;
  if (caps_set_keep (&err) < 0 || prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) != 1)
    return 13;
  /* Switch away from uid 0 like the container init would. */
  if (setresgid (65534, 65534, 65534) < 0 || setresuid (65534, 65534, 65534) < 0)
    return 14;
  if (caps_apply_final (&c, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      return 15;
    }
  cap_t now = cap_get_proc ();
  cap_flag_value_t v;
  int bad = 0;
  cap_get_flag (now, CAP_KILL, CAP_EFFECTIVE, &v), bad |= v != CAP_SET;
  cap_get_flag (now, CAP_CHOWN, CAP_EFFECTIVE, &v), bad |= v != CAP_CLEAR;
  cap_get_flag (now, CAP_CHOWN, CAP_PERMITTED, &v), bad |= v != CAP_SET;
  cap_get_flag (now, CAP_CHOWN, CAP_INHERITABLE, &v), bad |= v != CAP_CLEAR;
  cap_get_flag (now, CAP_SETPCAP, CAP_PERMITTED, &v), bad |= v != CAP_CLEAR;
  cap_free (now);
  if (bad)
    return 16;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) != 1
      || prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) != 0)
    return 17;
  if (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return 18;
  return 0;
}

static int
child_caps_all_empty (void)
{
  struct cr_error err = { 0 };
  if (caps_drop_bounding (NULL, &err) < 0 || caps_apply_final (NULL, &err) < 0)
    return 10;
  if (prctl (PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) != 0)
    return 11;
  cap_t now = cap_get_proc (), empty = cap_init ();
  int differ = cap_compare (now, empty);
  cap_free (now), cap_free (empty);
  return differ ? 12 : 0;
}

static int
child_ambient_not_inheritable (void)
{
  /* As runc: an ambient capability the kernel cannot raise (not inheritable)
     is skipped, the rest is applied. */
  struct cr_error err = { 0 };
  char *kill_only[] = { "CAP_KILL", NULL };
  struct spec_capabilities c = { .permitted = kill_only, .permitted_len = 1, .ambient = kill_only, .ambient_len = 1 };
  if (caps_apply_final (&c, &err) != 0)
    return 10;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) != 0)
    return 11;
  return 0;
}

static int
child_ambient_inheritable (void)
{
  struct cr_error err = { 0 };
  char *kill_only[] = { "CAP_KILL", NULL };
  struct spec_capabilities c = { .permitted = kill_only,
                                 .permitted_len = 1,
                                 .inheritable = kill_only,
                                 .inheritable_len = 1,
                                 .ambient = kill_only,
                                 .ambient_len = 1 };
  if (caps_apply_final (&c, &err) != 0)
    return 10;
  return prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) == 1 ? 0 : 11;
}

static void
test_caps_apply (void)
{
  if (geteuid () != 0)
    {
      printf ("# not root: skipping capability application tests\n");
      return;
    }
  CHECK_CHILD (child_caps_sequence, "drop bounding, keep, setresuid, apply final");
  CHECK_CHILD (child_caps_all_empty, "NULL capabilities leave every set empty");
  CHECK_CHILD (child_ambient_not_inheritable, "ambient without inheritable is skipped, the rest applies");
  CHECK_CHILD (child_ambient_inheritable, "ambient that is also inheritable is raised");
}

int
main (void)
{
  test_cap_names ();
  test_caps_validate ();
  test_caps_apply ();
  return UNIT_DONE ();
}
