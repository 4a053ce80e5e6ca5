#!/usr/bin/env bats
# Workspaces (overlay, ro, rw) from inside real containers: the host directory is never modified
# by an overlay, diff/commit report and apply exactly the changes, upper layers are private,
# size-capped and removed with the container, and extra writable paths respect the allowlist.

load helpers

# wrun ID [run flags]: foreground run, output in $output via `run`.
wrun () {
  local id=$1; shift
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" run --bundle "$BUNDLE" "$@" "$id" < /dev/null
}

# tree_sum DIR: content, type, mode and name of everything below DIR.
tree_sum () {
  (cd "$1" && find . -printf '%y %m %p -> %l\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum
}

# make_lower DIR: a small host workspace.
make_lower () {
  mkdir -p "$1/sub/deep" "$1/dir" "$1/keepdir"
  echo one > "$1/a.txt"
  echo two > "$1/sub/b.txt"
  echo three > "$1/sub/deep/c.txt"
  echo mode > "$1/m.txt"
  chmod 644 "$1/m.txt"
  echo old > "$1/old-name"
  echo x > "$1/dir/x"
  echo y > "$1/dir/y"
  echo k > "$1/keepdir/k"
}

# The changes every diff/commit test makes: modify, add, delete (lower-only), rename, chmod,
# an opaque directory (rm -rf + mkdir), a new directory.
CHANGES='echo changed > /ws/a.txt; echo new > /ws/new.txt; rm /ws/sub/b.txt; mv /ws/old-name /ws/new-name; chmod 600 /ws/m.txt; rm -rf /ws/dir; mkdir /ws/dir; echo z > /ws/dir/z; mkdir -p /ws/added/inner; echo i > /ws/added/inner/i'

# wdone ID [create flags]: create, start and wait until the process has exited; the container
# stays (stopped) so diff and commit can read its layers.  Output in $T/ID.out.
wdone () {
  local id=$1; shift
  create_ct "$id" "$@" || return
  cr start "$id" || return
  wait_status "$id" stopped 100
  cat "$T/$id.out"
}

# no_line LINE TEXT: TEXT has no line that is exactly LINE.
no_line () {
  if grep -qxF -- "$1" <<< "$2"; then echo "unexpected line [$1] in:" >&2; printf '%s\n' "$2" >&2; return 1; fi
}

# no_match REGEX TEXT: no line of TEXT matches REGEX (grep basic regex).
no_match () {
  if grep -q -- "$1" <<< "$2"; then echo "unexpected match [$1] in:" >&2; printf '%s\n' "$2" >&2; return 1; fi
}

upper_of () {  # upper_of PID: the upperdir of the container's overlay, from its mountinfo
  grep -o 'upperdir=[^,]*' "/proc/$1/mountinfo" | head -n 1 | cut -d= -f2
}

@test "lesson: overlay never modifies the host dir (writes, lower-only deletes, renames, chmod)" {
  make_lower "$T/ws"
  local before
  before=$(tree_sum "$T/ws")
  cfg_args sh -c "$CHANGES"' && cat /ws/sub/b.txt 2>/dev/null; ls /ws/sub; ls /ws; ls /ws/dir; stat -c "%a" /ws/m.txt'
  run wrun "$ID" --workspace "$T/ws:/ws"
  [ "$status" -eq 0 ]
  echo "$output"
  [ "$(tree_sum "$T/ws")" = "$before" ]
  [ "$(cat "$T/ws/a.txt")" = one ]
  [ -e "$T/ws/sub/b.txt" ] && [ -e "$T/ws/old-name" ] && [ ! -e "$T/ws/new-name" ]
  [ "$(stat -c %a "$T/ws/m.txt")" = 644 ]
  # inside: the deleted file stays gone, the rename left no old name, chmod applied
  no_line two "$output"
  no_line old-name "$output"
  grep -qx new-name <<< "$output"
  grep -qx 600 <<< "$output"
  # the opaque dir hides the lower entries
  no_line x "$output"
}

@test "lesson: a deleted lower file is not resurrected by later reads (whiteouts and opaque dirs honoured)" {
  make_lower "$T/ws"
  cfg_args sh -c 'rm /ws/sub/b.txt; rm -rf /ws/dir; mkdir /ws/dir; sync; cat /ws/sub/b.txt 2>&1; test -e /ws/sub/b.txt && echo B-BACK; ls -A /ws/dir | wc -l; test -e /ws/dir/x && echo X-BACK; cat /ws/dir/x 2>&1; echo done'
  run wdone "$ID" --workspace "$T/ws:/ws"
  [ "$status" -eq 0 ]
  no_match BACK "$output"
  grep -qx 0 <<< "$output"
  # a second process (exec-free: a new container would not share the upper) - the diff agrees
  run cr diff "$ID"
  echo "diff: $output"
  [ "$status" -eq 0 ]
  grep -qx "D sub/b.txt" <<< "$output"
  grep -qx "D dir" <<< "$output"
}

@test "diff lists exactly the changes, sorted, in text and json (clarification 2)" {
  make_lower "$T/ws"
  cfg_args sh -c "$CHANGES"
  run wdone "$ID" --workspace "$T/ws:/ws"
  [ "$status" -eq 0 ]
  run cr diff "$ID"
  echo "diff: $output"
  [ "$status" -eq 0 ]
  local want
  want=$(printf '%s\n' "M a.txt" "A added" "A added/inner" "A added/inner/i" "D dir" "A dir/z" "M m.txt" \
    "A new-name" "A new.txt" "D old-name" "D sub/b.txt")
  diff <(printf '%s\n' "$output") <(printf '%s\n' "$want")
  run cr diff --format json "$ID"
  [ "$status" -eq 0 ]
  "$PY" -c '
import json, sys
got = json.loads(sys.argv[1])
want = [l.split(" ", 1) for l in sys.argv[2].splitlines()]
assert [[c["op"], c["path"]] for c in got] == want, (got, want)
assert all(set(c) == {"op", "path"} for c in got)
' "$output" "$want"
  run cr diff --format text "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]
}

@test "diff of an untouched workspace is empty; a file rewritten with the same content is not listed" {
  make_lower "$T/ws"
  cfg_args sh -c 'cat /ws/a.txt > /tmp/a 2>/dev/null; echo one > /ws/a.txt; touch /ws/sub/deep/c.txt'
  run wdone "$ID" --workspace "$T/ws:/ws"
  [ "$status" -eq 0 ]
  run cr diff "$ID"
  echo "diff: $output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "commit --dry-run changes nothing; commit reproduces every change on the host incl. deletes and modes" {
  make_lower "$T/ws"
  cfg_args sh -c "$CHANGES"
  run wdone "$ID" --workspace "$T/ws:/ws"
  [ "$status" -eq 0 ]
  local before
  before=$(tree_sum "$T/ws")
  run cr commit --dry-run "$ID"
  [ "$status" -eq 0 ]
  assert_contains "$output" "would apply: D sub/b.txt"
  [ "$(tree_sum "$T/ws")" = "$before" ]
  run cr commit "$ID"
  echo "commit: $output"
  [ "$status" -eq 0 ]
  assert_contains "$output" "applied: M a.txt"
  [ "$(cat "$T/ws/a.txt")" = changed ]
  [ "$(cat "$T/ws/new.txt")" = new ]
  [ ! -e "$T/ws/sub/b.txt" ]
  [ -d "$T/ws/sub/deep" ]
  [ ! -e "$T/ws/old-name" ]
  [ "$(cat "$T/ws/new-name")" = old ]
  [ "$(stat -c %a "$T/ws/m.txt")" = 600 ]
  [ "$(ls -A "$T/ws/dir")" = z ]
  [ "$(cat "$T/ws/added/inner/i")" = i ]
  [ "$(cat "$T/ws/keepdir/k")" = k ]
  # nothing else appeared (no temp files left behind)
  [ -z "$(find "$T/ws" -name '.cellrun-commit-*')" ]
  # after the commit only the opaque directory is still reported
  run cr diff "$ID"
  echo "diff: $output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'D dir\nA dir/z')" ]
}

