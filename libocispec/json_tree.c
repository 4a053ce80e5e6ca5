/* The document parser behind json_tree_parse: yajl's event parser with
   strict JSON options, building yajl_val trees (the layout the getters in
   json.c read) through our own callbacks.

   Why not yajl_tree_parse: it always accepts comments, and it has no depth
   limit, while yajl_tree_free recurses once per level, so a few hundred
   kilobytes of "[" exhaust the stack. A byte pre-scan cannot enforce the
   limit because it does not lex like the parser (a comment holding a quote
   hides the brackets from it). Here the limit is counted in the callbacks
   that open containers, so it holds for exactly what the parser builds,
   and no tree deeper than JSON_MAX_DEPTH ever exists. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "json.h"
#include "base/utils.h"

struct tree_frame
{
  json_val v;
  char *key;  /* object member waiting for its value */
  size_t cap; /* allocated slots of v's keys/values */
};

struct tree_builder
{
  struct tree_frame stack[JSON_MAX_DEPTH];
  size_t depth;
  size_t values; /* built so far */
  json_val root;
  bool too_deep, too_many;
  const char *fail; /* why a callback stopped the parse */
};

static json_val
new_value (yajl_type t)
{
  json_val v = xcalloc (1, sizeof *v);
  v->type = t;
  return v;
}

/* Attach V to the open container (or make it the root). On failure V is
   freed and the parse is cancelled. */
/* Room for one more member of the open container F (doubling: a long
   array costs amortised O(1) per element). */
static void
frame_reserve (struct tree_frame *f)
{
  bool object = f->v->type == yajl_t_object;
  size_t len = object ? f->v->u.object.len : f->v->u.array.len;
  if (len < f->cap)
    return;
  f->cap = f->cap ? f->cap * 2 : 4;
  if (object)
    {
      f->v->u.object.keys = xrealloc ((void *) f->v->u.object.keys, f->cap * sizeof (char *));
      f->v->u.object.values = xrealloc (f->v->u.object.values, f->cap * sizeof (json_val));
    }
  else
    f->v->u.array.values = xrealloc (f->v->u.array.values, f->cap * sizeof (json_val));
}

/* Attach V to the open container (or make it the root). On failure V is
   freed and the parse is cancelled. */
static int
attach (struct tree_builder *b, json_val v)
{
  if (++b->values > JSON_MAX_VALUES)
    {
      json_tree_free (v);
      b->too_many = true;
      return 0;
    }
  if (b->depth == 0)
    {
      if (b->root != NULL)
        {
          /* yajl refuses a second top-level value itself; stay safe anyway. */
          json_tree_free (v);
          b->fail = "more than one top-level value";
          return 0;
        }
      b->root = v;
      return 1;
    }
  struct tree_frame *f = &b->stack[b->depth - 1];
  if (f->v->type == yajl_t_object && f->key == NULL)
    {
      json_tree_free (v);
      b->fail = "object value without a key";
      return 0;
    }
  frame_reserve (f);
  if (f->v->type == yajl_t_array)
    f->v->u.array.values[f->v->u.array.len++] = v;
  else
    {
      f->v->u.object.keys[f->v->u.object.len] = f->key;
      f->v->u.object.values[f->v->u.object.len++] = v;
      f->key = NULL;
    }
  return 1;
}

static int
open_container (void *ctx, yajl_type t)
{
  struct tree_builder *b = ctx;
  if (b->depth >= JSON_MAX_DEPTH)
    {
      b->too_deep = true;
      return 0;
    }
  json_val v = new_value (t);
  if (!attach (b, v))
    return 0;
  b->stack[b->depth] = (struct tree_frame){ .v = v };
  b->depth++;
  return 1;
}

static int
close_container (void *ctx)
{
  struct tree_builder *b = ctx;
  if (b->depth == 0)
    {
      b->fail = "unbalanced close";
      return 0;
    }
  b->depth--;
  free (b->stack[b->depth].key);
  b->stack[b->depth].key = NULL;
  return 1;
}

static int
on_start_map (void *ctx)
{
  return open_container (ctx, yajl_t_object);
}

static int
on_start_array (void *ctx)
{
  return open_container (ctx, yajl_t_array);
}

static int
on_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct tree_builder *b = ctx;
  if (b->depth == 0 || b->stack[b->depth - 1].v->type != yajl_t_object)
    {
      b->fail = "key outside an object";
      return 0;
    }
  struct tree_frame *f = &b->stack[b->depth - 1];
  free (f->key);
  f->key = xmalloc (len + 1);
  memcpy (f->key, s, len);
  f->key[len] = '\0';
  return 1;
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  json_val v = new_value (yajl_t_string);
  v->u.string = xmalloc (len + 1);
  memcpy (v->u.string, s, len);
  v->u.string[len] = '\0';
  return attach (ctx, v);
}

