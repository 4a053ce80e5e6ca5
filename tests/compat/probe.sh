#!/bin/sh
# The differential suite's probe: runs as process.args (`/bin/sh /compat-probe`) inside the
# container and prints what the container's process can observe, in "@@ SECTION" blocks.
# Everything is read from the shell's own /proc entry ($$), so the values are those of the
# process the runtime started, not of a helper child.  difftest.py parses and normalises it.
# Needs busybox only (sh, cat, tr, readlink, stat, id, touch, rm).
s=/proc/$$
echo "@@ probe"
echo "pid $$"
echo "@@ status"
cat $s/status 2>&1
echo "@@ environ"
tr '\0' '\n' < $s/environ 2>&1
echo
echo "@@ cwd"
readlink $s/cwd 2>&1
echo "@@ hostname"
cat /proc/sys/kernel/hostname 2>&1
cat /proc/sys/kernel/domainname 2>&1
echo "@@ id"
id 2>&1
echo "@@ mountinfo"
cat $s/mountinfo 2>&1
echo "@@ limits"
cat $s/limits 2>&1
echo "@@ ns"
for n in cgroup ipc mnt net pid pid_for_children time time_for_children user uts; do
  echo "$n $(readlink $s/ns/$n 2>&1)"
done
echo "@@ fds"
for f in $s/fd/*; do
  echo "${f##*/} $(readlink "$f" 2>&1)"
done
echo "@@ oom"
cat $s/oom_score_adj 2>&1
echo "@@ cgroup"
cat $s/cgroup 2>&1
echo "@@ devices"
stat -c '%N %F %t:%T %a %u:%g' /dev/* /dev/*/* 2>&1
# Devices the cases add are named /dev/compat-*: can the process open them (device cgroup)?
for d in /dev/compat-* /dev/compat-*/*; do
  [ -e "$d" ] || continue
  if [ -c "$d" ] || [ -b "$d" ]; then
    if err=$( (: < "$d") 2>&1 ); then echo "open-r $d ok"; else echo "open-r $d ${err##*: }"; fi
  fi
done
echo "@@ rootfs"
if touch /.compat-probe-w 2>/dev/null; then rm -f /.compat-probe-w; echo "root writable"; else echo "root read-only"; fi
if [ -x /bin/sysprobe ]; then
  echo "@@ sysprobe"
  /bin/sysprobe mount unshare-user keyctl swapoff ptrace personality-linux32 clone3 io_uring_setup bpf \
    sethostname syslog 2>&1
fi
echo "@@ end"