@test "two overlay containers on one workspace do not see each other's changes" {
  make_lower "$T/ws"
  cfg_args sh -c 'echo from-a > /ws/only-a; rm /ws/a.txt; touch /ws/ready; sleep 30'
  create_ct "$ID" --workspace "$T/ws:/ws"
  cr start "$ID"
  local i pid
  pid=$(cat "$T/$ID.pid")
  for i in $(seq 50); do [ -e "/proc/$pid/root/ws/ready" ] && break; sleep 0.1; done
  cfg_args sh -c 'ls /ws; echo from-b > /ws/only-b'
  run wdone "$ID2" --workspace "$T/ws:/ws"
  [ "$status" -eq 0 ]
  no_line only-a "$output"
  grep -qx a.txt <<< "$output"
  [ ! -e "/proc/$pid/root/ws/only-b" ]
  [ -e "/proc/$pid/root/ws/only-a" ]
  [ ! -e "$T/ws/only-a" ] && [ ! -e "$T/ws/only-b" ] && [ -e "$T/ws/a.txt" ]
  run cr diff "$ID2"
  echo "diff: $output"
  [ "$output" = "A only-b" ]
}

@test "lesson: private state is invisible - no container can reach any upper dir or the state root" {
  make_lower "$T/ws"
  cfg_args sh -c 'echo marker-xyzzy > /ws/marker-xyzzy; touch /ws/ready; sleep 30'
  create_ct "$ID" --workspace "$T/ws:/ws"
  cr start "$ID"
  local pid upper i
  pid=$(cat "$T/$ID.pid")
  for i in $(seq 50); do [ -e "/proc/$pid/root/ws/ready" ] && break; sleep 0.1; done
  upper=$(upper_of "$pid")
  [ -n "$upper" ] && [ -e "$upper/marker-xyzzy" ]
  # the state dir is 0700 and outside anything bound into a container
  [ "$(stat -c %a "$ROOT/$ID")" = 700 ]
  # a second container (strict, same rootfs, its own workspace) searches everything it can see
  mkdir "$T/ws2"
  cfg_args sh -c "find / -xdev -name marker-xyzzy 2>/dev/null; find / -path /proc -prune -o \\( -name upper -o -name \"$ID\" \\) -print 2>/dev/null; ls '$upper' '$ROOT' 2>&1 | head -n 2; echo end"
  run timeout 30 "$CELLRUN" --root "$ROOT" --profile strict run --bundle "$BUNDLE" --workspace "$T/ws2:/ws" "$ID2" < /dev/null
  [ "$status" -eq 0 ]
  echo "$output"
  no_match marker-xyzzy "$output"
  no_match "/upper$" "$output"
  no_match "/$ID\$" "$output"
  no_match "^$upper" "$output"
  assert_contains "$output" "No such file or directory"
  # and the container with the workspace cannot reach its own upper dir by path either
  run ls "/proc/$pid/root$upper"
  [ "$status" -ne 0 ]
}

