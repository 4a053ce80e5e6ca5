#!/usr/bin/env bats
# Environment pass-through (--env-pass, annotation run.cellrun.env) from inside real containers:
# safe defaults, secrets never pass by glob, exec follows the container's policy and can only
# narrow it, explicit values win.

load helpers
bats_require_minimum_version 1.5.0

# The caller's environment for every run: ordinary names and secrets.
CALLER_ENV=(FOO_BAR=foobar FOO_TOKEN=tok FOO_KEY=key PLAIN=plain BAR=bar MY_SECRET=s1 DB_PASSWORD=pw
            AWS_REGION=eu GITHUB_TOKEN=gh SSH_AUTH_SOCK=/sock LC_TEST=lc)

# erun PROFILE ID [run flags]: foreground run with CALLER_ENV added to cellrun's environment.
erun () {
  local profile=$1 id=$2; shift 2
  local g=()
  [ "$profile" = none ] || g=(--profile "$profile")
  env "${CALLER_ENV[@]}" timeout -k 2 30 "$CELLRUN" --root "$ROOT" "${g[@]}" run --bundle "$BUNDLE" "$@" "$id" < /dev/null
}

# absent NAME...: none of the NAMEs is set in $output (`env` output); fails naming the first one found.
absent () {
  local n
  for n in "$@"; do
    if grep -q "^$n=" <<< "$output"; then fail "$n reached the container: $(grep "^$n=" <<< "$output")"; return 1; fi
  done
}

# passed: the CALLER_ENV names visible in the container ($output holds `env` output).
passed () {
  local kv out=
  for kv in "${CALLER_ENV[@]}"; do
    grep -qx "$kv" <<< "$output" && out="$out ${kv%%=*}"
  done
  echo "${out# }"
}

@test "lesson: the default under a profile is none - no caller variable and no secret passes" {
  cfg_args env
  run erun strict "$ID"
  [ "$status" -eq 0 ]
  [ -z "$(passed)" ]
  run erun balanced "$ID2"
  [ "$status" -eq 0 ]
  [ -z "$(passed)" ]
}

@test "without a profile nothing passes unless asked" {
  cfg_args env
  run erun none "$ID"
  [ "$status" -eq 0 ]
  [ -z "$(passed)" ]
  run erun none "$ID2" --env-pass allow:PLAIN
  [ "$status" -eq 0 ]
  [ "$(passed)" = PLAIN ]
}

@test "lesson: allow: secrets never pass by glob (FOO_TOKEN with allow:FOO_*), an exact name does" {
  cfg_args env
  run erun strict "$ID" --env-pass 'allow:FOO_*'
  [ "$status" -eq 0 ]
  [ "$(passed)" = FOO_BAR ]
  run erun strict "$ID2" --env-pass 'allow:FOO_TOKEN,PLAIN'
  [ "$status" -eq 0 ]
  [ "$(passed)" = "FOO_TOKEN PLAIN" ]
  run erun balanced "$ID-c" --env-pass 'allow:*'
  [ "$status" -eq 0 ]
  [ "$(passed)" = "FOO_BAR PLAIN BAR LC_TEST" ]
}

@test "deny: everything else passes but the secret denylist always applies" {
  cfg_args env
  run erun strict "$ID" --env-pass 'deny:BAR,LC_*'
  [ "$status" -eq 0 ]
  [ "$(passed)" = "FOO_BAR PLAIN" ]
  run erun none "$ID2" --env-pass 'deny:NOTHING'
  [ "$status" -eq 0 ]
  [ "$(passed)" = "FOO_BAR PLAIN BAR LC_TEST" ]
}

@test "the run.cellrun.env annotation sets the policy and --env-pass wins over it" {
  cfg_args env
  annot run.cellrun.env 'allow:PLAIN,FOO_*'
  run erun strict "$ID"
  [ "$status" -eq 0 ]
  [ "$(passed)" = "FOO_BAR PLAIN" ]
  run erun strict "$ID2" --env-pass allow:BAR
  [ "$status" -eq 0 ]
  [ "$(passed)" = BAR ]
  run erun strict "$ID-c" --env-pass none
  [ "$status" -eq 0 ]
  [ -z "$(passed)" ]
}

@test "an explicit process.env value wins over a passed-through one" {
  cfg_set .process.env '["PATH=/bin:/usr/bin","PLAIN=from-bundle"]'
  cfg_args env
  run erun strict "$ID" --env-pass allow:PLAIN,BAR
  [ "$status" -eq 0 ]
  grep -qx PLAIN=from-bundle <<< "$output"
  [ "$(grep -c '^PLAIN=' <<< "$output")" -eq 1 ]
  grep -qx BAR=bar <<< "$output"
}

