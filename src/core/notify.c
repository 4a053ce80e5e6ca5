/* sd_notify relay; the design is in notify.h and docs/compat.md. */
#include "config.h"
#include "core/notify.h"
#include "base/log.h"
#include "linux/mounts.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOTIFY_ENV "NOTIFY_SOCKET="

static int
parse_host_address (struct notify_plan *n, const char *v, struct cr_error *err)
{
  size_t len = strlen (v);
  memset (&n->host, 0, sizeof n->host);
  n->host.sun_family = AF_UNIX;
  if (v[0] == '/')
    {
      if (len >= sizeof n->host.sun_path)
        return cr_fail (err, ENAMETOOLONG, "NOTIFY_SOCKET %s", v);
      memcpy (n->host.sun_path, v, len);
      n->host_len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + len + 1);
      return 0;
    }
  if (v[0] == '@')
    {
      /* An abstract name: '@' stands for the leading NUL byte. */
      if (len > sizeof n->host.sun_path)
        return cr_fail (err, ENAMETOOLONG, "NOTIFY_SOCKET %s", v);
      memcpy (n->host.sun_path + 1, v + 1, len - 1);
      n->host_len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + len);
      return 0;
    }
  return cr_fail (err, 0, "NOTIFY_SOCKET %s: not an absolute path or an @abstract socket name", v);
}

int
notify_plan_init (struct notify_plan *n, char *const *caller_env, struct spec_process *proc, size_t *env_explicit_len,
                  struct cr_error *err)
{
  memset (n, 0, sizeof *n);
  n->sock_fd = n->tree_fd = -1;
  const char *v = NULL;
  for (char *const *e = caller_env; e && *e; e++)
    if (has_prefix (*e, NOTIFY_ENV))
      v = *e + strlen (NOTIFY_ENV);
  if (v == NULL || *v == '\0')
    return 0;
  int r = parse_host_address (n, v, err);
  if (r < 0)
    return r;
  n->wanted = true;
  if (proc == NULL)
    return 0;
  /* Drop every NOTIFY_SOCKET the bundle or the caller's passed variables
     set: the container's only socket is its own. */
  size_t w = 0, explicit_len = *env_explicit_len;
  for (size_t i = 0; i < proc->env_len; i++)
    {
      if (has_prefix (proc->env[i], NOTIFY_ENV))
        {
          free (proc->env[i]);
          if (i < *env_explicit_len)
            explicit_len--;
          continue;
        }
      proc->env[w++] = proc->env[i];
    }
  size_t at = explicit_len < w ? explicit_len : w;
  proc->env = xrealloc (proc->env, (w + 2) * sizeof *proc->env);
  memmove (&proc->env[at + 1], &proc->env[at], (w - at) * sizeof *proc->env);
  proc->env[at] = xstrdup (NOTIFY_ENV NOTIFY_CONTAINER_SOCKET);
  proc->env_len = w + 1;
  proc->env[proc->env_len] = NULL;
  *env_explicit_len = at + 1;
  return 0;
}