@test "lesson: max-bytes is enforced (No space left on device)" {
  mkdir "$T/ws"
  annot run.cellrun.workspace.max-bytes 1M
  cfg_args sh -c 'dd if=/dev/zero of=/ws/big bs=64k count=64 2>&1; echo rc=$?; dd if=/dev/zero of=/ws/small bs=1k count=100 2>&1 >/dev/null && echo small-ok'
  run wrun "$ID" --workspace "$T/ws:/ws"
  echo "$output"
  assert_contains "$output" "No space left on device"
  no_line rc=0 "$output"
  [ ! -e "$T/ws/big" ]
  cr delete -f "$ID"
  # bad values and non-overlay modes are refused
  annot run.cellrun.workspace.max-bytes 12Q
  run wrun "$ID2" --workspace "$T/ws:/ws"
  [ "$status" -ne 0 ]
  assert_contains "$output" "max-bytes"
  annot run.cellrun.workspace.max-bytes 1M
  run wrun "$ID2" --workspace "$T/ws:/ws:rw"
  [ "$status" -ne 0 ]
  assert_contains "$output" "overlay"
}

@test "lesson: delete removes the upper layer; --keep-workspace keeps it where it was and prints its path" {
  mkdir "$T/ws"
  cfg_args sh -c 'echo kept > /ws/f; touch /ws/ready; sleep 30'
  create_ct "$ID" --workspace "$T/ws:/ws"
  cr start "$ID"
  local pid upper i
  pid=$(cat "$T/$ID.pid")
  for i in $(seq 50); do [ -e "/proc/$pid/root/ws/ready" ] && break; sleep 0.1; done
  upper=$(upper_of "$pid")
  [ -e "$upper/f" ]
  cr delete -f "$ID"
  [ ! -e "$upper" ]
  [ ! -e "$ROOT/$ID" ]
  # kept
  create_ct "$ID2" --workspace "$T/ws:/ws"
  cr start "$ID2"
  pid=$(cat "$T/$ID2.pid")
  for i in $(seq 50); do [ -e "/proc/$pid/root/ws/ready" ] && break; sleep 0.1; done
  upper=$(upper_of "$pid")
  run cr delete -f --keep-workspace "$ID2"
  [ "$status" -eq 0 ]
  local kept
  kept=$(printf '%s\n' "$output" | tail -n 1)
  echo "printed [$kept], upper was [$upper]"
  [ -n "$kept" ] && [ "$(cat "$kept/f")" = kept ]
  # diff/commit no longer work once the container is gone (clarification 5)
  run cr diff "$ID2"
  [ "$status" -ne 0 ]
  # clarification 5: the upper layer stays where it was
  [ "$kept" = "$upper" ]
}

