// The default seccomp profile (see default_seccomp.h).
//
// Structure, after Docker's profile (moby/profiles seccomp/default.json):
//   1. default action SCMP_ACT_ERRNO with EPERM: a call nobody listed fails
//      the way a missing privilege fails, which programs already handle;
//   2. a long allowlist, grouped below by what the calls are for;
//   3. a few calls allowed only with particular arguments (clone without
//      namespace flags, socket without two risky address families,
//      personality with harmless personas);
//   4. calls allowed only when the container holds the capability they need
//      anyway (capability_gated()), so `--cap-add` also opens the filter.
//
// Denied by leaving them out (the kernel would often refuse them without a
// capability too; seccomp is the second wall, and it also shrinks the kernel
// code a container can reach, which is where container escapes come from):
//   - mount, umount2, pivot_root, the new mount API (fsopen, fsmount,
//     move_mount, open_tree...): a container must not rearrange its file
//     systems or reach the host's (needs CAP_SYS_ADMIN);
//   - unshare, setns, clone with CLONE_NEW* flags, clone3: new namespaces are
//     a large, bug-prone attack surface, and setns could join the host's;
//   - keyctl, add_key, request_key: the kernel keyring is not namespaced, so
//     keys would be shared with the host and other containers;
//   - ptrace, process_vm_readv/writev, kcmp, pidfd_getfd: reading and
//     changing other processes (before Linux 4.8 ptrace could even bypass
//     seccomp); allowed with CAP_SYS_PTRACE;
//   - kexec_load, kexec_file_load, reboot: replacing or stopping the host kernel;
//   - init_module, finit_module, delete_module: loading code into the host kernel;
//   - bpf, perf_event_open: kernel programs and performance counters, which
//     see the whole host (need CAP_BPF / CAP_PERFMON);
//   - userfaultfd: lets a process stall the kernel inside a page fault, the
//     standard trick to win kernel race conditions in exploits;
//   - open_by_handle_at: opens any file on a file system by inode handle,
//     escaping a bind mount (the 2014 "shocker" Docker escape);
//   - swapon, swapoff, acct, quotactl, syslog, iopl, ioperm, settimeofday,
//     clock_settime, vhangup: host-wide state;
//   - io_uring_setup/enter/register: its own path into the kernel that
//     seccomp cannot see into, with a history of privilege escalations
//     (Docker removed it in 2023);
//   - obsolete calls (uselib, sysfs, _sysctl, ustat, vm86, nfsservctl,
//     lookup_dcookie): nothing current needs them.
#include "container/oci/default_seccomp.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>

