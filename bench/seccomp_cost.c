/* What the profiles' seccomp filters cost (docs/performance.md, "seccomp
   filter cost").  Builds the real filters (profile_seccomp_build, then
   seccomp_filter_build_profile, as create and exec do) and measures:

   - build: profile_seccomp_build and the compiled program (what create and
     exec do), or, for comparison, the same rules as a libseccomp context;
   - load: the seccomp(2) call (for libseccomp also its BPF generation);
   - the BPF program size (all ABIs);
   - per syscall: a tight loop of getpid(2) and of read(2) of 1 byte from
     /dev/zero, ITERATIONS times;
   each in a fresh child (loaded filters cannot be removed), for no filter,
   balanced's denylist and strict's allowlist, and for each of those as
   libseccomp builds it with its default linear layout, with its binary
   tree (SCMP_FLTATR_CTL_OPTIMIZE 2), and as cellrun compiles it.

   Usage: bench/seccomp_cost [ITERATIONS [ROUNDS]]   (default 1000000, 5)
   Prints one line per measurement, medians of ROUNDS runs.  Needs no root
   (no_new_privs is set in the children). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy/profile.h"
#include "linux/seccomp_filter.h"
#include "base/utils.h"

enum mode
{
  M_NONE,
  M_BALANCED_LINEAR,
  M_BALANCED_TREE,
  M_BALANCED_COMPILED,
  M_STRICT_LINEAR,
  M_STRICT_TREE,
  M_STRICT_COMPILED,
  M_COUNT
};
static const char *const mode_names[] = {
  "no filter",
  "balanced, libseccomp linear",
  "balanced, libseccomp tree",
  "balanced, cellrun compiled",
  "strict, libseccomp linear",
  "strict, libseccomp tree",
  "strict, cellrun compiled",
};

static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A filter of MODE, built: either a libseccomp context (*CTX) or a
   compiled program (*PROG); both NULL for M_NONE. */
struct built
{
  struct spec_seccomp *spec;
  scmp_filter_ctx ctx;
  struct seccomp_prog *prog;
};

static void
build (enum mode m, struct built *b)
{
  struct cr_error err = { 0 };
  memset (b, 0, sizeof *b);
  if (m == M_NONE)
    return;
  b->spec = profile_seccomp_build (m <= M_BALANCED_COMPILED ? PROFILE_BALANCED : PROFILE_STRICT);
  if (m == M_BALANCED_COMPILED || m == M_STRICT_COMPILED)
    {
      /* What create and exec do. */
      if (seccomp_filter_build_profile (b->spec, &b->prog, &err) < 0)
        goto fail;
      return;
    }
  /* The same rules through libseccomp (the path before issue 17). */
  if (seccomp_filter_build (b->spec, &b->ctx, &err) < 0)
    goto fail;
  seccomp_attr_set (b->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO (EPERM));
  seccomp_attr_set (b->ctx, SCMP_FLTATR_CTL_OPTIMIZE, m == M_BALANCED_TREE || m == M_STRICT_TREE ? 2 : 1);
  return;
fail:
  fprintf (stderr, "seccomp_cost: build: %s\n", err.msg);
  exit (1);
}

static void
built_free (struct built *b)
{
  if (b->ctx)
    seccomp_release (b->ctx);
  seccomp_prog_free (b->prog);
  spec_seccomp_free (b->spec);
}

static int
load (struct built *b)
{
  struct cr_error err = { 0 };
  int r = 0;
  if (b->ctx)
    r = seccomp_filter_load (TAKE_PTR (b->ctx), b->spec, NULL, &err);
  else if (b->prog)
    r = seccomp_prog_load (TAKE_PTR (b->prog), &err);
  if (r < 0)
    fprintf (stderr, "seccomp_cost: load: %s\n", err.msg);
  return r;
}

/* BPF instructions of MODE's filter (all ABIs). */
static long
bpf_insns (enum mode m)
{
  struct built b;
  build (m, &b);
  long n = 0;
  if (b.prog)
    n = (long) b.prog->len;
  else if (b.ctx)
    {
      int fd = memfd_create ("bpf", MFD_CLOEXEC);
      n = fd >= 0 && seccomp_export_bpf (b.ctx, fd) == 0 ? lseek (fd, 0, SEEK_END) / 8 : -1;
      close (fd);
    }
  built_free (&b);
  return n;
}

/* In a child: build and load MODE's filter, then time the loops.  Writes
   four doubles to FD: build ns, load ns, getpid ns/call, read ns/call. */
static void
child (enum mode m, long iterations, int fd)
{
  double r[4] = { 0, 0, 0, 0 };
  struct built b;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    _exit (1);
  double t0 = now_ns ();
  build (m, &b);
  r[0] = now_ns () - t0;
  t0 = now_ns ();
  if (load (&b) < 0)
    _exit (1);
  r[1] = now_ns () - t0;
  int zero = open ("/dev/zero", O_RDONLY | O_CLOEXEC);
  char c;
  t0 = now_ns ();
  for (long i = 0; i < iterations; i++)
    syscall (SYS_getpid);
  r[2] = (now_ns () - t0) / iterations;
  t0 = now_ns ();
  for (long i = 0; i < iterations; i++)
    if (read (zero, &c, 1) != 1)
      _exit (1);
  r[3] = (now_ns () - t0) / iterations;
  if (write (fd, r, sizeof r) != sizeof r)
    _exit (1);
  _exit (0);
}

static int
run_child (enum mode m, long iterations, double out[4])
{
  int p[2];
  if (pipe (p) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      child (m, iterations, p[1]);
    }
  close (p[1]);
  ssize_t n = read (p[0], out, 4 * sizeof (double));
  close (p[0]);
  int status = 0;
  waitpid (pid, &status, 0);
  return n == 4 * sizeof (double) && WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : -1;
}

int
main (int argc, char **argv)
{
  long iterations = argc > 1 ? atol (argv[1]) : 1000000;
  int rounds = argc > 2 ? atoi (argv[2]) : 5;
  if (iterations <= 0 || rounds <= 0 || rounds > 100)
    {
      fprintf (stderr, "usage: seccomp_cost [ITERATIONS [ROUNDS]]\n");
      return 2;
    }
  printf ("%-28s %6s %10s %10s %10s %12s\n", "filter", "insns", "build us", "load us", "getpid ns", "read(1) ns");
  for (int m = 0; m < M_COUNT; m++)
    {
      double bld[100], ld[100], gp[100], rd[100];
      for (int r = 0; r < rounds; r++)
        {
          double out[4];
          if (run_child (m, iterations, out) < 0)
            {
              fprintf (stderr, "seccomp_cost: %s: child failed\n", mode_names[m]);
              return 1;
            }
          bld[r] = out[0], ld[r] = out[1], gp[r] = out[2], rd[r] = out[3];
        }
      printf ("%-28s %6ld %10.1f %10.1f %10.1f %12.1f\n", mode_names[m], bpf_insns (m), median (bld, rounds) / 1e3,
              median (ld, rounds) / 1e3, median (gp, rounds), median (rd, rounds));
    }
  return 0;
}
