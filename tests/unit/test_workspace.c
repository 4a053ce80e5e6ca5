/* Unit tests for the workspace diff/commit library: how hostile names are
   printed (text quoting, JSON), which xattr namespace marks an opaque
   directory, and the modes commit applies.  Uses a temp dir; no root. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "unit.h"
#include "base/utils.h"
#include "linux/workspace_fs.h"
#include "policy/workspace.h"

static void
check_quote (const char *name, const char *want, const char *what)
{
  char *q = workspace_quote_path (name);
  CHECK_STR (q, want, "quote: %s", what);
  free (q);
}

static void
test_quote (void)
{
  check_quote ("plain/name.txt", "plain/name.txt", "a plain name is printed as it is");
  check_quote (" lead and trail ", " lead and trail ", "spaces need no quoting");
  check_quote ("evil\nD sub\nA innocent", "\"evil\\nD sub\\nA innocent\"", "newlines cannot forge lines");
  check_quote ("\xff\xfe", "\"\\377\\376\"", "bytes >= 0x80 as octal");
  check_quote ("caf\xc3\xa9", "\"caf\\303\\251\"", "UTF-8 is octal too, like git's core.quotePath");
  check_quote ("q\"b\\s\tt", "\"q\\\"b\\\\s\\tt\"", "quote, backslash and tab escaped");
  check_quote ("\x1b[31mred\x7f", "\"\\033[31mred\\177\"", "terminal escapes and DEL never reach the terminal raw");
  check_quote ("\a\b\v\f\r\x01", "\"\\a\\b\\v\\f\\r\\001\"", "named C escapes, others octal");
}

static void
check_json (const char *name, const char *want, const char *what)
{
  struct workspace_change c = { .op = 'A', .path = (char *) name };
  char *j = workspace_change_json (&c);
  CHECK_STR (j, want, "json: %s", what);
  free (j);
}

static void
test_json (void)
{
  check_json ("caf\xc3\xa9", "{\"op\":\"A\",\"path\":\"caf\xc3\xa9\"}", "valid UTF-8 is kept as it is");
  check_json ("\xf0\x9f\x98\x80", "{\"op\":\"A\",\"path\":\"\xf0\x9f\x98\x80\"}", "4-byte sequence kept");
  check_json ("a\"b\\c\nd\x7f", "{\"op\":\"A\",\"path\":\"a\\\"b\\\\c\\u000ad\\u007f\"}", "escapes");
  check_json ("\xff\xfe", "{\"op\":\"A\",\"path\":\"\\ufffd\\ufffd\",\"path_b64\":\"//4=\"}",
              "invalid bytes: U+FFFD in path, exact bytes in path_b64");
  check_json ("x\xc0\xaf", "{\"op\":\"A\",\"path\":\"x\\ufffd\\ufffd\",\"path_b64\":\"eMCv\"}",
              "overlong form refused");
  check_json ("\xed\xa0\x80", "{\"op\":\"A\",\"path\":\"\\ufffd\\ufffd\\ufffd\",\"path_b64\":\"7aCA\"}",
              "surrogate refused");
  check_json ("\xf4\x90\x80\x80", "{\"op\":\"A\",\"path\":\"\\ufffd\\ufffd\\ufffd\\ufffd\",\"path_b64\":\"9JCAgA==\"}",
              "above U+10FFFF refused");
  check_json ("\xe2\x82", "{\"op\":\"A\",\"path\":\"\\ufffd\\ufffd\",\"path_b64\":\"4oI=\"}",
              "truncated sequence refused");
}

static char base[] = "/tmp/cellrun-unit-ws.XXXXXX";

static int
dir_at (const char *rel)
{
  char *p;
  xasprintf (&p, "%s/%s", base, rel);
  int r = mkdir (p, 0755);
  free (p);
  return r;
}

static int
file_at (const char *rel, mode_t mode)
{
  char *p;
  xasprintf (&p, "%s/%s", base, rel);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int r = fd < 0 ? -1 : (int) write (fd, "data\n", 5);
  if (fd >= 0)
    close (fd);
  if (r >= 0)
    r = chmod (p, mode);
  free (p);
  return r;
}

static int
xattr_at (const char *rel, const char *key)
{
  char *p;
  xasprintf (&p, "%s/%s", base, rel);
  int r = setxattr (p, key, "y", 1, 0);
  free (p);
  return r;
}

static mode_t
mode_at (const char *rel)
{
  char *p;
  struct stat st;
  xasprintf (&p, "%s/%s", base, rel);
  int r = lstat (p, &st);
  free (p);
  return r < 0 ? (mode_t) -1 : st.st_mode & 07777;
}

static int
diff_lines (bool userxattr, char *buf, size_t size)
{
  char *upper, *lower;
  xasprintf (&upper, "%s/upper", base);
  xasprintf (&lower, "%s/lower", base);
  struct workspace_layers layers = { .upper = upper, .lower = lower, .userxattr = userxattr };
  struct workspace_change *c = NULL;
  size_t n = 0;
  struct cr_error err = { 0 };
  int r = workspace_diff (&layers, &c, &n, &err);
  buf[0] = '\0';
  for (size_t i = 0; r == 0 && i < n; i++)
    snprintf (buf + strlen (buf), size - strlen (buf), "%c %s;", c[i].op, c[i].path);
  workspace_changes_free (c, n);
  free (upper);
  free (lower);
  return r;
}

static void
test_opaque_namespace (void)
{
  char got[512];
  dir_at ("upper");
  dir_at ("lower");
  dir_at ("lower/d");
  file_at ("lower/d/x", 0644);
  dir_at ("upper/d");
  if (xattr_at ("upper/d", "user.overlay.opaque") < 0)
    {
      printf ("# skipping the opaque-namespace checks: user xattrs on %s: %s\n", base, strerror (errno));
      return;
    }
  CHECK (diff_lines (false, got, sizeof got) == 0 && strcmp (got, "") == 0,
         "opaque: user.overlay.opaque is ignored when the mount is not userxattr (got %s)", got);
  CHECK (diff_lines (true, got, sizeof got) == 0 && strcmp (got, "D d;") == 0,
         "opaque: user.overlay.opaque hides the lower dir with userxattr (got %s)", got);
  dir_at ("lower/e");
  file_at ("lower/e/x", 0644);
  dir_at ("upper/e");
  if (xattr_at ("upper/e", "trusted.overlay.opaque") < 0)
    {
      printf ("# skipping the trusted.overlay.opaque checks: %s\n", strerror (errno));
      return;
    }
  CHECK (diff_lines (true, got, sizeof got) == 0 && strcmp (got, "D d;") == 0,
         "opaque: trusted.overlay.opaque is ignored with userxattr (got %s)", got);
  CHECK (diff_lines (false, got, sizeof got) == 0 && strcmp (got, "D e;") == 0,
         "opaque: trusted.overlay.opaque hides the lower dir without userxattr (got %s)", got);
}

static void
test_commit_modes (void)
{
  char got[512];
  struct cr_error err = { 0 };
  rm_rf_at (AT_FDCWD, base, &err);
  mkdir (base, 0700);
  dir_at ("upper");
  dir_at ("lower");
  file_at ("upper/suid", 06755);
  file_at ("upper/ww", 0666);
  file_at ("upper/sticky", 01644);
  dir_at ("upper/sgdir");
  char *p;
  xasprintf (&p, "%s/upper/sgdir", base);
  chmod (p, 03777);
  free (p);
  /* a host dir with the operator's own setgid bit, copied up unchanged */
  dir_at ("lower/shared");
  xasprintf (&p, "%s/lower/shared", base);
  chmod (p, 02775);
  free (p);
  dir_at ("upper/shared");
  xasprintf (&p, "%s/upper/shared", base);
  chmod (p, 02775);
  free (p);
  file_at ("upper/shared/f", 0644);
  if (mode_at ("upper/suid") != 06755 || mode_at ("upper/sgdir") != 03777)
    {
      printf ("# skipping commit-mode checks: cannot make set-id files here\n");
      return;
    }
  char *upper, *lower;
  xasprintf (&upper, "%s/upper", base);
  xasprintf (&lower, "%s/lower", base);
  struct workspace_layers layers = { .upper = upper, .lower = lower };
  struct workspace_change *c = NULL;
  size_t n = 0;
  CHECK (workspace_commit (&layers, false, &c, &n, &err) == 0, "commit modes: commit works (%s)", err.msg);
  workspace_changes_free (c, n);
  CHECK (mode_at ("lower/suid") == 0755, "commit: setuid/setgid stripped from a file (%o)", mode_at ("lower/suid"));
  CHECK (mode_at ("lower/ww") == 0664, "commit: o+w stripped from a file (%o)", mode_at ("lower/ww"));
  CHECK (mode_at ("lower/sticky") == 0644, "commit: sticky dropped on a file (%o)", mode_at ("lower/sticky"));
  CHECK (mode_at ("lower/sgdir") == 01775, "commit: setgid and o+w stripped from a dir, sticky kept (%o)",
         mode_at ("lower/sgdir"));
  CHECK (mode_at ("lower/shared") == 02775, "commit: a host dir whose mode the container did not change keeps it (%o)",
         mode_at ("lower/shared"));
  CHECK (diff_lines (false, got, sizeof got) == 0 && strcmp (got, "") == 0,
         "commit modes: nothing left to report after commit (got %s)", got);
  free (upper);
  free (lower);
}

int
main (void)
{
  test_quote ();
  test_json ();
  if (mkdtemp (base) == NULL)
    {
      printf ("Bail out! mkdtemp %s: %s\n", base, strerror (errno));
      return 1;
    }
  test_opaque_namespace ();
  test_commit_modes ();
  struct cr_error err = { 0 };
  rm_rf_at (AT_FDCWD, base, &err);
  return UNIT_DONE ();
}