@test "invalid policies are refused with the policy named" {
  cfg_args true
  for p in 'allow:' 'permit:FOO' 'allow:A=B' 'deny:'; do
    run erun strict "$ID" --env-pass "$p"
    [ "$status" -ne 0 ] || { echo "accepted $p"; false; }
    assert_contains "$output" "env pass-through policy"
    run ! cr state "$ID"
  done
  annot run.cellrun.env bogus
  run erun none "$ID2"
  [ "$status" -ne 0 ]
  assert_contains "$output" run.cellrun.env
}

# ecreate ID [create flags]: a running container (sleep) created with CALLER_ENV.
ecreate () {
  local id=$1; shift
  cfg_args sleep 60
  env "${CALLER_ENV[@]}" timeout -k 2 30 "$CELLRUN" --root "$ROOT" --profile strict create --bundle "$BUNDLE" \
    --pid-file "$T/$id.pid" "$@" "$id" > "$T/$id.out" 2> "$T/$id.err" < /dev/null || { cat "$T/$id.err"; return 1; }
  cr start "$id"
}

# eexec ID ENV... -- [exec flags]: exec `env` with exactly ENV as the caller's environment.
eexec () {
  local id=$1; shift
  local e=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do e+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  env -i PATH="$PATH" "${e[@]}" timeout -k 2 30 "$CELLRUN" --root "$ROOT" exec "$@" "$id" env < /dev/null
}

@test "exec follows the container's policy with the exec caller's environment" {
  ecreate "$ID" --env-pass 'allow:FOO_*,PLAIN'
  run eexec "$ID" FOO_NEW=n FOO_BAR=exec-value FOO_TOKEN=t PLAIN=p2 BAR=b
  [ "$status" -eq 0 ]
  echo "$output"
  grep -qx FOO_NEW=n <<< "$output"
  grep -qx FOO_BAR=exec-value <<< "$output"
  grep -qx PLAIN=p2 <<< "$output"
  absent FOO_TOKEN BAR
  # create-time values did not stick to the container for exec
  run ! grep -qx FOO_BAR=foobar <<< "$output"
}

@test "exec --env-pass only narrows the container's policy, never widens it" {
  ecreate "$ID" --env-pass 'allow:FOO_*,PLAIN'
  run eexec "$ID" FOO_A=a FOO_B=b PLAIN=p BAR=b GITHUB_TOKEN=g -- --env-pass allow:FOO_A
  [ "$status" -eq 0 ]
  grep -qx FOO_A=a <<< "$output"
  absent FOO_B PLAIN
  run eexec "$ID" FOO_A=a BAR=b GITHUB_TOKEN=g -- --env-pass 'allow:BAR,GITHUB_TOKEN'
  [ "$status" -eq 0 ]
  absent BAR GITHUB_TOKEN FOO_A
  run eexec "$ID" FOO_A=a BAR=b -- --env-pass 'deny:NOTHING'
  [ "$status" -eq 0 ]
  grep -qx FOO_A=a <<< "$output"
  absent BAR
}

@test "exec under a container with the default policy passes nothing, even with exec --env-pass" {
  ecreate "$ID"
  run eexec "$ID" PLAIN=p FOO_BAR=f -- --env-pass 'allow:*'
  [ "$status" -eq 0 ]
  grep -q '^PATH=' <<< "$output" || fail "exec printed no environment: $output"
  absent PLAIN FOO_BAR
}

@test "exec -e wins over a passed-through value" {
  ecreate "$ID" --env-pass 'allow:PLAIN'
  run eexec "$ID" PLAIN=from-caller -- -e PLAIN=explicit
  [ "$status" -eq 0 ]
  grep -qx PLAIN=explicit <<< "$output"
  [ "$(grep -c '^PLAIN=' <<< "$output")" -eq 1 ]
}

@test "lesson: per-run variables do not leak into later runs (exec -e is not persistent)" {
  ecreate "$ID" --env-pass 'allow:PLAIN'
  run eexec "$ID" PLAIN=first -- -e ONCE=1
  [ "$status" -eq 0 ]
  grep -qx ONCE=1 <<< "$output"
  run eexec "$ID"
  [ "$status" -eq 0 ]
  grep -q '^PATH=' <<< "$output" || fail "exec printed no environment: $output"
  absent ONCE PLAIN
}

