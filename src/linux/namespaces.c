#include "config.h"
#include "linux/namespaces.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *type;
  int flag;
} ns_types[] = {
  { "user", CLONE_NEWUSER }, { "pid", CLONE_NEWPID },  { "network", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC },
  { "uts", CLONE_NEWUTS },   { "mount", CLONE_NEWNS }, { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

int
ns_flag_from_type (const char *type)
{
  for (size_t i = 0; i < ARRAY_SIZE (ns_types); i++)
    if (strcmp (ns_types[i].type, type) == 0)
      return ns_types[i].flag;
  return -1;
}

int
ns_save_children_ns (int *pid_fd, int *time_fd)
{
  *pid_fd = open ("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
  *time_fd = open ("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  return *pid_fd < 0 ? -errno : 0;
}

int
ns_restore_children_ns (int *pid_fd, int *time_fd, struct cr_error *err)
{
  int r = 0;
  if (*pid_fd >= 0 && setns (*pid_fd, CLONE_NEWPID) < 0)
    r = cr_fail (err, errno, "restore the runtime's pid namespace for children");
  if (*time_fd >= 0 && setns (*time_fd, CLONE_NEWTIME) < 0 && r == 0)
    r = cr_fail (err, errno, "restore the runtime's time namespace for children");
  if (*pid_fd >= 0)
    close (*pid_fd);
  if (*time_fd >= 0)
    close (*time_fd);
  *pid_fd = *time_fd = -1;
  return r;
}

int
ns_restore_parent (struct ns_plan *plan, struct cr_error *err)
{
  return ns_restore_children_ns (&plan->saved_pid_children, &plan->saved_time_children, err);
}

void
ns_plan_close (struct ns_plan *plan)
{
  for (size_t i = 0; i < plan->join_len; i++)
    if (plan->join_fd[i] >= 0)
      close (plan->join_fd[i]);
  plan->join_len = 0;
  if (plan->saved_pid_children >= 0)
    close (plan->saved_pid_children);
  if (plan->saved_time_children >= 0)
    close (plan->saved_time_children);
  plan->saved_pid_children = plan->saved_time_children = -1;
}

int
ns_plan_build (const struct spec *spec, struct ns_plan *plan, struct cr_error *err)
{
  memset (plan, 0, sizeof *plan);
  plan->saved_pid_children = plan->saved_time_children = plan->join_user_fd = -1;
  const struct spec_linux *lx = spec->linux;
  int seen = 0;
  /* Join order: user first (it grants the rights to join the rest), mount last
     (paths of the others are resolved in the runtime's mount namespace). */
  for (size_t pass = 0; pass < ARRAY_SIZE (ns_types); pass++)
    for (size_t i = 0; lx && i < lx->namespaces_len; i++)
      {
        const struct spec_namespace *ns = &lx->namespaces[i];
        int flag = ns_flag_from_type (ns->type);
        if (flag < 0)
          return cr_fail (err, 0, "linux.namespaces[%zu].type: unknown namespace %s", i, ns->type);
        if (flag != ns_types[pass].flag)
          continue;
        if (seen & flag)
          {
            ns_plan_close (plan);
            return cr_fail (err, 0, "linux.namespaces[%zu]: duplicate %s namespace", i, ns->type);
          }
        seen |= flag;
        if (ns->path == NULL || ns->path[0] == '\0')
          {
            plan->new_flags |= flag;
            continue;
          }
        int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          {
            ns_plan_close (plan);
            return cr_fail (err, errno, "linux.namespaces[%zu].path: open %s", i, ns->path);
          }
        if (flag == CLONE_NEWUSER)
          plan->join_user_fd = fd;
        plan->join_fd[plan->join_len] = fd;
        plan->join_flag[plan->join_len++] = flag;
      }
  plan->new_user = plan->new_flags & CLONE_NEWUSER;
  plan->new_cgroup = plan->new_flags & CLONE_NEWCGROUP;
  plan->new_net = plan->new_flags & CLONE_NEWNET;
  plan->new_time = plan->new_flags & CLONE_NEWTIME;
  plan->new_pid = plan->new_flags & CLONE_NEWPID;
  /* The cgroup namespace is unshared by the init once it sits in its cgroup
     (the namespace root is the cgroup at unshare time); time namespaces are
     created by the runtime so the offsets can be written first. */
  plan->new_flags &= ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
  /* With a new user namespace the init unshares the IPC namespace once it is
     that namespace's root: the mqueue filesystem's root directory belongs to
     the creator, and the runtime's host root would show as the overflow uid. */
  plan->new_ipc_late = plan->new_user && (plan->new_flags & CLONE_NEWIPC);
  if (plan->new_ipc_late)
    plan->new_flags &= ~CLONE_NEWIPC;
  /* Unlisted, the mount namespace is inherited (runtime spec): see rootfs_check_shared. */
  plan->mount_ns = seen & CLONE_NEWNS;
  /* Without a UTS namespace of its own the container's is the runtime's:
     setting a name there would rename the host (runc refuses it too). */
  const char *name = spec->hostname && *spec->hostname ? "hostname" : NULL;
  if (spec->domainname && *spec->domainname && !name)
    name = "domainname";
  if (name && !(seen & CLONE_NEWUTS))
    {
      ns_plan_close (plan);
      return cr_fail (err, 0, "%s: set without a UTS namespace (it would change the host's %s)", name, name);
    }
  if (lx && (lx->uid_mappings_len || lx->gid_mappings_len) && !(seen & CLONE_NEWUSER))
    {
      ns_plan_close (plan);
      return cr_fail (err, 0, "linux.uidMappings: set without a user namespace");
    }
  if (lx && lx->time_offsets_len && !plan->new_time)
    {
      ns_plan_close (plan);
      return cr_fail (err, 0, "linux.timeOffsets: set without a new time namespace");
    }
  return 0;
}

int
ns_prepare_parent (const struct spec *spec, struct ns_plan *plan, struct cr_error *err)
{
  bool changes = plan->new_time;
  for (size_t i = 0; i < plan->join_len; i++)
    changes |= plan->join_flag[i] == CLONE_NEWPID || plan->join_flag[i] == CLONE_NEWTIME;
  if (changes)
    ns_save_children_ns (&plan->saved_pid_children, &plan->saved_time_children);
  for (size_t i = 0; i < plan->join_len; i++)
    if (plan->join_flag[i] == CLONE_NEWPID || plan->join_flag[i] == CLONE_NEWTIME)
      {
        if (setns (plan->join_fd[i], plan->join_flag[i]) < 0)
          return cr_fail (err, errno, "join %s namespace", plan->join_flag[i] == CLONE_NEWPID ? "pid" : "time");
        close (plan->join_fd[i]);
        plan->join_fd[i] = -1;
      }
  if (plan->new_time)
    {
      if (unshare (CLONE_NEWTIME) < 0)
        return cr_fail (err, errno, "create time namespace");
      const struct spec_linux *lx = spec->linux;
      for (size_t i = 0; i < lx->time_offsets_len; i++)
        {
          const struct spec_time_offset *o = &lx->time_offsets[i];
          char line[128];
          int n = snprintf (line, sizeof line, "%s %lld %u\n", o->clock, (long long) o->secs, o->nanosecs);
          struct cr_error e2;
          if (write_file ("/proc/self/timens_offsets", line, n, 0644, &e2) < 0)
            return cr_fail (err, e2.code, "linux.timeOffsets.%s: write /proc/self/timens_offsets", o->clock);
        }
    }
  return 0;
}

int
ns_join_child (struct ns_plan *plan, struct cr_error *err)
{
  for (size_t i = 0; i < plan->join_len; i++)
    {
      if (plan->join_fd[i] < 0)
        continue;
      if (plan->join_fd[i] == plan->join_user_fd)
        {
          /* Joined already, before the clone (ns_clone_in_userns). */
          close (plan->join_fd[i]);
          plan->join_fd[i] = plan->join_user_fd = -1;
          continue;
        }
      if (setns (plan->join_fd[i], plan->join_flag[i]) < 0)
        return cr_fail (err, errno, "join namespace (setns flag 0x%x)", plan->join_flag[i]);
      close (plan->join_fd[i]);
      plan->join_fd[i] = -1;
    }
  return 0;
}

static int
write_map (pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n, struct cr_error *err)
{
  if (n == 0)
    return 0;
  char buf[4096];
  size_t off = 0;
  for (size_t i = 0; i < n && off < sizeof buf; i++)
    off += snprintf (buf + off, sizeof buf - off, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  struct cr_error e2;
  if (write_file (path, buf, off, 0644, &e2) < 0)
    return cr_fail (err, e2.code, "write %s", file);
  return 0;
}

int
ns_write_id_maps (pid_t pid, const struct spec *spec, struct cr_error *err)
{
  const struct spec_linux *lx = spec->linux;
  int r = write_map (pid, "uid_map", lx->uid_mappings, lx->uid_mappings_len, err);
  if (r < 0)
    return r;
  return write_map (pid, "gid_map", lx->gid_mappings, lx->gid_mappings_len, err);
}

/* A user namespace joined by path must own the namespaces the init gets new:
   cloned from the host's, a mount or pid namespace could not be set up from
   inside it. A short-lived child joins the user namespace and clones the init
   as the runtime's own child (CLONE_PARENT), reporting its pid in a pipe.
   Returns the pid (0 in the init) or -1 with ERR set. */
pid_t
ns_clone_in_userns (int flags, int userfd, struct cr_error *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return cr_fail (err, errno, "clone container init: pipe");
  pid_t mid = fork ();
  if (mid < 0)
    {
      close (p[0]);
      close (p[1]);
      return cr_fail (err, errno, "clone container init: fork");
    }
  if (mid == 0)
    {
      int res;
      close (p[0]);
      prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
      if (setns (userfd, CLONE_NEWUSER) < 0)
        res = -errno;
      else
        {
          pid_t c = syscall (SYS_clone, (unsigned long) flags | CLONE_PARENT, NULL, NULL, NULL, 0);
          if (c == 0)
            {
              close (p[1]);
              return 0;
            }
          res = c < 0 ? -errno : c;
        }
      write_all (p[1], &res, sizeof res);
      _exit (0);
    }
  close (p[1]);
  int res = 0;
  ssize_t n;
  do
    n = read (p[0], &res, sizeof res);
  while (n < 0 && errno == EINTR);
  close (p[0]);
  while (waitpid (mid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof res)
    return cr_fail (err, EIO, "clone container init: helper exited");
  if (res < 0)
    return cr_fail (err, -res, "join user namespace (linux.namespaces path)");
  return res;
}
