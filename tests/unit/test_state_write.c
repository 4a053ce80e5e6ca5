/* core/state.c state_write_file: a failing write (here: RLIMIT_FSIZE, which
   fails it with EFBIG like a full disk fails it with ENOSPC) keeps the old
   file whole and leaves no temporary name in the state dir. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/utils.h"
#include "core/state.h"
#include "unit.h"

static int
entries (const char *dir)
{
  DIR *d = opendir (dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir (d));)
    n += strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0;
  if (d)
    closedir (d);
  return n;
}

int
main (void)
{
  char dir[] = "/tmp/cellrun-unit-state.XXXXXX";
  if (mkdtemp (dir) == NULL)
    return 1;
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct cr_error err = { 0 };
  const char *old = "{\"id\":\"c1\",\"pid\":42}";
  CHECK (state_write_file (dfd, "state.json", old, strlen (old), &err) == 0, "first write: %s", err.msg);

  signal (SIGXFSZ, SIG_IGN);
  struct rlimit small = { 64, 64 }, saved;
  getrlimit (RLIMIT_FSIZE, &saved);
  small.rlim_max = saved.rlim_max;
  setrlimit (RLIMIT_FSIZE, &small);
  char big[4096];
  memset (big, 'x', sizeof big);
  cr_error_clear (&err);
  int r = state_write_file (dfd, "state.json", big, sizeof big, &err);
  setrlimit (RLIMIT_FSIZE, &saved);
  CHECK (r < 0 && err.code == EFBIG, "a write past the limit fails with EFBIG (%d, %s)", r, err.msg);
  CHECK (strstr (err.msg, "state.json") != NULL, "the error names the file: %s", err.msg);

  char *data = NULL;
  size_t len = 0;
  cr_error_clear (&err);
  CHECK (read_file_at (dfd, "state.json", &data, &len, &err) == 0 && len == strlen (old)
             && memcmp (data, old, len) == 0,
         "the old state.json is whole after the failed write");
  free (data);
  CHECK (entries (dir) == 1, "no temporary file is left (%d entries)", entries (dir));

  /* core/state.c state_now_rfc3339: the "created" time, formatted without gmtime. */
  const long long when[] = { 0, 951782399, 951782400, 1709210096, 4107542400LL, -1, -86401, 253402300799LL };
  for (size_t i = 0; i < sizeof when / sizeof when[0]; i++)
    {
      char got[64], want[64];
      time_t t = (time_t) when[i];
      struct tm tm;
      gmtime_r (&t, &tm);
      strftime (want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
      utc_rfc3339 (got, sizeof got, when[i]);
      CHECK_STR (got, want, "utc_rfc3339 (%lld)", when[i]);
    }

  unlinkat (dfd, "state.json", 0);
  close (dfd);
  rmdir (dir);
  return UNIT_DONE ();
}
