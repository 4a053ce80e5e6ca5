#!/usr/bin/env bats
# containerd's runc shim (io.containerd.runc.v2) drives the built cellrun, through `ctr run
# --runc-binary` with the BinaryName of contrib/containerd/config.toml.
#
# The suite starts its own containerd: a config.toml made of contrib/containerd/config.toml
# (/usr/local/bin replaced by a dir of cellrun/cellrun-strict/cellrun-balanced links to the
# binary under test) plus a private root, state, /opt dir and socket, and no CRI plugin.
# Containers use --runc-root under the suite's temp dir and a private ctr namespace.  The image
# is busybox-static in an OCI archive built by oci-archive.py.  teardown_file stops containerd
# and removes everything.  The shim's own sockets live under /run/containerd/s (fixed in
# containerd 1.6) and go away with the shims.

load engine
load ../helpers

IMAGE=localhost/busybox:latest

c () { timeout -k 5 60 ctr -a "$CD/containerd.sock" -n "$CD_NS" "$@"; }
export -f c

# The runtime binary for `ctr run`: the contrib config's BinaryName (templated), or runc.
runtime_binary () {
  local handler=${1:-cellrun}
  if [ "$ENGINE_RUNTIME" = runc ]; then command -v runc; return; fi
  "$PY" -c 'import sys, tomllib
c = tomllib.load(open(sys.argv[1], "rb"))
print(c["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"][sys.argv[2]]["options"]["BinaryName"])' \
    "$CD/config.toml" "$handler"
}

# crun_ ID ARGS...: `ctr run` with the runtime under test, its state under $CD/runc-root.
crun_ () {
  c run --runc-binary "$(runtime_binary)" --runc-root "$CD/runc-root" "$@"
}

setup_file () {
  engine_require containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd
  export ENGINE_SKIP
  [ -z "${ENGINE_SKIP:-}" ] || return 0
  # ctr's fifo dir and the shims' socket dir are fixed under /run/containerd in 1.6.
  [ -e /run/containerd ] && CD_RUN_EXISTED=1 || CD_RUN_EXISTED=0
  export CD_RUN_EXISTED
  cellrun_setup_file
  CD=$CT_TMP/containerd
  CD_NS=cellrun-test-$RUN_TAG
  export CD CD_NS
  mkdir -p "$CD"/{root,state,opt,runc-root}
  engine_bin_dir "$CD/bin"
  {
    echo 'version = 2'
    echo "root = \"$CD/root\""
    echo "state = \"$CD/state\""
    echo 'disabled_plugins = ["io.containerd.grpc.v1.cri"]'
    sed -e '/^version *=/d' -e "s|/usr/local/bin/|$CD/bin/|g" "$CONTRIB_DIR/containerd/config.toml"
    echo '[grpc]'
    echo "  address = \"$CD/containerd.sock\""
    echo '[ttrpc]'
    echo "  address = \"$CD/containerd.ttrpc.sock\""
    echo '[plugins."io.containerd.internal.v1.opt"]'
    echo "  path = \"$CD/opt\""
  } > "$CD/config.toml"
  # setsid: containerd and its shims get their own session, away from bats' process group.
  setsid containerd --config "$CD/config.toml" --log-level info > "$CD/containerd.log" 2>&1 < /dev/null &
  echo $! > "$CD/containerd.pid"
  local i
  for i in $(seq 100); do
    ctr -a "$CD/containerd.sock" version >/dev/null 2>&1 && break
    sleep 0.1
  done
  ctr -a "$CD/containerd.sock" version >/dev/null || { cat "$CD/containerd.log" >&2; return 1; }
  "$PY" "$BATS_TEST_DIRNAME/oci-archive.py" "$ROOTFS" "$IMAGE" "$CD/busybox-oci.tar"
  c images import "$CD/busybox-oci.tar" >&2
}

teardown_file () {
  [ -n "${CD:-}" ] || return 0
  local id pid m
  if [ -S "$CD/containerd.sock" ]; then
    for id in $(c task ls -q 2>/dev/null); do c task kill -s SIGKILL "$id" >/dev/null 2>&1; done
    sleep 0.3
    for id in $(c task ls -q 2>/dev/null); do c task delete -f "$id" >/dev/null 2>&1; done
    for id in $(c containers ls -q 2>/dev/null); do c containers delete "$id" >/dev/null 2>&1; done
    c images rm "$IMAGE" >/dev/null 2>&1 || true
  fi
  pid=$(cat "$CD/containerd.pid" 2>/dev/null)
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
    kill "$pid" 2>/dev/null
    for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
  fi
  for m in $(mounts_under "$CD" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  # The shim puts containers in <namespace>/<id> cgroups; the namespace level stays behind.
  find /sys/fs/cgroup -maxdepth 2 -type d -name "$CD_NS" 2>/dev/null |
    while read -r m; do find "$m" -depth -type d -exec rmdir {} + 2>/dev/null; done
  if [ "${CD_RUN_EXISTED:-1}" = 0 ]; then
    rmdir /run/containerd/fifo /run/containerd/s /run/containerd 2>/dev/null || true
  fi
  cellrun_teardown_file
}

setup () {
  engine_skip_if_unavailable
  T=$CT_TMP/t$BATS_TEST_NUMBER
  mkdir -p "$T"
  C=ct$BATS_TEST_NUMBER
}

teardown () {
  [ -n "${ENGINE_SKIP:-}" ] && return 0
  local id
  for id in $(c task ls -q 2>/dev/null); do
    c task kill -s SIGKILL "$id" >/dev/null 2>&1
    c task delete -f "$id" >/dev/null 2>&1
  done
  for id in $(c containers ls -q 2>/dev/null); do c containers delete "$id" >/dev/null 2>&1; done
  cleanup_dir "$T"
}

# task_status ID: RUNNING, PAUSED, STOPPED... from `ctr task ls`.
task_status () { c task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }

@test "containerd: harness self-check against runc (CELLRUN_TEST_SELFCHECK=1)" {
  engine_selfcheck
}

@test "containerd: starts with contrib/containerd/config.toml and imports the OCI archive" {
  run c images ls -q
  echo "$output"
  assert_contains "$output" "$IMAGE"
  run runtime_binary cellrun-strict
  [ "$ENGINE_RUNTIME" = runc ] || [ "$output" = "$CD/bin/cellrun-strict" ]
}

@test "containerd: ctr run echo" {
  run crun_ --rm "$IMAGE" "$C" echo hello from containerd
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "hello from containerd" ]
}

