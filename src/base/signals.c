#include "config.h"
#include "base/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/utils.h"

struct signal_entry
{
  const char *name; /* with the SIG prefix, as signal_name returns it */
  int number;
};

/* Canonical names come before aliases so signal_name finds them first. */
static const struct signal_entry signal_table[] = {
  { "SIGHUP", SIGHUP },
  { "SIGINT", SIGINT },
  { "SIGQUIT", SIGQUIT },
  { "SIGILL", SIGILL },
  { "SIGTRAP", SIGTRAP },
  { "SIGABRT", SIGABRT },
  { "SIGBUS", SIGBUS },
  { "SIGFPE", SIGFPE },
  { "SIGKILL", SIGKILL },
  { "SIGUSR1", SIGUSR1 },
  { "SIGSEGV", SIGSEGV },
  { "SIGUSR2", SIGUSR2 },
  { "SIGPIPE", SIGPIPE },
  { "SIGALRM", SIGALRM },
  { "SIGTERM", SIGTERM },
  { "SIGSTKFLT", SIGSTKFLT },
  { "SIGCHLD", SIGCHLD },
  { "SIGCONT", SIGCONT },
  { "SIGSTOP", SIGSTOP },
  { "SIGTSTP", SIGTSTP },
  { "SIGTTIN", SIGTTIN },
  { "SIGTTOU", SIGTTOU },
  { "SIGURG", SIGURG },
  { "SIGXCPU", SIGXCPU },
  { "SIGXFSZ", SIGXFSZ },
  { "SIGVTALRM", SIGVTALRM },
  { "SIGPROF", SIGPROF },
  { "SIGWINCH", SIGWINCH },
  { "SIGIO", SIGIO },
  { "SIGPWR", SIGPWR },
  { "SIGSYS", SIGSYS },
  /* aliases */
  { "SIGIOT", SIGABRT },
  { "SIGPOLL", SIGIO },
  { "SIGCLD", SIGCHLD },
};

/* Static strings so signal_name can hand them out without allocating.
   Indexed by the distance from SIGRTMIN (resp. SIGRTMAX); glibc reserves
   the first kernel real-time signals, so the range is at most 32 wide. */
#define RT_OFFSETS(p)                                                                                                 \
  p "1", p "2", p "3", p "4", p "5", p "6", p "7", p "8", p "9", p "10", p "11", p "12", p "13", p "14", p "15",      \
      p "16", p "17", p "18", p "19", p "20", p "21", p "22", p "23", p "24", p "25", p "26", p "27", p "28", p "29", \
      p "30", p "31"
static const char *const rtmin_names[] = { "SIGRTMIN", RT_OFFSETS ("SIGRTMIN+") };
static const char *const rtmax_names[] = { "SIGRTMAX", RT_OFFSETS ("SIGRTMAX-") };

static int
fail_invalid (struct cr_error *err, const char *s)
{
  cr_fail (err, 0, "invalid signal: %s", s);
  if (err)
    err->code = EINVAL;
  return -EINVAL;
}

/* Strict decimal: digits only, no sign, no overflow. */
static bool
parse_small_number (const char *s, int *out)
{
  long v = 0;

  if (*s == '\0')
    return false;
  for (const char *p = s; *p; p++)
    {
      if (*p < '0' || *p > '9')
        return false;
      v = v * 10 + (*p - '0');
      if (v > 1000)
        return false;
    }
  *out = (int) v;
  return true;
}

/* NAME is without SIG prefix: RTMIN, RTMIN+N, RTMAX, RTMAX-N. */
static bool
parse_realtime (const char *name, int *out)
{
  int base, sign, n = 0;
  const char *rest;

  if (strncasecmp (name, "RTMIN", 5) == 0)
    base = SIGRTMIN, sign = 1;
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    base = SIGRTMAX, sign = -1;
  else
    return false;

  rest = name + 5;
  if (*rest != '\0')
    {
      if (*rest != (sign > 0 ? '+' : '-') || !parse_small_number (rest + 1, &n))
        return false;
    }
  int sig = base + sign * n;
  if (sig < SIGRTMIN || sig > SIGRTMAX)
    return false;
  *out = sig;
  return true;
}

int
signal_parse (const char *s, int *out, struct cr_error *err)
{
  const char *name;
  int sig;

  if (s == NULL)
    return fail_invalid (err, "(null)");

  if (parse_small_number (s, &sig))
    {
      if (sig < 1 || sig > SIGRTMAX)
        return fail_invalid (err, s);
      *out = sig;
      return 0;
    }

  name = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < ARRAY_SIZE (signal_table); i++)
    if (strcasecmp (name, signal_table[i].name + 3) == 0)
      {
        *out = signal_table[i].number;
        return 0;
      }

  if (parse_realtime (name, &sig))
    {
      *out = sig;
      return 0;
    }
  return fail_invalid (err, s);
}

const char *
signal_name (int sig)
{
  for (size_t i = 0; i < ARRAY_SIZE (signal_table); i++)
    if (signal_table[i].number == sig)
      return signal_table[i].name;

  if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    {
      int from_min = sig - SIGRTMIN, from_max = SIGRTMAX - sig;
      /* Same split as kill -l: lower half relative to RTMIN, upper to RTMAX. */
      if (from_min <= from_max && (size_t) from_min < ARRAY_SIZE (rtmin_names))
        return rtmin_names[from_min];
      if ((size_t) from_max < ARRAY_SIZE (rtmax_names))
        return rtmax_names[from_max];
    }
  return NULL;
}
