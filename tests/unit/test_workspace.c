/* Workspaces: request parsing and byte sizes (policy/workspace.c), and the
   diff/commit library (linux/workspace_walk.c, workspace_names.c): how
   hostile names are printed (text quoting, JSON), which xattr namespace
   marks an opaque directory, the modes commit applies, and a whole
   diff/commit scenario (that one needs root).  Uses a temp dir. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static void
test_workspace_parse (void)
{
  struct workspace_request w;
  struct cr_error err = { 0 };
  CHECK (workspace_parse ("/h:/c", &w, &err) == 0 && strcmp (w.mode, "overlay") == 0 && strcmp (w.host_path, "/h") == 0
             && strcmp (w.container_path, "/c") == 0,
         "workspace: default mode overlay");
  workspace_request_clear (&w);
  CHECK (workspace_parse ("/h:/c:ro", &w, &err) == 0 && strcmp (w.mode, "ro") == 0, "workspace: ro");
  workspace_request_clear (&w);
  CHECK (workspace_parse ("/h:/c:rw", &w, &err) == 0 && strcmp (w.mode, "rw") == 0, "workspace: rw");
  workspace_request_clear (&w);
  CHECK (workspace_parse ("/h:/c:rx", &w, &err) < 0 && strstr (err.msg, "unknown mode"), "workspace: bad mode");
  CHECK (workspace_parse ("h:/c", &w, &err) < 0, "workspace: relative host refused");
  CHECK (workspace_parse ("/h:c", &w, &err) < 0, "workspace: relative container refused");
  CHECK (workspace_parse ("/h", &w, &err) < 0, "workspace: missing container path");
  CHECK (workspace_parse ("/h:/c:ro:x", &w, &err) < 0, "workspace: too many fields");
  CHECK (workspace_parse ("/h:/c/../etc", &w, &err) < 0, "workspace: .. refused");
  unsigned long long v = 0;
  CHECK (parse_byte_size ("1048576", &v) == 0 && v == 1048576, "bytes: plain");
  CHECK (parse_byte_size ("10K", &v) == 0 && v == 10240, "bytes: K");
  CHECK (parse_byte_size ("5M", &v) == 0 && v == 5ULL << 20, "bytes: M");
  CHECK (parse_byte_size ("1G", &v) == 0 && v == 1ULL << 30, "bytes: G");
  CHECK (parse_byte_size ("1T", &v) < 0 && parse_byte_size ("", &v) < 0 && parse_byte_size ("-1", &v) < 0
             && parse_byte_size ("5MX", &v) < 0,
         "bytes: invalid sizes refused");
  CHECK (parse_byte_size ("99999999999999999999", &v) == -ERANGE && parse_byte_size ("17179869184G", &v) == -ERANGE,
         "bytes: overflow refused");
}

/* The diff/commit scenario below builds its layers under <base>/ovl. */
static char *
ovl_path (const char *rel)
{
  char *p;
  xasprintf (&p, "%s/ovl/%s", base, rel);
  return p;
}

static void
mkfile (const char *rel, const char *content, mode_t mode)
{
  _cleanup_free_ char *p = ovl_path (rel);
  struct cr_error err;
  write_file (p, content, strlen (content), mode, &err);
  chmod (p, mode);
}

static void
mkdir_rel (const char *rel)
{
  _cleanup_free_ char *p = ovl_path (rel);
  mkdir (p, 0755);
}

static bool
exists_rel (const char *rel)
{
  _cleanup_free_ char *p = ovl_path (rel);
  struct stat st;
  return lstat (p, &st) == 0;
}

static bool
has_change (struct workspace_change *c, size_t n, char op, const char *path)
{
  for (size_t i = 0; i < n; i++)
    if (c[i].op == op && strcmp (c[i].path, path) == 0)
      return true;
  return false;
}

/* Diff and commit of a whole scenario: adds, modifications, whiteouts, a
   rename, an opaque directory, a mode change (whiteouts and trusted xattrs
   need root; skipped without it). */
