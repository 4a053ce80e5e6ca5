/* The operator floor in the profile layer: under strict a bundle's writable
   bind mounts outside writable_allowlist are forced read-only or refused
   (strict_bundle_binds), and capability names compare the same way in the
   profile's sets as in exec's ceiling (caps_name_equal). */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/capabilities.h"
#include "policy/config_file.h"
#include "policy/profile.h"
#include "unit.h"
#include "base/utils.h"

static char tmpdir[] = "/tmp/cellrun-test-floor-XXXXXX";

static void
mkdir_rel (const char *rel)
{
  _cleanup_free_ char *p = NULL;
  xasprintf (&p, "%s/%s", tmpdir, rel);
  mkdir (p, 0755);
}

static const struct spec_mount *
find_mount (const struct spec *s, const char *dest, size_t *idx)
{
  const struct spec_mount *found = NULL;
  for (size_t i = 0; i < s->mounts_len; i++)
    if (strcmp (s->mounts[i].destination, dest) == 0)
      {
        found = &s->mounts[i];
        if (idx)
          *idx = i;
      }
  return found;
}

static bool
strv_has (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

static bool
has_opt (const struct spec_mount *m, const char *o)
{
  return m && strv_has (m->options, o);
}

static int
apply (const struct spec *in, const struct profile_request *req, const struct cellrun_config *cfg, char *const *env,
       struct spec **out, struct profile_result *res, struct cr_error *err)
{
  cr_error_clear (err);
  return profile_apply (in, req, cfg, env, out, res, err);
}

/* Strict's floor over the bundle's writable binds (issue 9 finding 5):
   outside writable_allowlist they are forced ro (default) or refused. */
static void
test_strict_binds (void)
{
  struct cr_error err = { 0 };
  mkdir_rel ("binds");
  mkdir_rel ("binds/allowed");
  mkdir_rel ("binds/other");
  _cleanup_free_ char *allowed = NULL, *other = NULL, *link = NULL, *ann = NULL, *extra = NULL;
  xasprintf (&allowed, "%s/binds/allowed", tmpdir);
  xasprintf (&other, "%s/binds/other", tmpdir);
  xasprintf (&link, "%s/binds/link-to-allowed", tmpdir);
  symlink (allowed, link);
  xasprintf (&ann, "\"run.cellrun.workspace\":\"%s:/ws:rw\"", other);
  xasprintf (
      &extra,
      ",\"mounts\":[{\"destination\":\"/hostetc\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\",\"rw\"]},"
      "{\"destination\":\"/ok\",\"type\":\"none\",\"source\":\"%s\",\"options\":[\"bind\"]},"
      "{\"destination\":\"/ro\",\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rw\",\"ro\"]}]",
      other, link, other);
  /* A small document of its own: base_json's mounts would get in the way. */
  _cleanup_free_ char *json = NULL;
  xasprintf (&json,
             "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,"
             "\"gid\":0},\"args\":[\"sh\"]},\"annotations\":{%s}%s}",
             ann, extra);
  struct spec *in = spec_parse_data (json, strlen (json), &err);
  CHECK (in != NULL, "strict binds: spec parses (%s)", err.msg);
  if (in == NULL)
    return;
  char *allow[] = { allowed, NULL };
  struct cellrun_config cfg = { .writable_allowlist = allow };
  struct profile_request strict = { .operator_profile = "strict", .operator_source = "--profile" };
  struct spec *out = NULL;
  struct profile_result res;
  int r = apply (in, &strict, &cfg, NULL, &out, &res, &err);
  CHECK (r == 0, "strict binds: applied (%s)", err.msg);
  if (r == 0)
    {
      const struct spec_mount *m = find_mount (out, "/hostetc", NULL);
      CHECK (m && has_opt (m, "ro") && !has_opt (m, "rw") && has_opt (m, "rbind"),
             "strict: a bundle rw bind outside writable_allowlist is forced ro (rbind kept: ro is recursive)");
      m = find_mount (out, "/ok", NULL);
      CHECK (m && !has_opt (m, "ro") && strcmp (m->source, allowed) == 0,
             "strict: a bind inside writable_allowlist stays writable, mounted from its resolved path");
      m = find_mount (out, "/ro", NULL);
      CHECK (m && has_opt (m, "ro") && m->options_len == 2, "strict: an already read-only bind is left alone");
      m = find_mount (out, "/ws", NULL);
      CHECK (m && has_opt (m, "ro") && !has_opt (m, "rw"),
             "strict: an rw workspace from the annotation outside writable_allowlist is forced ro");
      spec_free (out);
      profile_result_clear (&res);
    }
  _cleanup_free_ char *flag = NULL;
  xasprintf (&flag, "%s:/ws:rw", other);
  strict.workspace = flag;
  r = apply (in, &strict, &cfg, NULL, &out, &res, &err);
  const struct spec_mount *m = r == 0 ? find_mount (out, "/ws", NULL) : NULL;
  CHECK (m && has_opt (m, "rw") && !has_opt (m, "ro"), "strict: the operator's --workspace rw stays writable (%s)",
         err.msg);
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  strict.workspace = NULL;
  cfg.strict_bundle_binds = CONFIG_STRICT_BINDS_REFUSE;
  r = apply (in, &strict, &cfg, NULL, &out, &res, &err);
  CHECK (r < 0 && strstr (err.msg, "/hostetc") && strstr (err.msg, "strict_bundle_binds = refuse"),
         "strict_bundle_binds = refuse: the container is refused, naming the mount (%s)", err.msg);
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  struct profile_request balanced = { .operator_profile = "balanced", .operator_source = "--profile" };
  r = apply (in, &balanced, &cfg, NULL, &out, &res, &err);
  m = r == 0 ? find_mount (out, "/hostetc", NULL) : NULL;
  CHECK (m && has_opt (m, "rw") && !has_opt (m, "ro"), "balanced: bundle binds as the bundle says");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);

  struct cellrun_config c;
  CHECK (config_file_parse ("strict_bundle_binds = refuse\n", "t", &c, &err) == 0
             && c.strict_bundle_binds == CONFIG_STRICT_BINDS_REFUSE,
         "config: strict_bundle_binds = refuse");
  config_file_clear (&c);
  CHECK (config_file_parse ("profile = strict\n", "t", &c, &err) == 0
             && c.strict_bundle_binds == CONFIG_STRICT_BINDS_RO,
         "config: strict_bundle_binds defaults to ro");
  config_file_clear (&c);
  CHECK (config_file_parse ("strict_bundle_binds = rw\n", "t", &c, &err) < 0 && strstr (err.msg, "t:1:"),
         "config: a bad strict_bundle_binds value is an error naming the line");
}

