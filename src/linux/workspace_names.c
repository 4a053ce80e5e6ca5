/* How `cellrun diff` and `cellrun commit` print the names of changed files.

   The names come from the container, which may choose any byte sequence
   except '/' and NUL.  A name must never be able to look like more than one
   change line ("evil\nD sub\nA innocent"), never carry terminal escape
   sequences to the operator's screen, and must always make a valid JSON
   document; the raw bytes stay recoverable in both formats. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/utils.h"
#include "linux/workspace_fs.h"

static bool
byte_needs_quoting (unsigned char c)
{
  return c < 0x20 || c == '"' || c == '\\' || c >= 0x7f;
}

/* Text: git's core.quotePath convention.  A name with no byte below 0x20,
   no '"', '\', DEL or byte >= 0x80 is printed as it is; any other is put
   in double quotes with \a \b \t \n \v \f \r \" \\ and \ooo (three octal
   digits) for every remaining such byte, which a C or Python string
   unescape turns back into the exact bytes. */
char *
workspace_quote_path (const char *path)
{
  const unsigned char *p = (const unsigned char *) path;
  bool quote = false;
  for (const unsigned char *c = p; *c; c++)
    if (byte_needs_quoting (*c))
      {
        quote = true;
        break;
      }
  if (!quote)
    return xstrdup (path);

  static const char named[] = "\a\b\t\n\v\f\r";
  static const char letter[] = "abtnvfr";
  size_t len = strlen (path);
  char *out = xrealloc (NULL, len * 4 + 3);
  char *o = out;
  *o++ = '"';
  for (const unsigned char *c = p; *c; c++)
    {
      const char *n = strchr (named, *c);
      if (!byte_needs_quoting (*c))
        *o++ = (char) *c;
      else if (*c == '"' || *c == '\\')
        {
          *o++ = '\\';
          *o++ = (char) *c;
        }
      else if (n)
        {
          *o++ = '\\';
          *o++ = letter[n - named];
        }
      else
        {
          *o++ = '\\';
          *o++ = (char) ('0' + (*c >> 6));
          *o++ = (char) ('0' + ((*c >> 3) & 7));
          *o++ = (char) ('0' + (*c & 7));
        }
    }
  *o++ = '"';
  *o = '\0';
  return out;
}

/* Length of the well-formed UTF-8 sequence at S (RFC 3629: no overlong
   forms, no surrogates, nothing above U+10FFFF), or 0 if there is none. */
static size_t
utf8_sequence_length (const unsigned char *s)
{
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 3;
      if (c == 0xe0)
        lo = 0xa0;
      else if (c == 0xed)
        hi = 0x9f;
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 4;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f;
    }
  else
    return 0;
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return n;
}

/* A growing string; xrealloc aborts on OOM. */
struct text
{
  char *s;
  size_t len, cap;
};

static void
text_put (struct text *t, const void *data, size_t n)
{
  if (t->len + n + 1 > t->cap)
    {
      t->cap = (t->len + n + 1) * 2;
      t->s = xrealloc (t->s, t->cap);
    }
  memcpy (t->s + t->len, data, n);
  t->len += n;
  t->s[t->len] = '\0';
}

static void
text_puts (struct text *t, const char *s)
{
  text_put (t, s, strlen (s));
}

static void
text_put_base64 (struct text *t, const unsigned char *s, size_t len)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < len; i += 3)
    {
      unsigned v = (unsigned) s[i] << 16;
      if (i + 1 < len)
        v |= (unsigned) s[i + 1] << 8;
      if (i + 2 < len)
        v |= s[i + 2];
      char quad[4] = { alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], i + 1 < len ? alphabet[(v >> 6) & 63] : '=',
                       i + 2 < len ? alphabet[v & 63] : '=' };
      text_put (t, quad, 4);
    }
}

/* JSON: "path" is the name itself when it is valid UTF-8.  Otherwise
   "path" shows it with every byte that does not start a valid sequence
   replaced by U+FFFD (for people; lossy), and "path_b64" holds the exact
   bytes in standard base64 with padding (for programs).  The rule for a
   reader: decode "path_b64" when it is present, else encode "path" as
   UTF-8.  Control characters and DEL are written as \u00XX. */
char *
workspace_change_json (const struct workspace_change *c)
{
  struct text t = { 0 };
  char tmp[16];
  const unsigned char *p = (const unsigned char *) c->path;
  bool valid = true;
  snprintf (tmp, sizeof tmp, "{\"op\":\"%c\"", c->op);
  text_puts (&t, tmp);
  text_puts (&t, ",\"path\":\"");
  while (*p)
    {
      size_t n = utf8_sequence_length (p);
      if (n == 0)
        {
          text_puts (&t, "\\ufffd");
          valid = false;
          p++;
          continue;
        }
      if (*p == '"' || *p == '\\')
        snprintf (tmp, sizeof tmp, "\\%c", *p);
      else if (*p < 0x20 || *p == 0x7f)
        snprintf (tmp, sizeof tmp, "\\u%04x", *p);
      else
        {
          text_put (&t, p, n);
          p += n;
          continue;
        }
      text_puts (&t, tmp);
      p++;
    }
  text_puts (&t, "\"");
  if (!valid)
    {
      text_puts (&t, ",\"path_b64\":\"");
      text_put_base64 (&t, (const unsigned char *) c->path, strlen (c->path));
      text_puts (&t, "\"");
    }
  text_puts (&t, "}");
  return t.s;
}
