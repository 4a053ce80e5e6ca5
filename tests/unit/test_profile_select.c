/* policy/profile_select.c: the operator's profile is the strictest of the
   invoked name and --profile; the config file only when neither is given. */
#include "config.h"
#include "unit.h"
#include "policy/profile_select.h"
#include "policy/config_file.h"
#include "policy/profile.h"
#include "spec.h"

static void
test_choose (void)
{
  const char *name, *source;
  struct cr_error err = { 0 };
  int r = profile_choose_operator ("/usr/bin/cellrun", NULL, NULL, &name, &source, &err);
  CHECK (r == 0 && name == NULL, "nothing chosen: no operator profile");
  r = profile_choose_operator ("cellrun", NULL, "balanced", &name, &source, &err);
  CHECK (r == 0 && name && strcmp (name, "balanced") == 0 && strcmp (source, "the config file") == 0,
         "only the config file: its profile, named as its source");
  r = profile_choose_operator ("/usr/bin/cellrun-balanced", "strict", NULL, &name, &source, &err);
  CHECK (r == 0 && name && strcmp (name, "strict") == 0 && strcmp (source, "--profile") == 0,
         "cellrun-balanced --profile strict: the stricter wins");
  r = profile_choose_operator ("/usr/bin/cellrun-strict", "balanced", NULL, &name, &source, &err);
  CHECK (r == 0 && name && strcmp (name, "strict") == 0 && strcmp (source, "invoked as cellrun-strict") == 0,
         "cellrun-strict --profile balanced: strict, set by the invoked name");
  r = profile_choose_operator ("cellrun", "balanced", "strict", &name, &source, &err);
  CHECK (r == 0 && name && strcmp (name, "balanced") == 0, "--profile replaces the config file's default");
  r = profile_choose_operator ("cellrun", "none", "strict", &name, &source, &err);
  CHECK (r == 0 && name && strcmp (name, "none") == 0 && strcmp (source, "--profile") == 0,
         "--profile none replaces the config file's strict too");
  r = profile_choose_operator ("cellrun", "lax", NULL, &name, &source, &err);
  CHECK (r < 0 && strstr (err.msg, "--profile") && strstr (err.msg, "unknown profile"),
         "an unknown --profile is an error naming the flag");
  r = profile_choose_operator ("cellrun", NULL, "lax", &name, &source, &err);
  CHECK (r < 0 && strstr (err.msg, "the config file"), "an unknown config profile is an error naming the file");
}

static void
test_select (void)
{
  struct spec in = { 0 };
  struct cellrun_config cfg = { .profile = (char *) "strict" };
  struct profile_request req = { .operator_profile = "none", .operator_source = "--profile" };
  struct cr_error err = { 0 };
  enum profile_level out = PROFILE_STRICT;
  int r = profile_select (&in, &req, &cfg, &out, &err);
  CHECK (r == 0 && out == PROFILE_NONE, "--profile none over a config file's strict: none");
  req.operator_profile = NULL;
  r = profile_select (&in, &req, &cfg, &out, &err);
  CHECK (r == 0 && out == PROFILE_STRICT, "no operator choice: the config file's strict");
}

int
main (void)
{
  test_choose ();
  test_select ();
  return UNIT_DONE ();
}
