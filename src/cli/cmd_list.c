#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/utils.h"
#include "state_json.h"

#include <dirent.h>
#include <getopt.h>
#include <string.h>

int
cmd_list (struct cli *g, int argc, char **argv)
{
  enum
  {
    O_FORMAT = 1000
  };
  static const struct option opts[] = { { "quiet", no_argument, 0, 'q' },
                                        { "format", required_argument, 0, 'f' },
                                        { 0, 0, 0, 0 } };
  bool quiet = false, json = false;
  int c;
  while ((c = getopt_long (argc, argv, "+qf:", opts, NULL)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'f' && (strcmp (optarg, "json") == 0 || strcmp (optarg, "table") == 0))
      json = strcmp (optarg, "json") == 0;
    else
      return cli_usage ("list", "invalid flag or format");
  DIR *d = opendir (g->root);
  /* --format json: the OCI state document of each container, in one array. */
  char **docs = NULL;
  size_t ndocs = 0;
  if (!json && !quiet)
    printf ("%-24s %-8s %-8s %-10s %-32s %s\n", "ID", "PID", "STATUS", "PROFILE", "CREATED", "BUNDLE");
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      _cleanup_state_ struct container_state *st = NULL;
      enum container_status status;
      struct cr_error err = { 0 };
      if (container_load (g->root, de->d_name, &st, &status, &err) < 0)
        continue;
      bool live = status != STATUS_STOPPED;
      if (json)
        {
          docs = xrealloc (docs, (ndocs + 1) * sizeof *docs);
          docs[ndocs++] = container_state_to_json (st, status);
        }
      else if (quiet)
        printf ("%s\n", st->id);
      else
        printf ("%-24s %-8d %-8s %-10s %-32s %s\n", st->id, live ? st->pid : 0, container_status_name (status),
                st->profile ? st->profile : "none", st->created ? st->created : "", st->bundle ? st->bundle : "");
    }
  if (d)
    closedir (d);
  if (json)
    {
      _cleanup_free_ char *out = oci_state_list_to_json (docs, ndocs);
      printf ("%s\n", out);
      for (size_t i = 0; i < ndocs; i++)
        free (docs[i]);
      free (docs);
    }
  return 0;
}
