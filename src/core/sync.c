/* The runtime <-> init messages (the sequence is drawn in sync.h). */
#include "config.h"
#include "core/sync.h"
#include "linux/terminal.h"
#include "base/utils.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
send_msg (int fd, const struct sync_msg *m)
{
  ssize_t n;
  do
    n = send (fd, m, sizeof *m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == sizeof *m ? 0 : -1;
}

int
sync_send (int fd, int type, pid_t pid, const struct cr_error *e)
{
  struct sync_msg m = { .type = type, .pid = pid };
  if (e)
    {
      m.code = e->code;
      memcpy (m.msg, e->msg, sizeof m.msg);
    }
  return send_msg (fd, &m);
}

int
sync_send_code (int fd, int type, pid_t pid, int code)
{
  struct sync_msg m = { .type = type, .code = code, .pid = pid };
  return send_msg (fd, &m);
}

int
sync_recv (int fd, struct sync_msg *m, int *passed_fd)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n;
  do
    n = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n != sizeof *m)
    return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  if (passed_fd && c && c->cmsg_type == SCM_RIGHTS)
    memcpy (passed_fd, CMSG_DATA (c), sizeof (int));
  return 0;
}

int
sync_send_fd (int fd, int type, int pass_fd)
{
  struct sync_msg m = { .type = type };
  return send_fd (fd, &m, sizeof m, pass_fd);
}

int
sync_send_fds (int fd, int type, const int *fds, size_t n)
{
  struct sync_msg m = { .type = type };
  if (n == 0)
    return send_msg (fd, &m);
  char cbuf[CMSG_SPACE (SYNC_MAX_FDS * sizeof (int))] = { 0 };
  struct iovec iov = { .iov_base = &m, .iov_len = sizeof m };
  struct msghdr mh = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE (n * sizeof (int))
  };
  if (n > SYNC_MAX_FDS)
    return errno = E2BIG, -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (n * sizeof (int));
  memcpy (CMSG_DATA (c), fds, n * sizeof (int));
  ssize_t w;
  do
    w = sendmsg (fd, &mh, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  return w == sizeof m ? 0 : -1;
}

int
sync_expect_fds (int fd, int type, int *fds, size_t *n, struct cr_error *err)
{
  struct sync_msg m;
  char cbuf[CMSG_SPACE (SYNC_MAX_FDS * sizeof (int))];
  struct iovec iov = { .iov_base = &m, .iov_len = sizeof m };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t r;
  *n = 0;
  do
    r = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  for (struct cmsghdr *c = r > 0 ? CMSG_FIRSTHDR (&mh) : NULL; c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        memcpy (fds + *n, CMSG_DATA (c), k * sizeof (int));
        *n += k;
      }
  if (r != sizeof m || m.type != type || (mh.msg_flags & MSG_CTRUNC))
    return cr_fail (err, EPIPE, "waiting for the runtime");
  return 0;
}

int
sync_expect (int fd, int type, struct sync_msg *m, struct cr_error *err)
{
  if (sync_recv (fd, m, NULL) < 0 || m->type != type)
    return cr_fail (err, EPIPE, "waiting for the runtime");
  return 0;
}

int
sync_error_take (const struct sync_msg *m, struct cr_error *err)
{
  err->code = m->code;
  memcpy (err->msg, m->msg, sizeof err->msg);
  return -1;
}

int
sync_setup_terminal (const struct spec_process *p, int console_fd, int sync_fd, struct cr_error *err)
{
  _cleanup_close_ int master = terminal_setup (p, err);
  if (master < 0)
    return -1;
  if (console_fd >= 0)
    {
      int r = terminal_send_fd (console_fd, master, err);
      close (console_fd);
      return r;
    }
  if (sync_send_fd (sync_fd, SYNC_TERMINAL, master) < 0)
    return cr_fail (err, errno, "send terminal to the runtime");
  return 0;
}
