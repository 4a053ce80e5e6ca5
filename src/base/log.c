#include "config.h"
#include "base/log.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static int log_file_fd = -1;
static bool log_json;
static bool log_debug_on;

int
log_init (const char *file, const char *format, bool debug, struct cr_error *err)
{
  log_debug_on = debug;
  if (format && strcmp (format, "json") == 0)
    log_json = true;
  else if (format && strcmp (format, "text") != 0)
    return cr_fail (err, 0, "--log-format: unknown format %s (want text or json)", format);
  if (file)
    {
      log_file_fd = open (file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      if (log_file_fd < 0)
        return cr_fail (err, errno, "open log file %s", file);
    }
  return 0;
}

bool
log_debug_enabled (void)
{
  return log_debug_on;
}

int
log_fd (void)
{
  return log_file_fd;
}

static void
json_escape (char *out, size_t outlen, const char *in)
{
  size_t o = 0;
  for (; *in && o + 7 < outlen; in++)
    {
      unsigned char c = *in;
      if (c == '"' || c == '\\')
        {
          out[o++] = '\\';
          out[o++] = c;
        }
      else if (c < 0x20)
        o += snprintf (out + o, outlen - o, "\\u%04x", c);
      else
        out[o++] = c;
    }
  out[o] = '\0';
}

static const char *level_names[] = { "error", "warning", "info", "debug" };

/* stderr gets errors, and warnings and debug (only with --debug) unless a
   --log file takes them: under conmon the runtime's stderr is the
   container's, so a warning written there would show up in the container's
   output (podman reads the log file). */
static bool
log_to_stderr (enum log_level level)
{
  if (level == LOG_INFO)
    return false;
  return level == LOG_ERROR || log_file_fd < 0;
}

void
log_msg (enum log_level level, const char *fmt, ...)
{
  if (level == LOG_DEBUG && !log_debug_on)
    return;
  int saved = errno;
  char msg[2048];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);

  if (log_file_fd >= 0 && log_json)
    {
      char esc[4096], ts[64], line[4352];
      struct timeval tv;
      gettimeofday (&tv, NULL);
      int n = utc_rfc3339 (ts, sizeof ts, tv.tv_sec);
      snprintf (ts + n, sizeof ts - n, ".%06ldZ", (long) tv.tv_usec);
      json_escape (esc, sizeof esc, msg);
      int len = snprintf (line, sizeof line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level_names[level],
                          esc, ts);
      write_all (log_file_fd, line, len);
    }
  else if (log_file_fd >= 0)
    {
      char line[2200];
      int len = snprintf (line, sizeof line, "%s: %s\n", level_names[level], msg);
      write_all (log_file_fd, line, len);
    }
  if (log_to_stderr (level))
    {
      char line[2200];
      int len = level == LOG_ERROR ? snprintf (line, sizeof line, "cellrun: %s\n", msg)
                                   : snprintf (line, sizeof line, "cellrun: %s: %s\n", level_names[level], msg);
      write_all (STDERR_FILENO, line, len);
    }
  errno = saved;
}

void
log_cr_error (const struct cr_error *err)
{
  log_error ("%s", err->msg[0] ? err->msg : "unknown error");
}
