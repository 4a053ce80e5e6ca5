/* The secret matcher of the env pass-through (src/envpass.c): which names
   and values count as secrets, case-insensitively, and who may override the
   denylist (only the operator, only by naming a variable exactly). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "policy/envpass.h"
#include "unit.h"
#include "base/utils.h"

static bool
has (char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

static void
test_names (void)
{
  static const char *const secret[] = {
    "PGPASSWORD",
    "MYSQL_PWD",
    "SECRET_KEY_BASE",
    "github_token",
    "GITHUB_TOKEN",
    "Gitlab_Token",
    "DB_PASSWORD",
    "password",
    "MY_PASSWORD_FILE",
    "APASSWDB",
    "AWS_SECRET_ACCESS_KEY",
    "client_secret",
    "TOKEN",
    "ACCESS_TOKEN_V2",
    "OPENAI_API_KEY",
    "openai_api_key",
    "SSH_PRIVATE_KEY",
    "GPG_KEY",
    "X_CREDENTIALS",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "aws_region",
    "AZURE_X",
    "SSH_AUTH_SOCK",
    "kubeconfig",
    "REDIS_PWD",
    NULL,
  };
  for (size_t i = 0; secret[i]; i++)
    CHECK (envpass_is_secret (secret[i]), "secret name: %s", secret[i]);
  static const char *const plain[] = {
    "PWD", "OLDPWD", "PATH", "HOME", "LANG", "LC_ALL", "KEYBOARD", "TERM", "SHELL", "USER", "HOSTNAME", "KEY", NULL,
  };
  for (size_t i = 0; plain[i]; i++)
    CHECK (!envpass_is_secret (plain[i]), "not a secret name: %s", plain[i]);
}

static void
test_values (void)
{
  static const char *const secret[] = {
    "postgres://u:pw@db:5432/app",
    "https://user:pass@example.com",
    "https://ghp_abc123@github.com/org/repo.git",
    "redis://:pw@cache:6379",
    "git+ssh://git:x@host/repo",
    "--url=mysql://root:root@127.0.0.1/db",
    "a.example,amqp://guest:guest@mq/vhost",
    "HTTPS://U:P@HOST",
    NULL,
  };
  for (size_t i = 0; secret[i]; i++)
    CHECK (envpass_value_is_secret (secret[i]), "secret value: %s", secret[i]);
  static const char *const plain[] = {
    "https://example.com/path",
    "https://example.com/a@b",
    "https://example.com?x=a@b",
    "https://example.com#frag@x",
    "user@example.com",
    "://u:p@h",
    "1+://u:p@h",
    "/usr/bin:/bin",
    "",
    NULL,
  };
  for (size_t i = 0; plain[i]; i++)
    CHECK (!envpass_value_is_secret (plain[i]), "not a secret value: \"%s\"", plain[i]);
  CHECK (envpass_entry_is_secret ("DATABASE_URL=postgres://u:pw@db/app"), "entry: secret by value");
  CHECK (envpass_entry_is_secret ("github_token=x"), "entry: secret by name");
  CHECK (!envpass_entry_is_secret ("DATABASE_URL=postgres://db/app"), "entry: URL without userinfo is not secret");
}

static char *const caller[] = {
  "PGPASSWORD=p",
  "MYSQL_PWD=p",
  "SECRET_KEY_BASE=s",
  "github_token=g",
  "DATABASE_URL=postgres://u:pw@db/app",
  "PWD=/work",
  "OLDPWD=/",
  "LANG=C",
  "HOME=/home/u",
  "PLAIN_URL=https://example.com/x",
  "AWS_SECRET_ACCESS_KEY=a",
  NULL,
};

static void
test_policies (void)
{
  char **out = NULL;
  struct cr_error err = { 0 };
  /* allow:* lets exactly the non-secret variables through, for either origin. */
  for (int o = 0; o < 2; o++)
    {
      enum envpass_origin origin = o ? ENVPASS_FROM_OPERATOR : ENVPASS_FROM_BUNDLE;
      CHECK (envpass_compute ("allow:*", origin, caller, NULL, &out, &err) == 0 && strv_len (out) == 5
                 && has (out, "PWD=/work") && has (out, "OLDPWD=/") && has (out, "LANG=C") && has (out, "HOME=/home/u")
                 && has (out, "PLAIN_URL=https://example.com/x"),
             "allow:* (%s) passes only PWD, OLDPWD, LANG, HOME, PLAIN_URL", o ? "operator" : "bundle");
      cr_strvfreep (&out);
      CHECK (envpass_compute ("deny:LANG", origin, caller, NULL, &out, &err) == 0 && strv_len (out) == 4
                 && !has (out, "LANG=C") && !has (out, "github_token=g"),
             "deny: (%s) the denylist applies", o ? "operator" : "bundle");
      cr_strvfreep (&out);
    }
  const char *exact = "allow:AWS_SECRET_ACCESS_KEY,github_token,DATABASE_URL,LANG";
  CHECK (envpass_compute (exact, ENVPASS_FROM_BUNDLE, caller, NULL, &out, &err) == 0 && strv_len (out) == 1
             && has (out, "LANG=C"),
         "bundle policy: exact secret names (and a secret value) do not pass");
  cr_strvfreep (&out);
  CHECK (envpass_compute (exact, ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0 && strv_len (out) == 4
             && has (out, "AWS_SECRET_ACCESS_KEY=a") && has (out, "github_token=g")
             && has (out, "DATABASE_URL=postgres://u:pw@db/app"),
         "operator policy: exact secret names pass");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("allow:GITHUB_TOKEN", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0 && out[0] == NULL,
         "operator exact names are case-sensitive (GITHUB_TOKEN does not name github_token)");
  cr_strvfreep (&out);
  CHECK (envpass_compute ("allow:*_URL", ENVPASS_FROM_OPERATOR, caller, NULL, &out, &err) == 0 && strv_len (out) == 1
             && has (out, "PLAIN_URL=https://example.com/x"),
         "operator glob: a secret value is still filtered");
  cr_strvfreep (&out);
  /* exec --env-pass narrows a bundle policy: naming a secret there cannot widen it. */
  CHECK (envpass_compute ("allow:*", ENVPASS_FROM_BUNDLE, caller, (char *[]){ "allow:github_token,LANG", NULL }, &out,
                          &err)
                 == 0
             && strv_len (out) == 1 && has (out, "LANG=C"),
         "exec narrowing naming a secret cannot widen a bundle policy");
  cr_strvfreep (&out);
}

int
main (void)
{
  test_names ();
  test_values ();
  test_policies ();
  return UNIT_DONE ();
}
