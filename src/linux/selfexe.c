#include "config.h"
#include "linux/selfexe.h"
#include "base/utils.h"

#include <stdio.h>

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* src/linux/trampoline.c as built at build time (trampoline_blob.c); empty
   when the trampoline does not build for this architecture. */
extern const unsigned char selfexe_trampoline[];
extern const size_t selfexe_trampoline_len;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool
fd_is_sealed (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

/* 1 when FD (the runtime's image) is a file a container could rewrite. */
static int
exe_needs_protection (int fd)
{
  if (fd_is_sealed (fd))
    return 0;
  /* A binary on a read-only mount cannot be rewritten through
     /proc/<pid>/exe either (EROFS): no copy needed, no second exec. */
  struct statvfs vfs;
  if (fstatvfs (fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    return 0;
  return 1;
}

int
selfexe_needs_protection (struct cr_error *err)
{
  if (getenv ("CELLRUN_UNSAFE_NO_SEAL"))
    return 0;
  _cleanup_close_ int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return cr_fail (err, errno, "open /proc/self/exe");
  return exe_needs_protection (self);
}

/* Whether the seccomp filter SC lets NAME through whatever its arguments:
   only rules naming it that all allow (one without conditions), or none and
   an allowing default. Anything else (errno, kill, notify, trace, argument
   conditions on a refusal) counts as "maybe not". */
static bool
seccomp_lets_through (const struct spec_seccomp *sc, const char *name)
{
  if (sc == NULL)
    return true;
  bool named = false, unconditional = false;
  for (size_t i = 0; i < sc->syscalls_len; i++)
    {
      const struct spec_seccomp_syscall *r = &sc->syscalls[i];
      for (size_t j = 0; j < r->names_len; j++)
        {
          if (strcmp (r->names[j], name) != 0)
            continue;
          named = true;
          if (r->action == NULL
              || (strcmp (r->action, "SCMP_ACT_ALLOW") != 0 && strcmp (r->action, "SCMP_ACT_LOG") != 0))
            return false;
          unconditional = unconditional || r->args_len == 0;
        }
    }
  if (named)
    return unconditional;
  return sc->default_action
         && (strcmp (sc->default_action, "SCMP_ACT_ALLOW") == 0 || strcmp (sc->default_action, "SCMP_ACT_LOG") == 0);
}

bool
selfexe_trampoline_fits (const struct spec *spec)
{
  if (selfexe_trampoline_len == 0 || spec->process == NULL)
    return false;
  /* Hooks that run in the container after `create` would run while the init
     still has the runtime's image: keep those with the sealed copy. */
  if (spec->hooks && spec->hooks->start_container_len)
    return false;
  /* An LSM exec label would land on the trampoline, not on the program. */
  if (spec->process->apparmor_profile || spec->process->selinux_label)
    return false;
  /* The init must be alone in a pid namespace of its own until it execs. */
  const struct spec_linux *lx = spec->linux;
  bool new_pid = false;
  for (size_t i = 0; lx && i < lx->namespaces_len; i++)
    if (strcmp (lx->namespaces[i].type, "pid") == 0)
      new_pid = lx->namespaces[i].path == NULL || lx->namespaces[i].path[0] == '\0';
  if (!new_pid)
    return false;
  /* The filters are loaded before the trampoline runs: they must let its
     few syscalls (and the exec of it) through. */
  static const char *const needed[] = { "execveat", "execve", "openat", "write", "close", "prctl", "exit_group" };
  for (size_t i = 0; i < ARRAY_SIZE (needed); i++)
    if (!seccomp_lets_through (lx->seccomp, needed[i]) || !seccomp_lets_through (lx->profile_seccomp, needed[i]))
      return false;
  return true;
}

bool
selfexe_trampoline_fits_exec (const struct spec *spec, const struct spec_process *p)
{
  if (p->terminal || p->apparmor_profile || p->selinux_label || !selfexe_trampoline_fits (spec))
    return false;
  static const char *const needed[] = { "clone", "fcntl", "setsid" };
  for (size_t i = 0; i < ARRAY_SIZE (needed); i++)
    if (!seccomp_lets_through (spec->linux->seccomp, needed[i])
        || !seccomp_lets_through (spec->linux->profile_seccomp, needed[i]))
      return false;
  return true;
}

int
selfexe_trampoline_open (struct cr_error *err)
{
  int fd = memfd_create ("cellrun-trampoline", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return cr_fail (err, errno, "memfd_create");
  const unsigned char *p = selfexe_trampoline;
  size_t left = selfexe_trampoline_len;
  while (left > 0)
    {
      ssize_t n = write (fd, p, left);
      if (n <= 0)
        {
          close (fd);
          return cr_fail (err, n < 0 ? errno : EIO, "write the exec trampoline");
        }
      p += n, left -= n;
    }
  if (fchmod (fd, 0555) < 0 || fcntl (fd, F_ADD_SEALS, SEALS) < 0)
    {
      close (fd);
      return cr_fail (err, errno, "seal the exec trampoline");
    }
  return fd;
}

bool
selfexe_pid_is_sealed (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/exe", (int) pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  return fd >= 0 && fd_is_sealed (fd);
}

/* How much of the ELF file FD (SIZE bytes) exec needs: up to the end of the
   last segment; what follows (debug info, section headers) is not loaded and
   need not be copied. *EH is the header with the section table dropped, for
   the copy. SIZE when the header looks odd. */
static off_t
loaded_size (int fd, off_t size, ElfW (Ehdr) * eh)
{
  if (pread (fd, eh, sizeof *eh, 0) != (ssize_t) sizeof *eh || memcmp (eh->e_ident, ELFMAG, SELFMAG) != 0
      || eh->e_phentsize != sizeof (ElfW (Phdr)) || eh->e_phnum == 0 || eh->e_phnum > 64)
    return size;
  ElfW (Phdr) ph[64];
  size_t len = eh->e_phnum * sizeof ph[0];
  if (pread (fd, ph, len, eh->e_phoff) != (ssize_t) len)
    return size;
  off_t end = eh->e_phoff + len;
  for (size_t i = 0; i < eh->e_phnum; i++)
    if ((off_t) (ph[i].p_offset + ph[i].p_filesz) > end)
      end = ph[i].p_offset + ph[i].p_filesz;
  if (end >= size)
    return size;
  eh->e_shoff = 0;
  eh->e_shnum = 0;
  eh->e_shstrndx = SHN_UNDEF;
  return end;
}

int
selfexe_ensure_sealed (char **argv, struct cr_error *err)
{
  if (getenv ("CELLRUN_UNSAFE_NO_SEAL"))
    return 0;
  _cleanup_close_ int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return cr_fail (err, errno, "open /proc/self/exe");
  if (!exe_needs_protection (self))
    return 0;
  struct stat st;
  if (fstat (self, &st) < 0)
    return cr_fail (err, errno, "stat /proc/self/exe");
  /* The copy is what runs from now on: a container that reaches it through
     /proc/<pid>/exe finds a sealed, unwritable memfd, not the host binary. */
  _cleanup_close_ int mfd = memfd_create ("cellrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return cr_fail (err, errno, "memfd_create");
  ElfW (Ehdr) eh;
  off_t end = loaded_size (self, st.st_size, &eh);
  off_t off = 0;
  while (off < end)
    {
      ssize_t n = sendfile (mfd, self, &off, end - off);
      if (n <= 0)
        return cr_fail (err, n < 0 ? errno : EIO, "copy runtime binary");
    }
  /* Without its tail the copy has no section headers: say so. */
  if (end < st.st_size && pwrite (mfd, &eh, sizeof eh, 0) != (ssize_t) sizeof eh)
    return cr_fail (err, errno, "copy runtime binary");
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return cr_fail (err, errno, "seal runtime binary");
  fexecve (mfd, argv, environ);
  return cr_fail (err, errno, "re-exec sealed runtime binary");
}
