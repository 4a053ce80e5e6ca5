#include "config.h"
#include "linux/process.h"
#include "linux/selfexe.h"
#include "linux/capabilities.h"
#include "linux/mounts.h"
#include "linux/seccomp_filter.h"
#include "base/utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

static const struct
{
  const char *name;
  int res;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
process_rlimit_from_name (const char *name, int *out)
{
  for (size_t i = 0; i < ARRAY_SIZE (rlimit_names); i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      {
        *out = rlimit_names[i].res;
        return 0;
      }
  return -EINVAL;
}

/* Writes to /proc must land on a real procfs: without a proc mount the
   image's own /proc directory is an ordinary, container-controlled tree. */
static int
write_proc_self (const char *path, const char *value, struct cr_error *err)
{
  /* O_NONBLOCK: without a proc mount this is an image path, possibly a FIFO. */
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return cr_fail (err, errno, "open %s", path);
  struct statfs sfs;
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return cr_fail (err, EACCES, "%s is not on procfs", path);
  if (write_all (fd, value, strlen (value)) < 0)
    return cr_fail (err, errno, "write %s", path);
  return 0;
}

static bool
apparmor_enabled (void)
{
  return access ("/sys/kernel/security/apparmor", F_OK) == 0;
}

static bool
selinux_enabled (void)
{
  return access ("/sys/fs/selinux/enforce", F_OK) == 0;
}

/* A requested label that cannot be applied must fail: running unconfined
   instead would silently weaken the container. */
static int
process_check_lsm (const struct spec_process *p, struct cr_error *err)
{
  if (p->apparmor_profile && *p->apparmor_profile && !apparmor_enabled ())
    return cr_fail (err, 0, "process.apparmorProfile %s: AppArmor is not enabled on this host", p->apparmor_profile);
  if (p->selinux_label && *p->selinux_label && !selinux_enabled ())
    return cr_fail (err, 0, "process.selinuxLabel %s: SELinux is not enabled on this host", p->selinux_label);
  return 0;
}

/* The label applies at the next execve, i.e. to the user's program only. */
static int
process_apply_lsm (const struct spec_process *p, struct cr_error *err)
{
  if (p->apparmor_profile && *p->apparmor_profile)
    {
      _cleanup_free_ char *v = NULL;
      xasprintf (&v, "exec %s", p->apparmor_profile);
      const char *path = access ("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "/proc/self/attr/apparmor/exec"
                                                                             : "/proc/self/attr/exec";
      if (write_proc_self (path, v, err) < 0)
        return cr_wrap (err, "apply AppArmor profile %s", p->apparmor_profile);
    }
  if (p->selinux_label && *p->selinux_label && write_proc_self ("/proc/self/attr/exec", p->selinux_label, err) < 0)
    return cr_wrap (err, "apply SELinux label %s", p->selinux_label);
  return 0;
}

int
process_validate (const struct spec_process *p, struct cr_error *err)
{
  if (process_check_lsm (p, err) < 0)
    return -1;
  if (p->args == NULL || p->args_len == 0)
    return cr_fail (err, 0, "process.args: must name the program to run");
  if (p->cwd == NULL || p->cwd[0] != '/')
    return cr_fail (err, 0, "process.cwd: must be an absolute path");
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      int res;
      if (process_rlimit_from_name (p->rlimits[i].type, &res) < 0)
        return cr_fail (err, 0, "process.rlimits[%zu].type: unknown rlimit %s", i, p->rlimits[i].type);
      if (p->rlimits[i].soft > p->rlimits[i].hard)
        return cr_fail (err, 0, "process.rlimits[%zu]: soft limit above hard limit", i);
    }
  return caps_validate (p->capabilities, err);
}

int
process_resolve_exe (const struct spec_process *p, char **out, struct cr_error *err)
{
  const char *arg0 = p->args[0];
  struct stat st;
  if (strchr (arg0, '/'))
    {
      if (stat (arg0, &st) < 0)
        return cr_fail (err, errno, "exec %s", arg0);
      if (!S_ISREG (st.st_mode))
        return cr_fail (err, EACCES, "exec %s", arg0);
      *out = xstrdup (arg0);
      return 0;
    }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (size_t i = 0; i < p->env_len; i++)
    if (has_prefix (p->env[i], "PATH="))
      path = p->env[i] + 5;
  _cleanup_free_ char *copy = xstrdup (path);
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      _cleanup_free_ char *cand = NULL;
      xasprintf (&cand, "%s/%s", *dir ? dir : ".", arg0);
      if (stat (cand, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 0111))
        {
          *out = TAKE_PTR (cand);
          return 0;
        }
    }
  return cr_fail (err, ENOENT, "exec %s: executable file not found in $PATH", arg0);
}

int
process_enter_cwd (const char *cwd, struct cr_error *err)
{
  /* Resolved inside the root: neither a symlink nor a /proc magic link (an fd
     the runtime still holds) can put the process outside the container. */
  _cleanup_close_ int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return cr_fail (err, errno, "open /");
  _cleanup_close_ int fd = open_in_root (rootfd, cwd, O_PATH | O_DIRECTORY, err);
  if (fd < 0 && err->code == ENOENT)
    {
      /* Like runc, a missing cwd is created (it may be a fresh volume). */
      fd = mkdir_in_root (rootfd, cwd, false, err);
    }
  if (fd < 0)
    return cr_wrap (err, "process.cwd");
  if (fchdir (fd) < 0)
    return cr_fail (err, errno, "chdir %s", cwd);
  char buf[4096];
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return cr_fail (err, EPERM, "process.cwd %s: outside the container root", cwd);
  return 0;
}

int
process_apply_early (const struct spec_process *p, const struct spec_linux *lx, struct cr_error *err)
{
  if (lx && lx->personality && lx->personality->domain)
    {
      unsigned long persona;
      if (strcmp (lx->personality->domain, "LINUX") == 0)
        persona = PER_LINUX;
      else if (strcmp (lx->personality->domain, "LINUX32") == 0)
        persona = PER_LINUX32;
      else
        return cr_fail (err, 0, "linux.personality.domain: unknown domain %s", lx->personality->domain);
      if (personality (persona) < 0)
        return cr_fail (err, errno, "set personality %s", lx->personality->domain);
    }
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      int res;
      if (process_rlimit_from_name (p->rlimits[i].type, &res) < 0)
        return cr_fail (err, 0, "process.rlimits[%zu].type: unknown rlimit %s", i, p->rlimits[i].type);
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (res, &rl) < 0)
        return cr_fail (err, errno, "set %s to %llu/%llu", p->rlimits[i].type, (unsigned long long) rl.rlim_cur,
                        (unsigned long long) rl.rlim_max);
    }
  if (p->has_oom_score_adj)
    {
      char buf[32];
      snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
      if (write_proc_self ("/proc/self/oom_score_adj", buf, err) < 0)
        return cr_wrap (err, "set oom_score_adj %d", p->oom_score_adj);
    }
  if (p->user.has_umask)
    umask (p->user.umask & 0777);
  return 0;
}