@test "ro workspace is read-only, nosuid and nodev, submounts included (clarification 4)" {
  mkdir -p "$T/ws/sub"
  echo r > "$T/ws/r"
  mount -t tmpfs -o size=1m cellrun-test-sub "$T/ws/sub"
  echo s > "$T/ws/sub/s"
  cfg_args sh -c 'touch /ws/new 2>&1; touch /ws/sub/new 2>&1; cat /ws/r /ws/sub/s; awk "\$5 == \"/ws\" || \$5 == \"/ws/sub\" { print \$5, \$6 }" /proc/self/mountinfo'
  run wrun "$ID" --workspace "$T/ws:/ws:ro"
  umount "$T/ws/sub"
  [ "$status" -eq 0 ]
  echo "$output"
  [ "$(grep -c "Read-only file system" <<< "$output")" -eq 2 ]
  grep -qx r <<< "$output"
  grep -qx s <<< "$output"
  local m
  for m in /ws /ws/sub; do
    local opts
    opts=$(awk -v m=$m '$1 == m { print $2 }' <<< "$output")
    [[ ",$opts," == *,ro,* ]] && [[ ",$opts," == *,nosuid,* ]] && [[ ",$opts," == *,nodev,* ]] ||
      { echo "$m: $opts"; false; }
  done
  [ ! -e "$T/ws/new" ]
}

@test "rw workspace writes reach the host" {
  mkdir "$T/ws"
  echo h > "$T/ws/h"
  cfg_args sh -c 'echo from-ct > /ws/c; rm /ws/h'
  run wrun "$ID" --workspace "$T/ws:/ws:rw"
  [ "$status" -eq 0 ]
  [ "$(cat "$T/ws/c")" = from-ct ]
  [ ! -e "$T/ws/h" ]
}

@test "lesson: a missing HOST_PATH is created (0755, with parents) for rw and overlay; ro is an error" {
  cfg_args true
  run sh -c "umask 077; timeout 30 '$CELLRUN' --root '$ROOT' run --bundle '$BUNDLE' --workspace '$T/new/rw/ws:/ws:rw' '$ID' < /dev/null"
  [ "$status" -eq 0 ]
  ls -la "$T/new/rw"
  [ "$(stat -c %a "$T/new/rw/ws")" = 755 ]
  [ "$(stat -c %a "$T/new/rw")" = 755 ]
  run sh -c "umask 077; timeout 30 '$CELLRUN' --root '$ROOT' run --bundle '$BUNDLE' --workspace '$T/new2/ov:/ws' '$ID2' < /dev/null"
  [ "$status" -eq 0 ]
  [ "$(stat -c %a "$T/new2/ov")" = 755 ]
  run wrun "$ID-c" --workspace "$T/missing-ro:/ws:ro"
  [ "$status" -ne 0 ]
  assert_contains "$output" "missing-ro"
  [ ! -e "$T/missing-ro" ]
  run cr state "$ID-c"
  [ "$status" -ne 0 ]
}

