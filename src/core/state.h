/* Container state on disk: <root>/<id>/ holds state.json (what later verbs
   need), config.json (the effective spec after the profile layer) and, until
   `start`, exec.fifo. The directory is 0700: nothing in it is for containers. */
#ifndef CELLRUN_STATE_H
#define CELLRUN_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec.h"
#include "state_json.h"

#define STATE_FILE "state.json"
#define STATE_CONFIG_FILE "config.json"
#define STATE_FIFO "exec.fifo"
/* The intent record: what create is about to make (cgroup path, workspace
   tmpfs) and, from the clone on, the init's pid and start time, written
   atomically before each of them exists. `delete --force` cleans up from it
   when state.json is missing (create was killed) or unreadable. */
#define STATE_INTENT "intent.json"

enum container_status
{
  STATUS_CREATING,
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED
};

const char *container_status_name (enum container_status s);

/* Validate an id: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 1024 chars; never "." or "..". */
int state_validate_id (const char *id, struct cr_error *err);

/* A --root that is a symlink: *OUT is its target when it is safe to follow
   (see state.c), else an error; NULL (and 0) for a path that is no symlink. */
int state_resolve_root (const char *root, char **out, struct cr_error *err);

/* The default --root: /run/cellrun for root in the initial user namespace;
   rootless: $XDG_RUNTIME_DIR/cellrun, else /run/user/<uid>/cellrun when
   that directory exists and is the caller's, else /tmp/cellrun-<uid>
   (made 0700 here, and refused unless it is the caller's own directory that
   no one else can use; *NOTICE is then set). *OUT is malloc'd. */
int state_default_root (bool rootless, char **out, bool *notice, struct cr_error *err);

/* Create <root>/<id> atomically (mkdir); EEXIST -> "container ID already exists".
   Returns an O_DIRECTORY fd holding an exclusive flock. */
int state_create_dir (const char *root, const char *id, int *dirfd, struct cr_error *err);
/* Open and flock an existing container dir; ENOENT -> "container ID does not exist". */
int state_open_dir (const char *root, const char *id, bool exclusive, int *dirfd, struct cr_error *err);
int state_remove_dir (const char *root, const char *id, struct cr_error *err);
/* state_open_dir + state_load + state_status in one: what most verbs start with.
   On success *DIRFD holds the lock and *ST must be freed with state_free. */
int state_open_status (const char *root, const char *id, bool exclusive, int *dirfd, struct container_state **st,
                       enum container_status *status, struct cr_error *err);

/* Replace NAME in the state dir atomically (temp + fsync + rename). */
int state_write_file (int dirfd, const char *name, const char *data, size_t len, struct cr_error *err);
int state_save (int dirfd, const struct container_state *st, struct cr_error *err);
int state_load (int dirfd, const char *id, struct container_state **out, struct cr_error *err);
/* Write/read the intent record (STATE_INTENT); same format as state.json. */
int state_save_intent (int dirfd, const struct container_state *st, struct cr_error *err);
int state_load_intent (int dirfd, const char *id, struct container_state **out, struct cr_error *err);
void state_free (struct container_state *st);
static inline void
state_freep (struct container_state **st)
{
  state_free (*st);
}
/* A loaded state freed when it goes out of scope. */
#define _cleanup_state_ __attribute__ ((cleanup (state_freep)))

/* Status from the saved pid (alive? zombie? start time matches?), exec.fifo
   presence and the freezer. */
int state_status (int dirfd, const struct container_state *st, enum container_status *out, struct cr_error *err);
/* True when PID is alive (not a zombie) and started at START_TIME. */
bool state_pid_alive (pid_t pid, unsigned long long start_time);
int state_pid_start_time (pid_t pid, unsigned long long *out);

/* The saved effective spec. */
int state_load_spec (int dirfd, struct spec **out, struct cr_error *err);
/* The same, but only when the saved spec has the member KEY (a hook list such
   as "poststart"): otherwise 0 with *OUT NULL, and nothing is parsed. */
int state_load_spec_with (int dirfd, const char *key, struct spec **out, struct cr_error *err);

/* "2026-11-23T18:00:00.123456789Z" */
char *state_now_rfc3339 (void);

#endif