# Issue 9 finding 5: an exact name in the bundle's annotation skipped the secret denylist, at
# create and at every exec. Only the operator may pass a denylisted name, by naming it exactly.
@test "a bundle's run.cellrun.env cannot pass secrets by exact name (create and exec); the operator's --env-pass can" {
  annot run.cellrun.env 'allow:AWS_SECRET_ACCESS_KEY,GITHUB_TOKEN,PLAIN'
  cfg_args env
  run env AWS_SECRET_ACCESS_KEY=aws-create "${CALLER_ENV[@]}" \
    timeout -k 2 30 "$CELLRUN" --root "$ROOT" --profile strict run --bundle "$BUNDLE" "$ID" < /dev/null
  [ "$status" -eq 0 ]
  grep -qx PLAIN=plain <<< "$output" || fail "the annotation's plain name did not pass: $output"
  absent AWS_SECRET_ACCESS_KEY GITHUB_TOKEN

  # exec into a container created under that annotation, with the secrets in the exec caller's env
  CALLER_ENV+=(AWS_SECRET_ACCESS_KEY=aws-create)
  ecreate "$ID2"
  run eexec "$ID2" AWS_SECRET_ACCESS_KEY=aws-exec GITHUB_TOKEN=gh-exec PLAIN=p-exec
  [ "$status" -eq 0 ]
  grep -qx PLAIN=p-exec <<< "$output" || fail "exec: the annotation's plain name did not pass: $output"
  absent AWS_SECRET_ACCESS_KEY GITHUB_TOKEN
  run eexec "$ID2" AWS_SECRET_ACCESS_KEY=aws-exec GITHUB_TOKEN=gh-exec -- --env-pass 'allow:AWS_SECRET_ACCESS_KEY,GITHUB_TOKEN'
  [ "$status" -eq 0 ]
  absent AWS_SECRET_ACCESS_KEY GITHUB_TOKEN

  # the operator's flag naming them exactly passes them, at create and at exec
  cr delete -f "$ID2"
  ecreate "$ID2" --env-pass 'allow:AWS_SECRET_ACCESS_KEY,GITHUB_TOKEN'
  run eexec "$ID2" AWS_SECRET_ACCESS_KEY=aws-exec GITHUB_TOKEN=gh-exec
  [ "$status" -eq 0 ]
  grep -qx AWS_SECRET_ACCESS_KEY=aws-exec <<< "$output" || fail "operator exact name did not pass at exec: $output"
  grep -qx GITHUB_TOKEN=gh-exec <<< "$output" || fail "operator exact name did not pass at exec: $output"
  cfg_args env
  run env AWS_SECRET_ACCESS_KEY=aws-create "${CALLER_ENV[@]}" timeout -k 2 30 "$CELLRUN" --root "$ROOT" \
    --profile strict run --bundle "$BUNDLE" --env-pass 'allow:AWS_SECRET_ACCESS_KEY,GITHUB_TOKEN' "$ID-c" < /dev/null
  [ "$status" -eq 0 ]
  grep -qx AWS_SECRET_ACCESS_KEY=aws-create <<< "$output" || fail "operator exact name did not pass at create: $output"
  grep -qx GITHUB_TOKEN=gh <<< "$output" || fail "operator exact name did not pass at create: $output"
}

# Issue 9 finding 8: with allow:* these passed. The denylist ignores case and looks at URL values.
@test "allow:* keeps common credentials out (PGPASSWORD, MYSQL_PWD, SECRET_KEY_BASE, github_token, URL userinfo)" {
  cfg_args env
  run env -i PATH="$PATH" PGPASSWORD=pg MYSQL_PWD=my SECRET_KEY_BASE=skb github_token=gh \
    DATABASE_URL=postgres://u:pw@db:5432/app OPENAI_API_KEY=sk DEPLOY_PRIVATE_KEY=pk Db_Password=x \
    GIT_REMOTE=https://ghp_x@github.com/o/r PLAIN_URL=https://example.com/a@b PWD=/from-caller \
    OLDPWD=/old-caller KEEP=kept timeout -k 2 30 "$CELLRUN" --root "$ROOT" --profile strict run \
    --bundle "$BUNDLE" --env-pass 'allow:*' "$ID" < /dev/null
  [ "$status" -eq 0 ]
  absent PGPASSWORD MYSQL_PWD SECRET_KEY_BASE github_token DATABASE_URL OPENAI_API_KEY DEPLOY_PRIVATE_KEY \
    Db_Password GIT_REMOTE
  for kv in KEEP=kept PWD=/from-caller OLDPWD=/old-caller PLAIN_URL=https://example.com/a@b; do
    grep -qx "$kv" <<< "$output" || fail "$kv should pass under allow:*: $output"
  done
}
