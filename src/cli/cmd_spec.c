#include "config.h"
#include "cli/cli.h"
#include "base/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>

int
cmd_spec (struct cli *g, int argc, char **argv)
{
  enum
  {
    O_ROOTLESS = 1000
  };
  static const struct option opts[] = { { "bundle", required_argument, 0, 'b' },
                                        { "rootless", no_argument, 0, O_ROOTLESS },
                                        { 0, 0, 0, 0 } };
  const char *bundle = ".";
  bool rootless = false;
  int c;
  while ((c = getopt_long (argc, argv, "+b:", opts, NULL)) != -1)
    if (c == 'b')
      bundle = optarg;
    else if (c == O_ROOTLESS)
      rootless = true;
    else
      return cli_usage ("spec", "unknown flag %s", argv[optind - 1]);
  if (cli_need_args ("spec", argc, optind, 0, ""))
    return 1;
  struct cr_error err = { 0 };
  _cleanup_free_ char *path = NULL;
  xasprintf (&path, "%s/config.json", bundle);
  _cleanup_free_ char *json = spec_default_json (rootless, getuid (), getgid ());
  /* O_EXCL: an existing config.json is never overwritten. */
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      cr_fail (&err, errno, "spec: write %s", path);
      return cli_fail (&err);
    }
  if (write_all (fd, json, strlen (json)) < 0 || write_all (fd, "\n", 1) < 0)
    {
      cr_fail (&err, errno, "spec: write %s", path);
      return cli_fail (&err);
    }
  return 0;
}