int
notify_bind (struct notify_plan *n, int state_dirfd, struct cr_error *err)
{
  if (!n->wanted)
    return 0;
  if (mkdirat (state_dirfd, NOTIFY_STATE_DIR, 0755) < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: create %s", NOTIFY_STATE_DIR);
  _cleanup_close_ int dfd = openat (state_dirfd, NOTIFY_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* 0755 whatever the umask: a non-root container user reaches the socket. */
  if (dfd < 0 || fchmod (dfd, 0755) < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: open %s", NOTIFY_STATE_DIR);
  n->sock_fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (n->sock_fd < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: socket");
  /* Bound through the directory fd: <root>/<id> may be longer than sun_path. */
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/notify.sock", dfd);
  if (bind (n->sock_fd, (struct sockaddr *) &a, sizeof a) < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: bind %s/notify.sock", NOTIFY_STATE_DIR);
  /* Sending needs write permission on the socket, whoever the container user is. */
  if (fchmodat (dfd, "notify.sock", 0777, 0) < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: chmod notify.sock");
  /* A detached bind mount of the directory, read-only, made here while the
     path is the runtime's; the container only ever gets this mount. */
  n->tree_fd = syscall (SYS_open_tree, dfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (n->tree_fd < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: clone a mount of %s", NOTIFY_STATE_DIR);
  int r = mount_setattr_fd (n->tree_fd, false,
                            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0, 0);
  if (r < 0)
    return cr_fail (err, -r, "NOTIFY_SOCKET: make the %s mount read-only", NOTIFY_STATE_DIR);
  return 0;
}

/* In a child that joined the init's mount namespace: mount the tree on
   ROOTFS/run/notify, resolved inside the root. */
static int
mount_in_ns (int mntns, int tree, const char *rootfs, struct cr_error *err)
{
  if (setns (mntns, CLONE_NEWNS) < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: join the container's mount namespace");
  _cleanup_close_ int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: open rootfs %s", rootfs);
  _cleanup_close_ int target = mkdir_in_root (rootfd, NOTIFY_CONTAINER_DIR, false, err);
  if (target < 0)
    return cr_wrap (err, "NOTIFY_SOCKET");
  if (syscall (SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: mount %s in the container", NOTIFY_CONTAINER_DIR);
  return 0;
}

static bool
same_mount_ns (int a, const char *b)
{
  struct stat sa, sb;
  return fstat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
notify_mount (struct notify_plan *n, pid_t init, const char *rootfs, struct cr_error *err)
{
  if (!n->wanted)
    return 0;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/mnt", (int) init);
  _cleanup_close_ int mntns = open (path, O_RDONLY | O_CLOEXEC);
  if (mntns < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: open %s", path);
  if (same_mount_ns (mntns, "/proc/self/ns/mnt"))
    return cr_fail (err, 0,
                    "NOTIFY_SOCKET: the container shares the runtime's mount namespace, so %s cannot be "
                    "mounted without changing the host's mounts",
                    NOTIFY_CONTAINER_DIR);
  /* setns changes the whole process's mount view: do it in a child. */
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return cr_fail (err, errno, "NOTIFY_SOCKET: fork");
    }
  if (pid == 0)
    {
      struct cr_error cerr = { 0 };
      close (pipefd[0]);
      int r = mount_in_ns (mntns, n->tree_fd, rootfs, &cerr);
      if (r < 0)
        write_all (pipefd[1], cerr.msg, strlen (cerr.msg));
      _exit (r < 0 ? 1 : 0);
    }
  close (pipefd[1]);
  char msg[CR_ERROR_MSG_MAX];
  size_t got = 0;
  ssize_t k;
  while (got < sizeof msg - 1 && (k = read (pipefd[0], msg + got, sizeof msg - 1 - got)) != 0)
    {
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0)
        break;
      got += (size_t) k;
    }
  msg[got] = '\0';
  close (pipefd[0]);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (got > 0)
    return cr_fail (err, 0, "%s", msg);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return cr_fail (err, 0, "NOTIFY_SOCKET: mount %s in the container failed", NOTIFY_CONTAINER_DIR);
  close (n->tree_fd);
  n->tree_fd = -1;
  return 0;
}

static bool
line_is (const char *p, size_t len, const char *prefix)
{
  size_t n = strlen (prefix);
  return len >= n && memcmp (p, prefix, n) == 0;
}

size_t
notify_filter (const char *msg, size_t len, pid_t init, char *out, size_t out_size, bool *ready)
{
  size_t used = 0;
  const char *p = msg, *end = msg + len;
  /* room for MAINPID= and the NUL */
  size_t limit = out_size > 32 ? out_size - 32 : 0;
  *ready = false;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t l = (size_t) ((nl ? nl : end) - p);
      /* MAINPID would name a pid of the container's namespace (or any
         process) for systemd to watch; barriers and fd-store entries need
         the fds a relay does not pass. */
      bool drop = l == 0 || memchr (p, '\0', l) != NULL || line_is (p, l, "MAINPID=") || line_is (p, l, "BARRIER=")
                  || line_is (p, l, "FDSTORE") || line_is (p, l, "FDNAME=") || line_is (p, l, "FDPOLL=");
      if (!drop && used + l + 1 <= limit)
        {
          if (l == 7 && memcmp (p, "READY=1", 7) == 0)
            *ready = true;
          memcpy (out + used, p, l);
          used += l;
          out[used++] = '\n';
        }
      p = nl ? nl + 1 : end;
    }
  if (*ready)
    used += (size_t) snprintf (out + used, out_size - used, "MAINPID=%d\n", (int) init);
  if (used > 0)
    used--; /* no newline after the last assignment, as sd_notify sends */
  if (out_size > 0)
    out[used] = '\0';
  return used;
}

/* One datagram from the container: received with any fds it carries
   closed at once, filtered, forwarded. Returns 1 after READY=1, 0 after
   any other datagram, -1 when none is queued. */
static int
relay_one (int sock, int out, const struct notify_plan *n, pid_t init)
{
  char buf[NOTIFY_MSG_MAX];
  char cbuf[CMSG_SPACE (sizeof (int) * 253) + CMSG_SPACE (sizeof (struct ucred))];
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t k;
  do
    k = recvmsg (sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  while (k < 0 && errno == EINTR);
  if (k < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t nfd = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (size_t i = 0; i < nfd; i++)
          {
            int fd;
            memcpy (&fd, CMSG_DATA (c) + i * sizeof (int), sizeof fd);
            close (fd);
          }
      }
  /* A message systemd would not read whole is not forwarded in part. */
  if ((size_t) k > sizeof buf || (mh.msg_flags & MSG_TRUNC))
    return 0;
  char fwd[NOTIFY_MSG_OUT];
  bool ready;
  size_t len = notify_filter (buf, (size_t) k, init, fwd, sizeof fwd, &ready);
  if (len > 0)
    sendto (out, fwd, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *) &n->host, n->host_len);
  return ready ? 1 : 0;
}

static __attribute__ ((noreturn)) void
relay_main (const struct notify_plan *n, int pidfd, pid_t init)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
    }
  /* The create's fds (its state dir lock, a terminal master, pipes of the
     caller waiting for EOF) must not live on in the relay. */
  int keep[] = { n->sock_fd, pidfd };
  close_fds_except (3, keep, ARRAY_SIZE (keep));
  sigset_t none;
  sigemptyset (&none);
  for (int s = 1; s < NSIG; s++)
    signal (s, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);
  prctl (PR_SET_NAME, "cellrun-notify", 0, 0, 0);
  int out = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct pollfd p[2] = { { .fd = n->sock_fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
  for (;;)
    {
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          _exit (1);
        }
      if (p[1].revents)
        {
          /* The init is gone: what it sent before exiting still goes out. */
          int r;
          while ((r = relay_one (n->sock_fd, out, n, init)) == 0)
            ;
          _exit (0);
        }
      if (p[0].revents & POLLIN && relay_one (n->sock_fd, out, n, init) == 1)
        _exit (0);
      if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
        _exit (1);
    }
}

int
notify_relay_start (struct notify_plan *n, pid_t init, struct cr_error *err)
{
  if (!n->wanted)
    return 0;
  /* Opened while the init is still our child: it cannot be a recycled pid. */
  _cleanup_close_ int pidfd = syscall (SYS_pidfd_open, init, 0);
  if (pidfd < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: pidfd_open %d", (int) init);
  /* Double fork: the relay is nobody's child to wait for (it is reparented
     to the caller's subreaper or PID 1) and outlives create. */
  pid_t mid = fork ();
  if (mid < 0)
    return cr_fail (err, errno, "NOTIFY_SOCKET: fork the relay");
  if (mid == 0)
    {
      setsid ();
      pid_t relay = fork ();
      if (relay != 0)
        _exit (relay < 0 ? 1 : 0);
      relay_main (n, pidfd, init);
    }
  int status = 0;
  while (waitpid (mid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return cr_fail (err, 0, "NOTIFY_SOCKET: fork the relay failed");
  log_debug ("notify: relay for %s started (MAINPID=%d)", NOTIFY_CONTAINER_SOCKET, (int) init);
  /* The relay owns the socket now. */
  close (n->sock_fd);
  n->sock_fd = -1;
  return 0;
}

void
notify_plan_clear (struct notify_plan *n)
{
  /* Only a wanted plan ever opened anything (a zeroed one holds fd 0s). */
  if (!n->wanted)
    return;
  if (n->sock_fd >= 0)
    close (n->sock_fd);
  if (n->tree_fd >= 0)
    close (n->tree_fd);
  n->sock_fd = n->tree_fd = -1;
  n->wanted = false;
}
