#!/usr/bin/env bats
# Kubernetes' path to cellrun: the CRI plugin of containerd 1.6 runs pods under the RuntimeClass
# handlers of contrib/containerd/config.toml, driven through CRI v1 by tests/integration/cri/
# crictl.py (the kubelet's calls; Debian packages no crictl).
#
# setup_file starts a private containerd with the CRI plugin: its config is
# tests/integration/cri/containerd-cri.toml (root, state, sockets, sandbox_image, CNI dirs, all
# under the suite's temp dir) followed by contrib/containerd/config.toml with /usr/local/bin/ and
# /run/containerd/ replaced by dirs of its own.  Images: a static C pause (cri/pause.c) and the
# suite's busybox rootfs, each an OCI archive from oci-archive.py imported into the k8s.io
# namespace.  Network: the bridge and host-local plugins of containernetworking-plugins with a
# private bridge (crt<tag>), no gateway, no masquerading, IPAM state under the temp dir; the
# bridge is deleted in teardown_file.  Pod cgroups live under /crt<tag>-*, removed per test.

load engine
load ../helpers
# helpers take the test file's dir for tests/ (cfgedit.py, probes/): here it is one level up.
TESTS_DIR=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

CRI_DIR=$BATS_TEST_DIRNAME/cri
CNI_BIN=/usr/lib/cni
BUSYBOX=localhost/busybox:latest
PAUSE=localhost/cellrun-pause:test

crictl () { timeout -k 5 60 "$PY" "$CRI_DIR/crictl.py" --socket "$CD/containerd.sock" "$@"; }
c () { timeout -k 5 60 ctr -a "$CD/containerd.sock" -n k8s.io "$@"; }

# Directories the CRI path creates on the host whatever the config says (containerd 1.6 fixes
# them): the shim sockets (/run/containerd/s), the pods' netns files (/run/netns) and libcni's
# result cache (/var/lib/cni).  Removed at the end if the suite made them and they are empty.
HOST_DIRS="/run/containerd/s /run/containerd /run/netns /var/lib/cni/results /var/lib/cni"