@test "workspace syntax errors: relative paths, .., unknown mode, and the annotation form" {
  mkdir "$T/ws"
  for v in "ws:/ws" "$T/ws:ws" "$T/ws/../ws:/ws" "$T/ws:/ws/../etc" "$T/ws:/ws:rwx" "$T/ws"; do
    run wrun "$ID" --workspace "$v"
    [ "$status" -ne 0 ] || { echo "accepted $v"; false; }
    assert_contains "$output" workspace
  done
  # the annotation works too, and the flag wins over it
  annot run.cellrun.workspace "$T/ws:/from-annotation:rw"
  cfg_args sh -c 'touch /from-annotation/a 2>&1; touch /from-flag/f 2>&1; true'
  run wrun "$ID2"
  [ -e "$T/ws/a" ]
  cr delete -f "$ID2"
  rm -f "$T/ws/a"
  run wrun "$ID-c" --workspace "$T/ws:/from-flag:rw"
  [ -e "$T/ws/f" ] && [ ! -e "$T/ws/a" ]
}

# ------------------------------------------------------------------ hostile containers vs diff/commit

# A loop device of ours for one test: detached by teardown (its name is kept in $T/loopdev).
teardown () {
  ws_teardown_loop
  cellrun_teardown
}
ws_teardown_loop () {
  [ -n "${T:-}" ] && [ -s "$T/loopdev" ] || return 0
  losetup -d "$(cat "$T/loopdev")" 2>/dev/null || true
}

# wait_ready ID: the container's pid (its init), once /ws/ready exists inside it.
wait_ready () {
  local pid i
  pid=$(cat "$T/$1.pid") || return 1
  for i in $(seq 100); do [ -e "/proc/$pid/root/ws/ready" ] && break; sleep 0.1; done
  [ -e "/proc/$pid/root/ws/ready" ] || { echo "container $1 never got ready" >&2; return 1; }
  echo "$pid"
}

