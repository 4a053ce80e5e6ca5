/* The command line: global flags, and one cmd_<verb> per file. Each verb
   parses its flags, calls the library and prints; it returns the exit code. */
#ifndef CELLRUN_CLI_H
#define CELLRUN_CLI_H

#include <stdbool.h>
#include "policy/config_file.h"
#include "base/error.h"
#include "core/container.h"
#include "policy/profile.h"

struct cli
{
  const char *root;
  char *root_resolved; /* a symlinked --root, resolved once (state_resolve_root) */
  const char *log_file;
  const char *log_format;
  bool debug;
  enum cgroup_manager_kind cgroup_manager; /* disabled beats systemd beats cgroupfs */
  const char *profile;                     /* the operator's strongest choice, or NULL */
  const char *profile_source;
  const char *config_path;
  struct cellrun_config config;
  char **environ;
  bool rootless;      /* --rootless true, or auto (the default) and detected (linux/userns.h) */
  char *root_default; /* the default --root when none was given (state_default_root) */
};

/* Print ERR as "cellrun: ..." (and to the json log) and return 1. */
int cli_fail (const struct cr_error *err);
/* Print a usage error for VERB and return 1. */
int cli_usage (const char *verb, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Exactly N positional arguments left after option parsing. */
int cli_need_args (const char *verb, int argc, int optind, int n, const char *names);
void cli_print_verb_help (const char *verb);

int cmd_create (struct cli *g, int argc, char **argv);
int cmd_start (struct cli *g, int argc, char **argv);
int cmd_state (struct cli *g, int argc, char **argv);
int cmd_kill (struct cli *g, int argc, char **argv);
int cmd_delete (struct cli *g, int argc, char **argv);
int cmd_run (struct cli *g, int argc, char **argv);
int cmd_exec (struct cli *g, int argc, char **argv);
int cmd_list (struct cli *g, int argc, char **argv);
int cmd_ps (struct cli *g, int argc, char **argv);
int cmd_pause (struct cli *g, int argc, char **argv);
int cmd_resume (struct cli *g, int argc, char **argv);
int cmd_update (struct cli *g, int argc, char **argv);
int cmd_events (struct cli *g, int argc, char **argv);
int cmd_features (struct cli *g, int argc, char **argv);
int cmd_spec (struct cli *g, int argc, char **argv);
int cmd_diff (struct cli *g, int argc, char **argv);
int cmd_commit (struct cli *g, int argc, char **argv);
int cmd_profile (struct cli *g, int argc, char **argv);
int cmd_sandbox (struct cli *g, int argc, char **argv);

/* create and run share their flags. */
struct create_options;
struct profile_request;
int cli_parse_create_flags (struct cli *g, const char *verb, int argc, char **argv, struct create_options *o,
                            struct profile_request *pr, bool *detach, bool allow_detach);

#endif
