/* The only place that prints diagnostics: "cellrun: <msg>" on stderr, and
   with --log/--log-format json the same message as a JSON line
   {"level":"error","msg":"...","time":"RFC3339"} (containerd and podman read it). */
#ifndef CELLRUN_LOG_H
#define CELLRUN_LOG_H

#include <stdbool.h>
#include "base/error.h"

enum log_level
{
  LOG_ERROR,
  LOG_WARNING,
  LOG_INFO,
  LOG_DEBUG
};

/* FILE may be NULL (stderr only); FORMAT "text" or "json". */
int log_init (const char *file, const char *format, bool debug, struct cr_error *err);
void log_msg (enum log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define log_error(...) log_msg (LOG_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg (LOG_WARNING, __VA_ARGS__)
#define log_debug(...) log_msg (LOG_DEBUG, __VA_ARGS__)
bool log_debug_enabled (void);
/* Print ERR as the final failure of a command. */
void log_cr_error (const struct cr_error *err);
/* Close the log fd in a child that is about to exec the user's program. */
int log_fd (void);

#endif
