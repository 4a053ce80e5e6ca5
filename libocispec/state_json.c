#include "config.h"

#include "json.h"
#include "state_json.h"
#include "base/utils.h"

char *
oci_state_to_json (const struct oci_state *st, bool pretty)
{
  yajl_gen g = json_gen_new (pretty);
  json_gen_map_open (g);
  json_gen_kstr (g, "ociVersion", st->oci_version ? st->oci_version : OCI_VERSION);
  json_gen_kstr (g, "id", st->id ? st->id : "");
  json_gen_kstr (g, "status", st->status ? st->status : "");
  /* runtime.md: pid is REQUIRED when created or running, and must not
     name a reaped process otherwise. */
  if (st->pid > 0)
    json_gen_kint (g, "pid", st->pid);
  json_gen_kstr (g, "bundle", st->bundle ? st->bundle : "");
  json_gen_kmap (g, "annotations", st->annotations, st->annotations ? st->annotations_len : 0);
  json_gen_kstr (g, "created", st->created);
  json_gen_kstr (g, "owner", st->owner);
  json_gen_kstr (g, "profile", st->profile);
  json_gen_map_close (g);
  return json_gen_finish (g);
}

struct yajl_val_s *
state_json_tree_parse (const char *data, size_t len, const char *what, struct cr_error *err)
{
  return json_tree_parse (data, len, what, err);
}

void
state_json_tree_free (struct yajl_val_s *v)
{
  json_tree_free (v);
}
