/* The runtime side of the lifecycle. create clones the init with its new
   namespaces and drives it through a SOCK_SEQPACKET sync socket; start opens
   exec.fifo, which lets the blocked init exec the user's program. */
#include "config.h"
#include "core/container.h"
#include "linux/capabilities.h"
#include "linux/cgroups/cgroups.h"
#include "policy/config_file.h"
#include "linux/devices.h"
#include "core/hooks.h"
#include "base/log.h"
#include "linux/mounts.h"
#include "linux/namespaces.h"
#include "core/notify.h"
#include "linux/process.h"
#include "policy/profile.h"
#include "linux/rootfs.h"
#include "linux/seccomp_filter.h"
#include "state_json.h"
#include "linux/cgroups/systemd_scope.h"
#include "linux/terminal.h"
#include "base/utils.h"
#include "policy/workspace.h"

#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

const char *
container_cgroup_root (void)
{
  const char *r = getenv ("CELLRUN_CGROUP_ROOT");
  return r && *r ? r : "/sys/fs/cgroup";
}

char *
container_state_to_json (const struct container_state *st, enum container_status status)
{
  bool live = status == STATUS_CREATED || status == STATUS_RUNNING || status == STATUS_PAUSED;
  struct oci_state os = { .id = st->id,
                          .status = container_status_name (status),
                          .pid = live ? st->pid : 0,
                          .bundle = st->bundle,
                          .annotations = st->annotations,
                          .annotations_len = st->annotations_len,
                          .created = st->created,
                          .owner = st->owner,
                          .profile = st->profile ? st->profile : "none" };
  return oci_state_to_json (&os, true);
}

/* Everything a create may have made, undone in reverse when it fails. */
struct create_undo
{
  const char *root;
  const char *id;
  pid_t child;
  struct cgroup_manager *cgroup;
  bool cgroup_placed;       /* the init was cloned into its cgroup (v2) */
  const char *systemd_unit; /* scope to register (--systemd-cgroup on a systemd host) */
  const char *systemd_slice;
  bool systemd_started;
  char *workspace_tmpfs;
  bool state_dir;
  const struct spec *poststop; /* the init was started: poststop hooks run after the undo */
  const char *bundle;
};

/* What create decides before it takes the id: the bundle's config parsed,
   run through the profile layer and checked. Nothing here touches the state
   root, so a bundle that fails to parse or validate never leaves <root>/<id>. */
struct create_plan
{
  char *bundle;
  char *state_dir;
  char *rootfs;
  struct spec *spec;
  struct profile_result pr;
  struct notify_plan notify;
};

