#include "config.h"
#include "linux/terminal.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>

int
terminal_send_fd (int sock, int fd, struct cr_error *err)
{
  /* runc's console-socket protocol: the payload names the pty, the fd rides along. */
  static const char name[] = "/dev/ptmx";
  if (send_fd (sock, name, sizeof name, fd) < 0)
    return cr_fail (err, errno, "send terminal to console socket");
  return 0;
}

int
terminal_connect (const char *path, int *out, struct cr_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path)
    return cr_fail (err, ENAMETOOLONG, "console socket %s", path);
  strcpy (addr.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return cr_fail (err, errno, "console socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int e = errno;
      close (fd);
      return cr_fail (err, e, "connect to console socket %s", path);
    }
  *out = fd;
  return 0;
}

int
terminal_setup (const struct spec_process *p, struct cr_error *err)
{
  /* The container's init leads its session already (EPERM); an exec'd
     process becomes a session leader here, so the pty can be its ctty. */
  if (setsid () < 0 && errno != EPERM)
    return cr_fail (err, errno, "setsid");
  _cleanup_close_ int master = open ("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return cr_fail (err, errno, "open /dev/ptmx");
  /* Without a mount namespace /dev is the image's own directory: whatever
     it calls ptmx must really be the pty multiplexer (5:2). */
  struct stat st;
  if (fstat (master, &st) < 0 || !S_ISCHR (st.st_mode) || major (st.st_rdev) != 5 || minor (st.st_rdev) != 2)
    return cr_fail (err, 0, "open /dev/ptmx: not the pty multiplexer (character device 5:2)");
  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return cr_fail (err, errno, "unlock pty");
  /* TIOCGPTPEER opens the peer from the master itself: no path lookup that
     the image could redirect. */
  _cleanup_close_ int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0)
    return cr_fail (err, errno, "open pty peer");
  struct winsize ws = { .ws_row = p->console_height, .ws_col = p->console_width };
  /* The size is set before the process can run: a foreground run/exec whose
     stdin is still the caller's terminal gets that terminal's size now (the
     relay only follows later SIGWINCH changes), or `stty size` in the first
     instant reads 0 rows. */
  if (p->has_console_size || (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col))
    ioctl (slave, TIOCSWINSZ, &ws);
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return cr_fail (err, errno, "set controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return cr_fail (err, errno, "dup pty to fd %d", i);
  int out = master;
  master = -1;
  return out;
}

static struct termios saved_termios;
static bool termios_saved;

static void
copy_winsize (int master)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

static long long
monotonic_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int
terminal_relay (int master, pid_t pid, struct cr_error *err)
{
  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved_termios) == 0)
    {
      struct termios raw = saved_termios;
      cfmakeraw (&raw);
      termios_saved = tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0;
      copy_winsize (master);
    }
  /* The caller blocked the signals it forwards: read them all here, or a
     `kill` of a foreground run/exec with a terminal would never arrive. */
  sigset_t mask;
  sigprocmask (SIG_BLOCK, NULL, &mask);
  sigaddset (&mask, SIGWINCH);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  _cleanup_close_ int sfd = signalfd (-1, &mask, SFD_CLOEXEC);
  /* A background child of the process may keep the pty open after the process
     exited: the pidfd tells us when to stop, not the hang-up alone. */
  _cleanup_close_ int pidfd = pid > 0 ? (int) syscall (SYS_pidfd_open, pid, 0) : -1;
  struct pollfd fds[4] = { { .fd = master, .events = POLLIN },
                           { .fd = STDIN_FILENO, .events = POLLIN },
                           { .fd = sfd, .events = POLLIN },
                           { .fd = pidfd, .events = POLLIN } };
  char buf[8192];
  int timeout = -1;
  long long drain_until = 0;
  for (;;)
    {
      int ready = poll (fds, 4, timeout);
      if (ready < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (ready == 0 || (timeout >= 0 && monotonic_ms () > drain_until))
        break; /* the process is gone and its last output has been copied */
      if (fds[3].revents & POLLIN)
        {
          /* Output written just before the exit may still be on its way
             through the line discipline: drain until the pty is quiet. */
          fds[3].fd = -1;
          fds[1].fd = -1;
          timeout = 100;
          drain_until = monotonic_ms () + 1000;
        }
      if (fds[2].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGWINCH)
                copy_winsize (master);
              else if (si.ssi_signo != SIGCHLD && pid > 0)
                kill (pid, si.ssi_signo);
            }
        }
      if (fds[1].revents & (POLLIN | POLLHUP))
        {
          ssize_t n = read (STDIN_FILENO, buf, sizeof buf);
          if (n > 0)
            write_all (master, buf, n);
          else
            fds[1].fd = -1; /* stdin closed: keep relaying output */
        }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = read (master, buf, sizeof buf);
          if (n <= 0)
            break; /* EIO: every slave fd closed, the process is gone */
          write_all (STDOUT_FILENO, buf, n);
        }
    }
  if (termios_saved)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved_termios);
  return 0;
}
