// A recording fake of container::Syscalls: each call becomes one line of
// text ("mount(proc, /r/proc, proc, 0xe, )"), so a test can compare the
// whole sequence of what the runtime would do, without root or a kernel
// (the idea of youki's syscall/test.rs). File kinds and failures are scripted.
#pragma once

#include <fmt/core.h>
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "container/sys/syscalls.h"

namespace twinbox::container::testing {

class RecordingSyscalls final : public Syscalls {
public:
    std::vector<std::string> calls;
    std::map<std::string, FileKind> files;  // what file_kind() answers; default Missing
    std::map<std::string, int> failures;    // call prefix -> errno to fail with

    Result<void> mount(const std::string& source, const std::string& target,
                       const std::string& type, unsigned long flags,
                       const std::string& data) override {
        return record(
            fmt::format("mount({}, {}, {}, {:#x}, {})", source, target, type, flags, data));
    }
    Result<void> umount(const std::string& target, int flags) override {
        return record(fmt::format("umount({}, {:#x})", target, flags));
    }
    Result<void> pivot_root(const std::string& new_root, const std::string& put_old) override {
        return record(fmt::format("pivot_root({}, {})", new_root, put_old));
    }
    Result<void> chroot(const std::string& path) override {
        return record(fmt::format("chroot({})", path));
    }
    Result<void> chdir(const std::string& path) override {
        return record(fmt::format("chdir({})", path));
    }
    Result<void> make_directories(const std::string& path, mode_t mode) override {
        return record(fmt::format("mkdir -p({}, {:o})", path, mode));
    }
    Result<void> make_file(const std::string& path, mode_t mode) override {
        return record(fmt::format("touch({}, {:o})", path, mode));
    }
    Result<void> mknod(const std::string& path, mode_t mode, dev_t device) override {
        return record(fmt::format("mknod({}, {:o}, {:#x})", path, mode, device));
    }
    Result<void> chmod(const std::string& path, mode_t mode) override {
        return record(fmt::format("chmod({}, {:o})", path, mode));
    }
    Result<void> chown(const std::string& path, uid_t uid, gid_t gid) override {
        return record(fmt::format("chown({}, {}, {})", path, uid, gid));
    }
    Result<void> symlink(const std::string& target, const std::string& link_path) override {
        return record(fmt::format("symlink({}, {})", target, link_path));
    }
    Result<void> sethostname(const std::string& name) override {
        return record(fmt::format("sethostname({})", name));
    }
    Result<void> setdomainname(const std::string& name) override {
        return record(fmt::format("setdomainname({})", name));
    }
    FileKind file_kind(const std::string& path) override {
        auto found = files.find(path);
        return found == files.end() ? FileKind::Missing : found->second;
    }

    // Records what the real resolver would create ("mkdir -p" of the
    // directory, or of the parent and "touch" of the file) and answers
    // root + destination, the path a resolution without links gives.
    Result<std::string> prepare_target(const std::string& root, const std::string& destination,
                                       TargetKind kind) override {
        std::string path = root + (destination == "/" ? "" : destination);
        if (kind == TargetKind::File) {
            TRY(make_directories(path.substr(0, path.rfind('/')), 0755));
            TRY(make_file(path, 0644));
        } else {
            TRY(make_directories(path, 0755));
        }
        return path;
    }

    // The first process's own steps. prctl options are named as in
    // <linux/prctl.h>, so that a sequence reads like the code.
    Result<void> unshare(int flags) override {
        return record(fmt::format("unshare({:#x})", flags));
    }
    Result<void> setgroups(const std::vector<gid_t>& groups) override {
        return record(fmt::format("setgroups({})", fmt::join(groups, " ")));
    }
    Result<void> setresgid(gid_t gid) override { return record(fmt::format("setresgid({})", gid)); }
    Result<void> setresuid(uid_t uid) override { return record(fmt::format("setresuid({})", uid)); }
    Result<void> prctl(int option, unsigned long argument2, unsigned long argument3) override {
        return record(fmt::format("prctl({}, {}, {})", prctl_name(option), argument2, argument3));
    }
    Result<void> capset(const CapabilitySets& sets) override {
        return record(fmt::format("capset(effective {}, permitted {}, inheritable {})",
                                  fmt::join(sets.effective, " "), fmt::join(sets.permitted, " "),
                                  fmt::join(sets.inheritable, " ")));
    }
    Result<void> load_seccomp_filter(const std::vector<sock_filter>& instructions) override {
        return record(fmt::format("seccomp({} instructions)", instructions.size()));
    }
    Result<void> execve(const std::string& path, char* const argv[], char* const[]) override {
        std::string args;
        for (char* const* arg = argv; *arg; ++arg)
            args += std::string(args.empty() ? "" : " ") + *arg;
        return record(fmt::format("execve({}, {})", path, args));
    }

    // The recorded calls that start with `prefix`.
    std::vector<std::string> matching(const std::string& prefix) const {
        std::vector<std::string> result;
        for (const auto& call : calls)
            if (call.starts_with(prefix))
                result.push_back(call);
        return result;
    }

private:
    static std::string prctl_name(int option) {
        switch (option) {
            case 8:
                return "PR_SET_KEEPCAPS";
            case 24:
                return "PR_CAPBSET_DROP";
            case 38:
                return "PR_SET_NO_NEW_PRIVS";
            case 47:
                return "PR_CAP_AMBIENT";
            default:
                return std::to_string(option);
        }
    }
    Result<void> record(std::string call) {
        calls.push_back(call);
        for (const auto& [prefix, error] : failures)
            if (call.starts_with(prefix))
                return Error::from_errno(call, "", error);
        return ok();
    }
};

}  // namespace twinbox::container::testing
