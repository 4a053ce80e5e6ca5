/* The starting config.json written by `cellrun spec`: a shell in a
   read-only rootfs with the conventional /proc, /dev and /sys mounts and
   a small capability set. The rootless variant must work for an
   unprivileged user with only their own uid/gid mapped. */
#include "config.h"

#include <string.h>

#include "json.h"
#include "base/utils.h"

static void
gen_mount (yajl_gen g, const char *destination, const char *type, const char *source, const char *const *options)
{
  json_gen_map_open (g);
  json_gen_kstr (g, "destination", destination);
  json_gen_kstr (g, "type", type);
  json_gen_kstr (g, "source", source);
  if (options)
    json_gen_kstrlist (g, "options", options);
  json_gen_map_close (g);
}

static void
gen_mounts (yajl_gen g, bool rootless)
{
  static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts_opts[] = {
    "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL
  };
  /* gid 5 (tty) is not mapped in a rootless user namespace: devpts would
     refuse the mount. */
  static const char *const pts_opts_rootless[] = {
    "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL
  };
  static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const sys_bind_opts[] = { "nosuid", "noexec", "nodev", "ro", "rbind", NULL };
  static const char *const cgroup_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  json_gen_str (g, "mounts");
  json_gen_array_open (g);
  gen_mount (g, "/proc", "proc", "proc", NULL);
  gen_mount (g, "/dev", "tmpfs", "tmpfs", dev_opts);
  gen_mount (g, "/dev/pts", "devpts", "devpts", rootless ? pts_opts_rootless : pts_opts);
  gen_mount (g, "/dev/shm", "tmpfs", "shm", shm_opts);
  gen_mount (g, "/dev/mqueue", "mqueue", "mqueue", mqueue_opts);
  if (rootless)
    {
      /* Without a network namespace of its own, an unprivileged user may
         not mount a fresh sysfs; bind the host's instead. The cgroup
         mount is dropped for the same reason. */
      gen_mount (g, "/sys", "none", "/sys", sys_bind_opts);
    }
  else
    {
      gen_mount (g, "/sys", "sysfs", "sysfs", sys_opts);
      gen_mount (g, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts);
    }
  json_gen_array_close (g);
}

static void
gen_process (yajl_gen g)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                                     NULL };
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

  json_gen_str (g, "process");
  json_gen_map_open (g);
  json_gen_kbool (g, "terminal", true);
  json_gen_str (g, "user");
  json_gen_map_open (g);
  json_gen_kuint (g, "uid", 0);
  json_gen_kuint (g, "gid", 0);
  json_gen_map_close (g);
  json_gen_kstrlist (g, "args", args);
  json_gen_kstrlist (g, "env", env);
  json_gen_kstr (g, "cwd", "/");
  json_gen_str (g, "capabilities");
  json_gen_map_open (g);
  json_gen_kstrlist (g, "bounding", caps);
  json_gen_kstrlist (g, "effective", caps);
  json_gen_kstrlist (g, "permitted", caps);
  json_gen_map_close (g);
  json_gen_str (g, "rlimits");
  json_gen_array_open (g);
  json_gen_map_open (g);
  json_gen_kstr (g, "type", "RLIMIT_NOFILE");
  json_gen_kuint (g, "hard", 1024);
  json_gen_kuint (g, "soft", 1024);
  json_gen_map_close (g);
  json_gen_array_close (g);
  json_gen_kbool (g, "noNewPrivileges", true);
  json_gen_map_close (g);
}

static void
gen_id_mapping (yajl_gen g, const char *key, uint32_t host_id)
{
  json_gen_str (g, key);
  json_gen_array_open (g);
  json_gen_map_open (g);
  json_gen_kuint (g, "containerID", 0);
  json_gen_kuint (g, "hostID", host_id);
  json_gen_kuint (g, "size", 1);
  json_gen_map_close (g);
  json_gen_array_close (g);
}

static void
gen_linux (yajl_gen g, bool rootless, uid_t uid, gid_t gid)
{
  static const char *const masked[] = { "/proc/acpi",
                                        "/proc/asound",
                                        "/proc/kcore",
                                        "/proc/keys",
                                        "/proc/latency_stats",
                                        "/proc/timer_list",
                                        "/proc/timer_stats",
                                        "/proc/sched_debug",
                                        "/sys/firmware",
                                        "/proc/scsi",
                                        NULL };
  static const char *const readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL
  };
  static const char *const namespaces[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };

  json_gen_str (g, "linux");
  json_gen_map_open (g);
  if (rootless)
    {
      gen_id_mapping (g, "uidMappings", (uint32_t) uid);
      gen_id_mapping (g, "gidMappings", (uint32_t) gid);
    }
  else
    {
      /* Deny every device node by default; the runtime still allows the
         standard /dev set it creates itself. Rootless users cannot write
         cgroup device rules, so the variant has no resources at all. */
      json_gen_str (g, "resources");
      json_gen_map_open (g);
      json_gen_str (g, "devices");
      json_gen_array_open (g);
      json_gen_map_open (g);
      json_gen_kbool (g, "allow", false);
      json_gen_kstr (g, "access", "rwm");
      json_gen_map_close (g);
      json_gen_array_close (g);
      json_gen_map_close (g);
    }
  json_gen_str (g, "namespaces");
  json_gen_array_open (g);
  for (const char *const *ns = namespaces; *ns; ns++)
    {
      /* An unprivileged user keeps the host network: creating a network
         namespace would leave the container with only loopback. */
      if (rootless && strcmp (*ns, "network") == 0)
        continue;
      json_gen_map_open (g);
      json_gen_kstr (g, "type", *ns);
      json_gen_map_close (g);
    }
  if (rootless)
    {
      json_gen_map_open (g);
      json_gen_kstr (g, "type", "user");
      json_gen_map_close (g);
    }
  json_gen_array_close (g);
  json_gen_kstrlist (g, "maskedPaths", masked);
  json_gen_kstrlist (g, "readonlyPaths", readonly);
  json_gen_map_close (g);
}

char *
spec_default_json (bool rootless, uid_t uid, gid_t gid)
{
  yajl_gen g = json_gen_new (true);
  json_gen_map_open (g);
  json_gen_kstr (g, "ociVersion", OCI_VERSION);
  gen_process (g);
  json_gen_str (g, "root");
  json_gen_map_open (g);
  json_gen_kstr (g, "path", "rootfs");
  json_gen_kbool (g, "readonly", true);
  json_gen_map_close (g);
  json_gen_kstr (g, "hostname", "cellrun");
  gen_mounts (g, rootless);
  gen_linux (g, rootless, uid, gid);
  json_gen_map_close (g);
  return json_gen_finish (g);
}
