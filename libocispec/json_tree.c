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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "json.h"
#include "base/utils.h"

/* The tree lives in an arena: its nodes, keys, strings and member arrays
   are carved out of a few large chunks, and json_tree_free frees the chunks
   (one free per chunk instead of one per node: freeing the tree of a 3 KB
   config.json was a fifth of `exec`'s user instructions). Nothing of a
   tree is freed alone; every getter in json.c copies what it keeps. */
struct arena_chunk
{
  struct arena_chunk *next;
  size_t used, cap;
  _Alignas(max_align_t) unsigned char data[];
};

#define ARENA_ALIGN (sizeof (max_align_t))
#define ARENA_FIRST_CHUNK (16u * 1024)
#define ARENA_MAX_CHUNK (1u << 20)

static void *
arena_alloc (struct arena_chunk **chunks, size_t n)
{
  n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
  struct arena_chunk *c = *chunks;
  if (c == NULL || c->cap - c->used < n)
    {
      size_t cap = c ? c->cap * 2 : ARENA_FIRST_CHUNK;
      if (cap > ARENA_MAX_CHUNK)
        cap = ARENA_MAX_CHUNK;
      if (cap < n)
        cap = n;
      c = xmalloc (sizeof *c + cap);
      c->next = *chunks;
      c->used = 0;
      c->cap = cap;
      *chunks = c;
    }
  void *p = c->data + c->used;
  c->used += n;
  return p;
}

static void
arena_free (struct arena_chunk *c)
{
  while (c)
    {
      struct arena_chunk *next = c->next;
      free (c);
      c = next;
    }
}

/* The root handed out: the value itself first (a json_val points at it),
   then the arena holding the rest of the tree. */
struct tree_root
{
  struct yajl_val_s v;
  struct arena_chunk *chunks;
};

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
  const char *fail;           /* why a callback stopped the parse */
  struct arena_chunk *chunks; /* everything the tree is made of */
};

static json_val
new_value (struct tree_builder *b, yajl_type t)
{
  json_val v = arena_alloc (&b->chunks, sizeof *v);
  memset (v, 0, sizeof *v);
  v->type = t;
  return v;
}

static char *
arena_strndup (struct tree_builder *b, const void *s, size_t len)
{
  char *r = arena_alloc (&b->chunks, len + 1);
  memcpy (r, s, len);
  r[len] = '\0';
  return r;
}

/* Room for one more member of the open container F (doubling: a long
   array costs amortised O(1) per element). */
static void *
arena_grow (struct tree_builder *b, void *old, size_t len, size_t cap, size_t size)
{
  void *r = arena_alloc (&b->chunks, cap * size);
  if (len)
    memcpy (r, old, len * size);
  return r;
}

static void
frame_reserve (struct tree_builder *b, struct tree_frame *f)
{
  bool object = f->v->type == yajl_t_object;
  size_t len = object ? f->v->u.object.len : f->v->u.array.len;
  if (len < f->cap)
    return;
  f->cap = f->cap ? f->cap * 2 : 4;
  if (object)
    {
      f->v->u.object.keys = arena_grow (b, (void *) f->v->u.object.keys, len, f->cap, sizeof (char *));
      f->v->u.object.values = arena_grow (b, f->v->u.object.values, len, f->cap, sizeof (json_val));
    }
  else
    f->v->u.array.values = arena_grow (b, f->v->u.array.values, len, f->cap, sizeof (json_val));
}

/* Attach V to the open container (or make it the root). On failure V is
   freed and the parse is cancelled. */
/* Attach V to the open container (or make it the root). On failure the
   parse is cancelled (V stays in the arena, which goes with the builder). */
static int
attach (struct tree_builder *b, json_val v)
{
  if (++b->values > JSON_MAX_VALUES)
    {
      b->too_many = true;
      return 0;
    }
  if (b->depth == 0)
    {
      if (b->root != NULL)
        {
          /* yajl refuses a second top-level value itself; stay safe anyway. */
          b->fail = "more than one top-level value";
          return 0;
        }
      b->root = v;
      return 1;
    }
  struct tree_frame *f = &b->stack[b->depth - 1];
  if (f->v->type == yajl_t_object && f->key == NULL)
    {
      b->fail = "object value without a key";
      return 0;
    }
  frame_reserve (b, f);
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
  json_val v = new_value (b, t);
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
  f->key = arena_strndup (b, s, len);
  return 1;
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  struct tree_builder *b = ctx;
  json_val v = new_value (b, yajl_t_string);
  v->u.string = arena_strndup (b, s, len);
  return attach (b, v);
}

/* The raw text is what json.c reads; the integer and double views are
   filled as yajl_tree does, for callers using YAJL_IS_INTEGER. */
static int
on_number (void *ctx, const char *s, size_t len)
{
  struct tree_builder *b = ctx;
  json_val v = new_value (b, yajl_t_number);
  v->u.number.r = arena_strndup (b, s, len);
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
  return attach (ctx, new_value (ctx, yajl_t_null));
}

static int
on_boolean (void *ctx, int val)
{
  return attach (ctx, new_value (ctx, val ? yajl_t_true : yajl_t_false));
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

/* Everything built so far is in the arena. */
static void
builder_discard (struct tree_builder *b)
{
  b->depth = 0;
  b->root = NULL;
  arena_free (b->chunks);
  b->chunks = NULL;
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
      /* Nothing points at the root node: it moves into the handle that
         also owns the arena. */
      struct tree_root *r = xmalloc (sizeof *r);
      r->v = *b->root;
      r->chunks = b->chunks;
      b->chunks = NULL;
      b->root = NULL;
      root = &r->v;
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

/* V is a root json_tree_parse returned: its tree is in its arena. */
void
json_tree_free (json_val v)
{
  if (v == NULL)
    return;
  struct tree_root *r = (struct tree_root *) v;
  arena_free (r->chunks);
  free (r);
}
