# Shared setup for the engine suites (podman.bats, containerd.bats): load before ../helpers.
#
# ENGINE_RUNTIME  which runtime the suite drives: "cellrun" (default) or "runc" for the harness
#                 self-check.  CELLRUN_TEST_SELFCHECK=1 makes each suite's first test rerun the whole
#                 file against runc, so a broken harness shows up as a runc failure, not a cellrun one.
# ENGINE_SKIP     set by engine_require when a package cannot be installed; every test then skips
#                 with that reason.

# Run by hand (bats tests/integration/X.bats), the binary is two levels up, not one as
# ../helpers would guess from this directory.
CELLRUN=${CELLRUN:-${BUILDDIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}/cellrun}
export CELLRUN
ENGINE_RUNTIME=${ENGINE_RUNTIME:-cellrun}
CONTRIB_DIR=$(cd "$BATS_TEST_DIRNAME/../../contrib" && pwd)
export ENGINE_RUNTIME CONTRIB_DIR

# engine_require CMD:PACKAGE...: install the packages whose command (or absolute path, or
# py.MODULE, see have_cmd) is missing, with apt-get.
# On failure ENGINE_SKIP says which packages could not be installed.
engine_require () {
  local want pkgs=() cmd pkg
  ENGINE_SKIP=
  for want in "$@"; do
    cmd=${want%%:*} pkg=${want#*:}
    have_cmd "$cmd" || pkgs+=("$pkg")
  done
  [ ${#pkgs[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    ENGINE_SKIP="missing ${pkgs[*]} and no apt-get to install them"
    return 0
  fi
  echo "# installing ${pkgs[*]}" >&3
  if ! DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends "${pkgs[@]}" >&2 &&
     ! { DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update >&2 &&
         DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; }; then
    ENGINE_SKIP="cannot install ${pkgs[*]} with apt-get"
  fi
  for want in "$@"; do
    cmd=${want%%:*}
    have_cmd "$cmd" || ENGINE_SKIP="${ENGINE_SKIP:-$cmd not found after installing ${pkgs[*]}}"
  done
  return 0
}

# have_cmd CMD: CMD is on PATH, or an absolute path that is executable, or py.MODULE: a module
# the suite's python3 can import.
have_cmd () {
  case "$1" in
    /*) [ -x "$1" ] ;;
    py.*) "${PY:-python3}" -c "import ${1#py.}" >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

engine_skip_if_unavailable () {
  [ -z "${ENGINE_SKIP:-}" ] || skip "$ENGINE_SKIP"
}

# Cases that test cellrun itself (profiles, workspaces) have no meaning under runc.
cellrun_only () {
  [ "$ENGINE_RUNTIME" = cellrun ] || skip "cellrun-specific (self-check runs against $ENGINE_RUNTIME)"
}

# engine_bin_dir DIR: the built binary under the names the contrib configs use.
engine_bin_dir () {
  local dir=$1 name
  mkdir -p "$dir"
  for name in cellrun cellrun-strict cellrun-balanced; do ln -sf "$CELLRUN" "$dir/$name"; done
}

# engine_selfcheck: rerun this file against runc; fails if the harness does not pass there.
engine_selfcheck () {
  [ "${CELLRUN_TEST_SELFCHECK:-0}" = 1 ] || skip "set CELLRUN_TEST_SELFCHECK=1 to run the suite against runc first"
  [ "$ENGINE_RUNTIME" = cellrun ] || skip "this is the self-check run"
  command -v runc >/dev/null || skip "runc not installed"
  run env ENGINE_RUNTIME=runc CELLRUN_TEST_SELFCHECK=0 bats --tap "$BATS_TEST_FILENAME"
  echo "$output"
  [ "$status" -eq 0 ]
}

# wait_until TRIES CMD...: retry CMD every 0.1s.
wait_until () {
  local n=$1 i; shift
  for i in $(seq "$n"); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
