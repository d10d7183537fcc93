// The system calls that build a container's file system view and then turn
// its first process into the workload (namespaces, user, no_new_privs,
// capabilities, seccomp, working directory, execve), behind an interface so
// that unit tests can record them instead of running them (the idea of
// youki's crates/libcontainer/src/syscall/test.rs).
//
// LinuxSyscalls is the real thing; tests/unit/container/recording_syscalls.h
// is the fake that writes each call down as one line of text.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::container {

// The three capability sets capset(2) takes, as capability numbers
// (capabilities(7): CAP_CHOWN is 0...).
struct CapabilitySets {
    std::vector<int> effective, permitted, inheritable;
};

class Syscalls {
public:
    virtual ~Syscalls() = default;

    // mount(2): data is the file system's option string ("mode=755").
    virtual Result<void> mount(const std::string& source, const std::string& target,
                               const std::string& type, unsigned long flags,
                               const std::string& data) = 0;
    virtual Result<void> umount(const std::string& target, int flags) = 0;  // umount2(2)
    virtual Result<void> pivot_root(const std::string& new_root, const std::string& put_old) = 0;
    virtual Result<void> chroot(const std::string& path) = 0;
    virtual Result<void> chdir(const std::string& path) = 0;
    // mkdir -p: creates missing parents; an existing directory is fine.
    virtual Result<void> make_directories(const std::string& path, mode_t mode) = 0;
    // Creates an empty regular file (a bind-mount target) if nothing is there.
    virtual Result<void> make_file(const std::string& path, mode_t mode) = 0;
    virtual Result<void> mknod(const std::string& path, mode_t mode, dev_t device) = 0;
    virtual Result<void> symlink(const std::string& target, const std::string& link_path) = 0;
    virtual Result<void> sethostname(const std::string& name) = 0;
    virtual Result<void> setdomainname(const std::string& name) = 0;
    // What is at `path`: a directory, something else, or nothing (lstat follows no links).
    enum class FileKind { Missing, Directory, Other };
    virtual FileKind file_kind(const std::string& path) = 0;

    // The mount point (or device directory) for `destination`, a path in the
    // container, beneath the host directory `root`: resolved as runc's
    // securejoin does (sys/in_root.h: the image's symbolic links are
    // followed but never leave the root), with missing directories and, for
    // TargetKind::File, an empty file created there. Returns the path to give
    // mount(2), mknod(2) or symlink(2): /proc/self/fd/N of an O_PATH
    // descriptor that this object keeps open, so no later lookup of a path
    // string can be redirected. Resolve again after mounting on it, to reach
    // the new mount rather than what it covers.
    enum class TargetKind { Directory, File };
    virtual Result<std::string> prepare_target(const std::string& root,
                                               const std::string& destination, TargetKind kind) = 0;

    // chmod(2) and lchown(2): device nodes get exactly the spec's mode and
    // owner (mknod(2)'s mode is reduced by the umask).
    virtual Result<void> chmod(const std::string& path, mode_t mode) = 0;
    virtual Result<void> chown(const std::string& path, uid_t uid, gid_t gid) = 0;

    // --- The first process becomes the workload (runtime/init_process.cpp) ---
    virtual Result<void> unshare(int flags) = 0;
    virtual Result<void> setgroups(const std::vector<gid_t>& groups) = 0;
    // Real, effective and saved ids at once: setresgid(2), setresuid(2).
    virtual Result<void> setresgid(gid_t gid) = 0;
    virtual Result<void> setresuid(uid_t uid) = 0;
    // prctl(2) with two arguments (PR_SET_NO_NEW_PRIVS, PR_SET_KEEPCAPS,
    // PR_CAPBSET_DROP, PR_CAP_AMBIENT); the rest are 0.
    virtual Result<void> prctl(int option, unsigned long argument2, unsigned long argument3) = 0;
    virtual Result<void> capset(const CapabilitySets& sets) = 0;
    // prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) with a compiled BPF program.
    virtual Result<void> load_seccomp_filter(const std::vector<sock_filter>& instructions) = 0;
    // execve(2): returns only when it failed.
    virtual Result<void> execve(const std::string& path, char* const argv[],
                                char* const envp[]) = 0;
};

class LinuxSyscalls final : public Syscalls {
public:
    Result<void> mount(const std::string& source, const std::string& target,
                       const std::string& type, unsigned long flags,
                       const std::string& data) override;
    Result<void> umount(const std::string& target, int flags) override;
    Result<void> pivot_root(const std::string& new_root, const std::string& put_old) override;
    Result<void> chroot(const std::string& path) override;
    Result<void> chdir(const std::string& path) override;
    Result<void> make_directories(const std::string& path, mode_t mode) override;
    Result<void> make_file(const std::string& path, mode_t mode) override;
    Result<void> mknod(const std::string& path, mode_t mode, dev_t device) override;
    Result<void> symlink(const std::string& target, const std::string& link_path) override;
    Result<void> sethostname(const std::string& name) override;
    Result<void> setdomainname(const std::string& name) override;
    FileKind file_kind(const std::string& path) override;
    Result<void> chmod(const std::string& path, mode_t mode) override;
    Result<void> chown(const std::string& path, uid_t uid, gid_t gid) override;
    Result<std::string> prepare_target(const std::string& root, const std::string& destination,
                                       TargetKind kind) override;
    // process_syscalls.cpp
    Result<void> unshare(int flags) override;
    Result<void> setgroups(const std::vector<gid_t>& groups) override;
    Result<void> setresgid(gid_t gid) override;
    Result<void> setresuid(uid_t uid) override;
    Result<void> prctl(int option, unsigned long argument2, unsigned long argument3) override;
    Result<void> capset(const CapabilitySets& sets) override;
    Result<void> load_seccomp_filter(const std::vector<sock_filter>& instructions) override;
    Result<void> execve(const std::string& path, char* const argv[], char* const envp[]) override;

private:
    // The resolved targets, open until this object goes (O_CLOEXEC: the
    // workload never sees them).
    std::vector<UniqueFd> m_targets;
};

}  // namespace twinbox::container
