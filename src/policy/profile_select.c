/* Profile selection: who chose which profile, and which one wins. */
#include "config.h"
#include "policy/profile_select.h"

#include <errno.h>
#include <string.h>

const char *
profile_from_argv0 (const char *argv0)
{
  if (argv0 == NULL)
    return NULL;
  const char *base = strrchr (argv0, '/');
  base = base ? base + 1 : argv0;
  if (strcmp (base, "cellrun-strict") == 0)
    return "strict";
  if (strcmp (base, "cellrun-balanced") == 0)
    return "balanced";
  return NULL;
}

int
profile_choose_operator (const char *argv0, const char *flag, const char *config_profile, const char **name,
                         const char **source, struct cr_error *err)
{
  const char *cands[3][2] = { { profile_from_argv0 (argv0), "invoked as cellrun-" },
                              { flag, "--profile" },
                              { NULL, "the config file" } };
  /* The config file is the default: a profile named on the command line or
     by the invoked name replaces it. */
  if (cands[0][0] == NULL && cands[1][0] == NULL)
    cands[2][0] = config_profile;
  enum profile_level best = PROFILE_NONE;
  *name = NULL;
  *source = NULL;
  for (int i = 0; i < 3; i++)
    {
      if (cands[i][0] == NULL)
        continue;
      enum profile_level l;
      if (profile_parse_name (cands[i][0], &l, err) < 0)
        return cr_wrap (err, "%s", cands[i][1]);
      if (l > best || *name == NULL)
        {
          best = l;
          *name = cands[i][0];
          *source = i == 0 ? (l == PROFILE_STRICT ? "invoked as cellrun-strict" : "invoked as cellrun-balanced")
                           : cands[i][1];
        }
    }
  /* An explicit "none" (--profile none) stays a choice: it replaces the
     config file's default like any other --profile (docs/profiles.md). */
  return 0;
}

int
profile_select (const struct spec *in, const struct profile_request *req, const struct cellrun_config *cfg,
                enum profile_level *out, struct cr_error *err)
{
  const char *op_name = req ? req->operator_profile : NULL;
  const char *op_source = req ? req->operator_source : NULL;
  if (op_name == NULL && cfg && cfg->profile)
    {
      op_name = cfg->profile;
      op_source = "config file";
    }
  if (op_source == NULL)
    op_source = "the operator";
  enum profile_level floor = PROFILE_NONE, bundle = PROFILE_NONE;
  if (profile_parse_name (op_name, &floor, err) < 0)
    return cr_wrap (err, "profile set by %s", op_source);
  const char *ann = spec_annotation (in, PROFILE_ANNOTATION_PROFILE);
  if (ann)
    {
      if (profile_parse_name (ann, &bundle, err) < 0)
        return cr_wrap (err, "annotation %s", PROFILE_ANNOTATION_PROFILE);
      if (bundle < floor)
        return cr_fail (err, EPERM, "annotation %s=%s: weaker than the operator's profile %s (set by %s)",
                        PROFILE_ANNOTATION_PROFILE, ann, profile_level_name (floor), op_source);
    }
  *out = bundle > floor ? bundle : floor;
  return 0;
}
