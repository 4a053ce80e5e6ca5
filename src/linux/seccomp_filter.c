#include "config.h"
#include "linux/seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "base/log.h"
#include "base/utils.h"

/* Libseccomp allows at most one comparison per argument in a rule and has
   six syscall arguments. */
#define SECCOMP_MAX_ARGS 6

int
seccomp_parse_action (const char *name, uint32_t errno_ret, bool has_errno, uint32_t *act, struct cr_error *err)
{
  static const struct
  {
    const char *name;
    uint32_t act;
  } plain[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG },
    { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
  };

  if (name == NULL)
    return cr_invalid (err, "missing action");

  /* The runtime-spec: errnoRet defaults to EPERM for the actions that
     return one. The action carries it in 16 bits. */
  uint32_t ret = has_errno ? errno_ret : EPERM;
  if (strcmp (name, "SCMP_ACT_ERRNO") == 0 || strcmp (name, "SCMP_ACT_TRACE") == 0)
    {
      if (ret > 0xffff)
        return cr_invalid (err, "errno %u out of range for %s", ret, name);
      *act = name[9] == 'E' ? SCMP_ACT_ERRNO (ret) : SCMP_ACT_TRACE (ret);
      return 0;
    }

  for (size_t i = 0; i < ARRAY_SIZE (plain); i++)
    if (strcmp (name, plain[i].name) == 0)
      {
        /* The runtime-spec says the runtime MUST fail when errnoRet is
           given to an action that cannot return an errno. */
        if (has_errno)
          return cr_invalid (err, "action %s does not take an errnoRet", name);
        *act = plain[i].act;
        return 0;
      }
  return cr_invalid (err, "unknown action %s", name);
}

int
seccomp_parse_operator (const char *name, enum scmp_compare *op, struct cr_error *err)
{
  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };

  for (size_t i = 0; name && i < ARRAY_SIZE (ops); i++)
    if (strcmp (name, ops[i].name) == 0)
      {
        *op = ops[i].op;
        return 0;
      }
  return cr_invalid (err, "unknown operator %s", name ? name : "(null)");
}

int
seccomp_parse_flag (const char *name, enum scmp_filter_attr *attr, struct cr_error *err)
{
  if (name == NULL)
    return cr_invalid (err, "unknown flag (null)");
  if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    *attr = SCMP_FLTATR_CTL_TSYNC;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    *attr = SCMP_FLTATR_CTL_LOG;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    *attr = SCMP_FLTATR_CTL_SSB;
  else if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
    {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
      *attr = SCMP_FLTATR_CTL_WAITKILL;
#else
      *attr = _SCMP_FLTATR_MIN;
#endif
    }
  else
    return cr_invalid (err, "unknown flag %s", name);
  return 0;
}

int
seccomp_parse_arch (const char *name, uint32_t *arch, struct cr_error *err)
{
  char lower[64];
  size_t i;

  if (name == NULL || strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name + 10) >= sizeof lower)
    return cr_invalid (err, "unknown architecture %s", name ? name : "(null)");
  /* libseccomp knows the names without prefix in lower case ("x86_64"). */
  for (i = 0; name[10 + i]; i++)
    lower[i] = tolower ((unsigned char) name[10 + i]);
  lower[i] = '\0';
  uint32_t a = seccomp_arch_resolve_name (lower);
  if (a == 0)
    return cr_invalid (err, "unknown architecture %s", name);
  *arch = a;
  return 0;
}

/* ABIs a native binary's process can also enter (int 0x80, x32 bit): with
   an empty architectures list they get the same rules. */
