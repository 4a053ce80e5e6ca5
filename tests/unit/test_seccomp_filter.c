/* linux/seccomp_filter.c: seccomp action and name parsing, building a
   filter from linux.seccomp, loading it in a child and sending the
   listener fd to a SCMP_ACT_NOTIFY agent. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/seccomp_filter.h"
#include "unit.h"
#include "base/utils.h"

/* ---- seccomp --------------------------------------------------------- */

static void
test_seccomp_names (void)
{
  struct cr_error err = { 0 };
  uint32_t act;
  enum scmp_compare op;
  enum scmp_filter_attr attr;

  CHECK (seccomp_parse_action ("SCMP_ACT_ALLOW", 0, false, &act, &err) == 0 && act == SCMP_ACT_ALLOW, "ALLOW");
  CHECK (seccomp_parse_action ("SCMP_ACT_ERRNO", 0, false, &act, &err) == 0 && act == SCMP_ACT_ERRNO (EPERM),
         "ERRNO defaults to EPERM");
  CHECK (seccomp_parse_action ("SCMP_ACT_ERRNO", 38, true, &act, &err) == 0 && act == SCMP_ACT_ERRNO (38), "ERRNO 38");
  CHECK (seccomp_parse_action ("SCMP_ACT_TRACE", 7, true, &act, &err) == 0 && act == SCMP_ACT_TRACE (7), "TRACE 7");
  CHECK (seccomp_parse_action ("SCMP_ACT_KILL", 0, false, &act, &err) == 0 && act == SCMP_ACT_KILL, "KILL");
  CHECK (seccomp_parse_action ("SCMP_ACT_KILL_PROCESS", 0, false, &act, &err) == 0 && act == SCMP_ACT_KILL_PROCESS,
         "KILL_PROCESS");
  CHECK (seccomp_parse_action ("SCMP_ACT_KILL_THREAD", 0, false, &act, &err) == 0 && act == SCMP_ACT_KILL_THREAD,
         "KILL_THREAD");
  CHECK (seccomp_parse_action ("SCMP_ACT_TRAP", 0, false, &act, &err) == 0 && act == SCMP_ACT_TRAP, "TRAP");
  CHECK (seccomp_parse_action ("SCMP_ACT_LOG", 0, false, &act, &err) == 0 && act == SCMP_ACT_LOG, "LOG");
  CHECK (seccomp_parse_action ("SCMP_ACT_NOTIFY", 0, false, &act, &err) == 0 && act == SCMP_ACT_NOTIFY, "NOTIFY");
  CHECK (seccomp_parse_action ("SCMP_ACT_FOO", 0, false, &act, &err) == -EINVAL, "unknown action");
  CHECK_STR (err.msg, "unknown action SCMP_ACT_FOO", "unknown action message");
  CHECK (seccomp_parse_action ("scmp_act_allow", 0, false, &act, &err) < 0, "actions are case-sensitive");
  CHECK (seccomp_parse_action ("SCMP_ACT_ALLOW", 1, true, &act, &err) < 0, "errnoRet with ALLOW fails");
  CHECK_STR (err.msg, "action SCMP_ACT_ALLOW does not take an errnoRet", "errnoRet with ALLOW message");

  CHECK (seccomp_parse_operator ("SCMP_CMP_NE", &op, &err) == 0 && op == SCMP_CMP_NE, "NE");
  CHECK (seccomp_parse_operator ("SCMP_CMP_LT", &op, &err) == 0 && op == SCMP_CMP_LT, "LT");
  CHECK (seccomp_parse_operator ("SCMP_CMP_LE", &op, &err) == 0 && op == SCMP_CMP_LE, "LE");
  CHECK (seccomp_parse_operator ("SCMP_CMP_EQ", &op, &err) == 0 && op == SCMP_CMP_EQ, "EQ");
  CHECK (seccomp_parse_operator ("SCMP_CMP_GE", &op, &err) == 0 && op == SCMP_CMP_GE, "GE");
  CHECK (seccomp_parse_operator ("SCMP_CMP_GT", &op, &err) == 0 && op == SCMP_CMP_GT, "GT");
  CHECK (seccomp_parse_operator ("SCMP_CMP_MASKED_EQ", &op, &err) == 0 && op == SCMP_CMP_MASKED_EQ, "MASKED_EQ");
  CHECK (seccomp_parse_operator ("SCMP_CMP_XX", &op, &err) == -EINVAL, "unknown op");
  CHECK_STR (err.msg, "unknown operator SCMP_CMP_XX", "unknown op message");

  CHECK (seccomp_parse_flag ("SECCOMP_FILTER_FLAG_TSYNC", &attr, &err) == 0 && attr == SCMP_FLTATR_CTL_TSYNC, "TSYNC");
  CHECK (seccomp_parse_flag ("SECCOMP_FILTER_FLAG_LOG", &attr, &err) == 0 && attr == SCMP_FLTATR_CTL_LOG, "LOG");
  CHECK (seccomp_parse_flag ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", &attr, &err) == 0 && attr == SCMP_FLTATR_CTL_SSB,
         "SPEC_ALLOW");
  CHECK (seccomp_parse_flag ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", &attr, &err) == 0, "WAIT_KILLABLE_RECV known");
  CHECK (seccomp_parse_flag ("SECCOMP_FILTER_FLAG_BOGUS", &attr, &err) == -EINVAL, "unknown flag");
  CHECK_STR (err.msg, "unknown flag SECCOMP_FILTER_FLAG_BOGUS", "unknown flag message");

  uint32_t arch;
  CHECK (seccomp_parse_arch ("SCMP_ARCH_X86_64", &arch, &err) == 0 && arch == SCMP_ARCH_X86_64, "X86_64");
  CHECK (seccomp_parse_arch ("SCMP_ARCH_AARCH64", &arch, &err) == 0 && arch == SCMP_ARCH_AARCH64, "AARCH64");
  CHECK (seccomp_parse_arch ("SCMP_ARCH_X32", &arch, &err) == 0 && arch == SCMP_ARCH_X32, "X32");
  CHECK (seccomp_parse_arch ("SCMP_ARCH_VAX", &arch, &err) == -EINVAL, "unknown arch");
  CHECK_STR (err.msg, "unknown architecture SCMP_ARCH_VAX", "unknown arch message");
  CHECK (seccomp_parse_arch ("x86_64", &arch, &err) < 0, "arch prefix required");
}

/* A hand-built linux.seccomp with room for a few rules. */
struct test_filter
{
  struct spec_seccomp s;
  struct spec_seccomp_syscall sc[4];
  struct spec_seccomp_arg args[4];
  char *names[4][4];
  char *arches[3];
  char *flags[3];
};

static void
filter_init (struct test_filter *f, const char *default_action)
{
  memset (f, 0, sizeof *f);
  f->s.default_action = (char *) default_action;
  f->s.syscalls = f->sc;
}

static struct spec_seccomp_syscall *
filter_add (struct test_filter *f, const char *name, const char *action, bool has_errno, uint32_t errno_ret)
{
  size_t i = f->s.syscalls_len++;
  f->names[i][0] = (char *) name;
  f->sc[i].names = f->names[i];
  f->sc[i].names_len = 1;
  f->sc[i].action = (char *) action;
  f->sc[i].has_errno_ret = has_errno;
  f->sc[i].errno_ret = errno_ret;
  return &f->sc[i];
}

static int
build_ok (struct test_filter *f, struct cr_error *err)
{
  scmp_filter_ctx ctx = NULL;
  int r = seccomp_filter_build (&f->s, &ctx, err);
  if (r == 0)
    seccomp_release (ctx);
  return r;
}

static void
test_seccomp_build (void)
{
  struct cr_error err = { 0 };
  struct test_filter f;

  filter_init (&f, "SCMP_ACT_ALLOW");
  f.arches[0] = "SCMP_ARCH_X86_64";
  f.arches[1] = "SCMP_ARCH_X86";
  f.s.architectures = f.arches, f.s.architectures_len = 2;
  f.flags[0] = "SECCOMP_FILTER_FLAG_LOG";
  f.s.flags = f.flags, f.s.flags_len = 1;
  filter_add (&f, "mount", "SCMP_ACT_ERRNO", true, EPERM);
  struct spec_seccomp_syscall *sc = filter_add (&f, "personality", "SCMP_ACT_ERRNO", false, 0);
  f.args[0] = (struct spec_seccomp_arg){ .index = 0, .value = 8, .op = "SCMP_CMP_NE" };
  f.args[1] = (struct spec_seccomp_arg){
    .index = 1, .value = 0xff, .has_value_two = true, .value_two = 1, .op = "SCMP_CMP_MASKED_EQ"
  };
  sc->args = f.args, sc->args_len = 2;
  filter_add (&f, "getpid", "SCMP_ACT_ALLOW", false, 0); /* same as default: skipped */
  filter_add (&f, "no_such_syscall_xyz", "SCMP_ACT_KILL", false, 0);
  CHECK (build_ok (&f, &err) == 0, "valid filter builds (%s)", err.msg);

  /* Same argument twice: split into one rule per condition. */
  f.args[1].index = 0;
  CHECK (build_ok (&f, &err) == 0, "conditions on one argument twice build (%s)", err.msg);
  f.args[1].index = 1;

  f.sc[3].action = "SCMP_ACT_FOO";
  CHECK (build_ok (&f, &err) == -EINVAL, "bad action fails");
  CHECK_STR (err.msg, "linux.seccomp.syscalls[3].action: unknown action SCMP_ACT_FOO", "bad action message");
  f.sc[3].action = "SCMP_ACT_KILL";

  f.args[1].op = "SCMP_CMP_ABOUT";
  CHECK (build_ok (&f, &err) == -EINVAL, "bad operator fails");
  CHECK_STR (err.msg, "linux.seccomp.syscalls[1].args[1].op: unknown operator SCMP_CMP_ABOUT", "bad operator message");
  f.args[1].op = "SCMP_CMP_MASKED_EQ";

  f.args[1].index = 6;
  CHECK (build_ok (&f, &err) == -EINVAL, "argument index 6 fails");
  CHECK_STR (err.msg, "linux.seccomp.syscalls[1].args[1].index: 6 out of range 0-5", "index message");
  f.args[1].index = 1;

  f.arches[1] = "SCMP_ARCH_PDP11";
  CHECK (build_ok (&f, &err) == -EINVAL, "bad arch fails");
  CHECK_STR (err.msg, "linux.seccomp.architectures[1]: unknown architecture SCMP_ARCH_PDP11", "bad arch message");
  f.arches[1] = "SCMP_ARCH_X86";

  f.flags[0] = "SECCOMP_FILTER_FLAG_NOPE";
  CHECK (build_ok (&f, &err) == -EINVAL, "bad flag fails");
  CHECK_STR (err.msg, "linux.seccomp.flags[0]: unknown flag SECCOMP_FILTER_FLAG_NOPE", "bad flag message");
  f.flags[0] = "SECCOMP_FILTER_FLAG_LOG";

  f.s.default_action = "SCMP_ACT_NOPE";
  CHECK (build_ok (&f, &err) == -EINVAL, "bad default action fails");
  CHECK_STR (err.msg, "linux.seccomp.defaultAction: unknown action SCMP_ACT_NOPE", "bad default message");

  /* An allowlist: default ERRNO with defaultErrnoRet, empty architectures. */
  filter_init (&f, "SCMP_ACT_ERRNO");
  f.s.has_default_errno_ret = true, f.s.default_errno_ret = ENOSYS;
  filter_add (&f, "read", "SCMP_ACT_ALLOW", false, 0);
  filter_add (&f, "fsconfig_not_yet", "SCMP_ACT_ALLOW", false, 0);
  filter_add (&f, "write", "SCMP_ACT_ERRNO", true, ENOSYS); /* equals default */
  CHECK (build_ok (&f, &err) == 0, "allowlist builds (%s)", err.msg);

  /* Every action name builds as a rule. */
  const char *actions[] = { "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                            "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY" };
  for (size_t i = 0; i < ARRAY_SIZE (actions); i++)
    {
      filter_init (&f, "SCMP_ACT_ALLOW");
      filter_add (&f, "acct", actions[i], false, 0);
      CHECK (build_ok (&f, &err) == 0, "rule with %s builds (%s)", actions[i], err.msg);
    }
  CHECK (seccomp_uses_notify (&f.s), "seccomp_uses_notify sees SCMP_ACT_NOTIFY");
}

static int
child_load_getpriority (void)
{
  struct cr_error err = { 0 };
  struct test_filter f;
  int notify_fd = 123;

  filter_init (&f, "SCMP_ACT_ALLOW");
  filter_add (&f, "getpriority", "SCMP_ACT_ERRNO", true, EOPNOTSUPP);
  f.flags[0] = "SECCOMP_FILTER_FLAG_TSYNC";
  f.flags[1] = "SECCOMP_FILTER_FLAG_LOG";
  f.s.flags = f.flags, f.s.flags_len = 2;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return 9;
  if (seccomp_filter_build_and_load (&f.s, &notify_fd, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      return 10;
    }
  if (notify_fd != -1)
    return 11;
  errno = 0;
  if (getpriority (PRIO_PROCESS, 0) != -1 || errno != EOPNOTSUPP)
    return 12;
  if (getpid () <= 0)
    return 13;
  return 0;
}

static int
child_load_notify (void)
{
  struct cr_error err = { 0 };
  struct test_filter f;
  int notify_fd = -1;

  filter_init (&f, "SCMP_ACT_ALLOW");
  filter_add (&f, "acct", "SCMP_ACT_NOTIFY", false, 0);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return 9;
  if (seccomp_filter_build_and_load (&f.s, &notify_fd, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      return 10;
    }
  return notify_fd >= 0 ? 0 : 11;
}

static void
test_seccomp_load (void)
{
  CHECK_CHILD (child_load_getpriority, "loaded filter makes getpriority fail with EOPNOTSUPP");
  CHECK_CHILD (child_load_notify, "SCMP_ACT_NOTIFY rule yields a listener fd");
}

static void
test_seccomp_notify_send (void)
{
  struct cr_error err = { 0 };
  char dir[] = "/tmp/cellrun-test-XXXXXX";
  char path[128], buf[1024];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct spec_seccomp s = { 0 };

  if (mkdtemp (dir) == NULL)
    {
      CHECK (0, "mkdtemp");
      return;
    }
  snprintf (path, sizeof path, "%s/listener.sock", dir);
  strcpy (addr.sun_path, path);
  /* CHECK evaluates its condition twice: no side effects inside. */
  int lfd = socket (AF_UNIX, SOCK_STREAM, 0);
  int listening = lfd >= 0 && bind (lfd, (struct sockaddr *) &addr, sizeof addr) == 0 && listen (lfd, 1) == 0;
  CHECK (listening, "listener socket");

  int fds[2];
  if (pipe (fds) < 0)
    fds[0] = fds[1] = -1;
  s.listener_path = path;
  s.listener_metadata = "meta \"quoted\"";
  int sent = seccomp_notify_send (&s, fds[0], 42, "{\"id\":\"c1\"}", &err);
  CHECK (sent == 0, "notify send (%s)", err.msg);

  int conn = accept (lfd, NULL, NULL);
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf
  };
  ssize_t n = recvmsg (conn, &msg, 0);
  buf[n > 0 ? n : 0] = '\0';
  CHECK_STR (buf,
             "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":42,"
             "\"metadata\":\"meta \\\"quoted\\\"\",\"state\":{\"id\":\"c1\"}}",
             "payload");
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  int got = -1;
  if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
    memcpy (&got, CMSG_DATA (cmsg), sizeof got);
  struct stat a, b;
  CHECK (got >= 0 && fstat (got, &a) == 0 && fstat (fds[0], &b) == 0 && a.st_ino == b.st_ino,
         "the fd arrives via SCM_RIGHTS");

  s.listener_path = "/nonexistent/dir/sock";
  sent = seccomp_notify_send (&s, fds[0], 42, "{}", &err);
  CHECK (sent < 0, "missing listener fails");
  CHECK (strncmp (err.msg, "seccomp listener: connect to /nonexistent/dir/sock: ", 52) == 0,
         "connect error message: %s", err.msg);

  close (got), close (conn), close (lfd), close (fds[0]), close (fds[1]);
  unlink (path);
  rmdir (dir);
}

int
main (void)
{
  test_seccomp_names ();
  test_seccomp_build ();
  test_seccomp_load ();
  test_seccomp_notify_send ();
  return UNIT_DONE ();
}