static int
load_filters (struct process_plan *plan, struct cr_error *err)
{
  int notify_fd = -1;
  if (plan->seccomp_bundle)
    {
      scmp_filter_ctx ctx = TAKE_PTR (plan->seccomp_bundle);
      if (seccomp_filter_load (ctx, plan->lx->seccomp, &notify_fd, err) < 0)
        return -1;
    }
  if (plan->seccomp_profile)
    {
      if (seccomp_prog_load (TAKE_PTR (plan->seccomp_profile), err) < 0)
        return cr_wrap (err, "profile seccomp filter");
    }
  return 0;
}

/* The home directory of UID in the passwd file F ("name:pw:uid:gid:gecos:home:shell"),
   or NULL. The file belongs to the image: it is parsed here, never handed to
   NSS (which would load libraries named by the container). */
static char *
passwd_home (FILE *f, uid_t uid)
{
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline (&line, &cap, f)) > 0)
    {
      if (line[n - 1] == '\n')
        line[n - 1] = '\0';
      char *field[7];
      char *save = line;
      size_t k = 0;
      for (; k < 7 && save; k++)
        field[k] = strsep (&save, ":");
      unsigned long long id;
      if (k < 6 || parse_uint64 (field[2], &id) < 0 || id != uid)
        continue;
      return xstrdup (field[5][0] ? field[5] : "/");
    }
  return NULL;
}

/* Like runc and crun: without HOME in process.env, HOME is the home of
   process.user.uid in the container's /etc/passwd, or "/" when it has no
   entry. Returns ENV itself, or a new vector (*OWNED) with HOME added. */
