/* `cellrun sandbox`: one bundle-less run of a command (docs/sandbox.md).
   The spec comes from policy/sandbox_spec.h; this drives it through the
   ordinary create/start/delete paths with a private state root, waits with
   a timeout, forwards signals, collects output, reports a result, and makes
   sure nothing outlives cellrun (sandbox_watchdog.c). */
#ifndef CELLRUN_SANDBOX_H
#define CELLRUN_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/container.h"
#include "policy/config_file.h"
#include "policy/sandbox_spec.h"

/* Exit statuses of the sandbox itself (as timeout(1) and podman). */
#define SANDBOX_EXIT_TIMEOUT 124
#define SANDBOX_EXIT_SETUP 125
#define SANDBOX_EXIT_CANNOT_EXEC 126
#define SANDBOX_EXIT_NOT_FOUND 127

struct sandbox_options
{
  struct sandbox_flags *flags;
  const char *workspace; /* --workspace HOST:CT[:MODE] or NULL */
  const char *env_pass;  /* --env-pass or NULL (SANDBOX_DEFAULT_ENV_PASS) */
  const char *operator_profile;
  const char *operator_source;
  const struct cellrun_config *config;
  char *const *caller_env;
  enum cgroup_manager_kind cgroup_manager;
  uint64_t timeout_ms;     /* 0: none */
  const char *result_path; /* --result FILE, "-" for stdout, or NULL */
  struct sandbox_collect *collect;
  size_t collect_len;
  bool diff, commit;
  bool print_spec;
  bool require_limits;
  bool rootless; /* no host root (docs/rootless.md) */
};

struct sandbox_result
{
  int exit_code;
  int signal; /* 0 when it exited */
  bool timed_out;
  bool oom_killed;
  uint64_t wall_ms, user_ms, sys_ms, max_rss_kb;
  bool failed; /* setup failure: ERROR says why */
  struct cr_error error;
};

/* Run it; returns the exit status (the command's, 128+N, 124, 125, 126,
   127). Messages about a setup failure are logged here, one line. */
int sandbox_run (const struct sandbox_options *o);

/* The result as one JSON object with the fields of docs/sandbox.md;
   malloc'd, ends with a newline. */
char *sandbox_result_json (const struct sandbox_result *r);

/* The exit status for a setup failure ERR: 127 when the command was not
   found, 126 when it could not be executed, else 125. */
int sandbox_setup_exit_code (const struct cr_error *err);

/* sandbox_collect.c: copy each --collect entry out of the mount namespace
   MNTNS (an fd of the sandbox's /proc/<pid>/ns/mnt) to the host. */
int sandbox_collect_all (int mntns, const struct sandbox_collect *c, size_t n, struct cr_error *err);

/* sandbox_watchdog.c: a small process that outlives a SIGKILL of cellrun
   and then removes what the kernel does not: the cgroup and the temp dir. */
struct sandbox_watchdog
{
  int sock; /* our end; EOF on the other means we died */
  pid_t pid;
};
/* Start it (before cellrun enters its private mount namespace; the sealed
   blob by vfork and execveat, else a fork). DIR is the temp dir it removes,
   CGROUP_ROOT and CGROUP_PATH (or NULL: none) the cgroup create may make
   (named after DIR; a SIGKILL during create then leaves no cgroup either,
   and one never made is nothing to remove), TIMEOUT_MS (0 none) is armed at
   sandbox_watchdog_start. */
int sandbox_watchdog_spawn (const char *dir, uint64_t timeout_ms, const char *cgroup_root, const char *cgroup_path,
                            struct sandbox_watchdog *w, struct cr_error *err);
/* Hand it the init (its pidfd); the timeout starts now. */
int sandbox_watchdog_start (struct sandbox_watchdog *w, int pidfd);
/* True once it has reported that the timeout expired (it then killed the sandbox). */
bool sandbox_watchdog_timed_out (struct sandbox_watchdog *w);
/* Everything was cleaned up: tell it, and reap it. */
void sandbox_watchdog_finish (struct sandbox_watchdog *w);
/* `cellrun --sandbox-cleanup DIR [ROOT PATH]`, exec'd by the watchdog once
   cellrun died and the init is gone: remove the cgroup and DIR. Exits. */
__attribute__ ((noreturn)) void sandbox_watchdog_cleanup_main (int argc, char **argv);

#endif
