#include "config.h"
#include "linux/cgroups/systemd_scope.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/utils.h"

int
systemd_scope_names (const char *cgroup_path, char **unit, char **slice, struct cr_error *err)
{
  const char *last = strrchr (cgroup_path, '/');
  last = last ? last + 1 : cgroup_path;
  size_t len = strlen (last);
  if (len <= 6 || strcmp (last + len - 6, ".scope") != 0)
    return cr_fail (err, EINVAL, "systemd cgroup %s: not a .scope unit", cgroup_path);
  /* The parent component is the slice; "/x.scope" lives in the root slice. */
  const char *end = last - 1, *start = end;
  while (start > cgroup_path && start[-1] != '/')
    start--;
  *unit = xstrdup (last);
  if (end > start)
    xasprintf (slice, "%.*s", (int) (end - start), start);
  else
    *slice = xstrdup ("-.slice");
  return 0;
}

#ifdef HAVE_SYSTEMD_SD_BUS_H

#include <dlfcn.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* systemd normally answers within milliseconds; runc waits 30 s too. */
#define SD_JOB_TIMEOUT_USEC (30ULL * 1000 * 1000)

bool
systemd_scope_available (void)
{
  /* What sd_booted() checks, without loading libsystemd for it. */
  return access ("/run/systemd/system/", F_OK) == 0;
}

/* libsystemd is loaded with dlopen only when a scope is really needed:
   linking it would make every cellrun start pay for loading it and its
   compression and crypto libraries. */
#define SD_FUNCS(X)                  \
  X (sd_bus_open_system)             \
  X (sd_bus_match_signal)            \
  X (sd_bus_call_method)             \
  X (sd_bus_call)                    \
  X (sd_bus_process)                 \
  X (sd_bus_wait)                    \
  X (sd_bus_flush_close_unref)       \
  X (sd_bus_slot_unref)              \
  X (sd_bus_error_free)              \
  X (sd_bus_error_has_name)          \
  X (sd_bus_message_new_method_call) \
  X (sd_bus_message_append)          \
  X (sd_bus_message_open_container)  \
  X (sd_bus_message_close_container) \
  X (sd_bus_message_read)            \
  X (sd_bus_message_unref)

static struct
{
#define SD_FIELD(f) __typeof__ (f) *f;
  SD_FUNCS (SD_FIELD)
#undef SD_FIELD
} sd;