static char *const *
env_with_home (const struct spec_process *p, char ***owned)
{
  *owned = NULL;
  for (size_t i = 0; i < p->env_len; i++)
    if (has_prefix (p->env[i], "HOME="))
      return p->env;
  _cleanup_free_ char *home = NULL;
  _cleanup_close_ int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct cr_error ignored;
  /* O_NONBLOCK: a FIFO at /etc/passwd must not hang the runtime. */
  _cleanup_close_ int fd = rootfd < 0 ? -1 : open_in_root (rootfd, "/etc/passwd", O_RDONLY | O_NONBLOCK, &ignored);
  struct stat st;
  if (fd >= 0 && fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    {
      _cleanup_fclose_ FILE *f = fdopen (fd, "re");
      if (f)
        {
          fd = -1;
          home = passwd_home (f, p->user.uid);
        }
    }
  char **env = xcalloc (p->env_len + 2, sizeof *env);
  for (size_t i = 0; i < p->env_len; i++)
    env[i] = p->env[i];
  xasprintf (&env[p->env_len], "HOME=%s", home ? home : "/");
  *owned = env;
  return env;
}

bool
process_setgroups_allowed (pid_t pid)
{
  char path[64], buf[8] = "";
  if (pid > 0)
    snprintf (path, sizeof path, "/proc/%d/setgroups", (int) pid);
  else
    snprintf (path, sizeof path, "/proc/self/setgroups");
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  return n < 4 || strncmp (buf, "deny", 4) != 0;
}

/* A variable listed twice keeps its last value only (as runc does; getenv
   would otherwise see the first). ENV is NULL-terminated (or NULL); returns a
   new vector of its strings. */
static char **
env_keep_last (char *const *env)
{
  size_t len = 0;
  while (env && env[len])
    len++;
  char **out = xmalloc ((len + 1) * sizeof *out);
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    {
      const char *eq = strchr (env[i], '=');
      size_t klen = eq ? (size_t) (eq - env[i]) + 1 : strlen (env[i]) + 1;
      bool later = false;
      for (size_t j = i + 1; j < len && !later; j++)
        later = strncmp (env[j], env[i], klen) == 0;
      if (!later)
        out[n++] = env[i];
    }
  out[n] = NULL;
  return out;
}

/* The program starts from the sealed trampoline: MARKER, the sync socket, the
   fifo's directory fd and name (all kept open across this one exec), EXE,
   ARGS (linux/trampoline.c). */
static int
exec_trampoline (struct process_plan *plan, int tramp, char **env, struct cr_error *err)
{
  const struct spec_process *p = plan->proc;
  char sync[16], dir[16] = "-", name[16] = "-";
  snprintf (sync, sizeof sync, "%d", plan->sync_fd);
  fcntl (plan->sync_fd, F_SETFD, 0);
  if (plan->fifo_dir >= 0)
    {
      snprintf (dir, sizeof dir, "%d", plan->fifo_dir);
      snprintf (name, sizeof name, "%d", plan->fifo_fd);
      fcntl (plan->fifo_dir, F_SETFD, 0);
      fcntl (plan->fifo_fd, F_SETFD, 0);
    }
  size_t n = 0;
  while (p->args && p->args[n])
    n++;
  /* The trampoline's own arguments, then the program's: exec mode forks the
     program; create mode first waits on the exec fifo DIR/NAME. */
  char *exec_head[] = { (char *) "cellrun-trampoline-exec", sync, (char *) plan->exe };
  char *create_head[] = { (char *) "cellrun-trampoline", sync, dir, name, (char *) plan->exe };
  char **head = plan->exec_mode ? exec_head : create_head;
  size_t h = plan->exec_mode ? ARRAY_SIZE (exec_head) : ARRAY_SIZE (create_head);
  _cleanup_free_ char **argv = xcalloc (n + h + 1, sizeof *argv);
  memcpy (argv, head, h * sizeof *argv);
  for (size_t i = 0; i < n; i++)
    argv[h + i] = p->args[i];
  syscall (SYS_execveat, tramp, "", argv, env, AT_EMPTY_PATH);
  return cr_fail (err, errno, "exec %s through the trampoline", plan->exe);
}

int
process_exec (struct process_plan *plan, struct cr_error *err)
{
  const struct spec_process *p = plan->proc;
  const struct spec_user *u = &p->user;
  int r;
  /* Read while still privileged, before any filter could refuse the open. */
  _cleanup_free_ char **env_owned = NULL;
  char *const *env = env_with_home (p, &env_owned);
  _cleanup_close_ int tramp = -1;
  if (plan->trampoline && (tramp = selfexe_trampoline_open (err)) < 0)
    return -1;

  /* `run` and `exec` block every signal to forward them, and a mask survives
     execve: unblock before a seccomp filter could refuse rt_sigprocmask. */
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);

  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
     process may be about to lose: load first, then drop. */
  if (!p->no_new_privileges && (r = load_filters (plan, err)) < 0)
    return r;
  if ((r = process_apply_lsm (p, err)) < 0)
    return r;
  if ((r = caps_drop_bounding (p->capabilities, err)) < 0)
    return r;
  if ((r = caps_set_keep (err)) < 0)
    return r;
  if (!plan->setgroups_allowed && u->additional_gids_len)
    return cr_fail (err, 0, "process.user.additionalGids: the user namespace denies setgroups");
  if (plan->setgroups_allowed)
    {
      gid_t groups[u->additional_gids_len + 1];
      for (size_t i = 0; i < u->additional_gids_len; i++)
        groups[i] = u->additional_gids[i];
      if (setgroups (u->additional_gids_len, groups) < 0)
        return cr_fail (err, errno, "setgroups");
    }
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return cr_fail (err, errno, "setgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return cr_fail (err, errno, "setuid %u", u->uid);
  if ((r = caps_apply_final (p->capabilities, err)) < 0)
    return r;
  if (plan->pdeath_signal > 0)
    prctl (PR_SET_PDEATHSIG, plan->pdeath_signal, 0, 0, 0);
  if (p->no_new_privileges)
    {
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return cr_fail (err, errno, "set no_new_privs");
      if ((r = load_filters (plan, err)) < 0)
        return r;
    }
  /* Nothing of the runtime's may reach the program: every fd past stdio and
     the preserved ones closes on exec. */
  cloexec_fds_from (3 + plan->preserve_fds);
  for (int fd = 3; fd < 3 + plan->preserve_fds; fd++)
    fcntl (fd, F_SETFD, 0);
  _cleanup_free_ char **once = env_keep_last (env);
  if (tramp >= 0)
    return exec_trampoline (plan, tramp, once, err);
  execve (plan->exe, p->args, once);
  return cr_fail (err, errno, "exec %s", plan->exe);
}

static bool
read_ppid (pid_t pid, pid_t *ppid)
{
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  const char *paren = strrchr (buf, ')');
  int pp;
  if (paren == NULL || sscanf (paren + 1, " %*c %d", &pp) != 1)
    return false;
  *ppid = pp;
  return true;
}

static int
cmp_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

int
process_list_container (pid_t init, pid_t **pids, size_t *n, struct cr_error *err)
{
  char path[64];
  struct stat own, ns;
  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) init);
  if (stat (path, &ns) < 0)
    return cr_fail (err, errno, "stat %s", path);
  bool by_ns = stat ("/proc/self/ns/pid", &own) == 0 && own.st_ino != ns.st_ino;
  DIR *d = opendir ("/proc");
  if (d == NULL)
    return cr_fail (err, errno, "open /proc");
  size_t cap = 16, len = 0;
  pid_t *all = xcalloc (cap, sizeof *all), *par = xcalloc (cap, sizeof *par);
  struct dirent *e;
  while ((e = readdir (d)))
    {
      unsigned long long v;
      if (parse_uint64 (e->d_name, &v) < 0 || v == 0)
        continue;
      pid_t pid = v, ppid = 0;
      struct stat st;
      snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) pid);
      if (by_ns ? stat (path, &st) < 0 || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev : !read_ppid (pid, &ppid))
        continue;
      if (len == cap)
        {
          cap *= 2;
          all = xrealloc (all, cap * sizeof *all);
          par = xrealloc (par, cap * sizeof *par);
        }
      all[len] = pid;
      par[len++] = ppid;
    }
  closedir (d);
  size_t out = 0;
  if (by_ns)
    out = len;
  else
    {
      /* INIT and its descendants: keep a pid once its parent is kept. */
      bool *keep = xcalloc (len + 1, sizeof *keep);
      bool grew = true;
      while (grew)
        {
          grew = false;
          for (size_t i = 0; i < len; i++)
            {
              if (keep[i])
                continue;
              bool k = all[i] == init;
              for (size_t j = 0; !k && j < len; j++)
                k = keep[j] && all[j] == par[i];
              if (k)
                keep[i] = grew = true;
            }
        }
      for (size_t i = 0; i < len; i++)
        if (keep[i])
          all[out++] = all[i];
      free (keep);
    }
  free (par);
  qsort (all, out, sizeof *all, cmp_pid);
  *pids = all;
  *n = out;
  return 0;
}