@test "issue 9: commit never creates setuid/setgid files or dirs, strips o+w, keeps sticky only on dirs" {
  have_sysprobe || skip "sysprobe not built"
  # u/ belongs to uid 1000 (the top of an overlay workspace is the upper dir, owned by root)
  mkdir -p "$T/ws/u/hostdir"
  echo one > "$T/ws/u/a.txt"
  chown -R 1000:1000 "$T/ws/u"
  annot run.cellrun.profile strict
  cfg_set .process.user '{"uid": 1000, "gid": 1000}'
  cfg_args sh -c 'cd /ws/u && id -u && cp /bin/sysprobe t && chmod 6755 t && mkdir sg && chmod 2775 sg &&
    chmod 4755 hostdir && echo w > ww && chmod 666 ww && echo s > st && chmod 1644 st &&
    mkdir shared && chmod 1777 shared && mkdir open && chmod 777 open &&
    chmod 2755 a.txt && stat -c "%n %a" t sg hostdir a.txt'
  run wdone "$ID" --workspace "$T/ws:/ws"
  echo "$output"
  cat "$T/$ID.err"
  [ "$status" -eq 0 ]
  # the attack is real: uid 1000 made a setuid+setgid binary and set-id dirs in its upper layer
  grep -qx 1000 <<< "$output"
  grep -qx "t 6755" <<< "$output"
  grep -qx "sg 2775" <<< "$output"
  grep -qx "hostdir 4755" <<< "$output"
  grep -qx "a.txt 2755" <<< "$output"
  run cr commit "$ID"
  echo "commit: $output"
  [ "$status" -eq 0 ]
  # on the host: root-owned, and no set-id bit anywhere
  local u=$T/ws/u
  [ "$(stat -c '%a %U' "$u/t")" = "755 root" ]
  [ "$(stat -c %a "$u/sg")" = 775 ]
  [ "$(stat -c %a "$u/hostdir")" = 755 ]
  [ "$(stat -c %a "$u/a.txt")" = 755 ]
  [ -z "$(find "$T/ws" -perm /6000)" ] || { find "$T/ws" -perm /6000 -ls; false; }
  # world-writable: o+w stripped from files and dirs; sticky kept on dirs, dropped on files
  [ "$(stat -c %a "$u/ww")" = 664 ]
  [ "$(stat -c %a "$u/st")" = 644 ]
  [ "$(stat -c %a "$u/shared")" = 1775 ]
  [ "$(stat -c %a "$u/open")" = 775 ]
  [ -z "$(find "$T/ws" -perm -o+w)" ] || { find "$T/ws" -perm -o+w -ls; false; }
  cmp "$ROOTFS/bin/sysprobe" "$u/t"
  # diff compares the mode commit would apply, so nothing is left to report
  run cr diff "$ID"
  echo "diff: $output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "issue 9: a container swapping a regular file with a FIFO cannot make diff or commit hang" {
  have_sysprobe || skip "sysprobe not built"
  mkdir "$T/ws"
  echo aaaa > "$T/ws/f"
  cfg_args sh -c 'echo bbbb > /ws/f && mkfifo /ws/p && touch /ws/ready && exec sysprobe exchange-loop /ws/f /ws/p 60'
  create_ct "$ID" --workspace "$T/ws:/ws"
  cr start "$ID"
  local pid i
  pid=$(wait_ready "$ID")
  for i in $(seq 15); do
    run timeout 5 "$CELLRUN" --root "$ROOT" diff "$ID"
    [ "$status" -ne 124 ] || { echo "diff hung (round $i)"; false; }
    [ "$status" -eq 0 ] || assert_error_line
    run timeout 5 "$CELLRUN" --root "$ROOT" commit "$ID"
    [ "$status" -ne 124 ] || { echo "commit hung (round $i)"; false; }
    [ "$status" -eq 0 ] || assert_error_line
  done
  # the swapping loop ran the whole time
  [ "$(cat "/proc/$pid/comm")" = sysprobe ]
  # what landed on the host is a FIFO or the regular file, never anything else
  for i in f p; do
    [ ! -e "$T/ws/$i" ] || [ -p "$T/ws/$i" ] || [ "$(cat "$T/ws/$i")" = bbbb ]
  done
}

@test "issue 9: a container swapping a regular file with a block device node never gets the device's data onto the host" {
  have_sysprobe || skip "sysprobe not built"
  # a host block device with a known secret on it
  truncate -s 1M "$T/disk.img"
  printf 'HOST-DEVICE-SECRET' | dd of="$T/disk.img" conv=notrunc status=none
  local dev major minor
  dev=$(losetup -f --show "$T/disk.img") || skip "no loop device"
  echo "$dev" > "$T/loopdev"
  major=$(( 0x$(stat -c %t "$dev") ))
  minor=$(( 0x$(stat -c %T "$dev") ))
  mkdir "$T/ws"
  annot run.cellrun.profile balanced
  local caps='["CAP_MKNOD","CAP_KILL","CAP_AUDIT_WRITE","CAP_NET_BIND_SERVICE"]'
  cfg_set .process.capabilities "{\"bounding\": $caps, \"effective\": $caps, \"permitted\": $caps}"
  cfg_append .linux.resources.devices "{\"allow\": true, \"type\": \"b\", \"major\": $major, \"minor\": $minor, \"access\": \"m\"}"
  cfg_args sh -c "echo regular-content > /ws/f && mknod /ws/z b $major $minor && ls -l /ws/z && touch /ws/ready && exec sysprobe exchange-loop /ws/f /ws/z 60"
  create_ct "$ID" --workspace "$T/ws:/ws"
  cr start "$ID"
  local pid i n
  pid=$(wait_ready "$ID")
  cat "$T/$ID.out"
  for i in $(seq 30); do
    run timeout 10 "$CELLRUN" --root "$ROOT" commit "$ID"
    [ "$status" -ne 124 ] || { echo "commit hung (round $i)"; false; }
    [ "$status" -eq 0 ] || assert_error_line
    run timeout 10 "$CELLRUN" --root "$ROOT" diff "$ID"
    [ "$status" -ne 124 ] || { echo "diff hung (round $i)"; false; }
    for n in f z; do
      [ ! -e "$T/ws/$n" ] && continue
      [ -f "$T/ws/$n" ] && [ ! -L "$T/ws/$n" ] || { ls -l "$T/ws/$n"; echo "round $i: $n is not a regular file"; false; }
      [ "$(cat "$T/ws/$n")" = regular-content ] || { echo "round $i: $n holds $(head -c 40 "$T/ws/$n" | od -c | head -n 2)"; false; }
    done
  done
  [ "$(cat "/proc/$pid/comm")" = sysprobe ]
  run grep -rl HOST-DEVICE-SECRET "$T/ws"
  [ "$status" -ne 0 ]
}

