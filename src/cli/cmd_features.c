#include "config.h"
#include "cli/cli.h"
#include "features_json.h"
#include "base/utils.h"
#include "policy/profile.h"

int
cmd_features (struct cli *g, int argc, char **argv)
{
  if (cli_need_args ("features", argc, 1, 0, ""))
    return 1;
  /* The profile layer owns the list of cellrun's annotations. */
  const struct features_annotations ann = { .annotations = profile_annotations,
                                            .annotations_len = profile_annotations_len,
                                            .unsafe_prefixes = profile_unsafe_annotations };
  _cleanup_free_ char *json = features_to_json (&ann);
  printf ("%s\n", json);
  return 0;
}