/* The raw text is what json.c reads; the integer and double views are
   filled as yajl_tree does, for callers using YAJL_IS_INTEGER. */
static int
on_number (void *ctx, const char *s, size_t len)
{
  json_val v = new_value (yajl_t_number);
  v->u.number.r = xmalloc (len + 1);
  memcpy (v->u.number.r, s, len);
  v->u.number.r[len] = '\0';
  char *end;
  if (strpbrk (v->u.number.r, ".eE") == NULL)
    {
      errno = 0;
      v->u.number.i = strtoll (v->u.number.r, &end, 10);
      if (errno == 0 && *end == '\0')
        v->u.number.flags |= YAJL_NUMBER_INT_VALID;
    }
  errno = 0;
  v->u.number.d = strtod (v->u.number.r, &end);
  if (errno == 0 && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
  return attach (ctx, v);
}

static int
on_null (void *ctx)
{
  return attach (ctx, new_value (yajl_t_null));
}

static int
on_boolean (void *ctx, int val)
{
  return attach (ctx, new_value (val ? yajl_t_true : yajl_t_false));
}

static const yajl_callbacks tree_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = close_container,
  .yajl_start_array = on_start_array,
  .yajl_end_array = close_container,
};

/* Everything built so far hangs off the root; pending keys are the only
   other allocations. */
static void
builder_discard (struct tree_builder *b)
{
  for (size_t i = 0; i < b->depth; i++)
    free (b->stack[i].key);
  b->depth = 0;
  json_tree_free (b->root);
  b->root = NULL;
}

/* yajl's message is "parse error: <why>" plus, in verbose mode, the text
   around the error on further lines; keep the first line. */
static void
yajl_message (yajl_handle h, const char *data, size_t len, char *buf, size_t size)
{
  unsigned char *e = yajl_get_error (h, 0, (const unsigned char *) data, len);
  snprintf (buf, size, "%s", e ? (const char *) e : "parse error");
  if (e)
    yajl_free_error (h, e);
  buf[strcspn (buf, "\n")] = '\0';
  size_t n = strlen (buf);
  while (n > 0 && buf[n - 1] == ' ')
    buf[--n] = '\0';
}

json_val
json_tree_parse (const char *data, size_t len, const char *what, struct cr_error *err)
{
  struct tree_builder *b = xcalloc (1, sizeof *b);
  yajl_handle h = yajl_alloc (&tree_callbacks, NULL, b);
  if (h == NULL)
    abort ();
  /* Strict JSON: no comments, valid UTF-8, one value, nothing after it. */
  yajl_config (h, yajl_allow_comments, 0);
  yajl_config (h, yajl_dont_validate_strings, 0);
  yajl_config (h, yajl_allow_trailing_garbage, 0);
  yajl_config (h, yajl_allow_multiple_values, 0);
  yajl_config (h, yajl_allow_partial_values, 0);
  yajl_status s = yajl_parse (h, (const unsigned char *) data, len);
  if (s == yajl_status_ok)
    s = yajl_complete_parse (h);
  json_val root = NULL;
  if (s == yajl_status_ok && b->root != NULL && b->depth == 0)
    {
      root = b->root;
      b->root = NULL;
    }
  else if (s == yajl_status_client_canceled && b->too_deep)
    cr_fail (err, 0, "%s: invalid JSON: nesting deeper than %d levels", what, JSON_MAX_DEPTH);
  else if (s == yajl_status_client_canceled && b->too_many)
    cr_fail (err, 0, "%s: invalid JSON: more than %u values", what, JSON_MAX_VALUES);
  else if (s == yajl_status_client_canceled)
    cr_fail (err, 0, "%s: invalid JSON: %s", what, b->fail ? b->fail : "parse error");
  else if (s == yajl_status_ok)
    cr_fail (err, 0, "%s: invalid JSON: parse error: premature EOF", what);
  else
    {
      char msg[256];
      yajl_message (h, data, len, msg, sizeof msg);
      cr_fail (err, 0, "%s: invalid JSON: %s", what, msg[0] ? msg : "parse error");
    }
  builder_discard (b);
  yajl_free (h);
  free (b);
  return root;
}

/* Recursion is bounded: no tree deeper than JSON_MAX_DEPTH is built. */
void
json_tree_free (json_val v)
{
  if (v == NULL)
    return;
  switch (v->type)
    {
    case yajl_t_string: free (v->u.string); break;
    case yajl_t_number: free (v->u.number.r); break;
    case yajl_t_object:
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          free ((void *) v->u.object.keys[i]);
          json_tree_free (v->u.object.values[i]);
        }
      free ((void *) v->u.object.keys);
      free (v->u.object.values);
      break;
    case yajl_t_array:
      for (size_t i = 0; i < v->u.array.len; i++)
        json_tree_free (v->u.array.values[i]);
      free (v->u.array.values);
      break;
    default: break;
    }
  free (v);
}
