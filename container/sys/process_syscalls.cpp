// The real system calls that turn the container's first process into the
// workload (the second half of the Syscalls interface, sys/syscalls.h).
#include <fmt/core.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <memory>

#include "container/sys/syscalls.h"

namespace twinbox::container {

Result<void> LinuxSyscalls::unshare(int flags) {
    if (::unshare(flags) < 0)
        return Error::from_errno(fmt::format("unshare({:#x})", flags), "");
    return ok();
}

Result<void> LinuxSyscalls::setgroups(const std::vector<gid_t>& groups) {
    if (::setgroups(groups.size(), groups.data()) < 0)
        return Error::from_errno("setgroups", "the container's supplementary groups");
    return ok();
}

Result<void> LinuxSyscalls::setresgid(gid_t gid) {
    if (::setresgid(gid, gid, gid) < 0)
        return Error::from_errno("setresgid", fmt::format("gid {}", gid));
    return ok();
}

Result<void> LinuxSyscalls::setresuid(uid_t uid) {
    if (::setresuid(uid, uid, uid) < 0)
        return Error::from_errno("setresuid", fmt::format("uid {}", uid));
    return ok();
}

Result<void> LinuxSyscalls::prctl(int option, unsigned long argument2, unsigned long argument3) {
    if (::prctl(option, argument2, argument3, 0UL, 0UL) < 0)
        return Error::from_errno(fmt::format("prctl({}, {})", option, argument2), "");
    return ok();
}

Result<void> LinuxSyscalls::capset(const CapabilitySets& sets) {
    // libcap's cap_set_proc() is capset(2) with the kernel's version-3 header.
    std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)> state(cap_init(), cap_free);
    if (!state)
        return Error::from_errno("cap_init", "capabilities");
    auto set_flags = [&](const std::vector<int>& values, cap_flag_t flag) -> Result<void> {
        for (int value : values) {
            cap_value_t capability = value;
            if (cap_set_flag(state.get(), flag, 1, &capability, CAP_SET) < 0)
                return Error::from_errno("cap_set_flag", fmt::format("capability {}", value));
        }
        return ok();
    };
    TRY(set_flags(sets.effective, CAP_EFFECTIVE));
    TRY(set_flags(sets.permitted, CAP_PERMITTED));
    TRY(set_flags(sets.inheritable, CAP_INHERITABLE));
    if (cap_set_proc(state.get()) < 0)
        return Error::from_errno("capset", "setting the container's capabilities");
    return ok();
}

Result<void> LinuxSyscalls::load_seccomp_filter(const std::vector<sock_filter>& instructions) {
    struct sock_fprog header {};
    header.len = static_cast<unsigned short>(instructions.size());
    header.filter = const_cast<sock_filter*>(instructions.data());
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &header, 0, 0) < 0)
        return Error::from_errno("prctl(PR_SET_SECCOMP)", "loading the seccomp filter")
            .with_hint("without no_new_privileges this needs CAP_SYS_ADMIN");
    return ok();
}

Result<void> LinuxSyscalls::execve(const std::string& path, char* const argv[],
                                   char* const envp[]) {
    ::execve(path.c_str(), argv, envp);
    int saved = errno;
    return Error::from_errno("execve", path, saved)
        .with_exit_status(saved == ENOENT ? exit_code::kNotFound : exit_code::kNotExecutable);
}

}  // namespace twinbox::container
