/* Which profile applies (policy): the operator's choice (the name cellrun was
   invoked as, --profile, the config file) and, at create, the bundle's
   annotation weighed against that floor. Pure: names in, a level out. */
#ifndef CELLRUN_PROFILE_SELECT_H
#define CELLRUN_PROFILE_SELECT_H

#include "policy/profile.h"

/* The operator's profile is the strictest of: the invoked name (basename of
   ARGV0, see profile_from_argv0), FLAG (--profile) and, only when neither is
   given, CONFIG_PROFILE (the config file's default). Any of them naming an
   unknown profile is an error. *NAME is the winner (NULL when it is none) and
   *SOURCE says who set it; both point into the arguments or static text. */
int profile_choose_operator (const char *argv0, const char *flag, const char *config_profile, const char **name,
                             const char **source, struct cr_error *err);

/* The level profile_apply uses for bundle IN: the operator's floor (REQ, or
   CFG's profile when REQ names none) raised by the bundle's annotation, which
   may never be weaker than the floor. */
int profile_select (const struct spec *in, const struct profile_request *req, const struct cellrun_config *cfg,
                    enum profile_level *out, struct cr_error *err);

#endif
