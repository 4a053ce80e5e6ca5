/* Build-time generator of seccomp_numbers.c (linux/seccomp_bpf.h, "the
   build-time table"): every name of the profile table
   (policy/syscall_groups.c: the groups and syscall_enosys_names), resolved for each ABI a profile filter admits
   the way the runtime would resolve it (seccomp_bpf_resolve_lib:
   libseccomp plus the direct i386 entries and the newer syscalls), printed
   as C on stdout, rows sorted by name.  Built and run by `make`; not part of
   the runtime.  A name an ABI does not have gets its negative answer, which
   the compiler skips as before. */
#include "config.h"

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/syscall_groups.h"
#include "linux/seccomp_bpf.h"

static const struct
{
  uint32_t arch;
  const char *token;
} arches[SECCOMP_TABLE_ARCHES] = {
  { SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64" },
  { SCMP_ARCH_X86, "SCMP_ARCH_X86" },
  { SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64" },
  { SCMP_ARCH_ARM, "SCMP_ARCH_ARM" },
};

static int
cmp_name (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
main (void)
{
  size_t n = 0, k = 0;
  for (size_t g = 0; g < syscall_groups_len; g++)
    for (const char *const *p = syscall_groups[g].names; *p; p++)
      n++;
  for (const char *const *p = syscall_enosys_names; *p; p++)
    n++;
  const char **names = calloc (n ? n : 1, sizeof *names);
  if (names == NULL)
    return 1;
  for (size_t g = 0; g < syscall_groups_len; g++)
    for (const char *const *p = syscall_groups[g].names; *p; p++)
      names[k++] = *p;
  for (const char *const *p = syscall_enosys_names; *p; p++)
    names[k++] = *p;
  qsort (names, n, sizeof *names, cmp_name);

  const struct scmp_version *v = seccomp_version ();
  printf ("/* Generated at build time by src/gen/seccomp_numbers_gen.c from src/policy/syscall_groups.c\n"
          "   and libseccomp %u.%u.%u: do not edit (linux/seccomp_bpf.h, \"the build-time table\"). */\n",
          v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0);
  printf ("#include \"config.h\"\n#include <seccomp.h>\n#include \"linux/seccomp_bpf.h\"\n\n");
  printf ("const uint32_t seccomp_table_arches[SECCOMP_TABLE_ARCHES] = {");
  for (size_t a = 0; a < SECCOMP_TABLE_ARCHES; a++)
    printf ("%s%s", a ? ", " : " ", arches[a].token);
  printf (" };\n\nconst struct seccomp_number_row seccomp_table_rows[] = {\n");
  size_t rows = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (i > 0 && strcmp (names[i], names[i - 1]) == 0)
        continue; /* a name twice in the table: test_syscall_groups reports it */
      printf ("  { \"%s\", {", names[i]);
      for (size_t a = 0; a < SECCOMP_TABLE_ARCHES; a++)
        printf ("%s%d", a ? ", " : " ", seccomp_bpf_resolve_lib (arches[a].arch, names[i]));
      printf (" } },\n");
      rows++;
    }
  printf ("};\n\nconst size_t seccomp_table_rows_len = %zu;\n", rows);
  free (names);
  return fflush (stdout) == 0 && !ferror (stdout) ? 0 : 1;
}