static void
create_undo_run (struct create_undo *u)
{
  struct cr_error ignored = { 0 };
  if (u->child > 0)
    {
      kill (u->child, SIGKILL);
      while (waitpid (u->child, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (u->systemd_started)
    systemd_scope_stop (u->systemd_unit, &ignored);
  if (u->cgroup)
    {
      cgroup_destroy (u->cgroup, &ignored);
      cgroup_manager_free (u->cgroup);
      u->cgroup = NULL;
    }
  if (u->workspace_tmpfs)
    umount2 (u->workspace_tmpfs, MNT_DETACH);
  if (u->state_dir)
    state_remove_dir (u->root, u->id, &ignored);
  /* The container is gone: the runtime spec continues a failed create (a
     prestart, createRuntime or createContainer hook included) at lifecycle
     step 12, so poststop hooks run, as with runc. Their failure only warns. */
  const struct spec *spec = u->poststop;
  if (spec && spec->hooks && spec->hooks->poststop_len)
    {
      struct oci_state os = { .oci_version = spec->oci_version,
                              .id = u->id,
                              .status = "stopped",
                              .bundle = u->bundle,
                              .annotations = spec->annotations,
                              .annotations_len = spec->annotations_len };
      _cleanup_free_ char *json = oci_state_to_json (&os, false);
      struct cr_error herr = { 0 };
      if (hooks_run (spec->hooks->poststop, spec->hooks->poststop_len, "poststop", json, &herr) < 0)
        log_warning ("%s", herr.msg);
    }
}

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  return xstrdup (pw ? pw->pw_name : "");
}

static int
resolve_rootfs (const struct spec *spec, const char *bundle, char **out, struct cr_error *err)
{
  if (spec->root == NULL || spec->root->path == NULL)
    return cr_fail (err, 0, "root.path: missing required field");
  _cleanup_free_ char *joined = NULL;
  if (spec->root->path[0] == '/')
    joined = xstrdup (spec->root->path);
  else
    xasprintf (&joined, "%s/%s", bundle, spec->root->path);
  char *real = realpath (joined, NULL);
  if (real == NULL)
    return cr_fail (err, errno, "rootfs %s", joined);
  struct stat st;
  if (stat (real, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      free (real);
      return cr_fail (err, ENOTDIR, "rootfs %s", joined);
    }
  *out = real;
  return 0;
}

/* Overlay workspaces keep upper/work in the private state dir; a max-bytes
   cap is a tmpfs of that size holding both. */
static int
prepare_workspace (const struct profile_result *pr, struct create_undo *undo, struct cr_error *err)
{
  if (!pr->workspace.present)
    return 0;
  int r = workspace_prepare_host_path (&pr->workspace, err);
  if (r < 0)
    return r;
  if (pr->workspace_dir == NULL)
    return 0;
  if (mkdir (pr->workspace_dir, 0700) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "mkdir %s", pr->workspace_dir);
  if (pr->workspace.max_bytes)
    {
      _cleanup_free_ char *opts = NULL;
      xasprintf (&opts, "size=%llu,mode=0700", pr->workspace.max_bytes);
      if (mount ("cellrun-workspace", pr->workspace_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        return cr_fail (err, errno, "mount size-capped workspace tmpfs on %s", pr->workspace_dir);
      undo->workspace_tmpfs = pr->workspace_dir;
    }
  if (mkdir (pr->upper_dir, 0755) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "mkdir %s", pr->upper_dir);
  if (mkdir (pr->work_dir, 0700) < 0 && errno != EEXIST)
    return cr_fail (err, errno, "mkdir %s", pr->work_dir);
  return 0;
}

/* The standard /dev nodes and linux.devices stay usable under a deny-all
   device policy: their allow rules are inserted right after a leading
   deny-all rule, before the bundle's other rules, so an explicit deny in
   the bundle (say of /dev/zero) still wins (the last matching rule wins). */
static void
allow_default_devices (struct spec *spec)
{
  static const struct
  {
    char type;
    int64_t major, minor;
  } defaults[] = {
    { 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 },    { 'c', 1, 9 },
    { 'c', 5, 0 }, { 'c', 5, 1 }, { 'c', 5, 2 }, { 'c', 136, -1 },
  };
  if (spec->linux == NULL || spec->linux->resources == NULL || spec->linux->resources->devices_len == 0)
    return;
  struct spec_resources *r = spec->linux->resources;
  const struct spec_device_cgroup *first = &r->devices[0];
  bool leading_deny_all = !first->allow && (first->type == NULL || strcmp (first->type, "a") == 0) && !first->has_major
                          && !first->has_minor;
  size_t at = leading_deny_all ? 1 : 0;
  /* The device cgroup knows only a, b and c: a FIFO ("p") is no device and
     needs no rule, an unbuffered character device ("u") is a "c". */
  size_t nodes = 0;
  for (size_t k = 0; k < spec->linux->devices_len; k++)
    nodes += spec->linux->devices[k].type[0] != 'p';
  size_t extra = ARRAY_SIZE (defaults) + nodes;
  r->devices = xrealloc (r->devices, (r->devices_len + extra) * sizeof *r->devices);
  memmove (&r->devices[at + extra], &r->devices[at], (r->devices_len - at) * sizeof *r->devices);
  r->devices_len += extra;
  size_t next_dev = 0;
  for (size_t i = 0; i < extra; i++)
    {
      struct spec_device_cgroup *d = &r->devices[at + i];
      memset (d, 0, sizeof *d);
      d->allow = true;
      d->access = xstrdup ("rwm");
      if (i < ARRAY_SIZE (defaults))
        {
          char t[2] = { defaults[i].type, 0 };
          d->type = xstrdup (t);
          d->has_major = true;
          d->major = defaults[i].major;
          d->has_minor = defaults[i].minor >= 0;
          d->minor = defaults[i].minor;
        }
      else
        {
          while (spec->linux->devices[next_dev].type[0] == 'p')
            next_dev++;
          const struct spec_device *dev = &spec->linux->devices[next_dev++];
          d->type = xstrdup (dev->type[0] == 'b' ? "b" : "c");
          d->has_major = dev->has_major;
          d->major = dev->major;
          d->has_minor = dev->has_minor;
          d->minor = dev->minor;
        }
    }
}

static int
write_pid_file (const char *path, pid_t pid, struct cr_error *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid);
  return write_file_atomic (path, buf, n, 0644, err);
}

/* Fork-like clone of the container init with namespace FLAGS.  With a
   v2 cgroup fd (INTO >= 0) clone3's CLONE_INTO_CGROUP puts the child in its
   cgroup from birth (*PLACED true); a kernel or seccomp policy without
   clone3 falls back to clone(2) and a later cgroup_enter. */
static pid_t
clone_init (int flags, int into, bool *placed)
{
  *placed = false;
  if (into >= 0)
    {
      struct clone_args a = { .flags = (uint64_t) flags | CLONE_INTO_CGROUP,
                              .exit_signal = SIGCHLD,
                              .cgroup = (uint64_t) into };
      pid_t child = syscall (SYS_clone3, &a, sizeof a);
      if (child > 0)
        {
          *placed = true;
          log_debug ("cgroup: init %d cloned into its cgroup (CLONE_INTO_CGROUP)", (int) child);
        }
      if (child >= 0)
        return child;
      log_debug ("cgroup: clone3 with CLONE_INTO_CGROUP failed (%s); cloning, then moving the init", strerror (errno));
    }
  return syscall (SYS_clone, (unsigned long) flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* The init is gone (a send or receive on the sync socket failed): its last
   message, if it sent one, says why. */
static int
init_gone (int sync_fd, pid_t child, struct cr_error *err)
{
  struct sync_msg m;
  ssize_t n;
  do
    n = recv (sync_fd, &m, sizeof m, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t) sizeof m && m.type == SYNC_ERROR)
    {
      err->code = m.code;
      memcpy (err->msg, m.msg, sizeof err->msg);
      err->msg[sizeof err->msg - 1] = '\0';
      return -1;
    }
  siginfo_t si = { 0 };
  if (waitid (P_PID, child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == child)
    {
      if (si.si_code == CLD_EXITED)
        return cr_fail (err, 0, "container init exited during setup (exit status %d)", si.si_status);
      return cr_fail (err, 0, "container init exited during setup (killed by signal %d)", si.si_status);
    }
  return cr_fail (err, EPIPE, "container init exited during setup");
}

/* The runtime's half of the init handshake, up to SYNC_CREATED. */
static int
drive_init (const struct create_options *o, struct create_plan *plan, struct ns_plan *ns, int sync_fd, pid_t child,
            struct create_undo *undo, const char *state_json, struct cr_error *err)
{
  const struct spec *spec = plan->spec;
  struct cgroup_manager *cg = undo->cgroup;
  int r;
  if (ns->new_user && (r = ns_write_id_maps (child, spec, err)) < 0)
    return r;
  if (sync_send (sync_fd, SYNC_GO, child, NULL) < 0)
    return init_gone (sync_fd, child, err);
  /* Overlaps with the init's mount setup; it waits for CGROUP_DONE before
     anything that needs the cgroup, user code included. */
  if (cg && !undo->cgroup_placed && (r = cgroup_enter (cg, child, err)) < 0)
    return r;
  if (undo->systemd_unit)
    {
      /* systemd attaches the pid to the same cgroup path it is already in. */
      _cleanup_free_ char *desc = NULL;
      xasprintf (&desc, "cellrun container %s", o->id);
      if ((r = systemd_scope_start (undo->systemd_unit, undo->systemd_slice, desc, child, err)) < 0)
        return r;
      undo->systemd_started = true;
    }
  if (sync_send (sync_fd, SYNC_CGROUP_DONE, 0, NULL) < 0)
    return init_gone (sync_fd, child, err);
  for (;;)
    {
      struct sync_msg m;
      int passed = -1;
      if (sync_recv (sync_fd, &m, &passed) < 0)
        return init_gone (sync_fd, child, err);
      switch (m.type)
        {
        case SYNC_ERROR:
          err->code = m.code;
          memcpy (err->msg, m.msg, sizeof err->msg);
          return -1;
        case SYNC_HOOKS_REQUEST:
          /* The init's mounts are done and it waits: the runtime's own
             mounts go in now, before any hook looks at the root. */
          if (notify_mount (&plan->notify, child, plan->rootfs, err) < 0)
            return -1;
          if (spec->hooks)
            {
              if (hooks_run (spec->hooks->prestart, spec->hooks->prestart_len, "prestart", state_json, err) < 0
                  || hooks_run (spec->hooks->create_runtime, spec->hooks->create_runtime_len, "createRuntime",
                                state_json, err)
                         < 0)
                return -1;
            }
          sync_send (sync_fd, SYNC_HOOKS_DONE, 0, NULL);
          break;
        case SYNC_TERMINAL:
          if (o->terminal_master)
            *o->terminal_master = passed;
          else if (passed >= 0)
            close (passed);
          break;
        case SYNC_SECCOMP_FD:
          {
            struct oci_state os = { .oci_version = spec->oci_version,
                                    .id = o->id,
                                    .status = "creating",
                                    .pid = child,
                                    .annotations = spec->annotations,
                                    .annotations_len = spec->annotations_len };
            _cleanup_free_ char *json = oci_state_to_json (&os, false);
            int r2 = seccomp_notify_send (spec->linux->seccomp, passed, child, json, err);
            close (passed);
            if (r2 < 0)
              return r2;
          }
          break;
        case SYNC_CREATED: return 0;
        default: return cr_fail (err, EPROTO, "unexpected message from container init");
        }
    }
}

static int
build_seccomp (const struct spec *spec, scmp_filter_ctx *bundle, scmp_filter_ctx *profile, struct cr_error *err)
{
  *bundle = *profile = NULL;
  if (spec->linux && spec->linux->seccomp && seccomp_filter_build (spec->linux->seccomp, bundle, err) < 0)
    return -1;
  if (spec->linux && spec->linux->profile_seccomp
      && seccomp_filter_build_profile (spec->linux->profile_seccomp, profile, err) < 0)
    {
      if (*bundle)
        seccomp_release (*bundle);
      *bundle = NULL;
      return cr_wrap (err, "profile seccomp filter");
    }
  return 0;
}

static void
create_plan_clear (struct create_plan *p)
{
  free (p->bundle);
  free (p->state_dir);
  free (p->rootfs);
  profile_result_clear (&p->pr);
  spec_free (p->spec);
  notify_plan_clear (&p->notify);
  memset (p, 0, sizeof *p);
}

static int
create_plan_build (const struct create_options *o, struct create_plan *p, struct cr_error *err)
{
  p->bundle = realpath (o->bundle ? o->bundle : ".", NULL);
  if (p->bundle == NULL)
    return cr_fail (err, errno, "bundle %s", o->bundle ? o->bundle : ".");
  _cleanup_free_ char *config_path = NULL;
  xasprintf (&config_path, "%s/config.json", p->bundle);
  struct spec *loaded = spec_parse_file (config_path, err);
  if (loaded == NULL)
    return -1;
  xasprintf (&p->state_dir, "%s/%s", o->root, o->id);
  /* The profile layer turns the bundle into the spec that actually runs. */
  p->spec = loaded;
  if (o->profile)
    {
      struct profile_request req = *o->profile;
      req.state_dir = p->state_dir;
      p->spec = NULL;
      int r = profile_apply (loaded, &req, o->config, o->caller_env, &p->spec, &p->pr, err);
      spec_free (loaded);
      if (r < 0)
        return r;
    }
  struct spec *spec = p->spec;
  if (spec->process == NULL)
    return cr_fail (err, 0, "process: missing required field");
  int r = process_validate (spec->process, err);
  if (r < 0 || (r = devices_validate (spec, err)) < 0)
    return r;
  if (spec->process->terminal && o->console_socket == NULL && o->terminal_master == NULL)
    return cr_fail (err, 0,
                    "process.terminal is true: a --console-socket is required when cellrun does not stay attached");
  extern char **environ;
  r = notify_plan_init (&p->notify, o->caller_env ? o->caller_env : environ, spec->process, &p->pr.env_explicit_len,
                        err);
  if (r < 0)
    return r;
  caps_warn_unraisable_ambient (spec->process->capabilities);
  return resolve_rootfs (spec, p->bundle, &p->rootfs, err);
}

static int
create_in_state_dir (const struct create_options *o, int dirfd, struct create_undo *undo, struct create_plan *plan,
                     pid_t *pid_out, struct cr_error *err)
{
  int r;
  struct spec *spec = plan->spec;
  struct profile_result pr = plan->pr;
  struct container_state st = { .id = (char *) o->id,
                                .bundle = plan->bundle,
                                .rootfs = plan->rootfs,
                                .created = state_now_rfc3339 (),
                                .owner = owner_name (),
                                .cgroup_root = (char *) container_cgroup_root (),
                                .profile = pr.profile ? pr.profile : (char *) "none",
                                .env_policy = pr.env_policy,
                                .env_policy_operator = pr.env_from_operator,
                                .workspace_upper = pr.upper_dir,
                                .workspace_lower = pr.upper_dir ? pr.workspace.host_path : NULL,
                                .workspace_tmpfs = pr.workspace.max_bytes > 0 && pr.upper_dir,
                                .workspace_userxattr = pr.upper_dir && pr.workspace.userxattr,
                                .annotations = spec->annotations,
                                .annotations_len = spec->annotations_len };
  const char *bundle = plan->bundle;
  const char *rootfs = plan->rootfs;
  _cleanup_free_ char *cgroup_path = NULL, *sd_unit = NULL, *sd_slice = NULL;
  _cleanup_free_ char *state_json = NULL;
  struct ns_plan ns = { 0 };
  struct mount_sources msrc = { 0 };
  scmp_filter_ctx sc_bundle = NULL, sc_profile = NULL;
  int sync[2] = { -1, -1 };
  int console_fd = -1;
  _cleanup_close_ int state_path_fd = -1;
  pid_t child = -1;

  if ((r = ns_plan_build (spec, &ns, err)) < 0)
    goto out;
  if (!ns.mount_ns && (r = rootfs_check_shared (spec, rootfs, err)) < 0)
    {
      r = cr_wrap (err, "create %s", o->id);
      goto out;
    }
  if ((r = prepare_workspace (&pr, undo, err)) < 0)
    goto out;
  if (mkfifoat (dirfd, STATE_FIFO, 0600) < 0)
    {
      r = cr_fail (err, errno, "create %s", STATE_FIFO);
      goto out;
    }
  if ((r = notify_bind (&plan->notify, dirfd, err)) < 0)
    goto out;
  /* The effective spec is what exec and delete read later. */
  {
    /* Saved without the caller's passed-through variables: exec computes its
       own from the exec caller's environment, and they must not turn into
       explicit values that reach (and win in) every later exec. */
    size_t env_len = spec->process->env_len;
    char *cut = NULL;
    if (pr.env_explicit_len < env_len)
      {
        cut = spec->process->env[pr.env_explicit_len];
        spec->process->env[pr.env_explicit_len] = NULL;
        spec->process->env_len = pr.env_explicit_len;
      }
    _cleanup_free_ char *json = spec_to_json (spec, err);
    if (cut)
      {
        spec->process->env[pr.env_explicit_len] = cut;
        spec->process->env_len = env_len;
      }
    if (json == NULL || write_file_at (dirfd, STATE_CONFIG_FILE, json, strlen (json), err) < 0)
      {
        r = -1;
        goto out;
      }
  }
  if (!o->no_cgroups)
    {
      r = cgroup_resolve_path (spec->linux ? spec->linux->cgroups_path : NULL, o->id, o->systemd_cgroup, &cgroup_path,
                               err);
      if (r < 0)
        goto out;
      st.cgroup_path = cgroup_path;
      if (o->systemd_cgroup && systemd_scope_available ())
        {
          if ((r = systemd_scope_names (cgroup_path, &sd_unit, &sd_slice, err)) < 0)
            goto out;
          st.systemd_unit = sd_unit;
          undo->systemd_unit = sd_unit;
          undo->systemd_slice = sd_slice;
          log_debug ("cgroup: %s is registered with systemd as a transient scope", cgroup_path);
        }
      else if (o->systemd_cgroup)
        log_debug ("cgroup: %s is managed with cgroupfs: systemd is not PID 1", cgroup_path);
      allow_default_devices (spec);
      r = cgroup_create (st.cgroup_root, cgroup_path, spec->linux ? spec->linux->resources : NULL, &undo->cgroup, err);
      if (r < 0)
        goto out;
    }
  if ((r = build_seccomp (spec, &sc_bundle, &sc_profile, err)) < 0)
    goto out;
  if (o->console_socket && (r = terminal_connect (o->console_socket, &console_fd, err)) < 0)
    goto out;
  state_path_fd = openat (dirfd, STATE_FIFO, O_PATH | O_CLOEXEC);
  if (ns.new_user || ns.join_user_fd >= 0)
    {
      /* The init opens the fifo as root of its user namespace. */
      uid_t host_root = 0;
      gid_t host_group = 0;
      for (size_t i = 0; i < spec->linux->uid_mappings_len; i++)
        if (spec->linux->uid_mappings[i].container_id == 0)
          host_root = spec->linux->uid_mappings[i].host_id;
      for (size_t i = 0; i < spec->linux->gid_mappings_len; i++)
        if (spec->linux->gid_mappings[i].container_id == 0)
          host_group = spec->linux->gid_mappings[i].host_id;
      if (fchownat (dirfd, STATE_FIFO, host_root, host_group, 0) < 0)
        {
          r = cr_fail (err, errno, "chown %s", STATE_FIFO);
          goto out;
        }
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0)
    {
      r = cr_fail (err, errno, "socketpair");
      goto out;
    }
  /* Before the init exists, while the runtime still sees the host as root:
     bind sources a user-namespaced init may not reach, idmapped mounts. */
  if ((r = mount_sources_open (spec, ns.new_user || ns.join_user_fd >= 0, &msrc, err)) < 0)
    goto out;
  if ((r = ns_prepare_parent (spec, &ns, err)) < 0)
    goto out;

  if (ns.join_user_fd >= 0)
    child = ns_clone_in_userns (ns.new_flags | SIGCHLD, ns.join_user_fd, err);
  else if ((child = clone_init (ns.new_flags, cgroup_clone_target (undo->cgroup), &undo->cgroup_placed)) < 0)
    cr_fail (err, errno, "clone container init");
  if (child < 0)
    {
      r = -1;
      goto out;
    }
  if (child == 0)
    {
      close (sync[0]);
      /* The state dir lock belongs to this create; the init must not keep it. */
      close (dirfd);
      struct init_args a = { .opts = o,
                             .spec = spec,
                             .rootfs = rootfs,
                             .sync_fd = sync[1],
                             .fifo_fd = state_path_fd,
                             .console_fd = console_fd,
                             .ns = &ns,
                             .seccomp_bundle = sc_bundle,
                             .seccomp_profile = sc_profile,
                             .cgroup_path = cgroup_path,
                             .bundle = bundle,
                             .mount_sources = &msrc };
      container_init (&a);
    }
  undo->child = child;
  mount_sources_close (&msrc);
  {
    /* The creating-stage hooks get the init's pid, as with runc: prestart and
       createRuntime hooks (CNI, nvidia) find the namespaces through it. */
    struct oci_state os = { .oci_version = spec->oci_version,
                            .id = o->id,
                            .status = "creating",
                            .pid = child,
                            .bundle = bundle,
                            .annotations = spec->annotations,
                            .annotations_len = spec->annotations_len };
    state_json = oci_state_to_json (&os, false);
  }
  if ((r = ns_restore_parent (&ns, err)) < 0)
    goto out;
  undo->poststop = spec;
  undo->bundle = bundle;
  close (sync[1]);
  sync[1] = -1;
  r = drive_init (o, plan, &ns, sync[0], child, undo, state_json, err);
  if (r < 0)
    goto out;
  st.pid = child;
  state_pid_start_time (child, &st.pid_start_time);
  if ((r = state_save (dirfd, &st, err)) < 0)
    goto out;
  if (o->pid_file && (r = write_pid_file (o->pid_file, child, err)) < 0)
    goto out;
  if ((r = notify_relay_start (&plan->notify, child, err)) < 0)
    goto out;
  *pid_out = child;
  undo->child = -1;
out:
  if (sync[0] >= 0)
    close (sync[0]);
  if (sync[1] >= 0)
    close (sync[1]);
  if (console_fd >= 0)
    close (console_fd);
  if (sc_bundle)
    seccomp_release (sc_bundle);
  if (sc_profile)
    seccomp_release (sc_profile);
  ns_plan_close (&ns);
  mount_sources_close (&msrc);
  free (st.created);
  free (st.owner);
  return r;
}

int
container_create (const struct create_options *o, pid_t *pid, struct cr_error *err)
{
  int r = state_validate_id (o->id, err);
  if (r < 0)
    return r;
  /* Parse and check everything first: the state dir is made only for a
     bundle that can be run, and removed again on any later failure. */
  struct create_plan plan = { 0 };
  if ((r = create_plan_build (o, &plan, err)) < 0)
    {
      create_plan_clear (&plan);
      return r;
    }
  int dirfd = -1;
  if ((r = state_create_dir (o->root, o->id, &dirfd, err)) < 0)
    {
      create_plan_clear (&plan);
      return r;
    }
  struct create_undo undo = { .root = o->root, .id = o->id, .child = -1, .state_dir = true };
  r = create_in_state_dir (o, dirfd, &undo, &plan, pid, err);
  if (r < 0)
    create_undo_run (&undo);
  else if (undo.cgroup)
    cgroup_manager_free (undo.cgroup);
  close (dirfd);
  create_plan_clear (&plan);
  return r;
}

int
container_load (const char *root, const char *id, struct container_state **st, enum container_status *status,
                struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  return state_open_status (root, id, false, &dirfd, st, status, err);
}

int
container_state_json (const char *root, const char *id, char **json, struct cr_error *err)
{
  struct container_state *st = NULL;
  enum container_status status;
  int r = container_load (root, id, &st, &status, err);
  if (r < 0)
    return r;
  *json = container_state_to_json (st, status);
  state_free (st);
  return 0;
}

/* Wait until PID exits or the fifo becomes readable, without polling. */
static int
wait_fifo_or_exit (int fifo, pid_t pid, struct cr_error *err)
{
  _cleanup_close_ int pidfd = syscall (SYS_pidfd_open, pid, 0);
  struct pollfd p[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
  for (;;)
    {
      int n = poll (p, pidfd >= 0 ? 2 : 1, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cr_fail (err, errno, "wait for container init");
      if (p[0].revents & POLLIN)
        return 0;
      if (p[1].revents & POLLIN || p[0].revents & POLLHUP)
        return cr_fail (err, ESRCH, "container init exited before start");
    }
}

int
container_start (const char *root, const char *id, struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  struct container_state *st = NULL;
  enum container_status status;
  int r = state_open_status (root, id, true, &dirfd, &st, &status, err);
  if (r < 0)
    return r;
  if (status != STATUS_CREATED)
    {
      r = cr_fail (err, 0, "start %s: container is %s, not created", id, container_status_name (status));
      goto out;
    }
  {
    _cleanup_close_ int fifo = openat (dirfd, STATE_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0)
      {
        r = cr_fail (err, errno, "open %s of %s", STATE_FIFO, id);
        goto out;
      }
    if ((r = wait_fifo_or_exit (fifo, st->pid, err)) < 0)
      goto out;
    /* "0" when the init got the go, then EOF once its exec succeeded
       (the fd is close-on-exec), or "E<message>" if it failed. */
    if (fcntl (fifo, F_SETFL, 0) < 0)
      {
        r = cr_fail (err, errno, "start %s", id);
        goto out;
      }
    char buf[CR_ERROR_MSG_MAX + 2];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read (fifo, buf + got, sizeof buf - 1 - got)) != 0)
      {
        if (n < 0 && errno == EINTR)
          continue;
        if (n < 0)
          break;
        got += n;
      }
    buf[got] = '\0';
    if (got == 0)
      {
        r = cr_fail (err, EIO, "start %s: container init did not respond", id);
        goto out;
      }
    if (got > 1 && buf[1] == 'E')
      {
        unlinkat (dirfd, STATE_FIFO, 0);
        r = cr_fail (err, 0, "start %s: %s", id, buf + 2);
        goto out;
      }
  }
  unlinkat (dirfd, STATE_FIFO, 0);
  {
    struct spec *spec = NULL;
    if (state_load_spec (dirfd, &spec, err) == 0 && spec->hooks && spec->hooks->poststart_len)
      {
        _cleanup_free_ char *json = container_state_to_json (st, STATUS_RUNNING);
        struct cr_error herr = { 0 };
        if (hooks_run (spec->hooks->poststart, spec->hooks->poststart_len, "poststart", json, &herr) < 0)
          log_warning ("%s", herr.msg);
      }
    spec_free (spec);
  }
out:
  state_free (st);
  return r;
}

static int
signal_init (const struct container_state *st, int sig, struct cr_error *err)
{
  int pidfd = syscall (SYS_pidfd_open, st->pid, 0);
  if (pidfd < 0)
    return cr_fail (err, errno == ESRCH ? ESRCH : errno, "kill %s", st->id);
  /* The pidfd pins the process: re-check the start time so a recycled pid is never signalled. */
  if (!state_pid_alive (st->pid, st->pid_start_time))
    {
      close (pidfd);
      return cr_fail (err, 0, "kill %s: container is not running", st->id);
    }
  int r = syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
  int e = errno;
  close (pidfd);
  if (r < 0)
    return cr_fail (err, e, "kill %s", st->id);
  return 0;
}

int
container_kill (const char *root, const char *id, int sig, bool all, struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  struct container_state *st = NULL;
  enum container_status status;
  int r = state_open_status (root, id, false, &dirfd, &st, &status, err);
  if (r < 0)
    return r;
  if (status == STATUS_STOPPED && !all)
    r = cr_fail (err, 0, "kill %s: container is not running", id);
  else if (all && st->cgroup_path)
    {
      struct cgroup_manager *m = NULL;
      if ((r = cgroup_open (st->cgroup_root, st->cgroup_path, &m, err)) == 0)
        {
          r = cgroup_kill_all (m, sig, err);
          cgroup_manager_free (m);
        }
    }
  else
    r = signal_init (st, sig, err);
  state_free (st);
  return r;
}

static int
wait_pid_gone (pid_t pid, unsigned long long start, int timeout_ms)
{
  if (!state_pid_alive (pid, start))
    return 0;
  _cleanup_close_ int pidfd = syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return 0;
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  while (poll (&p, 1, timeout_ms) < 0 && errno == EINTR)
    ;
  return state_pid_alive (pid, start) ? -ETIMEDOUT : 0;
}

int
container_delete (const char *root, const char *id, bool force, bool keep_workspace, struct cr_error *err)
{
  _cleanup_close_ int dirfd = -1;
  int r = state_open_dir (root, id, true, &dirfd, err);
  /* As with runc, --force on a container that is already gone succeeds: podman
     and the containerd shim clean up after a failed create with `delete --force`
     and would report its error on top of the create's own. */
  if (r < 0 && force && err->code == ENOENT)
    return 0;
  if (r < 0)
    return r;
  struct container_state *st = NULL;
  if ((r = state_load (dirfd, id, &st, err)) < 0)
    {
      /* A state dir without state is the leftover of an interrupted create. */
      if (err->code != ENOENT)
        return r;
      return state_remove_dir (root, id, err);
    }
  enum container_status status;
  state_status (dirfd, st, &status, err);
  struct cgroup_manager *cg = NULL;
  if (st->cgroup_path)
    cgroup_open (st->cgroup_root, st->cgroup_path, &cg, err);
  if (keep_workspace && st->workspace_tmpfs)
    {
      /* Checked before anything is torn down: the size-capped upper layer
         lives on a tmpfs that cannot outlive the container. */
      r = cr_fail (err, 0, "delete %s: --keep-workspace is not possible with a size-capped (max-bytes) workspace", id);
      goto out;
    }
  if (status != STATUS_STOPPED && !force)
    {
      r = cr_fail (err, 0, "delete %s: container is %s: stop it first or use --force", id,
                   container_status_name (status));
      goto out;
    }
  if (status != STATUS_STOPPED)
    {
      struct cr_error kerr = { 0 };
      if (cg)
        {
          if (status == STATUS_PAUSED)
            cgroup_freeze (cg, false, &kerr);
          cgroup_kill_all (cg, SIGKILL, &kerr);
        }
      signal_init (st, SIGKILL, &kerr);
      if (wait_pid_gone (st->pid, st->pid_start_time, 5000) < 0)
        {
          r = cr_fail (err, ETIMEDOUT, "delete %s: container init did not exit", id);
          goto out;
        }
    }
  if (st->systemd_unit)
    {
      /* systemd would otherwise keep a failed or abandoned unit around. */
      struct cr_error serr = { 0 };
      if (systemd_scope_stop (st->systemd_unit, &serr) < 0)
        log_warning ("delete %s: %s", id, serr.msg);
    }
  if (cg && (r = cgroup_destroy (cg, err)) < 0)
    goto out;
  {
    struct spec *spec = NULL;
    struct cr_error herr = { 0 };
    if (state_load_spec (dirfd, &spec, &herr) == 0 && spec->hooks && spec->hooks->poststop_len)
      {
        _cleanup_free_ char *json = container_state_to_json (st, STATUS_STOPPED);
        if (hooks_run (spec->hooks->poststop, spec->hooks->poststop_len, "poststop", json, &herr) < 0)
          log_warning ("%s", herr.msg);
      }
    spec_free (spec);
  }
  if (st->workspace_upper)
    {
      _cleanup_free_ char *ws = NULL;
      xasprintf (&ws, "%s/%s/workspace", root, id);
      if (st->workspace_tmpfs)
        umount2 (ws, MNT_DETACH);
      if (keep_workspace)
        {
          /* The upper layer stays where it was; everything else goes, so the
             id no longer names a container (state/list skip it). */
          rm_rf_at (dirfd, "workspace/work", err);
          rm_rf_at (dirfd, NOTIFY_STATE_DIR, err);
          unlinkat (dirfd, STATE_CONFIG_FILE, 0);
          unlinkat (dirfd, STATE_FIFO, 0);
          if (unlinkat (dirfd, STATE_FILE, 0) < 0)
            {
              r = cr_fail (err, errno, "delete %s: remove state", id);
              goto out;
            }
          printf ("%s\n", st->workspace_upper);
          r = 0;
          goto out;
        }
    }
  r = state_remove_dir (root, id, err);
out:
  if (cg)
    cgroup_manager_free (cg);
  state_free (st);
  return r;
}
