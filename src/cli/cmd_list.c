#include "config.h"
#include "cli/cli.h"
#include "core/container.h"
#include "base/utils.h"

#include <dirent.h>
#include <getopt.h>
#include <string.h>
#include <yajl/yajl_gen.h>

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
  yajl_gen gen = json ? yajl_gen_alloc (NULL) : NULL;
  if (gen)
    yajl_gen_array_open (gen);
  else if (!quiet)
    printf ("%-24s %-8s %-8s %-10s %-32s %s\n", "ID", "PID", "STATUS", "PROFILE", "CREATED", "BUNDLE");
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      struct container_state *st = NULL;
      enum container_status status;
      struct cr_error err = { 0 };
      if (container_load (g->root, de->d_name, &st, &status, &err) < 0)
        continue;
      bool live = status != STATUS_STOPPED;
      if (gen)
        {
          _cleanup_free_ char *one = container_state_to_json (st, status);
          /* Reuse the OCI state document for each entry. */
          yajl_gen_config (gen, yajl_gen_validate_utf8, 0);
          yajl_gen_number (gen, one, strlen (one));
        }
      else if (quiet)
        printf ("%s\n", st->id);
      else
        printf ("%-24s %-8d %-8s %-10s %-32s %s\n", st->id, live ? st->pid : 0, container_status_name (status),
                st->profile ? st->profile : "none", st->created ? st->created : "", st->bundle ? st->bundle : "");
      state_free (st);
    }
  if (d)
    closedir (d);
  if (gen)
    {
      yajl_gen_array_close (gen);
      const unsigned char *buf;
      size_t len;
      yajl_gen_get_buf (gen, &buf, &len);
      fwrite (buf, 1, len, stdout);
      printf ("\n");
      yajl_gen_free (gen);
    }
  return 0;
}
