/* The profile translation (profile_apply) with hostile run.cellrun.*
   annotations.  The input is newline separated fields:
     profile annotation \n workspace \n workspace.max-bytes \n env \n
     extra-writable \n operator profile \n --workspace flag \n --env-pass flag
   applied to a fixed bundle (a `runc spec` config).  An empty field leaves
   the annotation (or flag) out.  profile_apply is pure: host paths named by
   the workspace or extra-writable are only resolved (stat/realpath). */
#include <stdbool.h>
#include "fuzz.h"
#include "spec.h"
#include "base/error.h"
#include "policy/profile.h"
#include "policy/config_file.h"

static const char base_config[] =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
    "\"args\":[\"sh\"],\"env\":[\"PATH=/usr/bin:/bin\",\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"runc\","
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/tmp\",\"type\":\"bind\",\"source\":\"/tmp\",\"options\":[\"rbind\",\"rw\"]},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]}],"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}],"
    "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"]}}";

static const char *const keys[] = {
  PROFILE_ANNOTATION_PROFILE, PROFILE_ANNOTATION_WORKSPACE,      PROFILE_ANNOTATION_WORKSPACE_MAX,
  PROFILE_ANNOTATION_ENV,     PROFILE_ANNOTATION_EXTRA_WRITABLE,
};
#define NKEYS (sizeof keys / sizeof keys[0])

static char *caller_env[] = { "HOME=/root", "AWS_SECRET_ACCESS_KEY=x", "LANG=C", "PATH=/bin", NULL };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct cr_error err = { 0 };
  struct spec *in = spec_parse_data (base_config, sizeof base_config - 1, &err);
  if (in == NULL)
    abort ();
  char *buf = fuzz_strndup (data, size);
  char *cur = buf;
  in->annotations = calloc (NKEYS, sizeof *in->annotations);
  for (size_t i = 0; i < NKEYS; i++)
    {
      char *v = fuzz_next_field (&cur);
      if (v[0] == '\0')
        continue;
      in->annotations[in->annotations_len].key = strdup (keys[i]);
      in->annotations[in->annotations_len].value = strdup (v);
      in->annotations_len++;
    }
  char *op = fuzz_next_field (&cur), *ws = fuzz_next_field (&cur), *envp = fuzz_next_field (&cur);
  static char *allow[] = { "/tmp", "/var/tmp", NULL };
  struct cellrun_config cfg = { .writable_allowlist = allow };
  struct profile_request req = {
    .operator_profile = op[0] ? op : NULL,
    .operator_source = "fuzz",
    .workspace = ws[0] ? ws : NULL,
    .env_pass = envp[0] ? envp : NULL,
    .state_dir = "/nonexistent/cellrun-fuzz/state/c1",
  };
  struct spec *out = NULL;
  struct profile_result res = { 0 };
  int r = profile_apply (in, &req, &cfg, caller_env, &out, &res, &err);
  if (r == 0 && out == NULL)
    abort ();
  spec_free (out);
  profile_result_clear (&res);
  spec_free (in);
  free (buf);
  return 0;
}
