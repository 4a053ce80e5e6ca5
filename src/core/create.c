/* The runtime side of create: the bundle parsed and planned, the state dir
   filled step by step (each step registers its undo), the init cloned with
   its new namespaces and driven through the sync socket (core/sync.h). */
#include "config.h"
#include "core/container.h"
#include "core/container_init.h"
#include "linux/capabilities.h"
#include "linux/cgroups/cgroups.h"
#include "linux/devices.h"
#include "core/hooks.h"
#include "base/log.h"
#include "linux/mounts.h"
#include "linux/namespaces.h"
#include "core/notify.h"
#include "core/rootless.h"
#include "linux/userns.h"
#include "core/runtime.h"
#include "core/sync.h"
#include "linux/process.h"
#include "policy/profile.h"
#include "linux/rootfs.h"
#include "linux/selfexe.h"
#include "linux/seccomp_filter.h"
#include "state_json.h"
#include "linux/cgroups/systemd_scope.h"
#include "linux/terminal.h"
#include "base/utils.h"
#include "policy/workspace.h"
#include "policy/sandbox_spec.h"

#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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
  struct stat rootfs_st; /* what resolve_rootfs found: the init checks it binds the same */
  struct spec *spec;
  struct profile_result pr;
  struct notify_plan notify;
  bool trampoline; /* the init execs the program through the sealed trampoline */
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

static int
resolve_rootfs (const struct spec *spec, const char *bundle, char **out, struct stat *st_out, struct cr_error *err)
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
  *st_out = st;
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

/* After SYNC_CREATED the init sets up the program's identity and execs the
   trampoline, which closes the sync socket once it is non-dumpable: EOF with a
   sealed /proc/CHILD/exe is that (an init that died first has no exe left by
   the time its fds close). */
static int
wait_trampoline (int sync_fd, pid_t child, struct cr_error *err)
{
  struct sync_msg m;
  int passed = -1;
  if (sync_recv (sync_fd, &m, &passed) == 0)
    {
      if (passed >= 0)
        close (passed);
      if (m.type == SYNC_ERROR)
        return sync_error_take (&m, err);
      return cr_fail (err, EPROTO, "unexpected message from container init");
    }
  if (!selfexe_pid_is_sealed (child))
    return init_gone (sync_fd, child, err);
  return 0;
}

/* SYNC_CREATED. With START, exec.fifo's read end is opened here (after
   on_release), so the init execs the program without waiting for the
   state bookkeeping, and the trampoline's EOF is not waited for: the
   fifo's verdict (step_start) comes at the program's exec, and a failure
   before it is the init's SYNC_ERROR or exit (init_gone). */
static int
init_created (const struct create_options *o, const struct create_plan *plan, int dirfd, int sync_fd, pid_t child,
              int *start_fifo, struct cr_error *err)
{
  if (!o->start)
    return plan->trampoline ? wait_trampoline (sync_fd, child, err) : 0;
  if (o->on_release && o->on_release (o->on_release_arg, child, err) < 0)
    return -1;
  *start_fifo = container_fifo_open (dirfd, o->id, err);
  return *start_fifo < 0 ? -1 : 0;
}

/* What the runtime does at SYNC_HOOKS_REQUEST (drive_init): the notify
   socket's mount, prestart and createRuntime hooks. Without any of them the
   init does not ask, which saves a round trip between the two processes. */
static bool
runtime_step_needed (const struct create_plan *plan)
{
  const struct spec_hooks *h = plan->spec->hooks;
  return plan->notify.wanted || (h && (h->prestart_len || h->create_runtime_len));
}