/* Capability names compare case-insensitively in every layer (caps_name_equal):
   the profile's sets agree with caps_from_name and with exec's ceiling. */
static void
test_cap_names (void)
{
  CHECK (caps_name_equal ("cap_chown", "CAP_CHOWN") && !caps_name_equal ("CAP_CHOWN", "CAP_KILL")
             && !caps_name_equal (NULL, "CAP_KILL"),
         "caps_name_equal: case-insensitive, NULL never equal");
  const char *json = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"cwd\":\"/\","
                     "\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"cap_chown\","
                     "\"cap_sys_admin\",\"Cap_Kill\"]}}}";
  struct cr_error err = { 0 };
  struct spec *in = spec_parse_data (json, strlen (json), &err);
  struct profile_request req = { .operator_profile = "balanced", .operator_source = "--profile" };
  struct spec *out = NULL;
  struct profile_result res;
  int r = in ? apply (in, &req, NULL, NULL, &out, &res, &err) : -1;
  CHECK (r == 0 && out->process->capabilities->bounding_len == 2
             && strv_has (out->process->capabilities->bounding, "cap_chown")
             && strv_has (out->process->capabilities->bounding, "Cap_Kill"),
         "balanced: lower-case names of allowed capabilities are kept, cap_sys_admin dropped");
  if (r == 0)
    {
      spec_free (out);
      profile_result_clear (&res);
    }
  spec_free (in);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  test_strict_binds ();
  test_cap_names ();
  struct cr_error err;
  rm_rf_at (AT_FDCWD, tmpdir, &err);
  return UNIT_DONE ();
}