static int
seccomp_add_compat_arches (scmp_filter_ctx ctx, struct cr_error *err)
{
  static const struct
  {
    uint32_t native;
    uint32_t compat[2];
  } compat[] = {
    { SCMP_ARCH_X86_64, { SCMP_ARCH_X86, SCMP_ARCH_X32 } },
    { SCMP_ARCH_AARCH64, { SCMP_ARCH_ARM, 0 } },
    { SCMP_ARCH_PPC64LE, { 0, 0 } },
    { SCMP_ARCH_S390X, { SCMP_ARCH_S390, 0 } },
  };
  uint32_t native = seccomp_arch_native ();

  for (size_t i = 0; i < ARRAY_SIZE (compat); i++)
    {
      if (compat[i].native != native)
        continue;
      for (size_t j = 0; j < 2 && compat[i].compat[j]; j++)
        {
          int r = seccomp_arch_add (ctx, compat[i].compat[j]);
          if (r < 0 && r != -EEXIST)
            return cr_fail (err, -r, "linux.seccomp: add compat architecture %#x", compat[i].compat[j]);
        }
    }
  return 0;
}

static bool
args_repeat_an_index (const struct spec_seccomp_arg *args, size_t len)
{
  for (size_t i = 0; i < len; i++)
    for (size_t j = i + 1; j < len; j++)
      if (args[i].index == args[j].index)
        return true;
  return false;
}

static int
seccomp_add_syscall_rules (scmp_filter_ctx ctx, const struct spec_seccomp_syscall *sc, size_t idx, uint32_t default_act,
                           struct cr_error *err)
{
  struct scmp_arg_cmp cmps[SECCOMP_MAX_ARGS];
  uint32_t act;
  int r;

  r = seccomp_parse_action (sc->action, sc->errno_ret, sc->has_errno_ret, &act, err);
  if (r < 0)
    return cr_wrap (err, "linux.seccomp.syscalls[%zu].action", idx);
  if (sc->args_len > 0 && sc->args == NULL)
    return cr_invalid (err, "linux.seccomp.syscalls[%zu].args: missing", idx);

  for (size_t a = 0; a < sc->args_len; a++)
    {
      const struct spec_seccomp_arg *arg = &sc->args[a];
      enum scmp_compare op;
      if (arg->index >= SECCOMP_MAX_ARGS)
        return cr_invalid (err, "linux.seccomp.syscalls[%zu].args[%zu].index: %u out of range 0-5", idx, a, arg->index);
      if (seccomp_parse_operator (arg->op, &op, err) < 0)
        return cr_wrap (err, "linux.seccomp.syscalls[%zu].args[%zu].op", idx, a);
      if (a < SECCOMP_MAX_ARGS)
        cmps[a] = (struct scmp_arg_cmp){
          .arg = arg->index,
          .op = op,
          .datum_a = arg->value,
          .datum_b = arg->value_two,
        };
    }

  if (act == default_act)
    {
      /* libseccomp refuses such rules (EACCES), and they change nothing. */
      log_debug ("seccomp: syscalls[%zu] has the default action, skipped", idx);
      return 0;
    }

  bool split = args_repeat_an_index (sc->args, sc->args_len);
  if (!split && sc->args_len > SECCOMP_MAX_ARGS)
    return cr_invalid (err, "linux.seccomp.syscalls[%zu].args: too many conditions", idx);

  for (size_t n = 0; sc->names && n < sc->names_len; n++)
    {
      const char *name = sc->names[n];
      int nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          /* Profiles list syscalls of newer kernels or other arches. */
          log_debug ("seccomp: unknown syscall %s, skipped", name);
          continue;
        }
      if (split)
        {
          /* Conditions on one argument twice cannot be ANDed by libseccomp;
             like other runtimes, treat each condition as its own rule. */
          for (size_t a = 0; a < sc->args_len; a++)
            {
              struct scmp_arg_cmp one = {
                .arg = sc->args[a].index,
                .datum_a = sc->args[a].value,
                .datum_b = sc->args[a].value_two,
              };
              seccomp_parse_operator (sc->args[a].op, &one.op, NULL);
              r = seccomp_rule_add_array (ctx, act, nr, 1, &one);
              if (r < 0)
                return cr_fail (err, -r, "linux.seccomp.syscalls[%zu]: add rule for %s", idx, name);
            }
          continue;
        }
      r = seccomp_rule_add_array (ctx, act, nr, (unsigned) sc->args_len, sc->args_len ? cmps : NULL);
      if (r < 0)
        return cr_fail (err, -r, "linux.seccomp.syscalls[%zu]: add rule for %s", idx, name);
    }
  return 0;
}