@test "containerd: exit code propagates" {
  run crun_ --rm "$IMAGE" "$C" sh -c 'exit 42'
  [ "$status" -eq 42 ]
}

@test "containerd: --env" {
  run crun_ --rm --env FOO=bar "$IMAGE" "$C" sh -c 'echo "$FOO"'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = bar ]
}

@test "containerd: detached task, task exec, ps, kill" {
  run crun_ -d "$IMAGE" "$C" sleep 300
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(task_status "$C")" = RUNNING ]
  run c task exec --exec-id e1 "$C" sh -c 'echo exec-ok; exit 5'
  echo "$output"
  [ "$status" -eq 5 ]
  [ "$output" = exec-ok ]
  run c task exec --exec-id e2 --cwd /tmp --user 1000 "$C" sh -c 'echo "$(pwd) $(id -u)"'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "/tmp 1000" ]
  run c task ps "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  pid=$(c task ls | awk -v id="$C" '$1 == id { print $2 }')
  assert_contains "$output" "$pid"
  run c task kill -s SIGKILL "$C"
  [ "$status" -eq 0 ]
  wait_until 50 bash -c "[ \"\$(c task ls | awk '\$1 == \"$C\" { print \$3 }')\" = STOPPED ]"
  run c task delete "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "137"
}

@test "containerd: task exec --tty" {
  command -v script >/dev/null || skip "script(1) (util-linux) needed to give ctr a terminal"
  crun_ -d "$IMAGE" "$C" sleep 300
  # ctr -t wants a terminal on its own stdin: script(1) provides one.
  run script -qec "ctr -a $CD/containerd.sock -n $CD_NS task exec -t --exec-id t1 $C sh -c 'tty; [ -t 0 ] && echo stdin-is-tty'" /dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "/dev/pts/"
  assert_contains "$output" "stdin-is-tty"
}

@test "containerd: ctr run --tty" {
  command -v script >/dev/null || skip "script(1) (util-linux) needed to give ctr a terminal"
  run script -qec "ctr -a $CD/containerd.sock -n $CD_NS run --rm -t --runc-binary $(runtime_binary) --runc-root $CD/runc-root $IMAGE $C sh -c 'tty; exit 3'" /dev/null
  echo "$output"
  [ "$status" -eq 3 ]
  assert_contains "$output" "/dev/pts/0"
}

@test "containerd: task kill delivers a signal to a trap" {
  crun_ -d "$IMAGE" "$C" sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done'
  sleep 0.3
  run c task kill -s SIGUSR1 "$C"
  [ "$status" -eq 0 ]
  wait_until 50 bash -c "[ \"\$(c task ls | awk '\$1 == \"$C\" { print \$3 }')\" = STOPPED ]"
  run c task delete "$C"
  echo "$output"
  assert_contains "$output" "9"
}

@test "containerd: task pause and resume" {
  crun_ -d "$IMAGE" "$C" sleep 300
  run c task pause "$C"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(task_status "$C")" = PAUSED ]
  run c task resume "$C"
  [ "$status" -eq 0 ]
  [ "$(task_status "$C")" = RUNNING ]
  run c task exec --exec-id e1 "$C" echo alive
  [ "$output" = alive ]
}

@test "containerd: --memory-limit is visible and enforced" {
  # ctr's default spec mounts no cgroupfs: read the limit on the host, from the task's cgroup.
  crun_ -d --memory-limit 33554432 "$IMAGE" "$C" sleep 300
  pid=$(c task ls | awk -v id="$C" '$1 == id { print $2 }')
  cg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")
  if [ -n "$cg" ]; then
    limit=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")
  else
    cg=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
    limit=$(cat "/sys/fs/cgroup$cg/memory.max")
  fi
  echo "cgroup $cg: $limit"
  [ "$limit" = 33554432 ]
  run crun_ --rm --memory-limit 33554432 "$IMAGE" "${C}b" sh -c 'exec tail /dev/zero'
  echo "$output"
  [ "$status" -eq 137 ]
}

@test "containerd: the strict handler's binary applies the strict profile" {
  cellrun_only
  run c run --rm --runc-binary "$(runtime_binary cellrun-strict)" --runc-root "$CD/runc-root" "$IMAGE" "$C" \
    sh -c 'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status; touch /rootfile 2>/dev/null && echo root-writable; true'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ CapEff:[[:space:]]+0000000000000000 ]]
  [[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
  [[ "$output" != *root-writable* ]]
}

@test "containerd: nothing is left (runtime state, cgroup, rootfs mount) after ctr run --rm" {
  crun_ --rm "$IMAGE" "$C" true
  run bash -c "find $CD/runc-root -mindepth 2 | grep -v '/$CD_NS\$' || true"
  echo "$output"
  [ -z "$output" ]
  run find /sys/fs/cgroup -maxdepth 3 -type d -path "*/$CD_NS/$C"
  echo "$output"
  [ -z "$output" ]
  run grep -F "$CD/state" /proc/self/mountinfo
  [ -z "$output" ]
}
