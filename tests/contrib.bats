#!/usr/bin/env bats
# The configuration in contrib/ for engines the suite cannot start here (CRI-O has no Debian 12
# package, there is no kubelet): it must parse and agree with itself and with cellrun. podman's
# and containerd's files are exercised for real by tests/integration/ (cri.bats: the RuntimeClass
# handlers through containerd's CRI plugin), and docs/integration.md must show them as tested.

load helpers

@test "contrib: CRI-O, containerd and Kubernetes files parse and name the same handlers and annotations" {
  "$PY" -c 'import tomllib, yaml' 2>/dev/null || skip "python3 without tomllib or yaml (python3-yaml)"
  "$CELLRUN" features > "$BATS_TEST_TMPDIR/features.json"
  run "$PY" "$BATS_TEST_DIRNAME/contrib_check.py" "$BATS_TEST_DIRNAME/../contrib" "$BATS_TEST_TMPDIR/features.json" \
    "$BATS_TEST_DIRNAME/../docs/integration.md"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
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

# contrib_copy: contrib/, docs/integration.md and the CRI suite's config files in a scratch repo.
contrib_copy () {
  R=$BATS_TEST_TMPDIR/repo
  mkdir -p "$R/docs" "$R/tests/integration"
  cp -r "$BATS_TEST_DIRNAME/../contrib" "$R/contrib"
  cp "$BATS_TEST_DIRNAME/../docs/integration.md" "$R/docs/"
  cp -r "$BATS_TEST_DIRNAME/integration/cri" "$R/tests/integration/cri"
  "$CELLRUN" features > "$BATS_TEST_TMPDIR/features.json"
}

contrib_check_copy () {
  run "$PY" "$BATS_TEST_DIRNAME/contrib_check.py" "$R/contrib" "$BATS_TEST_TMPDIR/features.json" \
    "$R/docs/integration.md" "$R"
  echo "$output"
}

@test "contrib: docs/integration.md's config blocks must match the tested files" {
  "$PY" -c 'import tomllib, yaml' 2>/dev/null || skip "python3 without tomllib or yaml (python3-yaml)"
  contrib_copy
  contrib_check_copy
  [ "$status" -eq 0 ]
  # The contrib file changes, the doc's excerpt does not.
  sed -i 's|^    Root = "/run/containerd/cellrun-strict"|    Root = "/run/containerd/cellrun-strict-x"|' \
    "$R/contrib/containerd/config.toml"
  contrib_check_copy
  [ "$status" -eq 1 ]
  assert_contains "$output" "the block is not an excerpt of contrib/containerd/config.toml"
  assert_contains "$output" "containerd cellrun-strict: Root"
  # A test config drifts from the doc's copy of it.
  contrib_copy
  sed -i 's|"isGateway": false|"isGateway": true|' "$R/tests/integration/cri/cni.conflist"
  contrib_check_copy
  [ "$status" -eq 1 ]
  assert_contains "$output" "the block is not all of tests/integration/cri/cni.conflist"
  # The doc stops showing a RuntimeClass.
  contrib_copy
  sed -i 's|^<!-- file: contrib/kubernetes/runtimeclass-cellrun.yaml -->$||' "$R/docs/integration.md"
  contrib_check_copy
  [ "$status" -eq 1 ]
  assert_contains "$output" "does not show contrib/kubernetes/runtimeclass-cellrun.yaml"
}
