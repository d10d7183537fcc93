// vmm/sandbox: the per-thread allow-lists build, say why for every entry,
// leave out the calls an escaped guest would want, and really stop a thread:
// a forked child loads a filter and makes a forbidden call, and must end with
// the reporter's line and status 125, while an allowed call goes through.
#include "vmm/sandbox/seccomp_filter.h"

#include <asm/ioctls.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>

namespace twinbox::sandbox {
namespace {

constexpr ThreadRole kRoles[] = {ThreadRole::vcpu, ThreadRole::event_loop, ThreadRole::control,
                                 ThreadRole::console};

TEST(SeccompFilter, EveryRuleResolvesAndSaysWhy) {
    for (ThreadRole role : kRoles) {
        for (const SyscallRule& rule : rules_for(role)) {
            EXPECT_NE(seccomp_syscall_resolve_name(rule.name), __NR_SCMP_ERROR)
                << role_name(role) << ": " << rule.name;
            EXPECT_GT(std::string(rule.why).size(), 5u) << role_name(role) << ": " << rule.name;
        }
    }
}

TEST(SeccompFilter, NoRoleAllowsWhatAnEscapeNeeds) {
    const std::set<std::string> forbidden = {"execve",
                                             "execveat",
                                             "open",
                                             "openat",
                                             "openat2",
                                             "socket",
                                             "connect",
                                             "clone",
                                             "clone3",
                                             "fork",
                                             "vfork",
                                             "ptrace",
                                             "mount",
                                             "unlink",
                                             "unlinkat",
                                             "rename",
                                             "renameat2",
                                             "chmod",
                                             "setuid",
                                             "init_module",
                                             "finit_module",
                                             "bpf",
                                             "process_vm_writev",
                                             "kill",
                                             "prctl"};
    for (ThreadRole role : kRoles)
        for (const SyscallRule& rule : rules_for(role))
            EXPECT_EQ(forbidden.count(rule.name), 0u) << role_name(role) << " allows " << rule.name;
}

TEST(SeccompFilter, IoctlIsAlwaysLimitedToRequestNumbers) {
    for (ThreadRole role : kRoles) {
        for (const SyscallRule& rule : rules_for(role)) {
            if (std::string(rule.name) == "ioctl") {
                EXPECT_EQ(rule.argument, 1u) << role_name(role) << ": " << rule.why;
            }
        }
    }
}

TEST(SeccompFilter, ExportsClassicBpf) {
    for (ThreadRole role : kRoles) {
        auto program = export_filter(role);
        ASSERT_TRUE(program) << program.error().to_string();
        EXPECT_GT(program->size(), 8u * 10);
        EXPECT_EQ(program->size() % 8, 0u);  // struct sock_filter is 8 bytes
    }
}

struct ChildResult {
    int status = -1;  // exit status, or 1000 + signal
    std::string stderr_text;
};

// Runs `action` in a forked child after it loaded `role`'s filter.
ChildResult run_filtered(ThreadRole role, const std::function<void()>& action) {
    int pipe_fds[2];
    EXPECT_EQ(::pipe(pipe_fds), 0);
    pid_t child = ::fork();
    if (child == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        ::close(pipe_fds[0]);
        if (!install_thread_filter(role))
            ::_exit(99);
        action();
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    ChildResult result;
    char buffer[512];
    for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        result.stderr_text.append(buffer, static_cast<size_t>(got));
    ::close(pipe_fds[0]);
    int wait_status = 0;
    ::waitpid(child, &wait_status, 0);
    result.status =
        WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1000 + WTERMSIG(wait_status);
    return result;
}

TEST(SeccompFilter, ForbiddenCallEndsTheProcessWithOneLine) {
    for (ThreadRole role : kRoles) {
        auto result = run_filtered(role, [] { ::syscall(SYS_getppid); });
        EXPECT_EQ(result.status, 125) << role_name(role);
        EXPECT_NE(result.stderr_text.find("getppid"), std::string::npos) << result.stderr_text;
        EXPECT_NE(result.stderr_text.find(std::string(role_name(role))), std::string::npos)
            << result.stderr_text;
        EXPECT_EQ(std::count(result.stderr_text.begin(), result.stderr_text.end(), '\n'), 1)
            << result.stderr_text;
    }
}

TEST(SeccompFilter, OpenIsForbiddenAfterSetup) {
    auto result = run_filtered(ThreadRole::event_loop,
                               [] { ::syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY); });
    EXPECT_EQ(result.status, 125) << result.stderr_text;
}

TEST(SeccompFilter, ExecutableMemoryIsForbidden) {
    auto result = run_filtered(ThreadRole::vcpu, [] {
        ::mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    });
    EXPECT_EQ(result.status, 125) << result.stderr_text;
    auto plain = run_filtered(ThreadRole::vcpu, [] {
        ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    });
    EXPECT_EQ(plain.status, 0) << plain.stderr_text;
}

TEST(SeccompFilter, IoctlsAreAllowedByRequestNumber) {
    // KVM_RUN on a bad fd fails with EBADF but is not trapped; KVM_CREATE_VM is trapped.
    auto allowed = run_filtered(ThreadRole::vcpu, [] { ::ioctl(-1, KVM_RUN, 0); });
    EXPECT_EQ(allowed.status, 0) << allowed.stderr_text;
    auto denied = run_filtered(ThreadRole::vcpu, [] { ::ioctl(-1, KVM_CREATE_VM, 0); });
    EXPECT_EQ(denied.status, 125) << denied.stderr_text;
    auto not_here = run_filtered(ThreadRole::event_loop, [] { ::ioctl(-1, KVM_RUN, 0); });
    EXPECT_EQ(not_here.status, 125) << not_here.stderr_text;
}

}  // namespace
}  // namespace twinbox::sandbox
