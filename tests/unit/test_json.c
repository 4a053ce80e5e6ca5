/* libocispec's document parser (json_tree_parse): strict JSON (no
   comments, one value, valid UTF-8) and a nesting limit enforced by the
   parser itself, for every document cellrun reads: config.json,
   process.json, resources.json and its own state.json. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "spec.h"
#include "state_json.h"
#include "unit.h"
#include "base/utils.h"

/* PREFIX, then N copies of OPEN, then INNER, then N copies of CLOSE, then SUFFIX. */
static char *
nested (const char *prefix, const char *open, size_t n, const char *inner, const char *close, const char *suffix)
{
  size_t lo = strlen (open), lc = strlen (close);
  size_t len = strlen (prefix) + n * (lo + lc) + strlen (inner) + strlen (suffix);
  char *s = malloc (len + 1), *p = s;
  p = stpcpy (p, prefix);
  for (size_t i = 0; i < n; i++)
    p = stpcpy (p, open);
  p = stpcpy (p, inner);
  for (size_t i = 0; i < n; i++)
    p = stpcpy (p, close);
  stpcpy (p, suffix);
  return s;
}

/* Parse TEXT as WHAT; true when it was refused, the message in ERR. */
static bool
refused (const char *text, size_t len, struct cr_error *err)
{
  cr_error_clear (err);
  json_val v = json_tree_parse (text, len, "doc.json", err);
  json_tree_free (v);
  return v == NULL;
}

static bool
refused_str (const char *text, struct cr_error *err)
{
  return refused (text, strlen (text), err);
}