@test "issue 9: a fake user.overlay.opaque marker on a mount without userxattr is ignored by diff and commit" {
  have_sysprobe || skip "sysprobe not built"
  make_lower "$T/ws"
  # CAP_SYS_ADMIN so it can also try the real namespace through the mount (refused, or stored
  # escaped as trusted.overlay.overlay.opaque by kernels >= 6.7; either way not a marker)
  local caps='["CAP_SYS_ADMIN"]'
  cfg_set .process.capabilities "{\"bounding\": $caps, \"effective\": $caps, \"permitted\": $caps}"
  cfg_args sh -c 'sysprobe setxattr /ws/dir user.overlay.opaque y && echo set-ok; sysprobe setxattr /ws/keepdir trusted.overlay.opaque y; ls /ws/dir /ws/keepdir'
  run wdone "$ID" --workspace "$T/ws:/ws"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx set-ok <<< "$output"
  # the kernel ignores the marker: the container still sees the lower files
  grep -qx x <<< "$output"
  grep -qx y <<< "$output"
  grep -qx k <<< "$output"
  local upper=$ROOT/$ID/workspace/upper
  # ... and it did land on the upper dir, where the old diff read it
  [ "$("$PY" -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' "$upper/dir")" = y ]
  run cr diff "$ID"
  echo "diff: $output"
  [ "$status" -eq 0 ]
  no_line "D dir" "$output"
  [ -z "$output" ]
  run cr commit "$ID"
  echo "commit: $output"
  [ "$status" -eq 0 ]
  [ "$(cat "$T/ws/dir/x")" = x ] && [ "$(cat "$T/ws/dir/y")" = y ] && [ "$(cat "$T/ws/keepdir/k")" = k ]
}

@test "issue 9: hostile file names are quoted in diff/commit text and stay valid, reversible JSON" {
  make_lower "$T/ws"
  cfg_args sh -c 'touch "/ws/evil
D sub
A innocent" "/ws/$(printf "\377\376")" "/ws/caf$(printf "\303\251")" "/ws/q\"b\\s	t" /ws/plain'
  run wdone "$ID" --workspace "$T/ws:/ws"
  [ "$status" -eq 0 ]
  run cr diff "$ID"
  echo "diff: $output"
  [ "$status" -eq 0 ]
  local want
  # sorted by raw bytes, so 0xff comes last
  want=$(printf '%s\n' 'A "caf\303\251"' 'A "evil\nD sub\nA innocent"' 'A plain' 'A "q\"b\\s\tt"' 'A "\377\376"')
  diff <(printf '%s\n' "$output") <(printf '%s\n' "$want")
  # C-style quoting is reversible
  "$PY" -c '
import codecs, sys
names = set()
for line in sys.argv[1].splitlines():
    op, name = line.split(" ", 1)
    if name.startswith("\""):
        name = codecs.escape_decode(name[1:-1].encode())[0]
    else:
        name = name.encode()
    names.add(name)
want = {b"evil\nD sub\nA innocent", b"\xff\xfe", "café".encode(), b"q\"b\\s\tt", b"plain"}
assert names == want, names
' "$output"
  run cr diff --format json "$ID"
  echo "json: $output"
  [ "$status" -eq 0 ]
  "$PY" -c '
import base64, json, sys
raw = sys.stdin.buffer.read()
raw.decode("utf-8")          # the document itself is valid UTF-8
got = json.loads(raw)
names = {}
for c in got:
    b = base64.b64decode(c["path_b64"], validate=True) if "path_b64" in c else c["path"].encode("utf-8")
    names[b] = c
want = {b"evil\nD sub\nA innocent", b"\xff\xfe", "café".encode(), b"q\"b\\s\tt", b"plain"}
assert set(names) == want, names
assert all(c["op"] == "A" for c in got)
assert names[b"\xff\xfe"]["path"] == "\ufffd\ufffd", names[b"\xff\xfe"]
assert set(names["café".encode()]) == {"op", "path"}
assert set(names[b"evil\nD sub\nA innocent"]) == {"op", "path"}
' <<< "$output"
  run cr commit --dry-run "$ID"
  echo "commit: $output"
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 5 ]
  grep -qxF 'would apply: A "evil\nD sub\nA innocent"' <<< "$output"
  no_line "would apply: D sub" "$output"
  run cr commit "$ID"
  [ "$status" -eq 0 ]
  grep -qxF 'applied: A "\377\376"' <<< "$output"
  [ -e "$T/ws/$(printf '\377\376')" ] && [ -d "$T/ws/sub/deep" ] && [ -e "$T/ws/sub/b.txt" ]
}

