/* Syscall names to numbers through libseccomp (seccomp_bpf.h): what the
   build-time table of the profile's names holds (src/gen computes it with
   this file at build time), and the answer for a name the table lacks. */
#include "config.h"
#include "linux/seccomp_bpf.h"

#include <seccomp.h>
#include <string.h>

#include "base/utils.h"

/* i386: libseccomp 2.5 resolves the socket and System V IPC names to the
   socketcall/ipc multiplexers only; the kernel also has direct entries
   (Linux 4.3 and 5.1), which a C library may call instead. */
static const struct
{
  const char *name;
  int nr;
} i386_direct[] = {
  { "socket", 359 },   { "socketpair", 360 }, { "bind", 361 },       { "connect", 362 },     { "listen", 363 },
  { "accept4", 364 },  { "getsockopt", 365 }, { "setsockopt", 366 }, { "getsockname", 367 }, { "getpeername", 368 },
  { "sendto", 369 },   { "sendmsg", 370 },    { "recvfrom", 371 },   { "recvmsg", 372 },     { "shutdown", 373 },
  { "recvmmsg", 337 }, { "sendmmsg", 345 },   { "semget", 393 },     { "semctl", 394 },      { "shmget", 395 },
  { "shmctl", 396 },   { "shmat", 397 },      { "shmdt", 398 },      { "msgget", 399 },      { "msgsnd", 400 },
  { "msgrcv", 401 },   { "msgctl", 402 },
};

/* Syscalls newer than the libseccomp this was written against (2.5.4),
   which the table names anyway (a denied twin must not wait for a
   libseccomp upgrade).  Since Linux 5.1 new syscalls have one number on
   every ABI here (x86_64, i386, arm, aarch64). */
static const struct
{
  const char *name;
  int nr;
} newer[] = {
  { "open_tree_attr", 467 }, /* Linux 6.15: open_tree with mount attributes */
};

int
seccomp_bpf_resolve_lib (uint32_t arch, const char *name)
{
  int nr = seccomp_syscall_resolve_name_arch (arch, name);
  if (nr < 0 && arch == SCMP_ARCH_X86)
    for (size_t i = 0; i < ARRAY_SIZE (i386_direct); i++)
      if (strcmp (i386_direct[i].name, name) == 0)
        return i386_direct[i].nr;
  if (nr == __NR_SCMP_ERROR
      && (arch == SCMP_ARCH_X86_64 || arch == SCMP_ARCH_X86 || arch == SCMP_ARCH_ARM || arch == SCMP_ARCH_AARCH64))
    for (size_t i = 0; i < ARRAY_SIZE (newer); i++)
      if (strcmp (newer[i].name, name) == 0)
        return newer[i].nr;
  return nr;
}
