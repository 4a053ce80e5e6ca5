#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <sys/capability.h>

#include "features_json.h"
#include "json.h"
#include "base/utils.h"

#include <seccomp.h>

static const char *const hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL
};

static const char *const mount_options[] = {
  "async",      "atime",       "bind",       "defaults",    "dev",        "diratime",   "dirsync",
  "exec",       "iversion",    "lazytime",   "loud",        "mand",       "noatime",    "nodev",
  "nodiratime", "noexec",      "noiversion", "nolazytime",  "nomand",     "norelatime", "nostrictatime",
  "nosuid",     "nosymfollow", "private",    "rbind",       "relatime",   "remount",    "ro",
  "rprivate",   "rshared",     "rslave",     "runbindable", "rw",         "shared",     "silent",
  "slave",      "strictatime", "sync",       "symfollow",   "unbindable", NULL
};

static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };

static const char *const seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",         NULL
};

static const char *const seccomp_operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
                                                 "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };

static const char *const seccomp_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                             "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
                                             NULL };

/* OCI name -> libseccomp's name, to ask the installed libseccomp which it
   can build filters for. */
static const struct
{
  const char *oci;
  const char *libseccomp;
} seccomp_archs[] = {
  { "SCMP_ARCH_X86", "x86" },
  { "SCMP_ARCH_X86_64", "x86_64" },
  { "SCMP_ARCH_X32", "x32" },
  { "SCMP_ARCH_ARM", "arm" },
  { "SCMP_ARCH_AARCH64", "aarch64" },
  { "SCMP_ARCH_MIPS", "mips" },
  { "SCMP_ARCH_MIPS64", "mips64" },
  { "SCMP_ARCH_MIPS64N32", "mips64n32" },
  { "SCMP_ARCH_MIPSEL", "mipsel" },
  { "SCMP_ARCH_MIPSEL64", "mipsel64" },
  { "SCMP_ARCH_MIPSEL64N32", "mipsel64n32" },
  { "SCMP_ARCH_PPC", "ppc" },
  { "SCMP_ARCH_PPC64", "ppc64" },
  { "SCMP_ARCH_PPC64LE", "ppc64le" },
  { "SCMP_ARCH_S390", "s390" },
  { "SCMP_ARCH_S390X", "s390x" },
  { "SCMP_ARCH_PARISC", "parisc" },
  { "SCMP_ARCH_PARISC64", "parisc64" },
  { "SCMP_ARCH_RISCV64", "riscv64" },
  { "SCMP_ARCH_LOONGARCH64", "loongarch64" },
  { "SCMP_ARCH_M68K", "m68k" },
  { "SCMP_ARCH_SH", "sh" },
  { "SCMP_ARCH_SHEB", "sheb" },
};

static void
gen_capabilities (yajl_gen g)
{
  int last = CAP_LAST_CAP;
  int kernel_bits = (int) cap_max_bits ();
  /* Report whichever is larger: the kernel may know capabilities newer
     than the headers, and libcap names those it knows by itself. */
  if (kernel_bits - 1 > last)
    last = kernel_bits - 1;

  json_gen_str (g, "capabilities");
  json_gen_array_open (g);
  for (int cap = 0; cap <= last; cap++)
    {
      char *name = cap_to_name ((cap_value_t) cap);
      if (name == NULL)
        continue;
      /* libcap prints a bare number for capabilities it has no name for. */
      if (!isdigit ((unsigned char) name[0]))
        {
          char upper[64];
          size_t i;
          for (i = 0; name[i] && i < sizeof upper - 1; i++)
            upper[i] = (char) toupper ((unsigned char) name[i]);
          upper[i] = '\0';
          json_gen_str (g, upper);
        }
      cap_free (name);
    }
  json_gen_array_close (g);
}

static void
gen_enabled (yajl_gen g, const char *key, bool enabled)
{
  json_gen_str (g, key);
  json_gen_map_open (g);
  json_gen_kbool (g, "enabled", enabled);
  json_gen_map_close (g);
}

static void
gen_seccomp (yajl_gen g)
{
  json_gen_str (g, "seccomp");
  json_gen_map_open (g);
  json_gen_kbool (g, "enabled", true);
  json_gen_kstrlist (g, "actions", seccomp_actions);
  json_gen_kstrlist (g, "operators", seccomp_operators);
  json_gen_str (g, "archs");
  json_gen_array_open (g);
  for (size_t i = 0; i < ARRAY_SIZE (seccomp_archs); i++)
    if (seccomp_arch_resolve_name (seccomp_archs[i].libseccomp) != 0)
      json_gen_str (g, seccomp_archs[i].oci);
  json_gen_array_close (g);
  json_gen_kstrlist (g, "knownFlags", seccomp_flags);
  json_gen_kstrlist (g, "supportedFlags", seccomp_flags);
  json_gen_map_close (g);
}

static void
gen_linux (yajl_gen g)
{
  json_gen_str (g, "linux");
  json_gen_map_open (g);
  json_gen_kstrlist (g, "namespaces", namespaces);
  gen_capabilities (g);

  json_gen_str (g, "cgroup");
  json_gen_map_open (g);
  json_gen_kbool (g, "v1", true);
  json_gen_kbool (g, "v2", true);
  json_gen_kbool (g, "systemd", false);
  json_gen_kbool (g, "systemdUser", false);
  json_gen_kbool (g, "rdma", true);
  json_gen_map_close (g);

  gen_seccomp (g);
  gen_enabled (g, "apparmor", access ("/sys/kernel/security/apparmor", F_OK) == 0);
  gen_enabled (g, "selinux", access ("/sys/fs/selinux/enforce", F_OK) == 0);
  gen_enabled (g, "intelRdt", false);

  json_gen_str (g, "mountExtensions");
  json_gen_map_open (g);
  gen_enabled (g, "idmap", false);
  json_gen_map_close (g);

  json_gen_map_close (g);
}

char *
features_to_json (const struct features_annotations *ann)
{
  yajl_gen g = json_gen_new (true);
  json_gen_map_open (g);
  json_gen_kstr (g, "ociVersionMin", "1.0.0");
  json_gen_kstr (g, "ociVersionMax", OCI_VERSION);
  json_gen_kstrlist (g, "hooks", hooks);
  json_gen_kstrlist (g, "mountOptions", mount_options);
  gen_linux (g);
  json_gen_kmap (g, "annotations", ann->annotations, ann->annotations_len);
  json_gen_kstrlist (g, "potentiallyUnsafeConfigAnnotations", ann->unsafe_prefixes);
  json_gen_map_close (g);
  return json_gen_finish (g);
}
