/* The data of syscall_groups.h.  Whoever adds a syscall here says in which
   group, and docs/profiles.md gives the reason of each group; the unit test
   (tests/unit/test_syscall_groups.c) checks that every name is a syscall
   libseccomp knows and that no name is in two groups. */
#include "config.h"

#include <string.h>

#include "policy/syscall_groups.h"
#include "base/utils.h"

#define NAMES(...) \
  (const char *const[]) { __VA_ARGS__, NULL }

const struct syscall_group syscall_groups[] = {
  /* ---- allowed ------------------------------------------------------- */
  { "basic-io", "read, write, seek, duplicate and close descriptors the process already holds", SG_ALLOW, false,
    NAMES ("read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
           "lseek", "_llseek", "close", "close_range", "dup", "dup2", "dup3", "sendfile", "sendfile64", "splice", "tee",
           "vmsplice", "copy_file_range") },
  { "file-system",
    "paths, metadata and directories: confined by the mount namespace, the read-only root and file permissions; "
    "the privileged cases (device nodes, foreign owners) need capabilities strict does not grant",
    SG_ALLOW, false,
    NAMES ("open", "openat", "openat2", "creat", "access", "faccessat", "faccessat2", "stat", "lstat", "fstat",
           "newfstatat", "statx", "stat64", "lstat64", "fstat64", "fstatat64", "getdents", "getdents64", "getcwd",
           "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat",
           "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat",
           "fchmodat2", "chown", "fchown", "lchown", "fchownat", "chown32", "fchown32", "lchown32", "umask", "truncate",
           "ftruncate", "truncate64", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "arm_fadvise64_64",
           "readahead", "fcntl", "fcntl64", "flock", "statfs", "fstatfs", "statfs64", "fstatfs64", "utime", "utimes",
           "futimesat", "utimensat", "utimensat_time64", "mknod", "mknodat", "chroot") },
  { "xattr",
    "extended attributes of files the process may access (the trusted.* and security.* namespaces need "
    "capabilities)",
    SG_ALLOW, false,
    NAMES ("getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "setxattr", "lsetxattr",
           "fsetxattr", "removexattr", "lremovexattr", "fremovexattr") },
  { "file-watch", "inotify: watch files the process can already read (build tools, editors, servers)", SG_ALLOW, false,
    NAMES ("inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch") },
  { "sync", "flush the process's own writes to disk (git, databases, package managers)", SG_ALLOW, false,
    NAMES ("fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "arm_sync_file_range", "msync") },
  { "io-event", "wait for descriptors to become ready (every event loop)", SG_ALLOW, false,
    NAMES ("select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64", "epoll_create",
           "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2") },
  { "aio", "Linux native asynchronous I/O on the process's own descriptors (databases); io_uring is denied", SG_ALLOW,
    false,
    NAMES ("io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
           "io_pgetevents_time64") },
  { "ipc", "pipes, and System V and POSIX IPC objects, which live in the container's own ipc namespace", SG_ALLOW,
    false,
    NAMES ("pipe", "pipe2", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semtimedop_time64",
           "semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "ipc", "mq_open", "mq_unlink", "mq_timedsend",
           "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr") },
  { "process", "run programs and wait for them, inside the container's pid namespace; clone is below (with its flags)",
    SG_ALLOW, false,
    NAMES ("fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid", "getpid",
           "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid", "set_tid_address",
           "set_robust_list", "rseq", "futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait",
           "futex_requeue", "membarrier", "prctl", "pidfd_open") },
  { "scheduling",
    "priorities, CPU affinity and yielding of the process's own threads (raising a priority needs "
    "CAP_SYS_NICE)",
    SG_ALLOW, false,
    NAMES ("sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
           "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
           "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_getattr", "sched_setattr", "getpriority",
           "setpriority", "nice", "ioprio_get", "ioprio_set", "getcpu") },
  { "credentials", "read the process's identity and drop it; gaining one needs capabilities strict does not grant",
    SG_ALLOW, false,
    NAMES ("getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "setuid", "setgid",
           "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid", "getuid32",
           "geteuid32", "getgid32", "getegid32", "getresuid32", "getresgid32", "getgroups32", "setuid32", "setgid32",
           "setreuid32", "setregid32", "setresuid32", "setresgid32", "setgroups32", "setfsuid32", "setfsgid32",
           "capget", "capset") },
  { "signal", "handle signals and send them to processes of the container's pid namespace", SG_ALLOW, false,
    NAMES ("rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending", "rt_sigtimedwait",
           "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tkill", "tgkill",
           "pidfd_send_signal", "signalfd", "signalfd4", "pause", "restart_syscall", "sigaction", "sigprocmask",
           "sigreturn", "sigsuspend", "sigpending", "signal", "sgetmask", "ssetmask") },
  { "time", "read clocks, sleep and arm timers (setting or steering a clock is denied below)", SG_ALLOW, false,
    NAMES ("clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64", "gettimeofday", "time", "times",
           "nanosleep", "clock_nanosleep", "clock_nanosleep_time64", "alarm", "getitimer", "setitimer", "timer_create",
           "timer_settime", "timer_settime64", "timer_gettime", "timer_gettime64", "timer_getoverrun", "timer_delete",
           "timerfd_create", "timerfd_settime", "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64") },
  { "memory", "map, protect and advise the process's own memory (mlock is bounded by RLIMIT_MEMLOCK)", SG_ALLOW, false,
    NAMES ("brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "mlock", "mlock2", "munlock",
           "mlockall", "munlockall", "remap_file_pages", "memfd_create", "pkey_alloc", "pkey_free", "pkey_mprotect",
           "get_mempolicy", "set_mempolicy", "mbind", "map_shadow_stack") },
  { "resources",
    "the process's own limits and usage, and what the system is (raising a hard limit needs "
    "CAP_SYS_RESOURCE)",
    SG_ALLOW, false,
    NAMES ("getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getrusage", "sysinfo", "uname", "getrandom") },
  { "self-restriction",
    "a process may narrow its own rights further (seccomp, Landlock); both require "
    "no_new_privs, which every profile sets",
    SG_ALLOW, false, NAMES ("seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self") },
  { "arch", "thread-local storage and cache maintenance the C library of the ABI needs", SG_ALLOW, false,
    NAMES ("arch_prctl", "set_thread_area", "get_thread_area", "set_tls", "get_tls", "cacheflush", "breakpoint") },
  { "network",
    "sockets: unix sockets, and the container's own network namespace (strict gives it one with only loopback "
    "unless the bundle joins a namespace by path, which the operator chose)",
    SG_ALLOW, true,
    NAMES ("socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
           "sendto", "recvfrom", "send", "recv", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "recvmmsg_time64",
           "setsockopt", "getsockopt", "shutdown", "socketcall") },
  /* ---- allowed with argument rules (profile_seccomp.c) ----------------- */
  { "arguments",
    "needed by every workload, but some arguments escape the sandbox: namespace flags of clone and unshare, "
    "ioctls that type into a terminal (TIOCSTI, TIOCLINUX), personas other than the default (EPERM, listed last)",
    SG_ALLOW_ARGS, false, NAMES ("clone", "unshare", "ioctl", "personality") },
  /* ---- denied: EPERM ---------------------------------------------------- */
  { "mount", "reconfigure the sandbox: mounts, the new mount API, entering other namespaces by fd", SG_DENY, false,
    NAMES ("mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig",
           "fspick", "mount_setattr", "open_tree_attr", "setns") },
  { "kernel", "load or replace kernel code, or change host-wide kernel state", SG_DENY, false,
    NAMES ("kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module", "bpf",
           "swapon", "swapoff", "reboot", "sethostname", "setdomainname", "acct", "iopl", "ioperm", "quotactl",
           "quotactl_fd", "syslog", "nfsservctl", "uselib", "vm86", "vm86old", "lookup_dcookie") },
  { "clock",
    "set or steer a clock, every ABI name including the i386/arm time64 twins (read-only adjtimex "
    "queries too, clarification 11)",
    SG_DENY, false,
    NAMES ("settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64",
           "adjtimex") },
  { "kernel-surface",
    "kernel interfaces rarely needed by workloads and often used by exploits: userfaultfd, "
    "keyrings, perf events, handle-based opens that bypass path checks",
    SG_DENY, false,
    NAMES ("userfaultfd", "perf_event_open", "keyctl", "add_key", "request_key", "open_by_handle_at",
           "name_to_handle_at") },
  { "cross-process",
    "reach into another process the way ptrace does: copy its descriptors, compare its kernel "
    "objects, advise its memory",
    SG_DENY, false, NAMES ("pidfd_getfd", "kcmp", "process_madvise") },
  { "debug-fast-io",
    "ptrace, reading and writing another process's memory, and io_uring (denied by strict; "
    "balanced keeps them for debuggers, profilers and fast I/O runtimes)",
    SG_DENY_STRICT, false,
    NAMES ("ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup", "io_uring_enter",
           "io_uring_register") },
};

const size_t syscall_groups_len = ARRAY_SIZE (syscall_groups);

const char *const syscall_enosys_names[] = { "clone3", NULL };

const struct syscall_group *
syscall_group_of (const char *name)
{
  for (size_t g = 0; g < syscall_groups_len; g++)
    for (const char *const *n = syscall_groups[g].names; *n; n++)
      if (strcmp (*n, name) == 0)
        return &syscall_groups[g];
  return NULL;
}