/* The runtime's half of the init handshake, up to SYNC_CREATED. */
static int
drive_init (const struct create_options *o, struct create_plan *plan, struct ns_plan *ns, int sync_fd, pid_t child,
            struct create_undo *undo, const char *state_json, int dirfd, int *start_fifo, struct cr_error *err)
{
  const struct spec *spec = plan->spec;
  struct cgroup_manager *cg = undo->cgroup;
  int r;
  /* Without root (not even of a user namespace) only the caller's own id
     or its /etc/subuid ranges (through newuidmap) can be mapped. */
  if (ns->new_user && (r = (geteuid () != 0 ? userns_write_maps_rootless : ns_write_id_maps) (child, spec, err)) < 0)
    return r;
  /* Nothing to do between GO and CGROUP_DONE: one message says both. */
  /* A late manager's v1 cgroups are made after SYNC_GO (cgroup_create_v1). */
  bool late = cgroup_v1_pending (cg);
  bool cgroup_step = (cg && (!undo->cgroup_placed || late)) || undo->systemd_unit;
  if (sync_send_code (sync_fd, SYNC_GO, child, cgroup_step ? 0 : SYNC_GO_CGROUP_DONE) < 0)
    return init_gone (sync_fd, child, err);
  /* Overlaps with the init's mount setup; it waits for CGROUP_DONE before
     anything that needs the cgroup, user code included. The v1 cgroups of
     a late manager are made now; the init joins them through their `tasks`
     fds, which ride along with CGROUP_DONE. */
  _Static_assert(SYNC_MAX_FDS >= CGROUP_V1_LATE_MAX, "every late hierarchy's tasks fd fits in CGROUP_DONE");
  int tasks[SYNC_MAX_FDS];
  size_t ntasks = 0;
  const struct spec_resources *res = spec->linux ? spec->linux->resources : NULL;
  if (late && (r = cgroup_create_v1 (cg, res, tasks, SYNC_MAX_FDS, &ntasks, err)) < 0)
    return r;
  if (cg && !undo->cgroup_placed && (r = cgroup_enter (cg, child, err)) < 0)
    {
      for (size_t i = 0; i < ntasks; i++)
        close (tasks[i]);
      return r;
    }
  if (undo->systemd_unit)
    {
      /* systemd attaches the pid to the same cgroup path it is already in. */
      _cleanup_free_ char *desc = NULL;
      xasprintf (&desc, "cellrun container %s", o->id);
      if ((r = systemd_scope_start (undo->systemd_unit, undo->systemd_slice, desc, child, err)) < 0)
        return r;
      undo->systemd_started = true;
    }
  r = cgroup_step ? sync_send_fds (sync_fd, SYNC_CGROUP_DONE, tasks, ntasks) : 0;
  for (size_t i = 0; i < ntasks; i++)
    close (tasks[i]);
  if (r < 0)
    return init_gone (sync_fd, child, err);
  for (;;)
    {
      struct sync_msg m;
      int passed = -1;
      if (sync_recv (sync_fd, &m, &passed) < 0)
        return init_gone (sync_fd, child, err);
      switch (m.type)
        {
        case SYNC_ERROR: return sync_error_take (&m, err);
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
        case SYNC_CREATED: return init_created (o, plan, dirfd, sync_fd, child, start_fifo, err);
        default: return cr_fail (err, EPROTO, "unexpected message from container init");
        }
    }
}

static int
build_seccomp (const struct spec *spec, scmp_filter_ctx *bundle, struct seccomp_prog **profile, struct cr_error *err)
{
  *bundle = NULL;
  *profile = NULL;
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
  struct spec *loaded = NULL;
  if (o->spec)
    loaded = spec_dup (o->spec);
  else
    {
      _cleanup_free_ char *config_path = NULL;
      xasprintf (&config_path, "%s/config.json", p->bundle);
      if ((loaded = spec_parse_file (config_path, err)) == NULL)
        return -1;
    }
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
  if (o->rootless && (r = rootless_prepare_spec (spec, err)) < 0)
    return r;
  if (o->rootless && geteuid () != 0 && p->pr.workspace.max_bytes)
    return cr_fail (err, 0, "rootless: %s: the size cap is a tmpfs mounted on the host, which needs root",
                    PROFILE_ANNOTATION_WORKSPACE_MAX);
  if (spec->process->terminal && o->console_socket == NULL && o->terminal_master == NULL)
    return cr_fail (err, 0,
                    "process.terminal is true: a --console-socket is required when cellrun does not stay attached");
  extern char **environ;
  r = notify_plan_init (&p->notify, o->caller_env ? o->caller_env : environ, spec->process, &p->pr.env_explicit_len,
                        err);
  if (r < 0)
    return r;
  caps_warn_unraisable_ambient (spec->process->capabilities);
  if ((r = resolve_rootfs (spec, p->bundle, &p->rootfs, &p->rootfs_st, err)) < 0)
    return r;
  /* The init attaches the tree on the rootfs: that is the root it must find. */
  if (o->has_root_tree && fstat (o->root_tree_fd, &p->rootfs_st) < 0)
    return cr_fail (err, errno, "stat the root tree");
  return 0;
}

