/* linux.seccomp: the input is the seccomp object, parsed by the spec parser
   (wrapped in a minimal config.json) and built into a libseccomp filter
   with seccomp_filter_build, and compiled to BPF by seccomp_prog_compile
   (the profile filter's compiler, linux/seccomp_bpf.c), never loaded. */
#include <errno.h>
#include <seccomp.h>
#include "fuzz.h"
#include "spec.h"
#include "base/error.h"
#include "linux/seccomp_filter.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char head[] = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":";
  static const char tail[] = "}}";
  size_t len = sizeof head - 1 + size + sizeof tail - 1;
  char *doc = malloc (len);
  memcpy (doc, head, sizeof head - 1);
  memcpy (doc + sizeof head - 1, data, size);
  memcpy (doc + sizeof head - 1 + size, tail, sizeof tail - 1);
  struct cr_error err = { 0 };
  struct spec *s = spec_parse_data (doc, len, &err);
  free (doc);
  if (s == NULL)
    return 0;
  if (s->linux && s->linux->seccomp)
    {
      scmp_filter_ctx ctx = NULL;
      if (seccomp_filter_build (s->linux->seccomp, &ctx, &err) == 0)
        seccomp_release (ctx);
      struct seccomp_prog *prog = NULL;
      if (seccomp_prog_compile (s->linux->seccomp, SCMP_ACT_ERRNO (EPERM), &prog, &err) == 0)
        seccomp_prog_free (prog);
      (void) seccomp_uses_notify (s->linux->seccomp);
    }
  spec_free (s);
  return 0;
}