# ------------------------------------------------------------------ extra writable paths

# conf FILE ENTRY...: a config file with a writable_allowlist.
write_conf () {
  local f=$1; shift
  local IFS=,
  printf 'writable_allowlist = %s\n' "$*" > "$f"
}

xrun_conf () {  # xrun_conf ID: run with --config $T/c.conf
  timeout -k 2 30 "$CELLRUN" --root "$ROOT" --config "$T/c.conf" run --bundle "$BUNDLE" "$1" < /dev/null
}

@test "lesson: extra-writable compares whole components - an allowed subdir works, a sibling prefix is refused" {
  mkdir -p "$T/x/scratch/sub" "$T/x/scratch2"
  write_conf "$T/c.conf" "$T/x/scratch"
  annot run.cellrun.extra-writable "$T/x/scratch/sub"
  cfg_args sh -c "echo w > $T/x/scratch/sub/f"
  run xrun_conf "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$T/x/scratch/sub/f")" = w ]
  annot run.cellrun.extra-writable "$T/x/scratch"
  cfg_args sh -c "echo w > $T/x/scratch/g"
  run xrun_conf "$ID2"
  [ "$status" -eq 0 ]
  [ -e "$T/x/scratch/g" ]
  annot run.cellrun.extra-writable "$T/x/scratch2"
  run xrun_conf "$ID-c"
  [ "$status" -ne 0 ]
  assert_contains "$output" "not inside any writable_allowlist entry"
  run cr state "$ID-c"
  [ "$status" -ne 0 ]
}

@test "lesson: extra-writable refuses .. escapes and symlinks pointing outside the allowlist" {
  mkdir -p "$T/x/scratch" "$T/outside"
  ln -s "$T/outside" "$T/x/scratch/link"
  write_conf "$T/c.conf" "$T/x/scratch"
  cfg_args true
  annot run.cellrun.extra-writable "$T/x/scratch/../../outside"
  run xrun_conf "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "writable_allowlist"
  annot run.cellrun.extra-writable "$T/x/scratch/link"
  run xrun_conf "$ID2"
  [ "$status" -ne 0 ]
  assert_contains "$output" "resolved $T/outside"
  # without any allowlist nothing is allowed
  printf '# empty\n' > "$T/c.conf"
  annot run.cellrun.extra-writable "$T/x/scratch"
  run xrun_conf "$ID-c"
  [ "$status" -ne 0 ]
  [ -z "$(ls -A "$T/outside")" ]
}

@test "config file: unknown keys and malformed lines are errors naming the line" {
  printf 'profile = strict\nwritable_allowlst = /tmp\n' > "$T/c.conf"
  run cr --config "$T/c.conf" list
  [ "$status" -ne 0 ]
  assert_contains "$output" "$T/c.conf:2"
  printf 'profile strict\n' > "$T/c.conf"
  run cr --config "$T/c.conf" list
  [ "$status" -ne 0 ]
  assert_contains "$output" "$T/c.conf:1"
  run cr --config "$T/missing.conf" list
  [ "$status" -ne 0 ]
  assert_contains "$output" "missing.conf"
}
