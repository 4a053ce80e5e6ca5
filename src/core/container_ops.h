/* The verbs that act on an existing container's cgroup (pause, resume,
   update, ps, events): load the state, check the status, call the cgroup
   facade and hand plain results back for the CLI to print. */
#ifndef CELLRUN_CONTAINER_OPS_H
#define CELLRUN_CONTAINER_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec.h"
#include "stats_json.h"

/* Freeze a running container / thaw a paused one. */
int container_pause (const char *root, const char *id, struct cr_error *err);
int container_resume (const char *root, const char *id, struct cr_error *err);
/* Apply RES (the `update` flags or a resources document) to a container
   that is not stopped. */
int container_update (const char *root, const char *id, const struct spec_resources *res, struct cr_error *err);
/* The container's live host pids, sorted; *PIDS malloc'd. */
int container_ps (const char *root, const char *id, pid_t **pids, size_t *n, struct cr_error *err);

/* `events`: the container's cgroup kept open between samples. */
struct container_events;
int container_events_open (const char *root, const char *id, struct container_events **out, struct cr_error *err);
/* One stats sample; free with oci_stats_clear. */
int container_events_stats (struct container_events *ev, struct oci_stats *out, struct cr_error *err);
/* Caller-owned fd readable on OOM, or -1 when the host cannot tell. */
int container_events_oom_fd (struct container_events *ev);
/* False once the container is stopped or its state is gone. */
bool container_events_alive (struct container_events *ev);
void container_events_free (struct container_events *ev);
static inline void
container_events_freep (struct container_events **ev)
{
  container_events_free (*ev);
}
/* Frees the events handle (and its cgroup) when the variable goes out of scope. */
#define _cleanup_container_events_ __attribute__ ((cleanup (container_events_freep)))

#endif