static void
test_diff_commit (void)
{
  struct cr_error err = { 0 };
  int r;
  char tmpdir[PATH_MAX];
  snprintf (tmpdir, sizeof tmpdir, "%s/ovl", base);
  mkdir (tmpdir, 0755);
  mkdir_rel ("lower");
  if (geteuid () != 0)
    {
      CHECK (1, "# SKIP diff/commit need root (whiteouts, trusted xattrs)");
      return;
    }
  /* lower: a.txt, keep.txt, b.txt, old.txt, sub/x, opq/y, mode.sh; upper:
     a.txt modified, new c.txt, b.txt whiteout, rename old->new, opq opaque
     with z, mode.sh chmod, newdir/f, keep.txt copied up unchanged. */
  mkdir_rel ("lower/sub");
  mkdir_rel ("lower/opq");
  mkfile ("lower/a.txt", "a", 0644);
  mkfile ("lower/keep.txt", "k", 0644);
  mkfile ("lower/b.txt", "b", 0644);
  mkfile ("lower/old.txt", "o", 0644);
  mkfile ("lower/sub/x", "x", 0644);
  mkfile ("lower/opq/y", "y", 0644);
  mkfile ("lower/mode.sh", "m", 0644);
  mkdir_rel ("upper");
  mkdir_rel ("upper/sub");
  mkdir_rel ("upper/opq");
  mkdir_rel ("upper/newdir");
  mkfile ("upper/a.txt", "a2", 0644);
  mkfile ("upper/keep.txt", "k", 0644);
  mkfile ("upper/c.txt", "c", 0600);
  mkfile ("upper/new.txt", "o", 0644);
  mkfile ("upper/opq/z", "z", 0644);
  mkfile ("upper/mode.sh", "m", 0755);
  mkfile ("upper/newdir/f", "f", 0644);
  _cleanup_free_ char *upper = NULL, *lower = NULL, *wo1 = NULL, *wo2 = NULL, *wo3 = NULL, *opq = NULL;
  xasprintf (&upper, "%s/upper", tmpdir);
  xasprintf (&lower, "%s/lower", tmpdir);
  xasprintf (&wo1, "%s/upper/b.txt", tmpdir);
  xasprintf (&wo2, "%s/upper/old.txt", tmpdir);
  xasprintf (&wo3, "%s/upper/sub/x", tmpdir);
  xasprintf (&opq, "%s/upper/opq", tmpdir);
  int made = mknod (wo1, S_IFCHR | 0000, makedev (0, 0)) + mknod (wo2, S_IFCHR | 0000, makedev (0, 0))
             + mknod (wo3, S_IFCHR | 0000, makedev (0, 0));
  CHECK (made == 0, "whiteouts created");
  made = setxattr (opq, "trusted.overlay.opaque", "y", 1, 0);
  CHECK (made == 0, "opaque xattr set");
  struct workspace_change *c = NULL;
  size_t n = 0;
  struct workspace_layers layers = { .upper = upper, .lower = lower };
  r = workspace_diff (&layers, &c, &n, &err);
  CHECK (r == 0, "diff succeeds (%s)", err.msg);
  for (size_t i = 0; i < n; i++)
    printf ("#   %c %s\n", c[i].op, c[i].path);
  const char *want[] = { "M a.txt",    "D b.txt",   "A c.txt", "M mode.sh", "A new.txt", "A newdir",
                         "A newdir/f", "D old.txt", "D opq",   "A opq/z",   "D sub/x" };
  bool ok = n == ARRAY_SIZE (want);
  for (size_t i = 0; ok && i < n; i++)
    {
      char line[PATH_MAX];
      snprintf (line, sizeof line, "%c %s", c[i].op, c[i].path);
      ok = strcmp (line, want[i]) == 0;
    }
  CHECK (ok, "diff: exact changes in order (A/M/D, rename D+A, opaque, modes, unchanged copy-up ignored)");
  CHECK (!has_change (c, n, 'M', "sub") && !has_change (c, n, 'M', "keep.txt"),
         "diff: parent dir of a change not listed");
  workspace_changes_free (c, n);

  r = workspace_commit (&layers, true, &c, &n, &err);
  CHECK (r == 0 && n == ARRAY_SIZE (want) && exists_rel ("lower/b.txt") && !exists_rel ("lower/c.txt"),
         "commit --dry-run reports and changes nothing");
  workspace_changes_free (c, n);
  r = workspace_commit (&layers, false, &c, &n, &err);
  CHECK (r == 0 && n == ARRAY_SIZE (want), "commit succeeds (%s)", err.msg);
  workspace_changes_free (c, n);
  struct stat st;
  _cleanup_free_ char *content = NULL, *ap = NULL, *mp = NULL, *cp = NULL;
  xasprintf (&ap, "%s/lower/a.txt", tmpdir);
  xasprintf (&mp, "%s/lower/mode.sh", tmpdir);
  xasprintf (&cp, "%s/lower/c.txt", tmpdir);
  read_file (ap, &content, NULL, &err);
  CHECK (content && strcmp (content, "a2") == 0, "commit: overwrite");
  CHECK (stat (mp, &st) == 0 && (st.st_mode & 07777) == 0755, "commit: mode applied");
  CHECK (stat (cp, &st) == 0 && (st.st_mode & 07777) == 0600, "commit: create with mode");
  CHECK (!exists_rel ("lower/b.txt") && !exists_rel ("lower/old.txt") && exists_rel ("lower/new.txt")
             && !exists_rel ("lower/sub/x") && exists_rel ("lower/sub"),
         "commit: deletes and rename");
  CHECK (!exists_rel ("lower/opq/y") && exists_rel ("lower/opq/z") && exists_rel ("lower/newdir/f"),
         "commit: opaque dir replaced, new dir created");
  /* Whiteouts of deleted files and unchanged copies no longer count; an
     opaque dir still does (clarification 2 reports it as D + A). */
  r = workspace_diff (&layers, &c, &n, &err);
  CHECK (r == 0 && n == 2 && has_change (c, n, 'D', "opq") && has_change (c, n, 'A', "opq/z"),
         "diff after commit: only the opaque dir remains");
  workspace_changes_free (c, n);
}

int
main (void)
{
  test_workspace_parse ();
  test_quote ();
  test_json ();
  if (mkdtemp (base) == NULL)
    {
      printf ("Bail out! mkdtemp %s: %s\n", base, strerror (errno));
      return 1;
    }
  test_opaque_namespace ();
  test_commit_modes ();
  test_diff_commit ();
  struct cr_error err = { 0 };
  rm_rf_at (AT_FDCWD, base, &err);
  return UNIT_DONE ();
}