namespace twinbox::oci {

namespace {

// Plain allowlist, grouped by purpose. 32-bit (i386) variants such as
// chown32 or fcntl64 sit beside their 64-bit names.
const std::vector<std::string>& allowed_everywhere() {
    // One group of names per comment, packed to read as a table:
    // clang-format off
    static const std::vector<std::string> kNames = {
        // Processes: create (clone is filtered below), run, wait, end.
        "execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4", "waitid", "waitpid",
        "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "process_mrelease", "getpid",
        "getppid", "gettid", "getpgid", "getpgrp", "getsid", "setpgid", "setsid",
        // Per-process settings the C library and language runtimes make at
        // start-up: threads, robust futexes, restartable sequences, prctl
        // (PR_SET_NAME...); capset can only drop what the bounding set allows.
        "set_tid_address", "set_robust_list", "get_robust_list", "rseq", "restart_syscall",
        "prctl", "arch_prctl", "capget", "capset", "seccomp", "uname", "sysinfo", "getcpu",
        "getrandom", "membarrier", "get_thread_area", "set_thread_area", "modify_ldt",
        // Landlock only ever takes rights away from the caller.
        "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
        // Users and groups (the user namespace or the capabilities decide who may switch).
        "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "setuid",
        "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
        "setgroups", "getuid32", "geteuid32", "getgid32", "getegid32", "getresuid32",
        "getresgid32", "getgroups32", "setuid32", "setgid32", "setreuid32", "setregid32",
        "setresuid32", "setresgid32", "setfsuid32", "setfsgid32", "setgroups32",
        // Memory.
        "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
        "mlock", "mlock2", "mlockall", "munlock", "munlockall", "remap_file_pages", "pkey_alloc",
        "pkey_free", "pkey_mprotect", "memfd_create", "memfd_secret",
        // File descriptors and I/O.
        "open", "openat", "openat2", "creat", "close", "close_range", "read", "write", "readv",
        "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2", "lseek",
        "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl", "flock", "pipe", "pipe2",
        "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "readahead",
        "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate", "fadvise64",
        "fadvise64_64", "truncate", "truncate64", "ftruncate", "ftruncate64", "cachestat",
        // File metadata.
        "stat", "lstat", "fstat", "newfstatat", "statx", "stat64", "lstat64", "fstat64",
        "fstatat64", "statfs", "fstatfs", "statfs64", "fstatfs64", "access", "faccessat",
        "faccessat2", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown",
        "fchownat", "chown32", "fchown32", "lchown32", "umask", "utime", "utimes", "utimensat",
        "utimensat_time64", "futimesat",
        // Directories and names. mknod is allowed: CAP_MKNOD and the device
        // cgroup decide which device nodes can be made and opened.
        "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "rename", "renameat",
        "renameat2", "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "readlink",
        "readlinkat", "getdents", "getdents64", "mknod", "mknodat",
        // name_to_handle_at only reads a handle; open_by_handle_at, which
        // uses one, is the dangerous half and needs CAP_DAC_READ_SEARCH.
        "name_to_handle_at",
        // Extended attributes.
        "getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr", "listxattr",
        "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
        // Waiting for events and file changes (fanotify_mark only works on a
        // group from fanotify_init, which needs CAP_SYS_ADMIN).
        "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait",
        "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd",
        "signalfd4", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
        "fanotify_mark", "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "futex", "futex_time64", "futex_waitv",
        "futex_wait", "futex_wake", "futex_requeue",
        // Signals.
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
        "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
        "sigaltstack", "sigreturn", "sigprocmask", "pause", "alarm",
        // Clocks and timers. adjtimex and clock_adjtime only read unless the
        // caller has CAP_SYS_TIME, which the kernel checks.
        "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
        "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "gettimeofday", "time", "times",
        "getitimer", "setitimer", "timer_create", "timer_settime", "timer_settime64",
        "timer_gettime", "timer_gettime64", "timer_getoverrun", "timer_delete", "timerfd_create",
        "timerfd_settime", "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64", "adjtimex",
        "clock_adjtime", "clock_adjtime64",
        // Scheduling and limits (raising a priority or a hard limit still
        // needs CAP_SYS_NICE or CAP_SYS_RESOURCE).
        "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
        "sched_setparam", "sched_getscheduler", "sched_setscheduler", "sched_getattr",
        "sched_setattr", "sched_get_priority_max", "sched_get_priority_min",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "getpriority", "setpriority",
        "ioprio_get", "ioprio_set", "getrlimit", "setrlimit", "ugetrlimit", "prlimit64",
        "getrusage",
        // System V and POSIX IPC (namespaced by the IPC namespace).
        "ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
        "semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl", "mq_open",
        "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
        "mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
        // Sockets (socket itself is filtered below; i386's socketcall
        // multiplexes them all and cannot be filtered by address family).
        "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname",
        "getpeername", "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg", "recv",
        "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown", "socketcall",
    };
    // clang-format on
    // clang-format on
    return kNames;
}

// Calls that Docker allows only when the container holds a capability, each
// because the capability is what makes the call useful (and dangerous).
struct CapabilityGate {
    const char* capability;
    std::vector<std::string> names;
};

const std::vector<CapabilityGate>& capability_gated() {
    static const std::vector<CapabilityGate> kGates = {
        {"CAP_SYS_ADMIN",
         {"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
          "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
          "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
          "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
          "umount",        "umount2",       "unshare"}},
        {"CAP_SYS_BOOT", {"reboot"}},
        {"CAP_SYS_CHROOT", {"chroot"}},
        {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
        {"CAP_SYS_PACCT", {"acct"}},
        {"CAP_SYS_PTRACE",
         {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
          "ptrace"}},
        {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
        {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
        {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
        {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
        {"CAP_SYSLOG", {"syslog"}},
        {"CAP_BPF", {"bpf"}},
        {"CAP_PERFMON", {"perf_event_open"}},
        {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    };
    return kGates;
}

SeccompSyscall allow(std::vector<std::string> names) {
    return {.names = std::move(names), .action = "SCMP_ACT_ALLOW", .errno_ret = {}, .args = {}};
}

// One argument condition: allow `name` when argument `index` `op` `value`.
SeccompSyscall allow_if(const std::string& name, unsigned index, const std::string& op,
                        uint64_t value, uint64_t value_two = 0) {
    SeccompArg arg{.index = index, .value = value, .value_two = value_two, .op = op};
    return {.names = {name}, .action = "SCMP_ACT_ALLOW", .errno_ret = {}, .args = {arg}};
}

// Rules that look at arguments. Each rule's conditions are ANDed; separate
// rules for the same call are ORed, which is how "any family but 38 and 40"
// is written.
void add_argument_filters(std::vector<SeccompSyscall>& rules, bool sys_admin) {
    // socket(2) for every address family except AF_ALG (38), the kernel
    // crypto interface, and AF_VSOCK (40), the channel from a guest to its
    // hypervisor; both have had exploitable bugs and containers need neither.
    rules.push_back(allow_if("socket", 0, "SCMP_CMP_LT", 38));
    rules.push_back(allow_if("socket", 0, "SCMP_CMP_EQ", 39));
    rules.push_back(allow_if("socket", 0, "SCMP_CMP_GT", 40));
    // personality(2): Linux (0), 32-bit Linux (PER_LINUX32, 8), the 2.6
    // version number (UNAME26, 0x20000), both, and 0xffffffff, which only
    // asks for the current persona. Other personas change how the kernel
    // lays out memory (ADDR_NO_RANDOMIZE turns off ASLR).
    for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL})
        rules.push_back(allow_if("personality", 0, "SCMP_CMP_EQ", persona));
    if (sys_admin)
        return;  // clone and clone3 are then allowed outright (capability_gated())
    // clone(2) for threads and processes, but not with a CLONE_NEW* flag:
    // the flags argument masked with all namespace flags must be zero.
    constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                         CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
    static_assert(kNamespaceFlags == 0x7E020000);  // Docker's 2114060288
    rules.push_back(allow_if("clone", 0, "SCMP_CMP_MASKED_EQ", kNamespaceFlags, 0));
    // clone3(2) passes its flags in a struct that seccomp cannot read, so it
    // cannot be filtered the same way. It fails with ENOSYS, not EPERM, so
    // the C library believes the kernel lacks it and falls back to clone.
    rules.push_back(
        {.names = {"clone3"}, .action = "SCMP_ACT_ERRNO", .errno_ret = ENOSYS, .args = {}});
}

bool holds(const std::vector<std::string>& capabilities, const char* name) {
    return std::find(capabilities.begin(), capabilities.end(), name) != capabilities.end();
}

}  // namespace

Seccomp default_seccomp_profile(const std::vector<std::string>& capabilities) {
    Seccomp profile;
    profile.default_action = "SCMP_ACT_ERRNO";
    profile.default_errno_ret = EPERM;
    profile.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    profile.syscalls.push_back(allow(allowed_everywhere()));
    add_argument_filters(profile.syscalls, holds(capabilities, "CAP_SYS_ADMIN"));
    for (const auto& gate : capability_gated())
        if (holds(capabilities, gate.capability))
            profile.syscalls.push_back(allow(gate.names));
    return profile;
}

Seccomp default_seccomp_profile() {
    // Docker's default capabilities, as default_spec() grants them.
    return default_seccomp_profile(default_spec().process->capabilities->bounding);
}

}  // namespace twinbox::oci
