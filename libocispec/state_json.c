#include "config.h"

#include "json.h"
#include "state_json.h"
#include "base/utils.h"

#include <string.h>

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

char *
oci_state_list_to_json (char *const *docs, size_t n)
{
  yajl_gen g = json_gen_new (false);
  /* Each document is valid JSON already: embed its text as it is. */
  yajl_gen_config (g, yajl_gen_validate_utf8, 0);
  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    yajl_gen_number (g, docs[i], strlen (docs[i]));
  json_gen_array_close (g);
  return json_gen_finish (g);
}

char *
state_file_to_json (const struct container_state *st)
{
  yajl_gen g = json_gen_new (false);
  json_gen_map_open (g);
  json_gen_kstr (g, "id", st->id);
  json_gen_kstr (g, "bundle", st->bundle);
  json_gen_kstr (g, "rootfs", st->rootfs);
  json_gen_kint (g, "pid", st->pid);
  json_gen_kint (g, "pidStartTime", (long long) st->pid_start_time);
  json_gen_kstr (g, "created", st->created);
  json_gen_kstr (g, "owner", st->owner);
  if (st->owner_uid >= 0)
    json_gen_kint (g, "ownerUid", st->owner_uid);
  json_gen_kstr (g, "cgroupRoot", st->cgroup_root);
  json_gen_kstr (g, "cgroupPath", st->cgroup_path);
  json_gen_kstr (g, "systemdUnit", st->systemd_unit);
  json_gen_kstr (g, "profile", st->profile);
  json_gen_kstr (g, "envPolicy", st->env_policy);
  json_gen_kstr (g, "envPolicyFrom", st->env_policy_operator ? "operator" : "bundle");
  json_gen_kstr (g, "workspaceUpper", st->workspace_upper);
  json_gen_kstr (g, "workspaceLower", st->workspace_lower);
  json_gen_kbool (g, "workspaceTmpfs", st->workspace_tmpfs);
  json_gen_kbool (g, "workspaceUserxattr", st->workspace_userxattr);
  json_gen_str (g, "annotations");
  json_gen_map_open (g);
  for (size_t i = 0; i < st->annotations_len; i++)
    json_gen_kstr (g, st->annotations[i].key, st->annotations[i].value);
  json_gen_map_close (g);
  json_gen_map_close (g);
  return json_gen_finish (g);
}

static char *
tree_str (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_int_or (yajl_val root, const char *key, long long missing)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : missing;
}

static long long
tree_int (yajl_val root, const char *key)
{
  return tree_int_or (root, key, 0);
}

static bool
tree_true (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  return YAJL_IS_TRUE (yajl_tree_get (root, path, yajl_t_any));
}

static void
tree_annotations (yajl_val root, struct container_state *st)
{
  const char *apath[] = { "annotations", NULL };
  yajl_val ann = yajl_tree_get (root, apath, yajl_t_object);
  if (ann == NULL || YAJL_GET_OBJECT (ann)->len == 0)
    return;
  size_t n = YAJL_GET_OBJECT (ann)->len;
  st->annotations = xcalloc (n, sizeof *st->annotations);
  for (size_t i = 0; i < n; i++)
    {
      yajl_val v = YAJL_GET_OBJECT (ann)->values[i];
      st->annotations[st->annotations_len].key = xstrdup (YAJL_GET_OBJECT (ann)->keys[i]);
      st->annotations[st->annotations_len++].value = xstrdup (YAJL_IS_STRING (v) ? YAJL_GET_STRING (v) : "");
    }
}

struct container_state *
state_file_parse (const char *data, size_t len, const char *what, struct cr_error *err)
{
  _cleanup_json_tree_ yajl_val root = json_tree_parse (data, len, what, err);
  if (root == NULL)
    return NULL;
  struct container_state *st = xcalloc (1, sizeof *st);
  st->id = tree_str (root, "id");
  st->bundle = tree_str (root, "bundle");
  st->rootfs = tree_str (root, "rootfs");
  st->pid = tree_int (root, "pid");
  st->pid_start_time = tree_int (root, "pidStartTime");
  st->created = tree_str (root, "created");
  st->owner = tree_str (root, "owner");
  st->owner_uid = tree_int_or (root, "ownerUid", -1);
  st->cgroup_root = tree_str (root, "cgroupRoot");
  st->cgroup_path = tree_str (root, "cgroupPath");
  st->systemd_unit = tree_str (root, "systemdUnit");
  st->profile = tree_str (root, "profile");
  st->env_policy = tree_str (root, "envPolicy");
  /* Absent (older state): the bundle's, so the secret denylist applies. */
  _cleanup_free_ char *env_from = tree_str (root, "envPolicyFrom");
  st->env_policy_operator = env_from && strcmp (env_from, "operator") == 0;
  st->workspace_upper = tree_str (root, "workspaceUpper");
  st->workspace_lower = tree_str (root, "workspaceLower");
  st->workspace_tmpfs = tree_true (root, "workspaceTmpfs");
  /* Absent in older state files, whose overlays never used userxattr. */
  st->workspace_userxattr = tree_true (root, "workspaceUserxattr");
  tree_annotations (root, st);
  return st;
}

void
state_file_free (struct container_state *st)
{
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_root);
  free (st->cgroup_path);
  free (st->systemd_unit);
  free (st->profile);
  free (st->env_policy);
  free (st->workspace_upper);
  free (st->workspace_lower);
  for (size_t i = 0; i < st->annotations_len; i++)
    {
      free (st->annotations[i].key);
      free (st->annotations[i].value);
    }
  free (st->annotations);
  free (st);
}