int
seccomp_filter_build (const struct spec_seccomp *s, scmp_filter_ctx *out, struct cr_error *err)
{
  uint32_t default_act;
  _cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
  int r;

  *out = NULL;
  if (s == NULL)
    return cr_invalid (err, "linux.seccomp: missing");
  if (s->default_action == NULL)
    return cr_invalid (err, "linux.seccomp.defaultAction: missing");
  r = seccomp_parse_action (s->default_action, s->default_errno_ret, s->has_default_errno_ret, &default_act, err);
  if (r < 0)
    return cr_wrap (err, "linux.seccomp.defaultAction");

  /* Flags are applied at load time, but a typo should fail early. */
  for (size_t i = 0; s->flags && i < s->flags_len; i++)
    {
      enum scmp_filter_attr attr;
      if (seccomp_parse_flag (s->flags[i], &attr, err) < 0)
        return cr_wrap (err, "linux.seccomp.flags[%zu]", i);
    }

  ctx = seccomp_init (default_act);
  if (ctx == NULL)
    return cr_invalid (err, "linux.seccomp.defaultAction: %s is not supported by libseccomp or the kernel",
                       s->default_action);

  /* The core sets no_new_privs itself when the config asks; root in the
     container may load filters without it. */
  r = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    return cr_fail (err, -r, "linux.seccomp: clear SCMP_FLTATR_CTL_NNP");

  for (size_t i = 0; s->architectures && i < s->architectures_len; i++)
    {
      uint32_t arch;
      r = seccomp_parse_arch (s->architectures[i], &arch, err);
      if (r < 0)
        return cr_wrap (err, "linux.seccomp.architectures[%zu]", i);
      r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        return cr_fail (err, -r, "linux.seccomp.architectures[%zu]: add %s", i, s->architectures[i]);
    }
  if (s->architectures_len == 0 && (r = seccomp_add_compat_arches (ctx, err)) < 0)
    return r;

  for (size_t i = 0; s->syscalls && i < s->syscalls_len; i++)
    {
      r = seccomp_add_syscall_rules (ctx, &s->syscalls[i], i, default_act, err);
      if (r < 0)
        return r;
    }

  *out = TAKE_PTR (ctx);
  return 0;
}

int
seccomp_filter_build_profile (const struct spec_seccomp *s, struct seccomp_prog **out, struct cr_error *err)
{
  return seccomp_prog_compile (s, SCMP_ACT_ERRNO (EPERM), out, err);
}

