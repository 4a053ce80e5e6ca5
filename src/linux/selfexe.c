#include "config.h"
#include "linux/selfexe.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int
selfexe_ensure_sealed (char **argv, struct cr_error *err)
{
  if (getenv ("CELLRUN_UNSAFE_NO_SEAL"))
    return 0;
  _cleanup_close_ int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return cr_fail (err, errno, "open /proc/self/exe");
  int seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return 0;
  /* A binary on a read-only mount cannot be rewritten through
     /proc/<pid>/exe either (EROFS): no copy needed, no second exec. */
  struct statvfs vfs;
  if (fstatvfs (self, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    return 0;
  struct stat st;
  if (fstat (self, &st) < 0)
    return cr_fail (err, errno, "stat /proc/self/exe");
  /* The copy is what runs from now on: a container that reaches it through
     /proc/<pid>/exe finds a sealed, unwritable memfd, not the host binary. */
  _cleanup_close_ int mfd = memfd_create ("cellrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return cr_fail (err, errno, "memfd_create");
  off_t off = 0;
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, self, &off, st.st_size - off);
      if (n <= 0)
        return cr_fail (err, n < 0 ? errno : EIO, "copy runtime binary");
    }
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return cr_fail (err, errno, "seal runtime binary");
  fexecve (mfd, argv, environ);
  return cr_fail (err, errno, "re-exec sealed runtime binary");
}
