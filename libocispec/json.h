/* Private helpers over yajl for libocispec: typed getters that report
   errors naming the JSON path ("linux.namespaces[0].type: ..."), and a
   few generator shortcuts. Nothing outside libocispec includes this, so
   yajl could be swapped without touching the runtime. */
#ifndef LIBOCISPEC_JSON_H
#define LIBOCISPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "spec.h"

typedef yajl_val json_val;

#define JSON_PATH_MAX 512

/* Parse state: the JSON path of the value being looked at, and where
   errors go. */
struct json_ctx
{
  char path[JSON_PATH_MAX];
  size_t len;
  struct cr_error *err;
};

void json_ctx_init (struct json_ctx *c, const char *root, struct cr_error *err);
/* Descend into KEY or [INDEX]; both return the previous length for json_pop. */
size_t json_push_key (struct json_ctx *c, const char *key);
size_t json_push_index (struct json_ctx *c, size_t index);
void json_pop (struct json_ctx *c, size_t old_len);

/* Fail with "<current path>: <message>". */
int json_fail (struct json_ctx *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Fail with "<current path>.<key>: <message>". */
int json_fail_key (struct json_ctx *c, const char *key, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Deepest nesting of arrays and objects a document may have. No OCI
   document comes near it; the limit keeps every walk of a tree (and its
   free) within a small, fixed stack. */
#define JSON_MAX_DEPTH 256
/* Most values (of any type, containers included) in one document: a
   tree node costs ~50 bytes, so this bounds what a hostile document of
   short values ("[0,0,0,...") can make the parser allocate (~64 MiB).
   A large real config (podman's, a full seccomp profile) has a few
   thousand. */
#define JSON_MAX_VALUES (1u << 20)

/* Parse a whole document as strict JSON (RFC 8259: no comments, valid
   UTF-8, one value, at most JSON_MAX_DEPTH levels and JSON_MAX_VALUES
   values, enforced by the parser
   as it builds); WHAT names it in the error ("config.json: invalid JSON:
   ..."). Free with json_tree_free. */
json_val json_tree_parse (const char *data, size_t len, const char *what, struct cr_error *err);
void json_tree_free (json_val v);
static inline void
json_tree_freep (json_val *v)
{
  json_tree_free (*v);
}
/* A parsed tree freed when the variable goes out of scope. */
#define _cleanup_json_tree_ __attribute__ ((cleanup (json_tree_freep)))

/* Member of object OBJ named KEY, NULL when absent. A JSON null counts as
   absent: several generators write null for "not set". */
json_val json_member (json_val obj, const char *key);

/* Typed getters. Each returns 1 when the member is present and valid
   (stored in *OUT), 0 when absent (an error if REQUIRED), or a negative
   code with the error filled. */
int json_get_object (struct json_ctx *c, json_val obj, const char *key, bool required, json_val *out);
int json_get_array (struct json_ctx *c, json_val obj, const char *key, bool required, json_val *out);
int json_get_string (struct json_ctx *c, json_val obj, const char *key, bool required, char **out);
int json_get_bool (struct json_ctx *c, json_val obj, const char *key, bool required, bool *out);
int json_get_int64 (struct json_ctx *c, json_val obj, const char *key, bool required, int64_t *out);
int json_get_int (struct json_ctx *c, json_val obj, const char *key, bool required, int *out);
int json_get_uint64 (struct json_ctx *c, json_val obj, const char *key, bool required, uint64_t *out);
int json_get_uint32 (struct json_ctx *c, json_val obj, const char *key, bool required, uint32_t *out);
int json_get_uint16 (struct json_ctx *c, json_val obj, const char *key, bool required, uint16_t *out);
/* Array of strings, NULL terminated, plus count. */
int json_get_strv (struct json_ctx *c, json_val obj, const char *key, bool required, char ***out, size_t *len);
/* Object whose values are all strings. */
int json_get_string_map (struct json_ctx *c, json_val obj, const char *key, struct spec_kv **out, size_t *len);

/* Array of objects: allocates *OUT (ELEM_SIZE each, zeroed) and sets *LEN
   before parsing elements, so on a failure part-way the owner's free
   function releases whatever was filled. FN parses one element with the
   path pointing at it. */
typedef int (*json_elem_fn) (struct json_ctx *c, json_val v, void *elem);
int json_get_object_array (struct json_ctx *c, json_val obj, const char *key, bool required, size_t elem_size,
                           void **out, size_t *len, json_elem_fn fn);

/* Value-level checks used by the getters and by callers iterating arrays. */
int json_as_uint64 (struct json_ctx *c, json_val v, uint64_t max, uint64_t *out);
int json_as_int64 (struct json_ctx *c, json_val v, int64_t min, int64_t max, int64_t *out);

/* Check S is one of the NULL-terminated CHOICES; error names them. */
int json_check_enum (struct json_ctx *c, const char *key, const char *s, const char *const *choices);

void json_kv_free (struct spec_kv *kv, size_t len);
void json_strv_free (char **v);

/* Generator shortcuts; all abort on OOM like xmalloc. */
yajl_gen json_gen_new (bool pretty);
/* Take the generated text (malloc'd, NUL terminated) and free G. */
char *json_gen_finish (yajl_gen g);
void json_gen_str (yajl_gen g, const char *s);
void json_gen_uint (yajl_gen g, uint64_t v);
void json_gen_int (yajl_gen g, int64_t v);
void json_gen_bool (yajl_gen g, bool v);
void json_gen_map_open (yajl_gen g);
void json_gen_map_close (yajl_gen g);
void json_gen_array_open (yajl_gen g);
void json_gen_array_close (yajl_gen g);
/* "key": value pairs; kstr skips a NULL value, kstrv a NULL array. */
void json_gen_kstr (yajl_gen g, const char *key, const char *v);
void json_gen_kbool (yajl_gen g, const char *key, bool v);
void json_gen_kuint (yajl_gen g, const char *key, uint64_t v);
void json_gen_kint (yajl_gen g, const char *key, int64_t v);
void json_gen_kstrv (yajl_gen g, const char *key, char *const *v, size_t len);
/* String array from a NULL-terminated list of literals. */
void json_gen_kstrlist (yajl_gen g, const char *key, const char *const *v);
void json_gen_kmap (yajl_gen g, const char *key, const struct spec_kv *kv, size_t len);

/* Return on a getter error. */
#define TRY(expr)      \
  do                   \
    {                  \
      int _r = (expr); \
      if (_r < 0)      \
        return _r;     \
    }                  \
  while (0)

/* Store presence of an optional field in its has_* flag. */
#define OPT(flag, expr) \
  do                    \
    {                   \
      int _r = (expr);  \
      if (_r < 0)       \
        return _r;      \
      (flag) = _r > 0;  \
    }                   \
  while (0)

/* Shared between the libocispec source files (not public API). */
int spec_resources_parse_json (struct json_ctx *c, json_val obj, struct spec_resources **out);
void spec_resources_gen (yajl_gen g, const struct spec_resources *r);
int spec_process_parse_json (struct json_ctx *c, json_val obj, struct spec_process **out);
void spec_process_gen (yajl_gen g, const struct spec_process *p);

#endif
