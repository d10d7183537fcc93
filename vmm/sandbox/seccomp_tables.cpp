// The allow-lists of seccomp_filter.h, one table per thread role. Every entry
// says why that thread makes the call after setup; a call that is only made
// while the machine is built (open, mmap of guest RAM, KVM_CREATE_*, thread
// creation, TUNSETIFF, io_uring_setup) is in no table. Ioctls are allowed per
// request number (linux/kvm.h, asm-generic/ioctls.h, linux/if_tun.h), so an
// fd-less rule such as "ioctl" never appears alone.
#include <asm/ioctls.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sys/mman.h>

#include "vmm/sandbox/seccomp_filter.h"

namespace twinbox::sandbox {

namespace {

// Argument 1 of ioctl(2) is the request; compare its low 32 bits, which is
// what the kernel reads (the upper half of the register is not defined).
constexpr SyscallRule ioctl_rule(unsigned long request, const char* why) {
    return {"ioctl", why, 1u, 0xffffffffu, static_cast<uint32_t>(request)};
}

// mmap(2) and mprotect(2) with PROT_EXEC cleared: memory for malloc, never code.
constexpr SyscallRule no_exec(const char* name, const char* why) {
    return {name, why, 2u, PROT_EXEC, 0};
}

// Calls every thread makes (the C library underneath the code).
#define TWINBOX_COMMON_RULES                                                                   \
    SyscallRule{"futex", "mutexes, condition variables and thread joins (pthread)"},           \
        SyscallRule{"write", "log lines on stderr (common/log.cpp), eventfd signals"},         \
        no_exec("mmap", "malloc of large blocks and new malloc arenas"),                       \
        no_exec("mprotect", "malloc growing an arena inside its reserved mapping"),            \
        SyscallRule{"munmap", "free of large blocks"},                                         \
        SyscallRule{"mremap", "realloc of large blocks"},                                      \
        SyscallRule{"brk", "malloc growing the main heap"},                                    \
        SyscallRule{"madvise", "free returning memory; a thread releasing its stack on exit"}, \
        SyscallRule{"close", "dropping an fd: a device reset, a control client leaving"},      \
        SyscallRule{"rt_sigreturn", "returning from a signal handler (the vCPU kick)"},        \
        SyscallRule{"rt_sigprocmask", "glibc blocking signals around internal work"},          \
        SyscallRule{"restart_syscall", "the kernel restarting a call a signal interrupted"},   \
        SyscallRule{"clock_gettime", "steady_clock when the vDSO cannot answer"},              \
        SyscallRule{"sched_yield", "libstdc++ spinning on a contended lock"},                  \
        SyscallRule{"exit", "a thread returning (pthread exit)"},                              \
        SyscallRule{"exit_group", "ending the process (the SIGSYS reporter's _exit too)"},     \
        ioctl_rule(TCGETS, "isatty(stderr) for each log line (common/log.cpp)")

constexpr SyscallRule kVcpuRules[] = {
    TWINBOX_COMMON_RULES,
    ioctl_rule(KVM_RUN, "entering the guest: the vCPU thread's whole job"),
    ioctl_rule(KVM_GET_REGS, "the register dump when a vCPU fails; --trace-exits"),
    ioctl_rule(KVM_GET_SREGS, "the register dump when a vCPU fails; --trace-exits"),
    ioctl_rule(KVM_TRANSLATE, "--trace-exits reads the instruction at the guest's RIP"),
    ioctl_rule(KVM_IRQ_LINE, "legacy devices (UART, RTC, i8042) raising their interrupt line"),
    ioctl_rule(TUNSETOFFLOAD, "virtio-net applies the offloads the driver accepted"),
    SyscallRule{"epoll_ctl", "a virtio device started or reset by the driver (MMIO write)"},
    SyscallRule{"io_uring_enter", "virtio-blk reset waiting for its in-flight requests"},
    SyscallRule{"read", "a virtio device reset drains its queue-notify eventfds"},
    SyscallRule{"sysinfo", "glibc qsort sizing its buffer (Capstone, --trace-exits)"},
    SyscallRule{"poll", "the console sink waiting for room on a full terminal"},
    SyscallRule{"ppoll", "the console sink waiting for room (glibc may use ppoll)"},
    SyscallRule{"newfstatat", "stdio's first write to the --trace-exits file"},
    SyscallRule{"fstat", "stdio's first write to the --trace-exits file (older glibc)"},
};

constexpr SyscallRule kEventLoopRules[] = {
    TWINBOX_COMMON_RULES,
    SyscallRule{"epoll_wait", "the loop itself"},
    SyscallRule{"epoll_pwait", "the loop itself (glibc may use epoll_pwait)"},
    SyscallRule{"epoll_ctl", "devices changing what they wait for (tap EPOLLOUT)"},
    SyscallRule{"read", "eventfds (queue notifications, completions), frames from the tap"},
    SyscallRule{"readv", "frames from the tap straight into guest buffers"},
    SyscallRule{"writev", "frames to the tap"},
    SyscallRule{"preadv", "virtio-blk reads without io_uring"},
    SyscallRule{"pwritev", "virtio-blk writes without io_uring"},
    SyscallRule{"fdatasync", "virtio-blk flush without io_uring"},
    SyscallRule{"io_uring_enter", "virtio-blk submitting and reaping disk I/O"},
    SyscallRule{"fallocate", "virtio-blk discard and write-zeroes (punching holes)"},
    SyscallRule{"getrandom", "virtio-rng filling the guest's buffers"},
    SyscallRule{"poll", "virtio-console output waiting for room on a full terminal"},
    SyscallRule{"ppoll", "virtio-console output waiting for room (glibc may use ppoll)"},
    SyscallRule{"sendto", "the guest agent's frames to the vm exec client (send)"},
};

constexpr SyscallRule kControlRules[] = {
    TWINBOX_COMMON_RULES,
    SyscallRule{"poll", "waiting for clients and the stop eventfd"},
    SyscallRule{"ppoll", "waiting for clients (glibc may use ppoll)"},
    SyscallRule{"accept4", "a new client on the control socket"},
    SyscallRule{"recvfrom", "a client's request (recv)"},
    SyscallRule{"sendto", "the reply (send)"},
    SyscallRule{"pread64", "the vCPU threads' CPU time from /proc stat files opened earlier"},
    SyscallRule{"read", "the agent channel's wake-up eventfd (vmm/agent/agent_channel.h)"},
    SyscallRule{"getpid", "\"pid\" in stats; pthread_kill's tgkill needs it"},
    SyscallRule{"tgkill", "pause and stop kick the vCPU threads out of KVM_RUN"},
    ioctl_rule(KVM_IRQ_LINE, "powerdown: the ACPI power button raises the GED's line"),
};

constexpr SyscallRule kConsoleRules[] = {
    TWINBOX_COMMON_RULES,
    SyscallRule{"poll", "waiting for stdin, signals, the stop eventfd"},
    SyscallRule{"ppoll", "waiting for stdin, signals (glibc may use ppoll)"},
    SyscallRule{"read", "keystrokes, the signalfd, eventfds"},
    SyscallRule{"getpid", "pthread_kill's tgkill needs it"},
    SyscallRule{"tgkill", "kicking the vCPU threads out of KVM_RUN when the VM stops"},
    SyscallRule{"epoll_ctl", "virtio devices leaving the event loop at shutdown"},
    SyscallRule{"io_uring_enter", "virtio-blk waiting for in-flight I/O at shutdown"},
    SyscallRule{"newfstatat", "stdio's first write to stdout/stderr (--exit-stats)"},
    SyscallRule{"fstat", "stdio's first write (older glibc)"},
    ioctl_rule(TCSETS, "restoring the terminal from raw mode when the VM ends"),
    ioctl_rule(KVM_IRQ_LINE, "keystrokes for the UART raise its receive interrupt"),
};

#undef TWINBOX_COMMON_RULES

struct RoleTable {
    ThreadRole role;
    std::string_view name;  // for the SIGSYS line and errors
    std::span<const SyscallRule> rules;
};

constexpr RoleTable kRoles[] = {
    {ThreadRole::vcpu, "vCPU", kVcpuRules},
    {ThreadRole::event_loop, "virtio event loop", kEventLoopRules},
    {ThreadRole::control, "control socket", kControlRules},
    {ThreadRole::console, "console", kConsoleRules},
};

const RoleTable& table_for(ThreadRole role) {
    for (const RoleTable& table : kRoles)
        if (table.role == role)
            return table;
    return kRoles[0];  // unreachable: every role has a table
}

}  // namespace

std::string_view role_name(ThreadRole role) {
    return table_for(role).name;
}

std::span<const SyscallRule> rules_for(ThreadRole role) {
    return table_for(role).rules;
}

}  // namespace twinbox::sandbox