setup_file () {
  engine_require containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd \
    "$CNI_BIN/bridge:containernetworking-plugins" "$CNI_BIN/host-local:containernetworking-plugins" \
    "$CNI_BIN/loopback:containernetworking-plugins" gcc:gcc ip:iproute2 \
    py.grpc:python3-grpcio py.google.protobuf:python3-protobuf py.grpc_tools.protoc:python3-grpc-tools
  export ENGINE_SKIP
  [ -z "${ENGINE_SKIP:-}" ] || return 0
  local d made=
  for d in $HOST_DIRS; do [ -e "$d" ] || made="$made $d"; done
  CRI_MADE_DIRS=$made
  cellrun_setup_file
  CD=$CT_TMP/cri
  BRIDGE=crt$RUN_TAG
  # One /24 per run tag, inside 10.248.0.0/16 (not used on this machine kind).
  SUBNET=10.248.$((16#${RUN_TAG:0:2})).0/24
  CGROUP_PREFIX=$ID_PREFIX-cri
  CRI_GEN_DIR=$CD/gen
  export CD BRIDGE SUBNET CGROUP_PREFIX CRI_GEN_DIR CRI_MADE_DIRS
  mkdir -p "$CD"/{root,state,opt,net.d,cni-ipam,gen,images}
  engine_bin_dir "$CD/bin"
  {
    sed -e "s|@DIR@|$CD|g" -e "s|@CNI_BIN@|$CNI_BIN|g" "$CRI_DIR/containerd-cri.toml"
    sed -e '/^version *=/d' -e "s|/usr/local/bin/|$CD/bin/|g" -e "s|/run/containerd/|$CD/runtime-root/|g" \
      "$CONTRIB_DIR/containerd/config.toml"
  } > "$CD/config.toml"
  sed -e "s|@DIR@|$CD|g" -e "s|@BRIDGE@|$BRIDGE|g" -e "s|@SUBNET@|$SUBNET|g" "$CRI_DIR/cni.conflist" \
    > "$CD/net.d/10-cellrun-test.conflist"
  setsid containerd --config "$CD/config.toml" --log-level info > "$CD/containerd.log" 2>&1 < /dev/null &
  echo $! > "$CD/containerd.pid"
  local i
  # Until the CRI service answers; a CRI plugin that failed to load never will.
  for i in $(seq 100); do
    crictl --timeout 1 version >/dev/null 2>&1 && break
    grep -q 'failed to load plugin io.containerd.grpc.v1.cri' "$CD/containerd.log" && break
    sleep 0.1
  done
  crictl version >&2 || { cat "$CD/containerd.log" >&2; return 1; }
  # The pause image: one static binary.
  mkdir -p "$CD/pause-rootfs"
  gcc -static -O2 -Wall -Wextra -Werror -o "$CD/pause-rootfs/pause" "$CRI_DIR/pause.c"
  "$PY" "$BATS_TEST_DIRNAME/oci-archive.py" "$CD/pause-rootfs" "$PAUSE" "$CD/images/pause.tar" /pause
  "$PY" "$BATS_TEST_DIRNAME/oci-archive.py" "$ROOTFS" "$BUSYBOX" "$CD/images/busybox.tar"
  c images import "$CD/images/pause.tar" >&2
  c images import "$CD/images/busybox.tar" >&2
}

# cri_remove_pod POD: what the kubelet does when a pod goes away.
cri_remove_pod () {
  crictl stopp "$1" >/dev/null 2>&1
  crictl rmp "$1" >/dev/null 2>&1
}

# cri_remove_cgroups: the pod-level cgroups (/crt<tag>-cri-*): the kubelet's to create and remove;
# here the runtime makes them (mkdir -p of the cgroupsPath) and the suite removes them.
cri_remove_cgroups () {
  local d
  find /sys/fs/cgroup -maxdepth 3 -type d -name "$CGROUP_PREFIX-*" 2>/dev/null | sort -r |
    while read -r d; do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
}

teardown_file () {
  [ -n "${CD:-}" ] || return 0
  local pod pid m d i
  if [ -S "$CD/containerd.sock" ]; then
    for pod in $(cat "$CD"/pods 2>/dev/null); do cri_remove_pod "$pod"; done
    c images rm "$PAUSE" "$BUSYBOX" >/dev/null 2>&1 || true
  fi
  pid=$(cat "$CD/containerd.pid" 2>/dev/null)
  if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
    kill "$pid" 2>/dev/null
    for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
  fi
  # A shim of ours that outlived containerd (a pod the cleanup above could not remove): it names
  # our private socket on its command line.
  for pid in $(grep -lsF -- "$CD/containerd.sock" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    kill -9 "$pid" 2>/dev/null
  done
  for m in $(mounts_under "$CD" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  cri_remove_cgroups
  ip link del "$BRIDGE" 2>/dev/null || true
  for d in ${CRI_MADE_DIRS:-}; do rmdir "$d" 2>/dev/null || true; done
  cellrun_teardown_file
}

setup () {
  engine_skip_if_unavailable
  T=$CT_TMP/t$BATS_TEST_NUMBER
  mkdir -p "$T/logs"
  N=$BATS_TEST_NUMBER
  PODS=()
}

teardown () {
  [ -n "${ENGINE_SKIP:-}" ] && return 0
  local pod
  for pod in "${PODS[@]}"; do cri_remove_pod "$pod"; done
  cri_remove_cgroups
  cleanup_dir "$T"
}

# pod_json FILE NAME [ANNOTATIONS_JSON]: a PodSandboxConfig as the kubelet sends it: a log
# directory, a cgroup parent of the suite, the pod's network and IPC shared, pid per container.
pod_json () {
  local ann=${3:-}
  [ -n "$ann" ] || ann='{}'
  "$PY" - "$1" "$2" "$T/logs" "/$CGROUP_PREFIX-$2" "$ann" <<'EOF'
import json, sys
out, name, logs, cgroup, ann = sys.argv[1:6]
json.dump({
    "metadata": {"name": name, "uid": "uid-" + name, "namespace": "cellrun-cri-test"},
    "hostname": name,
    "log_directory": logs,
    "annotations": json.loads(ann),
    "linux": {"cgroup_parent": cgroup,
              "security_context": {"namespace_options": {"network": "POD", "pid": "CONTAINER", "ipc": "POD"}}},
}, open(out, "w"))
EOF
}

# ctr_json FILE NAME COMMAND_JSON [EXTRA_JSON]: a ContainerConfig of busybox running COMMAND,
# logging to NAME.log; EXTRA_JSON is merged into it (linux.resources, annotations...).
ctr_json () {
  "$PY" - "$@" <<'EOF'
import json, sys
out, name, cmd = sys.argv[1:4]
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
cfg = {
    "metadata": {"name": name},
    "image": {"image": "localhost/busybox:latest"},
    "command": json.loads(cmd),
    "log_path": name + ".log",
    "linux": {"security_context": {"namespace_options": {"network": "POD", "pid": "CONTAINER", "ipc": "POD"}}},
}
for k, v in extra.items():
    if isinstance(v, dict) and isinstance(cfg.get(k), dict):
        cfg[k].update(v)
    else:
        cfg[k] = v
json.dump(cfg, open(out, "w"))
EOF
}

# run_pod HANDLER [ANNOTATIONS_JSON]: RunPodSandbox; sets POD (and records it for teardown).
run_pod () {
  pod_json "$T/pod.json" "p$N-$RANDOM" "${2:-}"
  POD=$(crictl runp --runtime "$1" "$T/pod.json") || return 1
  PODS+=("$POD")
  echo "$POD" >> "$CD/pods"
}

# start_ctr NAME COMMAND_JSON [EXTRA_JSON]: CreateContainer + StartContainer in $POD; sets CTR.
start_ctr () {
  ctr_json "$T/$1.json" "$@"
  CTR=$(crictl create "$POD" "$T/$1.json" "$T/pod.json") || return 1
  crictl start "$CTR"
}

# pid_of ID / pod_pid POD: the host pid from the verbose status.
pid_of () { crictl inspect "$1" | json_get .info.info.pid; }
pod_pid () { crictl inspectp "$1" | json_get .info.info.pid; }

# cgroup_of PID CONTROLLER: the process's path in a v1 hierarchy.
cgroup_of () { awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup"; }

@test "cri: containerd's CRI plugin answers and lists the imported images" {
  run crictl version
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" '"runtime_name": "containerd"'
  assert_contains "$output" '"runtime_api_version": "v1"'
  run crictl inspecti "$PAUSE"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "$PAUSE"
  run crictl inspecti "$BUSYBOX"
  [ "$status" -eq 0 ]
  run crictl inspecti localhost/not-there:latest
  [ "$status" -eq 1 ]
}

@test "cri: a pod with handler cellrun runs a container, run by cellrun" {
  run_pod cellrun
  start_ctr c1 '["sh", "-c", "echo started; exec sleep 300"]'
  run crictl inspect "$CTR"
  echo "$output"
  [ "$(echo "$output" | json_get .status.state)" = CONTAINER_RUNNING ]
  # The shim ran the handler's binary: the container's state is in cellrun's root for it.
  run "$CELLRUN" --root "$CD/runtime-root/cellrun/k8s.io" state "$CTR"
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" '"status": "running"'
  [ "$(echo "$output" | json_get .pid)" = "$(pid_of "$CTR")" ]
  run "$CELLRUN" --root "$CD/runtime-root/cellrun/k8s.io" state "$POD"
  [ "$status" -eq 0 ]
  [ "$(crictl inspectp "$POD" | json_get .status.state)" = SANDBOX_READY ]
  [ "$(crictl ps --pod "$POD")" = "$CTR" ]
}

@test "cri: ExecSync returns the command's stdout, stderr and exit code" {
  run_pod cellrun
  start_ctr c1 '["sleep", "300"]'
  run crictl exec "$CTR" -- sh -c 'echo out-$((6 * 7)); echo err-line >&2; exit 3'
  echo "$output"
  [ "$status" -eq 3 ]
  assert_contains "$output" "out-42"
  assert_contains "$output" "err-line"
  run --separate-stderr crictl exec "$CTR" -- cat /proc/self/status
  [ "$status" -eq 0 ]
  assert_contains "$output" "Name:	cat"
  [ -z "$stderr" ]
  run crictl exec "$CTR" -- true
  [ "$status" -eq 0 ]
}

@test "cri: the app container joins the sandbox's network and IPC namespaces and its cgroup parent" {
  run_pod cellrun
  start_ctr c1 '["sleep", "300"]'
  ppid=$(pod_pid "$POD")
  apid=$(pid_of "$CTR")
  [ -n "$ppid" ] || fail "no pid for the pause container"
  [ -n "$apid" ] || fail "no pid for the app container"
  [ "$ppid" != "$apid" ]
  for ns in net ipc; do
    [ "$(stat -L -c %i "/proc/$ppid/ns/$ns")" = "$(stat -L -c %i "/proc/$apid/ns/$ns")" ] ||
      fail "$ns namespace differs: pause $(readlink "/proc/$ppid/ns/$ns"), app $(readlink "/proc/$apid/ns/$ns")"
    [ "$(stat -L -c %i "/proc/$apid/ns/$ns")" != "$(stat -L -c %i "/proc/self/ns/$ns")" ] ||
      fail "the pod's $ns namespace is the host's"
  done
  # pid is per container (the kubelet's default): its own, not the pause's.
  [ "$(stat -L -c %i "/proc/$ppid/ns/pid")" != "$(stat -L -c %i "/proc/$apid/ns/pid")" ]
  parent=/$CGROUP_PREFIX-$(crictl inspectp "$POD" | json_get .status.metadata.name)
  for ctl in memory pids cpu; do
    pcg=$(cgroup_of "$ppid" "$ctl")
    acg=$(cgroup_of "$apid" "$ctl")
    echo "$ctl: pause $pcg app $acg"
    [ "$pcg" = "$parent/$POD" ]
    [ "$acg" = "$parent/$CTR" ]
  done
}

@test "cri: the container's output lands in its CRI log file in CRI format" {
  run_pod cellrun
  start_ctr c1 '["sh", "-c", "echo first line; echo to-stderr >&2; printf partial"]'
  crictl wait "$CTR" CONTAINER_EXITED
  log=$(crictl inspect "$CTR" | json_get .status.log_path)
  [ "$log" = "$T/logs/c1.log" ]
  cat "$log"
  ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})'
  grep -Eqx "$ts stdout F first line" "$log" || fail "no full stdout line"
  grep -Eqx "$ts stderr F to-stderr" "$log" || fail "no full stderr line"
  # A last line without a newline is still a whole line when the stream ends.
  grep -Eqx "$ts stdout [PF] partial" "$log" || fail "no record of the unterminated line"
  [ "$(wc -l < "$log")" -eq 3 ]
}

@test "cri: CPU and memory limits of the CRI request are in the container's cgroup" {
  run_pod cellrun
  start_ctr c1 '["sleep", "300"]' \
    '{"linux": {"resources": {"cpu_period": 100000, "cpu_quota": 50000, "cpu_shares": 512, "memory_limit_in_bytes": 67108864}}}'
  apid=$(pid_of "$CTR")
  mem=$(cgroup_of "$apid" memory)
  cpu=$(cgroup_of "$apid" cpu)
  [ -n "$mem" ] || fail "pid $apid has no memory cgroup"
  [ -n "$cpu" ] || fail "pid $apid has no cpu cgroup"
  echo "memory $mem cpu $cpu"
  [ "$(cat "/sys/fs/cgroup/memory$mem/memory.limit_in_bytes")" = 67108864 ]
  cpudir=$(ls -d /sys/fs/cgroup/cpu,cpuacct /sys/fs/cgroup/cpu 2>/dev/null | head -n 1)
  [ "$(cat "$cpudir$cpu/cpu.cfs_quota_us")" = 50000 ]
  [ "$(cat "$cpudir$cpu/cpu.cfs_period_us")" = 100000 ]
  [ "$(cat "$cpudir$cpu/cpu.shares")" = 512 ]
  # The pause container got none of them: the limits are the app's own.
  ppid=$(pod_pid "$POD")
  [ "$(cat "/sys/fs/cgroup/memory$(cgroup_of "$ppid" memory)/memory.limit_in_bytes")" != 67108864 ]
}

@test "cri: handler cellrun-strict applies the strict profile and keeps the pod's network" {
  run_pod cellrun-strict
  start_ctr c1 '["sleep", "300"]'
  apid=$(pid_of "$CTR")
  ppid=$(pod_pid "$POD")
  run grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' "/proc/$apid/status"
  echo "$output"
  [[ "$output" =~ CapEff:[[:space:]]+0000000000000000 ]]
  [[ "$output" =~ CapBnd:[[:space:]]+0000000000000000 ]]
  [[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
  [[ "$output" =~ Seccomp:[[:space:]]+2 ]]
  run crictl exec "$CTR" -- sh -c 'touch /probe && echo root-writable'
  echo "$output"
  [ "$status" -ne 0 ]
  refute_contains "$output" root-writable
  assert_contains "$output" "Read-only file system"
  # The pod's netns, not a new empty one: loopback and the CNI interface with the pod's IP.
  [ "$(stat -L -c %i "/proc/$ppid/ns/net")" = "$(stat -L -c %i "/proc/$apid/ns/net")" ]
  ip=$(crictl inspectp "$POD" | json_get .status.network.ip)
  [ -n "$ip" ]
  run crictl exec "$CTR" -- cat /proc/net/dev
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | awk -F: '/^ *[a-z0-9]+:/ { gsub(/ /, "", $1); print $1 }' | sort | tr '\n' ' ')" = "eth0 lo " ]
  run crictl exec "$CTR" -- ip -4 addr
  echo "$output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "inet $ip/24"
  assert_contains "$output" "inet 127.0.0.1/8"
  assert_contains "$output" "LOOPBACK,UP"
  # The handler's profile is the pause container's too.
  run grep -E '^CapEff:' "/proc/$ppid/status"
  [[ "$output" =~ CapEff:[[:space:]]+0000000000000000 ]]
  # and the same image under handler cellrun keeps its capabilities: the difference is the handler's.
  run_pod cellrun
  start_ctr c2 '["sleep", "300"]'
  run grep -E '^CapEff:' "/proc/$(pid_of "$CTR")/status"
  echo "$output"
  [[ "$output" != *0000000000000000* ]]
}

@test "cri: an annotation asking for a weaker profile than the handler's is refused, and the error says why" {
  run_pod cellrun-strict
  start_ctr c1 '["sleep", "300"]' '{"annotations": {"run.cellrun.profile": "strict"}}'
  [ "$(crictl inspect "$CTR" | json_get .status.state)" = CONTAINER_RUNNING ]
  ctr_json "$T/c2.json" c2 '["sleep", "300"]' '{"annotations": {"run.cellrun.profile": "balanced"}}'
  CTR=$(crictl create "$POD" "$T/c2.json" "$T/pod.json")
  run crictl start "$CTR"
  echo "$output"
  [ "$status" -eq 1 ]
  assert_contains "$output" "crictl: StartContainer:"
  assert_contains "$output" "annotation run.cellrun.profile=balanced: weaker than the operator's profile strict (set by invoked as cellrun-strict)"
  [ "$(crictl inspect "$CTR" | json_get .status.state)" != CONTAINER_RUNNING ]
  # The same annotation on the pod stops the sandbox itself.
  pod_json "$T/pod2.json" "p$N-weak" '{"run.cellrun.profile": "none"}'
  run crictl runp --runtime cellrun-strict "$T/pod2.json"
  echo "$output"
  [ "$status" -eq 1 ]
  assert_contains "$output" "crictl: RunPodSandbox:"
  assert_contains "$output" "annotation run.cellrun.profile=none: weaker than the operator's profile strict"
}

@test "cri: StopPodSandbox and RemovePodSandbox leave no container, mount, cgroup, netns or process" {
  run_pod cellrun
  start_ctr c1 '["sleep", "300"]'
  ctr1=$CTR
  start_ctr c2 '["sh", "-c", "trap \"\" TERM; sleep 300 & wait"]'
  ctr2=$CTR
  ppid=$(pod_pid "$POD")
  pids="$ppid $(pid_of "$ctr1") $(pid_of "$ctr2")"
  netns=$(crictl inspectp "$POD" | json_get .info.info.runtimeSpec.linux.namespaces |
    "$PY" -c 'import json,sys; print([n["path"] for n in json.load(sys.stdin) if n["type"] == "network"][0])')
  parent=/$CGROUP_PREFIX-$(crictl inspectp "$POD" | json_get .status.metadata.name)
  echo "pids $pids netns $netns cgroup $parent"
  [ -e "$netns" ]
  netns=$(readlink -f "$netns")
  grep -qF " $netns " /proc/self/mountinfo
  run crictl stopp "$POD"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(crictl inspectp "$POD" | json_get .status.state)" = SANDBOX_NOTREADY ]
  [ "$(crictl inspect "$ctr1" | json_get .status.state)" = CONTAINER_EXITED ]
  run crictl rmp "$POD"
  echo "$output"
  [ "$status" -eq 0 ]
  run crictl inspectp "$POD"
  [ "$status" -eq 1 ]
  assert_contains "$output" "NOT_FOUND"
  [ -z "$(crictl ps --all --pod "$POD")" ]
  for pid in $pids; do process_gone "$pid" || fail "process $pid is still alive"; done
  for id in "$POD" "$ctr1" "$ctr2"; do
    [ ! -e "$CD/runtime-root/cellrun/k8s.io/$id" ] || fail "cellrun state of $id is left"
    run "$CELLRUN" --root "$CD/runtime-root/cellrun/k8s.io" state "$id"
    [ "$status" -ne 0 ]
    run grep -F "$id" /proc/self/mountinfo
    [ -z "$output" ] || fail "mount of $id is left: $output"
    run find /sys/fs/cgroup -maxdepth 3 -type d -name "$id"
    [ -z "$output" ] || fail "cgroup of $id is left: $output"
  done
  [ ! -e "$netns" ] || fail "netns file $netns is left"
  run grep -F "$netns" /proc/self/mountinfo
  [ -z "$output" ]
  run c containers ls -q
  refute_contains "$output" "$POD"
  refute_contains "$output" "$ctr1"
  # What is left of the pod is the cgroup parent the kubelet would remove: nothing is in it.
  run find /sys/fs/cgroup -maxdepth 3 -mindepth 2 -type d -path "*$parent/*"
  [ -z "$output" ] || fail "cgroups left under $parent: $output"
}

@test "cri: a container exiting non-zero is reported with its exit code" {
  run_pod cellrun
  start_ctr c1 '["sh", "-c", "exit 7"]'
  crictl wait "$CTR" CONTAINER_EXITED
  run crictl inspect "$CTR"
  echo "$output"
  [ "$(echo "$output" | json_get .status.exit_code)" = 7 ]
  [ "$(echo "$output" | json_get .status.reason)" = Error ]
  # Killed from outside (the container's init cannot SIGKILL itself): StopContainer, no grace.
  start_ctr c2 '["sleep", "300"]'
  crictl stop "$CTR"
  crictl wait "$CTR" CONTAINER_EXITED
  [ "$(crictl inspect "$CTR" | json_get .status.exit_code)" = 137 ]
  start_ctr c3 '["true"]'
  crictl wait "$CTR" CONTAINER_EXITED
  [ "$(crictl inspect "$CTR" | json_get .status.exit_code)" = 0 ]
}

@test "cri: the security context's user and read-only root apply, and an ExecSync past its timeout is ended" {
  run_pod cellrun
  start_ctr c1 '["sleep", "300"]' \
    '{"linux": {"security_context": {"run_as_user": {"value": 1000}, "readonly_rootfs": true, "namespace_options": {"pid": "CONTAINER"}}}}'
  run crictl exec "$CTR" -- sh -c 'id -u; touch /probe && echo root-writable'
  echo "$output"
  [ "$status" -ne 0 ]
  [ "$(printf '%s\n' "$output" | head -n 1)" = 1000 ]
  refute_contains "$output" root-writable
  # A probe that hangs (kubelet exec probes): the shim kills it when the timeout passes.
  run crictl exec --grace 1 "$CTR" -- sleep 30
  echo "$output"
  [ "$status" -eq 1 ]
  assert_contains "$output" "DEADLINE_EXCEEDED"
  run crictl exec "$CTR" -- ps -o args
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(printf '%s\n' "$output" | grep -x 'sleep 30')" ] || fail "the timed-out exec still runs"
  [ "$(crictl inspect "$CTR" | json_get .status.state)" = CONTAINER_RUNNING ]
}