static void
test_comments (void)
{
  struct cr_error err;
  static const struct
  {
    const char *doc, *why;
  } docs[] = {
    { "{\"a\": 1 /* c */}", "comment" },
    /* after the value yajl stops at the first byte it does not expect */
    { "{\"a\": 1} // trailing", "trailing garbage" },
    { "/* lead */ {\"a\": 1}", "comment" },
    { "{\"a\": [1, // c\n 2]}", "comment" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (docs); i++)
    {
      CHECK (refused_str (docs[i].doc, &err), "comment %zu refused", i);
      CHECK (strstr (err.msg, docs[i].why) != NULL && has_prefix (err.msg, "doc.json: invalid JSON: "),
             "comment %zu message says why: %s", i, err.msg);
    }
  /* The same text inside a string is data, not a comment. */
  CHECK (!refused_str ("{\"a\": \"/* not a comment */ // nor this\"}", &err), "comment markers in a string are data");

  /* The attack of issue 9: a quote inside a comment fooled the old
     bracket pre-scan into thinking the brackets were string text. */
  char *attack = nested ("{\"x\": /*\"*/ ", "[", 300000, "", "]", " /*\"*/}");
  CHECK (refused_str (attack, &err), "quote-in-comment nesting attack refused");
  CHECK (has_prefix (err.msg, "doc.json: invalid JSON: "), "attack message: %s", err.msg);
  free (attack);

  const char *cfg = "{\"ociVersion\": \"1.0.2\" /**/}";
  struct spec *s = spec_parse_data (cfg, strlen (cfg), &err);
  CHECK (s == NULL && has_prefix (err.msg, "config.json: invalid JSON: ") && strstr (err.msg, "comment"),
         "config.json with a comment refused: %s", err.msg);
  spec_free (s);
}

static void
test_depth (void)
{
  struct cr_error err;
  char buf[64];
  snprintf (buf, sizeof buf, "doc.json: invalid JSON: nesting deeper than %d levels", JSON_MAX_DEPTH);

  char *at = nested ("", "[", JSON_MAX_DEPTH, "1", "]", "");
  CHECK (!refused_str (at, &err), "exactly %d levels of arrays accepted", JSON_MAX_DEPTH);
  free (at);
  char *over = nested ("", "[", JSON_MAX_DEPTH + 1, "1", "]", "");
  CHECK (refused_str (over, &err), "%d levels of arrays refused", JSON_MAX_DEPTH + 1);
  CHECK_STR (err.msg, buf, "depth message");
  free (over);

  char *objs = nested ("", "{\"a\":", JSON_MAX_DEPTH + 1, "1", "}", "");
  CHECK (refused_str (objs, &err), "%d levels of objects refused", JSON_MAX_DEPTH + 1);
  CHECK_STR (err.msg, buf, "object depth message");
  free (objs);

  /* Mixed, deep and unterminated: refused at the limit, long before EOF. */
  char *mixed = nested ("", "[{\"k\":", 150000, "", "", "");
  CHECK (refused_str (mixed, &err), "300000 mixed levels, unterminated, refused");
  CHECK_STR (err.msg, buf, "mixed depth message");
  free (mixed);

  char *deep = nested ("{\"x\": ", "[", 300000, "", "]", "}");
  CHECK (refused_str (deep, &err), "300000 levels without comments refused");
  CHECK_STR (err.msg, buf, "300000 levels message");
  free (deep);

  /* Brackets in strings are not nesting: the limit counts what the parser builds. */
  char *str = nested ("{\"s\": \"", "[{", 5000, "", "", "\"}");
  CHECK (!refused_str (str, &err), "brackets inside a string do not count");
  free (str);

  /* Many siblings at a shallow depth are fine. */
  char *wide = nested ("[", "[1],", 10000, "[2]", "", "]");
  cr_error_clear (&err);
  json_val v = json_tree_parse (wide, strlen (wide), "doc.json", &err);
  CHECK (v && YAJL_IS_ARRAY (v) && v->u.array.len == 10001, "10001 siblings parsed");
  json_tree_free (v);
  free (wide);

  /* The value budget: the array itself plus its elements. */
  char *at_limit = nested ("[", "0,", JSON_MAX_VALUES - 2, "0", "", "]");
  CHECK (!refused_str (at_limit, &err), "%u values accepted: %s", JSON_MAX_VALUES, err.msg);
  free (at_limit);
  char *many = nested ("[", "0,", JSON_MAX_VALUES - 1, "0", "", "]");
  CHECK (refused_str (many, &err), "%u values refused", JSON_MAX_VALUES + 1);
  snprintf (buf, sizeof buf, "doc.json: invalid JSON: more than %u values", JSON_MAX_VALUES);
  CHECK_STR (err.msg, buf, "value budget message");
  free (many);
}

/* Every entry point cellrun reads a document through uses the same parser. */
static void
test_entry_points (void)
{
  struct cr_error err;
  char *deep = nested ("{\"args\": ", "[", 300000, "", "]", "}");
  size_t len = strlen (deep);

  cr_error_clear (&err);
  struct spec *s = spec_parse_data (deep, len, &err);
  CHECK (s == NULL && has_prefix (err.msg, "config.json: invalid JSON: nesting deeper"), "config.json: %s", err.msg);
  spec_free (s);

  cr_error_clear (&err);
  struct spec_process *p = spec_parse_process_data (deep, len, &err);
  CHECK (p == NULL && has_prefix (err.msg, "process.json: invalid JSON: nesting deeper"), "process.json: %s", err.msg);
  spec_process_free (p);

  cr_error_clear (&err);
  struct spec_resources *r = spec_parse_resources_data (deep, len, &err);
  CHECK (r == NULL && has_prefix (err.msg, "resources.json: invalid JSON: nesting deeper"), "resources.json: %s",
         err.msg);
  spec_resources_free (r);

  cr_error_clear (&err);
  struct container_state *t = state_file_parse (deep, len, "state.json", &err);
  CHECK (t == NULL && has_prefix (err.msg, "state.json: invalid JSON: nesting deeper"), "state.json: %s", err.msg);
  state_file_free (t);

  cr_error_clear (&err);
  const char *proc = "{\"cwd\": \"/\", /* x */ \"args\": [\"sh\"]}";
  p = spec_parse_process_data (proc, strlen (proc), &err);
  CHECK (p == NULL && strstr (err.msg, "comment"), "process.json comment: %s", err.msg);
  spec_process_free (p);
  free (deep);
}

static void
test_strict (void)
{
  struct cr_error err;
  CHECK (refused_str ("{} {}", &err), "two top-level values refused");
  CHECK (refused_str ("{\"a\": 1} x", &err), "trailing garbage refused");
  CHECK (!refused_str ("{\"a\": 1}  \n\t", &err), "trailing whitespace accepted");
  CHECK (refused_str ("{\"a\": \"\xff\xfe\"}", &err), "invalid UTF-8 in a string refused");
  CHECK (refused ("{\"a\": 1}\0{", 10, &err), "a NUL byte ends nothing: refused");
  CHECK (refused_str ("", &err), "empty document refused");
  CHECK_STR (err.msg, "doc.json: invalid JSON: parse error: premature EOF", "empty document message");
  CHECK (refused_str ("[1, 2", &err), "unterminated array refused");
  CHECK (refused_str ("{\"a\": 1,}", &err), "trailing comma refused");

  cr_error_clear (&err);
  const char *doc = "{\"i\": -42, \"d\": 1.5, \"big\": 18446744073709551615, \"k\": [true, false, null], "
                    "\"k\": \"last\"}";
  json_val v = json_tree_parse (doc, strlen (doc), "doc.json", &err);
  CHECK (v != NULL && YAJL_IS_OBJECT (v) && v->u.object.len == 5, "object with five members: %s", err.msg);
  if (v != NULL && v->u.object.len == 5)
    {
      json_val i = v->u.object.values[0], d = v->u.object.values[1], big = v->u.object.values[2];
      CHECK (YAJL_IS_INTEGER (i) && YAJL_GET_INTEGER (i) == -42, "integer view");
      CHECK (!YAJL_IS_INTEGER (d) && YAJL_IS_DOUBLE (d) && YAJL_GET_DOUBLE (d) == 1.5, "double view");
      CHECK (!YAJL_IS_INTEGER (big) && strcmp (big->u.number.r, "18446744073709551615") == 0,
             "raw text kept beyond long long");
      json_val k = v->u.object.values[3];
      CHECK (YAJL_IS_ARRAY (k) && k->u.array.len == 3 && YAJL_IS_TRUE (k->u.array.values[0])
                 && YAJL_IS_FALSE (k->u.array.values[1]) && YAJL_IS_NULL (k->u.array.values[2]),
             "array of literals");
      json_val last = json_member (v, "k");
      CHECK (last && YAJL_IS_STRING (last) && strcmp (last->u.string, "last") == 0, "duplicate key: last wins");
    }
  json_tree_free (v);
}

int
main (void)
{
  test_comments ();
  test_depth ();
  test_entry_points ();
  test_strict ();
  return UNIT_DONE ();
}
