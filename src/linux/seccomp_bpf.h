/* The profile's seccomp filter compiled straight to classic BPF, without
   libseccomp's rule database: a binary search on the syscall number per
   ABI, argument checks only for the calls that have them.  libseccomp
   takes milliseconds to build and generate strict's ~420-name allowlist
   for two ABIs; this takes microseconds and gives a shorter program
   (docs/performance.md, "seccomp filter cost").  libseccomp is still used
   to resolve names to numbers per ABI, and for the bundle's own filter.

   Input: a spec_seccomp as profile_seccomp_build makes it.  Rules of one
   syscall are either unconditional (one action) or conditional; the
   conditional rules are checked in order and the first whose comparisons
   all hold decides, else the default.  (libseccomp drops conditional rules
   of a syscall that also has an unconditional one; the profile never mixes
   them and the compiler refuses it, so both compilers give the same
   filter, which tests/unit/test_seccomp_bpf.c checks.)  Comparisons:
   SCMP_CMP_EQ and SCMP_CMP_MASKED_EQ. */
#ifndef CELLRUN_SECCOMP_BPF_H
#define CELLRUN_SECCOMP_BPF_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "spec.h"

struct seccomp_prog
{
  struct sock_filter *insns;
  size_t len, cap;
};

void seccomp_prog_free (struct seccomp_prog *p);
static inline void
seccomp_prog_freep (struct seccomp_prog **p)
{
  seccomp_prog_free (*p);
}
#define _cleanup_seccomp_prog_ __attribute__ ((cleanup (seccomp_prog_freep)))

/* Compile S.  An ABI S does not admit gets BADARCH_ACT (a SECCOMP_RET_*
   value), and so does every x32 number on x86_64 (x32 cannot be listed).
   With no architectures in S: the native ABI and its compat ABIs but x32.
   Errors name the rule: "linux.seccomp.syscalls[3]: ...". */
int seccomp_prog_compile (const struct spec_seccomp *s, uint32_t badarch_act, struct seccomp_prog **out,
                          struct cr_error *err);

/* The number of syscall NAME on ABI ARCH (an SCMP_ARCH_* value), or < 0
   when the ABI has no such call: libseccomp's answer, plus the direct i386
   socket and IPC entries, and the few syscalls newer than libseccomp 2.5.4
   that the profile table names.  The names of the profile table come from
   the build-time table below (no libseccomp call), others from
   seccomp_bpf_resolve_lib. */
int seccomp_bpf_resolve (uint32_t arch, const char *name);

/* The same answer asked of libseccomp at run time (seccomp_names.c). */
int seccomp_bpf_resolve_lib (uint32_t arch, const char *name);

/* The build-time table: every name of the profile table
   (policy/syscall_groups.c) resolved by seccomp_bpf_resolve_lib for each
   ABI a profile filter admits, so that compiling a profile filter makes no
   libseccomp lookups (docs/performance.md, "seccomp filter cost").
   src/gen/seccomp_numbers_gen.c writes it as seccomp_numbers.c in the build
   tree; rows sorted by name (strcmp), nr[i] for seccomp_table_arches[i]
   (< 0: not a syscall of that ABI).  Where the generator cannot run (a
   cross build), the table is empty and every name goes to libseccomp. */
#define SECCOMP_TABLE_ARCHES 4
struct seccomp_number_row
{
  const char *name;
  int32_t nr[SECCOMP_TABLE_ARCHES];
};
extern const uint32_t seccomp_table_arches[SECCOMP_TABLE_ARCHES];
extern const struct seccomp_number_row seccomp_table_rows[];
extern const size_t seccomp_table_rows_len;

/* seccomp(SECCOMP_SET_MODE_FILTER) of P into the calling thread (needs
   no_new_privs or CAP_SYS_ADMIN); frees P in every case. */
int seccomp_prog_load (struct seccomp_prog *p, struct cr_error *err);

#endif
