#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "base/utils.h"

void
json_ctx_init (struct json_ctx *c, const char *root, struct cr_error *err)
{
  c->err = err;
  c->len = 0;
  c->path[0] = '\0';
  if (root != NULL && root[0] != '\0')
    json_push_key (c, root);
}

/* Paths longer than the buffer are truncated rather than refused: the
   message stays useful and parsing never depends on the path. */
static void
path_append (struct json_ctx *c, const char *fmt, ...)
{
  va_list ap;
  if (c->len >= sizeof c->path - 1)
    return;
  va_start (ap, fmt);
  int n = vsnprintf (c->path + c->len, sizeof c->path - c->len, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  c->len += (size_t) n;
  if (c->len >= sizeof c->path)
    c->len = sizeof c->path - 1;
}

size_t
json_push_key (struct json_ctx *c, const char *key)
{
  size_t old = c->len;
  path_append (c, c->len == 0 ? "%s" : ".%s", key);
  return old;
}

size_t
json_push_index (struct json_ctx *c, size_t index)
{
  size_t old = c->len;
  path_append (c, "[%zu]", index);
  return old;
}

void
json_pop (struct json_ctx *c, size_t old_len)
{
  c->len = old_len;
  c->path[old_len] = '\0';
}

static int
json_vfail (struct json_ctx *c, const char *key, const char *fmt, va_list ap)
{
  char msg[CR_ERROR_MSG_MAX];
  vsnprintf (msg, sizeof msg, fmt, ap);
  if (key == NULL)
    return cr_fail (c->err, 0, "%s: %s", c->path, msg);
  return cr_fail (c->err, 0, "%s%s%s: %s", c->path, c->len ? "." : "", key, msg);
}

int
json_fail (struct json_ctx *c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int r = json_vfail (c, NULL, fmt, ap);
  va_end (ap);
  return r;
}

int
json_fail_key (struct json_ctx *c, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int r = json_vfail (c, key, fmt, ap);
  va_end (ap);
  return r;
}

json_val
json_member (json_val obj, const char *key)
{
  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  /* Last occurrence wins, as in most JSON decoders. */
  for (size_t i = obj->u.object.len; i > 0; i--)
    if (strcmp (obj->u.object.keys[i - 1], key) == 0)
      {
        json_val v = obj->u.object.values[i - 1];
        return YAJL_IS_NULL (v) ? NULL : v;
      }
  return NULL;
}

static int
member_or_missing (struct json_ctx *c, json_val obj, const char *key, bool required, json_val *out)
{
  *out = json_member (obj, key);
  if (*out == NULL)
    return required ? json_fail_key (c, key, "missing required field") : 0;
  return 1;
}

int
json_get_object (struct json_ctx *c, json_val obj, const char *key, bool required, json_val *out)
{
  json_val v;
  int r = member_or_missing (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  if (!YAJL_IS_OBJECT (v))
    return json_fail_key (c, key, "expected an object");
  *out = v;
  return 1;
}

int
json_get_array (struct json_ctx *c, json_val obj, const char *key, bool required, json_val *out)
{
  json_val v;
  int r = member_or_missing (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  if (!YAJL_IS_ARRAY (v))
    return json_fail_key (c, key, "expected an array");
  *out = v;
  return 1;
}

int
json_get_string (struct json_ctx *c, json_val obj, const char *key, bool required, char **out)
{
  json_val v;
  int r = member_or_missing (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  if (!YAJL_IS_STRING (v))
    return json_fail_key (c, key, "expected a string");
  free (*out);
  *out = xstrdup (v->u.string);
  return 1;
}

int
json_get_bool (struct json_ctx *c, json_val obj, const char *key, bool required, bool *out)
{
  json_val v;
  int r = member_or_missing (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return json_fail_key (c, key, "expected a boolean");
  *out = YAJL_IS_TRUE (v);
  return 1;
}

/* True when yajl's raw number text is a plain integer (no fraction or
   exponent): 1.0 or 1e3 are not accepted where the spec says integer. */
static bool
number_is_integer (json_val v)
{
  const char *s = v->u.number.r;
  if (s == NULL || *s == '\0')
    return false;
  return strpbrk (s, ".eE") == NULL;
}

int
json_as_uint64 (struct json_ctx *c, json_val v, uint64_t max, uint64_t *out)
{
  if (!YAJL_IS_NUMBER (v) || !number_is_integer (v) || v->u.number.r[0] == '-')
    return json_fail (c, "expected a non-negative integer");
  /* Parse the raw text: yajl's long long cannot hold values above
     INT64_MAX, which rlimits (RLIM_INFINITY) and seccomp args use. */
  errno = 0;
  char *end = NULL;
  unsigned long long n = strtoull (v->u.number.r, &end, 10);
  if (errno == ERANGE || end == NULL || *end != '\0' || n > max)
    return json_fail (c, "integer out of range (max %" PRIu64 ")", max);
  *out = n;
  return 1;
}

int
json_as_int64 (struct json_ctx *c, json_val v, int64_t min, int64_t max, int64_t *out)
{
  if (!YAJL_IS_NUMBER (v) || !number_is_integer (v))
    return json_fail (c, "expected an integer");
  errno = 0;
  char *end = NULL;
  long long n = strtoll (v->u.number.r, &end, 10);
  if (errno == ERANGE || end == NULL || *end != '\0' || n < min || n > max)
    return json_fail (c, "integer out of range (%" PRId64 " to %" PRId64 ")", min, max);
  *out = n;
  return 1;
}

static int
get_uint (struct json_ctx *c, json_val obj, const char *key, bool required, uint64_t max, uint64_t *out)
{
  json_val v;
  int r = member_or_missing (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  size_t old = json_push_key (c, key);
  r = json_as_uint64 (c, v, max, out);
  json_pop (c, old);
  return r;
}

static int
get_int (struct json_ctx *c, json_val obj, const char *key, bool required, int64_t min, int64_t max, int64_t *out)
{
  json_val v;
  int r = member_or_missing (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  size_t old = json_push_key (c, key);
  r = json_as_int64 (c, v, min, max, out);
  json_pop (c, old);
  return r;
}

int
json_get_int64 (struct json_ctx *c, json_val obj, const char *key, bool required, int64_t *out)
{
  return get_int (c, obj, key, required, INT64_MIN, INT64_MAX, out);
}

int
json_get_int (struct json_ctx *c, json_val obj, const char *key, bool required, int *out)
{
  int64_t n = 0;
  int r = get_int (c, obj, key, required, INT32_MIN, INT32_MAX, &n);
  if (r > 0)
    *out = (int) n;
  return r;
}

int
json_get_uint64 (struct json_ctx *c, json_val obj, const char *key, bool required, uint64_t *out)
{
  return get_uint (c, obj, key, required, UINT64_MAX, out);
}

int
json_get_uint32 (struct json_ctx *c, json_val obj, const char *key, bool required, uint32_t *out)
{
  uint64_t n = 0;
  int r = get_uint (c, obj, key, required, UINT32_MAX, &n);
  if (r > 0)
    *out = (uint32_t) n;
  return r;
}

int
json_get_uint16 (struct json_ctx *c, json_val obj, const char *key, bool required, uint16_t *out)
{
  uint64_t n = 0;
  int r = get_uint (c, obj, key, required, UINT16_MAX, &n);
  if (r > 0)
    *out = (uint16_t) n;
  return r;
}

void
json_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

int
json_get_strv (struct json_ctx *c, json_val obj, const char *key, bool required, char ***out, size_t *len)
{
  json_val v;
  int r = member_or_missing (c, obj, key, required, &v);
  if (r <= 0)
    return r;
  if (!YAJL_IS_ARRAY (v))
    return json_fail_key (c, key, "expected an array of strings");
  size_t n = v->u.array.len;
  for (size_t i = 0; i < n; i++)
    if (!YAJL_IS_STRING (v->u.array.values[i]))
      return json_fail_key (c, key, "expected an array of strings");
  char **list = xcalloc (n + 1, sizeof *list);
  for (size_t i = 0; i < n; i++)
    list[i] = xstrdup (v->u.array.values[i]->u.string);
  json_strv_free (*out);
  *out = list;
  *len = n;
  return 1;
}

void
json_kv_free (struct spec_kv *kv, size_t len)
{
  if (kv == NULL)
    return;
  for (size_t i = 0; i < len; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

int
json_get_string_map (struct json_ctx *c, json_val obj, const char *key, struct spec_kv **out, size_t *len)
{
  json_val v;
  int r = json_get_object (c, obj, key, false, &v);
  if (r <= 0)
    return r;
  size_t n = v->u.object.len;
  size_t old = json_push_key (c, key);
  for (size_t i = 0; i < n; i++)
    if (!YAJL_IS_STRING (v->u.object.values[i]))
      {
        r = json_fail_key (c, v->u.object.keys[i], "expected a string");
        json_pop (c, old);
        return r;
      }
  json_pop (c, old);
  struct spec_kv *kv = xcalloc (n ? n : 1, sizeof *kv);
  for (size_t i = 0; i < n; i++)
    {
      kv[i].key = xstrdup (v->u.object.keys[i]);
      kv[i].value = xstrdup (v->u.object.values[i]->u.string);
    }
  json_kv_free (*out, *len);
  *out = kv;
  *len = n;
  return 1;
}

int
json_check_enum (struct json_ctx *c, const char *key, const char *s, const char *const *choices)
{
  char list[CR_ERROR_MSG_MAX / 2];
  size_t used = 0;
  for (const char *const *p = choices; *p; p++)
    if (strcmp (s, *p) == 0)
      return 0;
  list[0] = '\0';
  for (const char *const *p = choices; *p && used < sizeof list; p++)
    {
      int n = snprintf (list + used, sizeof list - used, "%s%s", p == choices ? "" : ", ", *p);
      if (n < 0)
        break;
      used += (size_t) n;
    }
  return json_fail_key (c, key, "unsupported value \"%s\" (expected one of: %s)", s, list);
}

/* Generator. yajl_gen only fails on misuse (unbalanced maps, keys in
   arrays), which would be a bug in this library, so statuses are not
   threaded through every call. */

yajl_gen
json_gen_new (bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "\t");
    }
  return g;
}

char *
json_gen_finish (yajl_gen g)
{
  const unsigned char *buf = NULL;
  size_t len = 0;
  char *out;
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    abort ();
  out = xmalloc (len + 2);
  memcpy (out, buf, len);
  out[len] = '\0';
  yajl_gen_free (g);
  return out;
}

void
json_gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

void
json_gen_uint (yajl_gen g, uint64_t v)
{
  char buf[32];
  /* yajl_gen_integer takes a long long; print ourselves to keep the top bit. */
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  yajl_gen_number (g, buf, (size_t) n);
}

void
json_gen_int (yajl_gen g, int64_t v)
{
  yajl_gen_integer (g, (long long) v);
}

void
json_gen_bool (yajl_gen g, bool v)
{
  yajl_gen_bool (g, v);
}

void
json_gen_map_open (yajl_gen g)
{
  yajl_gen_map_open (g);
}

void
json_gen_map_close (yajl_gen g)
{
  yajl_gen_map_close (g);
}

void
json_gen_array_open (yajl_gen g)
{
  yajl_gen_array_open (g);
}

void
json_gen_array_close (yajl_gen g)
{
  yajl_gen_array_close (g);
}

void
json_gen_kstr (yajl_gen g, const char *key, const char *v)
{
  if (v == NULL)
    return;
  json_gen_str (g, key);
  json_gen_str (g, v);
}

void
json_gen_kbool (yajl_gen g, const char *key, bool v)
{
  json_gen_str (g, key);
  yajl_gen_bool (g, v);
}

void
json_gen_kuint (yajl_gen g, const char *key, uint64_t v)
{
  json_gen_str (g, key);
  json_gen_uint (g, v);
}

void
json_gen_kint (yajl_gen g, const char *key, int64_t v)
{
  json_gen_str (g, key);
  json_gen_int (g, v);
}

void
json_gen_kstrv (yajl_gen g, const char *key, char *const *v, size_t len)
{
  if (v == NULL)
    return;
  json_gen_str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < len; i++)
    json_gen_str (g, v[i]);
  yajl_gen_array_close (g);
}

void
json_gen_kstrlist (yajl_gen g, const char *key, const char *const *v)
{
  json_gen_str (g, key);
  yajl_gen_array_open (g);
  for (; *v; v++)
    json_gen_str (g, *v);
  yajl_gen_array_close (g);
}

void
json_gen_kmap (yajl_gen g, const char *key, const struct spec_kv *kv, size_t len)
{
  json_gen_str (g, key);
  yajl_gen_map_open (g);
  for (size_t i = 0; i < len; i++)
    {
      json_gen_str (g, kv[i].key);
      json_gen_str (g, kv[i].value ? kv[i].value : "");
    }
  yajl_gen_map_close (g);
}

int
json_get_object_array (struct json_ctx *c, json_val obj, const char *key, bool required, size_t elem_size, void **out,
                       size_t *len, json_elem_fn fn)
{
  json_val arr;
  int r = json_get_array (c, obj, key, required, &arr);
  if (r <= 0)
    return r;
  size_t n = arr->u.array.len;
  char *elems = xcalloc (n ? n : 1, elem_size);
  *out = elems;
  *len = n;
  size_t old = json_push_key (c, key);
  for (size_t i = 0; i < n; i++)
    {
      size_t old_i = json_push_index (c, i);
      json_val v = arr->u.array.values[i];
      if (!YAJL_IS_OBJECT (v))
        r = json_fail (c, "expected an object");
      else
        r = fn (c, v, elems + i * elem_size);
      json_pop (c, old_i);
      if (r < 0)
        break;
    }
  json_pop (c, old);
  return r < 0 ? r : 1;
}
