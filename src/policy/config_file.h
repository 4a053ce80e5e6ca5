/* The operator's configuration file, /etc/cellrun/cellrun.conf by default
   (--config FILE elsewhere).  A small "key = value" format, documented in
   docs/profiles.md:

       # comment
       profile = strict
       writable_allowlist = /srv/scratch, /var/cache/build
       strict_bundle_binds = ro

   Unknown keys and malformed lines are errors naming the line, so a typo
   never silently weakens the operator's intent. */
#ifndef CELLRUN_CONFIG_FILE_H
#define CELLRUN_CONFIG_FILE_H

#include <stdbool.h>

#include "base/error.h"

#define CELLRUN_DEFAULT_CONFIG "/etc/cellrun/cellrun.conf"

/* What strict does with a bundle's writable bind mount whose source is
   outside writable_allowlist (docs/profiles.md, "Bundle bind mounts"). */
enum config_strict_binds
{
  CONFIG_STRICT_BINDS_RO = 0, /* forced read-only (the default) */
  CONFIG_STRICT_BINDS_REFUSE, /* the container is refused */
};

struct cellrun_config
{
  char *profile;             /* NULL when the file sets none */
  char **writable_allowlist; /* NULL terminated, never NULL after a successful load */
  enum config_strict_binds strict_bundle_binds;
};

/* Load PATH (NULL = CELLRUN_DEFAULT_CONFIG) into OUT.  A missing default file
   gives an empty config; a missing file named explicitly (EXPLICIT_PATH) is
   an error.  OUT is cleared first; on error it is left empty. */
int config_file_load (const char *path, bool explicit_path, struct cellrun_config *out, struct cr_error *err);

/* Parse the text of a config file; NAME is used in messages. */
int config_file_parse (const char *text, const char *name, struct cellrun_config *out, struct cr_error *err);

/* Free every field; C itself is not freed.  Accepts NULL. */
void config_file_clear (struct cellrun_config *c);

#endif
