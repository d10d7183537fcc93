// clone3(2) without a stack: a fork(2) that can also create namespaces.
#include "container/sys/clone.h"

#include <fmt/core.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace twinbox::container {

Result<pid_t> clone_process(uint64_t namespace_flags) {
    // clone3 takes its arguments in a struct (linux/sched.h); zero means
    // "default" for every field we do not set. stack = 0 with no CLONE_VM
    // gives the child its own copy of our stack, exactly as fork(2) does.
    struct clone_args arguments {};
    arguments.flags = namespace_flags;
    arguments.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &arguments, sizeof(arguments));
    if (pid < 0 && errno == ENOSYS) {
        // Kernels before 5.3: the classic clone(2) with a NULL stack is the same.
        pid = ::syscall(SYS_clone, namespace_flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
    }
    if (pid < 0) {
        int saved = errno;
        auto error =
            Error::from_errno("clone3", fmt::format("flags {:#x}", namespace_flags), saved);
        if (saved == EPERM)
            return std::move(error).with_hint("creating namespaces needs root (CAP_SYS_ADMIN)");
        if (saved == EINVAL)
            return std::move(error).with_hint(
                "does this kernel support every namespace asked for?");
        return error;
    }
    return static_cast<pid_t>(pid);
}

}  // namespace twinbox::container