/* What the steps of create_in_state_dir share: the inputs, what the steps
   make on the way (freed by create_ctx_clear, after the undo ran), and the
   fds and filters the init needs only while it is set up (create_ctx_close). */
struct create_ctx
{
  const struct create_options *o;
  int dirfd; /* the locked state dir */
  struct create_plan *plan;
  struct create_undo *undo;
  struct container_state st;
  char *cgroup_path, *sd_unit, *sd_slice;
  char *state_json; /* OCI state "creating", for the hooks */
  struct ns_plan ns;
  struct mount_sources msrc;
  scmp_filter_ctx sc_bundle;
  struct seccomp_prog *sc_profile;
  int sync[2];
  int console_fd;
  int fifo_fd;    /* O_PATH of exec.fifo, for the init */
  int start_fifo; /* START: exec.fifo's read end, opened at SYNC_CREATED */
  pid_t child;
};

static void
create_ctx_init (struct create_ctx *c, const struct create_options *o, int dirfd, struct create_plan *plan,
                 struct create_undo *undo)
{
  const struct profile_result *pr = &plan->pr;
  const struct spec *spec = plan->spec;
  *c = (struct create_ctx){ .o = o, .dirfd = dirfd, .plan = plan, .undo = undo };
  c->sync[0] = c->sync[1] = c->console_fd = c->fifo_fd = c->start_fifo = c->child = -1;
  c->st = (struct container_state){ .id = (char *) o->id,
                                    .bundle = plan->bundle,
                                    .rootfs = plan->rootfs,
                                    .created = state_now_rfc3339 (),
                                    /* named only when shown: no user database lookup per create */
                                    .owner_uid = geteuid (),
                                    .cgroup_root = (char *) container_cgroup_root (),
                                    .profile = pr->profile ? pr->profile : (char *) "none",
                                    .env_policy = pr->env_policy,
                                    .env_policy_operator = pr->env_from_operator,
                                    .workspace_upper = pr->upper_dir,
                                    .workspace_lower = pr->upper_dir ? pr->workspace.host_path : NULL,
                                    .workspace_tmpfs = pr->workspace.max_bytes > 0 && pr->upper_dir,
                                    .workspace_userxattr = pr->upper_dir && pr->workspace.userxattr,
                                    .annotations = spec->annotations,
                                    .annotations_len = spec->annotations_len };
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
create_ctx_close (struct create_ctx *c)
{
  close_fd (&c->sync[0]);
  close_fd (&c->sync[1]);
  close_fd (&c->console_fd);
  close_fd (&c->fifo_fd);
  close_fd (&c->start_fifo);
  if (c->sc_bundle)
    seccomp_release (c->sc_bundle);
  seccomp_prog_free (c->sc_profile);
  c->sc_bundle = NULL;
  c->sc_profile = NULL;
  ns_plan_close (&c->ns);
  mount_sources_close (&c->msrc);
}

static void
create_ctx_clear (struct create_ctx *c)
{
  create_ctx_close (c);
  free (c->st.created);
  free (c->cgroup_path);
  free (c->sd_unit);
  free (c->sd_slice);
  free (c->state_json);
}

/* The namespaces to make or join; without a mount namespace, what the
   shared one cannot do is refused now. */
static int
step_namespaces (struct create_ctx *c, struct cr_error *err)
{
  int r = ns_plan_build (c->plan->spec, &c->ns, err);
  if (r < 0)
    return r;
  if (!c->ns.mount_ns && c->o->has_root_tree)
    return cr_fail (err, 0, "a root tree needs a mount namespace");
  if (!c->ns.mount_ns && rootfs_check_shared (c->plan->spec, c->plan->rootfs, err) < 0)
    return cr_wrap (err, "create %s", c->o->id);
  return 0;
}

/* The workspace dirs (undo: the size-capped tmpfs, see prepare_workspace). */
static int
step_workspace (struct create_ctx *c, struct cr_error *err)
{
  /* The first intent record: a killed create's tmpfs is found from it. */
  int r = state_save_intent (c->dirfd, &c->st, err);
  return r < 0 ? r : prepare_workspace (&c->plan->pr, c->undo, err);
}

/* exec.fifo, the notify socket and the effective spec (config.json), which
   exec and delete read later; they go with the state dir (undo->state_dir). */
static int
step_state_files (struct create_ctx *c, struct cr_error *err)
{
  struct spec *spec = c->plan->spec;
  size_t keep = c->plan->pr.env_explicit_len;
  if (mkfifoat (c->dirfd, STATE_FIFO, 0600) < 0)
    return cr_fail (err, errno, "create %s", STATE_FIFO);
  int r = notify_bind (&c->plan->notify, c->dirfd, err);
  if (r < 0)
    return r;
  /* Saved without the caller's passed-through variables: exec computes its
     own from the exec caller's environment, and they must not turn into
     explicit values that reach (and win in) every later exec. */
  size_t env_len = spec->process->env_len;
  char *cut = NULL;
  if (keep < env_len)
    {
      cut = spec->process->env[keep];
      spec->process->env[keep] = NULL;
      spec->process->env_len = keep;
    }
  /* One line: only cellrun reads it, and yajl's indenting was two fifths of the writing. */
  _cleanup_free_ char *json = spec_to_json_format (spec, false, err);
  if (cut)
    {
      spec->process->env[keep] = cut;
      spec->process->env_len = env_len;
    }
  if (json == NULL)
    return -1;
  if (state_write_file (c->dirfd, STATE_CONFIG_FILE, json, strlen (json), err) < 0)
    return cr_wrap (err, "save config of container %s", c->o->id);
  return 0;
}

/* The cgroup (undo->cgroup) and, on a systemd host with --systemd-cgroup,
   the scope's names (undo->systemd_unit; drive_init starts it). */
static int
step_cgroup (struct create_ctx *c, struct cr_error *err)
{
  const struct create_options *o = c->o;
  struct spec *spec = c->plan->spec;
  if (o->cgroup_manager == CGROUP_MANAGER_DISABLED)
    return 0;
  bool systemd = o->cgroup_manager == CGROUP_MANAGER_SYSTEMD;
  int r = cgroup_resolve_path (spec->linux ? spec->linux->cgroups_path : NULL, o->id, systemd, &c->cgroup_path, err);
  if (r < 0)
    return r;
  if (o->rootless && !rootless_use_cgroup (spec, c->st.cgroup_root, c->cgroup_path))
    {
      free (c->cgroup_path);
      c->cgroup_path = NULL;
      return 0;
    }
  c->st.cgroup_path = c->cgroup_path;
  if (systemd && systemd_scope_available ())
    {
      if ((r = systemd_scope_names (c->cgroup_path, &c->sd_unit, &c->sd_slice, err)) < 0)
        return r;
      c->st.systemd_unit = c->sd_unit;
      c->undo->systemd_unit = c->sd_unit;
      c->undo->systemd_slice = c->sd_slice;
      log_debug ("cgroup: %s is registered with systemd as a transient scope", c->cgroup_path);
    }
  else if (systemd)
    log_debug ("cgroup: %s is managed with cgroupfs: systemd is not PID 1", c->cgroup_path);
  allow_default_devices (spec);
  /* Recorded before any hierarchy has the directory. */
  if ((r = state_save_intent (c->dirfd, &c->st, err)) < 0)
    return r;
  const char *which = spec_annotation (spec, CGROUP_HIERARCHIES_ANNOTATION);
  bool needed = which && strcmp (which, "needed") == 0;
  const struct spec_resources *res = spec->linux ? spec->linux->resources : NULL;
  /* cgroupfs: the v1 cgroups are made while the init mounts (drive_init). */
  if (o->cgroup_manager == CGROUP_MANAGER_CGROUPFS)
    return cgroup_create_late (c->st.cgroup_root, c->cgroup_path, res, needed, &c->undo->cgroup, err);
  return (needed ? cgroup_create_needed : cgroup_create) (c->st.cgroup_root, c->cgroup_path, res, &c->undo->cgroup,
                                                          err);
}

static int
step_seccomp (struct create_ctx *c, struct cr_error *err)
{
  return build_seccomp (c->plan->spec, &c->sc_bundle, &c->sc_profile, err);
}

/* What the init is handed: the console socket, exec.fifo (owned by the
   namespace's root when there is a user namespace), the sync socketpair and
   the "creating" state for the hooks. */
static int
step_init_channels (struct create_ctx *c, struct cr_error *err)
{
  const struct create_options *o = c->o;
  const struct spec *spec = c->plan->spec;
  if (o->console_socket && terminal_connect (o->console_socket, &c->console_fd, err) < 0)
    return -1;
  c->fifo_fd = openat (c->dirfd, STATE_FIFO, O_PATH | O_CLOEXEC);
  /* The init opens the fifo as root of its user namespace; through the
     trampoline, as the process's user (its identity is set by then). */
  uid_t uid = c->plan->trampoline ? spec->process->user.uid : 0;
  gid_t gid = c->plan->trampoline ? spec->process->user.gid : 0;
  bool userns = c->ns.new_user || c->ns.join_user_fd >= 0;
  if (userns || uid != 0 || gid != 0)
    {
      uid_t host_uid = userns ? 0 : uid;
      gid_t host_gid = userns ? 0 : gid;
      for (size_t i = 0; userns && i < spec->linux->uid_mappings_len; i++)
        {
          const struct spec_id_mapping *m = &spec->linux->uid_mappings[i];
          if (uid >= m->container_id && uid - m->container_id < m->size)
            host_uid = m->host_id + (uid - m->container_id);
        }
      for (size_t i = 0; userns && i < spec->linux->gid_mappings_len; i++)
        {
          const struct spec_id_mapping *m = &spec->linux->gid_mappings[i];
          if (gid >= m->container_id && gid - m->container_id < m->size)
            host_gid = m->host_id + (gid - m->container_id);
        }
      /* Rootless, the fifo stays the caller's: a process user that is
         another (subordinate) uid may write it, as nobody else can reach
         it (the state dir is 0700; the init has it open O_PATH). */
      if (geteuid () != 0 && (host_uid != geteuid () || host_gid != getegid ()))
        {
          if (fchmodat (c->dirfd, STATE_FIFO, 0622, 0) < 0)
            return cr_fail (err, errno, "chmod %s", STATE_FIFO);
        }
      else if (fchownat (c->dirfd, STATE_FIFO, host_uid, host_gid, 0) < 0)
        return cr_fail (err, errno, "chown %s", STATE_FIFO);
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
    return cr_fail (err, errno, "socketpair");
  return 0;
}

/* The init is cloned (undo->child kills it); it runs container_init. */
static int
step_clone (struct create_ctx *c, struct cr_error *err)
{
  struct spec *spec = c->plan->spec;
  /* Before the init exists, while the runtime still sees the host as root:
     bind sources a user-namespaced init may not reach, idmapped mounts. */
  int r = mount_sources_open (spec, c->ns.new_user || c->ns.join_user_fd >= 0, &c->msrc, err);
  if (r < 0 || (r = ns_prepare_parent (spec, &c->ns, err)) < 0)
    return r;
  pid_t child;
  /* Rootless, the init is born dumpable, so that the caller's uid can write
     its id maps (container_init makes it non-dumpable at SYNC_GO). */
  bool dumpable = geteuid () != 0 && c->ns.new_user;
  if (dumpable)
    prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  /* Into the unified cgroup on a v2 host and on a hybrid one (the v1
     cgroups, when still to be made, come after SYNC_GO: drive_init). */
  if (c->ns.join_user_fd >= 0)
    child = ns_clone_in_userns (c->ns.new_flags | SIGCHLD, c->ns.join_user_fd, err);
  else if ((child = clone_init (c->ns.new_flags, cgroup_clone_target (c->undo->cgroup), &c->undo->cgroup_placed)) < 0)
    {
      if (c->ns.new_user)
        userns_explain_clone_failure (errno, err);
      else
        cr_fail (err, errno, "clone container init");
    }
  if (dumpable && child != 0)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (child < 0)
    return -1;
  if (child == 0)
    {
      close (c->sync[0]);
      /* The state dir lock belongs to this create; the init must not keep it. */
      close (c->dirfd);
      struct init_args a = { .opts = c->o,
                             .spec = spec,
                             .rootfs = c->plan->rootfs,
                             .rootfs_dev = c->plan->rootfs_st.st_dev,
                             .rootfs_ino = c->plan->rootfs_st.st_ino,
                             .sync_fd = c->sync[1],
                             .fifo_fd = c->fifo_fd,
                             .console_fd = c->console_fd,
                             .ns = &c->ns,
                             .seccomp_bundle = c->sc_bundle,
                             .seccomp_profile = c->sc_profile,
                             .cgroup_path = c->cgroup_path,
                             .bundle = c->plan->bundle,
                             .mount_sources = &c->msrc,
                             .root_tree_fd = c->o->has_root_tree ? c->o->root_tree_fd : -1,
                             .maps_by_caller = dumpable,
                             .trampoline = c->plan->trampoline,
                             .runtime_step = runtime_step_needed (c->plan) };
      container_init (&a);
    }
  c->child = c->undo->child = child;
  mount_sources_close (&c->msrc);
  /* The creating-stage hooks get the init's pid, as with runc: prestart and
     createRuntime hooks (CNI, nvidia) find the namespaces through it. */
  struct oci_state os = { .oci_version = spec->oci_version,
                          .id = c->o->id,
                          .status = "creating",
                          .pid = child,
                          .bundle = c->plan->bundle,
                          .annotations = spec->annotations,
                          .annotations_len = spec->annotations_len };
  c->state_json = oci_state_to_json (&os, false);
  if ((r = ns_restore_parent (&c->ns, err)) < 0)
    return r;
  c->undo->poststop = spec;
  c->undo->bundle = c->plan->bundle;
  close_fd (&c->sync[1]);
  /* The init's pid (and start time, against pid reuse) is on disk before the
     init is let go (SYNC_GO): a create killed from here on leaves a record
     `delete --force` kills it by. Until then the init dies with us
     (container_init: PR_SET_PDEATHSIG, and EOF on the sync socket). */
  c->st.pid = child;
  state_pid_start_time (child, &c->st.pid_start_time);
  return state_save_intent (c->dirfd, &c->st, err);
}

/* The runtime's column of the protocol up to SYNC_CREATED (core/sync.h). */
static int
step_drive_init (struct create_ctx *c, struct cr_error *err)
{
  return drive_init (c->o, c->plan, &c->ns, c->sync[0], c->child, c->undo, c->state_json, c->dirfd, &c->start_fifo,
                     err);
}

/* state.json, --pid-file and the notify relay: the container exists. */
static int
step_record (struct create_ctx *c, struct cr_error *err)
{
  c->st.pid = c->child;
  state_pid_start_time (c->child, &c->st.pid_start_time);
  int r = state_save (c->dirfd, &c->st, err);
  if (r < 0 || (c->o->pid_file && (r = write_pid_file (c->o->pid_file, c->child, err)) < 0))
    return r;
  return notify_relay_start (&c->plan->notify, c->child, err);
}

/* START: what `start` does after it opened the fifo, still under create's
   lock of the state dir: the verdict, the fifo gone (the container is
   running), the poststart hooks. */
static int
step_start (struct create_ctx *c, struct cr_error *err)
{
  if (!c->o->start)
    return 0;
  int r = container_fifo_verdict (c->dirfd, c->start_fifo, c->o->id, c->child, err);
  close_fd (&c->start_fifo);
  /* Gone without opening the fifo: its SYNC_ERROR (process setup) says why. */
  if (r < 0 && err->code == ESRCH)
    return init_gone (c->sync[0], c->child, err);
  if (r < 0)
    return r;
  unlinkat (c->dirfd, STATE_FIFO, 0);
  container_run_poststart (c->plan->spec, &c->st);
  return 0;
}

/* In order; a failing step leaves its undo (and that of the steps before it)
   registered in struct create_undo for create_undo_run. */
static int (*const create_steps[]) (struct create_ctx *, struct cr_error *) = {
  step_namespaces,    step_workspace, step_state_files, step_cgroup, step_seccomp,
  step_init_channels, step_clone,     step_drive_init,  step_record, step_start,
};

static int
create_in_state_dir (struct create_ctx *c, pid_t *pid_out, struct cr_error *err)
{
  for (size_t i = 0; i < ARRAY_SIZE (create_steps); i++)
    {
      int r = create_steps[i](c, err);
      if (r < 0)
        {
          create_ctx_close (c);
          return r;
        }
    }
  create_ctx_close (c);
  *pid_out = c->child;
  c->undo->child = -1;
  return 0;
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
  /* Before anything exists: a container the trampoline cannot start moves
     this runtime to its sealed copy now (a re-exec). */
  if ((r = runtime_protect_for (plan.spec, &plan.trampoline, err)) < 0)
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
  struct create_ctx c;
  create_ctx_init (&c, o, dirfd, &plan, &undo);
  r = create_in_state_dir (&c, pid, err);
  if (r < 0)
    create_undo_run (&undo);
  else if (undo.cgroup)
    cgroup_manager_free (undo.cgroup);
  create_ctx_clear (&c);
  close (dirfd);
  create_plan_clear (&plan);
  return r;
}