bool
seccomp_uses_notify (const struct spec_seccomp *s)
{
  for (size_t i = 0; s && s->syscalls && i < s->syscalls_len; i++)
    if (s->syscalls[i].action && strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

int
seccomp_filter_load (scmp_filter_ctx ctx, const struct spec_seccomp *s, int *notify_fd, struct cr_error *err)
{
  _cleanup_seccomp_ scmp_filter_ctx owned = ctx; /* released in every case */
  int r;

  if (notify_fd)
    *notify_fd = -1;
  if (owned == NULL)
    return cr_invalid (err, "seccomp: no filter to load");

  for (size_t i = 0; s && s->flags && i < s->flags_len; i++)
    {
      enum scmp_filter_attr attr;
      r = seccomp_parse_flag (s->flags[i], &attr, err);
      if (r < 0)
        {
          cr_wrap (err, "linux.seccomp.flags[%zu]", i);
          return r;
        }
      if (attr == _SCMP_FLTATR_MIN)
        {
          log_debug ("seccomp: flag %s not supported by this libseccomp, skipped", s->flags[i]);
          continue;
        }
      r = seccomp_attr_set (owned, attr, 1);
      if (r < 0)
        {
          cr_fail (err, -r, "linux.seccomp.flags[%zu]: set %s", i, s->flags[i]);
          return r;
        }
    }

  r = seccomp_load (owned);
  if (r < 0)
    {
      cr_fail (err, -r, "load seccomp filter");
      return r;
    }

  if (seccomp_uses_notify (s))
    {
      int fd = seccomp_notify_fd (owned);
      if (fd < 0)
        log_debug ("seccomp: SCMP_ACT_NOTIFY rules but no listener (all their syscalls unknown?)");
      else if (notify_fd)
        *notify_fd = fd;
    }
  return 0;
}

int
seccomp_filter_build_and_load (const struct spec_seccomp *s, int *notify_fd, struct cr_error *err)
{
  scmp_filter_ctx ctx;
  int r = seccomp_filter_build (s, &ctx, err);
  if (r < 0)
    return r;
  return seccomp_filter_load (ctx, s, notify_fd, err);
}

/* Append S as a JSON string literal. */
static void
json_append_string (char **buf, size_t *len, size_t *cap, const char *s)
{
  for (const unsigned char *p = (const unsigned char *) s;; p++)
    {
      char tmp[8];
      const char *piece = tmp;
      size_t n;

      if (*len + 8 >= *cap)
        {
          *cap = *cap * 2 + 64;
          *buf = xrealloc (*buf, *cap);
        }
      if (*p == '\0')
        break;
      if (*p == '"' || *p == '\\')
        tmp[0] = '\\', tmp[1] = (char) *p, n = 2;
      else if (*p < 0x20)
        n = (size_t) snprintf (tmp, sizeof tmp, "\\u%04x", *p);
      else
        tmp[0] = (char) *p, n = 1;
      memcpy (*buf + *len, piece, n);
      *len += n;
    }
  (*buf)[*len] = '\0';
}

int
seccomp_notify_send (const struct spec_seccomp *s, int notify_fd, int container_pid, const char *state_json,
                     struct cr_error *err)
{
  _cleanup_free_ char *payload = NULL;
  _cleanup_free_ char *meta = NULL;
  _cleanup_close_ int sock = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  size_t meta_len = 0, meta_cap = 0;

  if (s == NULL || s->listener_path == NULL)
    return cr_invalid (err, "linux.seccomp.listenerPath: missing");
  if (strlen (s->listener_path) >= sizeof addr.sun_path)
    return cr_invalid (err, "linux.seccomp.listenerPath: %s is too long for a unix socket", s->listener_path);
  strcpy (addr.sun_path, s->listener_path);

  if (s->listener_metadata)
    json_append_string (&meta, &meta_len, &meta_cap, s->listener_metadata);
  xasprintf (&payload, "{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d%s%s%s,\"state\":%s}", OCI_VERSION,
             container_pid, meta ? ",\"metadata\":\"" : "", meta ? meta : "", meta ? "\"" : "",
             state_json ? state_json : "null");

  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return cr_fail (err, errno, "seccomp listener: socket");
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return cr_fail (err, errno, "seccomp listener: connect to %s", s->listener_path);

  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  memset (&control, 0, sizeof control);
  struct iovec iov = { .iov_base = payload, .iov_len = strlen (payload) };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &notify_fd, sizeof (int));

  /* One sendmsg carries the fd and the whole payload so the agent reads
     them together; a short write of a stream socket is finished plainly. */
  ssize_t n;
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return cr_fail (err, errno, "seccomp listener: send to %s", s->listener_path);
  if ((size_t) n < iov.iov_len && write_all (sock, payload + n, iov.iov_len - n) < 0)
    return cr_fail (err, errno, "seccomp listener: send to %s", s->listener_path);
  return 0;
}
