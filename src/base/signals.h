/* Signal names as users and the OCI world write them ("TERM", "SIGTERM",
   "9", "SIGRTMIN+3") and back. Used by `cellrun kill` and stop signals. */
#ifndef CELLRUN_SIGNALS_H
#define CELLRUN_SIGNALS_H

#include "base/error.h"

/* Accepts a name with or without the SIG prefix in any case, a decimal
   number 1..SIGRTMAX, or RTMIN+N / RTMAX-N within the real-time range.
   Signal 0 is rejected: it delivers nothing and is never what a user of
   `kill` or a stop signal means. On error: "invalid signal: S" (EINVAL). */
int signal_parse (const char *s, int *out, struct cr_error *err);

/* "SIGTERM", "SIGRTMIN+3", ...; NULL for numbers that are no signal. */
const char *signal_name (int sig);

#endif
