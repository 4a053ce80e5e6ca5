#!/usr/bin/env bats
# The configuration in contrib/ for engines the suite cannot start here (CRI-O has no Debian 12
# package, there is no kubelet): it must parse and agree with itself and with cellrun. podman's
# and containerd's files are exercised for real by tests/integration/.

load helpers

@test "contrib: CRI-O, containerd and Kubernetes files parse and name the same handlers and annotations" {
  "$PY" -c 'import tomllib, yaml' 2>/dev/null || skip "python3 without tomllib or yaml (python3-yaml)"
  "$CELLRUN" features > "$BATS_TEST_TMPDIR/features.json"
  run "$PY" "$BATS_TEST_DIRNAME/contrib_check.py" "$BATS_TEST_DIRNAME/../contrib" "$BATS_TEST_TMPDIR/features.json"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "contrib: the checker notices a RuntimeClass whose handler no runtime defines" {
  "$PY" -c 'import tomllib, yaml' 2>/dev/null || skip "python3 without tomllib or yaml (python3-yaml)"
  "$CELLRUN" features > "$BATS_TEST_TMPDIR/features.json"
  cp -r "$BATS_TEST_DIRNAME/../contrib" "$BATS_TEST_TMPDIR/contrib"
  sed -i 's/^handler: cellrun-strict/handler: cellrun-other/' \
    "$BATS_TEST_TMPDIR/contrib/kubernetes/runtimeclass-cellrun-strict.yaml"
  run "$PY" "$BATS_TEST_DIRNAME/contrib_check.py" "$BATS_TEST_TMPDIR/contrib" "$BATS_TEST_TMPDIR/features.json"
  echo "$output"
  [ "$status" -eq 1 ]
  assert_contains "$output" "handler cellrun-other"
}