static int
load_libsystemd (const char *what, struct cr_error *err)
{
  static void *handle;
  if (handle)
    return 0;
  void *h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return cr_fail (err, ENOTSUP, "%s: load libsystemd: %s", what, dlerror ());
#define SD_LOAD(f)                                                        \
  if ((sd.f = (__typeof__ (f) *) dlsym (h, #f)) == NULL)                  \
    {                                                                     \
      dlclose (h);                                                        \
      return cr_fail (err, ENOTSUP, "%s: libsystemd lacks %s", what, #f); \
    }
  SD_FUNCS (SD_LOAD)
#undef SD_LOAD
  handle = h;
  return 0;
}

struct job_wait
{
  const char *job; /* object path returned by the call */
  bool done;
  char result[32]; /* "done", "failed", "canceled", ... */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  (void) e;
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  if (sd.sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job && strcmp (path, w->job) == 0)
    {
      w->done = true;
      snprintf (w->result, sizeof w->result, "%s", result);
    }
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Take the job path from METHOD's REPLY (which must outlive the wait),
   then dispatch bus messages until that job is removed; event driven
   (sd_bus_wait blocks on the socket), bounded by SD_JOB_TIMEOUT_USEC. */
static int
wait_job (sd_bus *bus, sd_bus_message *reply, struct job_wait *w, const char *what, const char *method,
          struct cr_error *err)
{
  int rr = sd.sd_bus_message_read (reply, "o", &w->job);
  if (rr < 0)
    return cr_fail (err, -rr, "%s: %s reply", what, method);
  uint64_t deadline = now_usec () + SD_JOB_TIMEOUT_USEC;
  while (!w->done)
    {
      int r = sd.sd_bus_process (bus, NULL);
      if (r < 0)
        return cr_fail (err, -r, "%s: systemd bus", what);
      if (r > 0)
        continue;
      uint64_t now = now_usec ();
      if (now >= deadline)
        return cr_fail (err, ETIMEDOUT, "%s: waiting for the systemd job", what);
      if ((r = sd.sd_bus_wait (bus, deadline - now)) < 0)
        return cr_fail (err, -r, "%s: systemd bus", what);
    }
  if (strcmp (w->result, "done") != 0)
    return cr_fail (err, EIO, "%s: systemd job %s", what, w->result);
  return 0;
}

/* Connect, subscribe to JobRemoved (systemd sends it to subscribers). */
static int
connect_bus (sd_bus **bus, sd_bus_slot **slot, struct job_wait *w, const char *what, struct cr_error *err)
{
  int r = sd.sd_bus_open_system (bus);
  if (r < 0)
    return cr_fail (err, -r, "%s: connect to the system bus", what);
  if ((r = sd.sd_bus_match_signal (*bus, slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, w)) < 0)
    return cr_fail (err, -r, "%s: subscribe to systemd jobs", what);
  sd_bus_error e = SD_BUS_ERROR_NULL;
  r = sd.sd_bus_call_method (*bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL, "");
  if (r < 0)
    {
      /* Already subscribed is fine; anything else is a dead systemd. */
      if (!sd.sd_bus_error_has_name (&e, "org.freedesktop.systemd1.AlreadySubscribed"))
        {
          r = cr_fail (err, -r, "%s: systemd Subscribe: %s", what, e.message ? e.message : "failed");
          sd.sd_bus_error_free (&e);
          return r;
        }
    }
  sd.sd_bus_error_free (&e);
  return 0;
}

static void
disconnect_bus (sd_bus *bus, sd_bus_slot *slot)
{
  sd.sd_bus_slot_unref (slot);
  sd.sd_bus_flush_close_unref (bus);
}

int
systemd_scope_start (const char *unit, const char *slice, const char *description, pid_t pid, struct cr_error *err)
{
  _cleanup_free_ char *what = NULL;
  xasprintf (&what, "systemd scope %s", unit);
  if (load_libsystemd (what, err) < 0)
    return -ENOTSUP;
  sd_bus *bus = NULL;
  sd_bus_slot *slot = NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct job_wait w = { 0 };
  int r = connect_bus (&bus, &slot, &w, what, err);
  if (r < 0)
    goto out;
  if ((r = sd.sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit")) < 0
      || (r = sd.sd_bus_message_append (m, "ss", unit, "fail")) < 0
      || (r = sd.sd_bus_message_open_container (m, 'a', "(sv)")) < 0
      || (r = sd.sd_bus_message_append (m, "(sv)", "Description", "s", description)) < 0
      || (r = sd.sd_bus_message_append (m, "(sv)", "Slice", "s", slice)) < 0
      /* The container manages its own sub-tree (runc and podman expect it). */
      || (r = sd.sd_bus_message_append (m, "(sv)", "Delegate", "b", 1)) < 0
      /* No implicit ordering on shutdown.target etc.: a container is not a service. */
      || (r = sd.sd_bus_message_append (m, "(sv)", "DefaultDependencies", "b", 0)) < 0
      || (r = sd.sd_bus_message_append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid)) < 0
      || (r = sd.sd_bus_message_close_container (m)) < 0 || (r = sd.sd_bus_message_append (m, "a(sa(sv))", 0)) < 0)
    {
      r = cr_fail (err, -r, "%s: build StartTransientUnit", what);
      goto out;
    }
  if ((r = sd.sd_bus_call (bus, m, SD_JOB_TIMEOUT_USEC, &e, &reply)) < 0)
    {
      r = cr_fail (err, 0, "%s: StartTransientUnit: %s", what, e.message ? e.message : strerror (-r));
      goto out;
    }
  r = wait_job (bus, reply, &w, what, "StartTransientUnit", err);
  if (r == 0)
    log_debug ("cgroup: systemd scope %s started in %s (pid %d)", unit, slice, (int) pid);
out:
  sd.sd_bus_error_free (&e);
  sd.sd_bus_message_unref (reply); /* after wait_job: w.job points into it */
  sd.sd_bus_message_unref (m);
  disconnect_bus (bus, slot);
  return r;
}

int
systemd_scope_stop (const char *unit, struct cr_error *err)
{
  _cleanup_free_ char *what = NULL;
  xasprintf (&what, "stop systemd scope %s", unit);
  if (load_libsystemd (what, err) < 0)
    return -ENOTSUP;
  sd_bus *bus = NULL;
  sd_bus_slot *slot = NULL;
  sd_bus_message *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct job_wait w = { 0 };
  int r = connect_bus (&bus, &slot, &w, what, err);
  if (r < 0)
    goto out;
  r = sd.sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &e, &reply, "ss", unit, "replace");
  if (r < 0)
    {
      /* A scope whose processes all exited is gone already. */
      if (sd.sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        r = 0;
      else
        r = cr_fail (err, 0, "%s: StopUnit: %s", what, e.message ? e.message : strerror (-r));
      goto out;
    }
  r = wait_job (bus, reply, &w, what, "StopUnit", err);
out:
  sd.sd_bus_error_free (&e);
  sd.sd_bus_message_unref (reply);
  disconnect_bus (bus, slot);
  return r;
}

#else /* !HAVE_SYSTEMD_SD_BUS_H */

bool
systemd_scope_available (void)
{
  return false;
}

int
systemd_scope_start (const char *unit, const char *slice, const char *description, pid_t pid, struct cr_error *err)
{
  (void) slice, (void) description, (void) pid;
  return cr_fail (err, ENOTSUP, "systemd scope %s: cellrun was built without libsystemd", unit);
}

int
systemd_scope_stop (const char *unit, struct cr_error *err)
{
  return cr_fail (err, ENOTSUP, "stop systemd scope %s: cellrun was built without libsystemd", unit);
}

#endif /* HAVE_SYSTEMD_SD_BUS_H */
