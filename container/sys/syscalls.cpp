// The real system calls behind the Syscalls interface: each wrapper turns
// -1/errno into an Error naming the call and its path.
#include "container/sys/syscalls.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/sys/in_root.h"

namespace twinbox::container {

Result<void> LinuxSyscalls::mount(const std::string& source, const std::string& target,
                                  const std::string& type, unsigned long flags,
                                  const std::string& data) {
    if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
                type.empty() ? nullptr : type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) < 0)
        return Error::from_errno(fmt::format("mount({}, {})", type.empty() ? source : type, target),
                                 "");
    return ok();
}

Result<void> LinuxSyscalls::umount(const std::string& target, int flags) {
    if (::umount2(target.c_str(), flags) < 0)
        return Error::from_errno("umount2", target);
    return ok();
}

Result<void> LinuxSyscalls::pivot_root(const std::string& new_root, const std::string& put_old) {
    // glibc has no wrapper for pivot_root(2).
    if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) < 0)
        return Error::from_errno("pivot_root", new_root);
    return ok();
}

Result<void> LinuxSyscalls::chroot(const std::string& path) {
    if (::chroot(path.c_str()) < 0)
        return Error::from_errno("chroot", path);
    return ok();
}

Result<void> LinuxSyscalls::chdir(const std::string& path) {
    if (::chdir(path.c_str()) < 0)
        return Error::from_errno("chdir", path);
    return ok();
}

Result<void> LinuxSyscalls::make_directories(const std::string& path, mode_t mode) {
    // Walk the path one component at a time, creating what is missing.
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        std::string prefix = path.substr(0, slash);
        if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) < 0 && errno != EEXIST)
            return Error::from_errno("mkdir", prefix);
        if (slash == std::string::npos)
            break;
    }
    return ok();
}

Result<void> LinuxSyscalls::make_file(const std::string& path, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0 && errno != EEXIST && errno != EISDIR)
        return Error::from_errno("open(O_CREAT)", path);
    if (fd >= 0)
        ::close(fd);
    return ok();
}

Result<void> LinuxSyscalls::mknod(const std::string& path, mode_t mode, dev_t device) {
    if (::mknod(path.c_str(), mode, device) < 0 && errno != EEXIST)
        return Error::from_errno("mknod", path);
    return ok();
}

Result<void> LinuxSyscalls::chmod(const std::string& path, mode_t mode) {
    if (::chmod(path.c_str(), mode) < 0)
        return Error::from_errno("chmod", path);
    return ok();
}

Result<void> LinuxSyscalls::chown(const std::string& path, uid_t uid, gid_t gid) {
    if (::lchown(path.c_str(), uid, gid) < 0)
        return Error::from_errno("lchown", path);
    return ok();
}

Result<void> LinuxSyscalls::symlink(const std::string& target, const std::string& link_path) {
    if (::symlink(target.c_str(), link_path.c_str()) < 0 && errno != EEXIST)
        return Error::from_errno("symlink", link_path);
    return ok();
}

Result<void> LinuxSyscalls::sethostname(const std::string& name) {
    if (::sethostname(name.data(), name.size()) < 0)
        return Error::from_errno("sethostname", name);
    return ok();
}

Result<void> LinuxSyscalls::setdomainname(const std::string& name) {
    if (::setdomainname(name.data(), name.size()) < 0)
        return Error::from_errno("setdomainname", name);
    return ok();
}

Syscalls::FileKind LinuxSyscalls::file_kind(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) < 0)
        return FileKind::Missing;
    return S_ISDIR(status.st_mode) ? FileKind::Directory : FileKind::Other;
}

Result<std::string> LinuxSyscalls::prepare_target(const std::string& root,
                                                  const std::string& destination, TargetKind kind) {
    UniqueFd root_fd = TRY(open_root(root));
    UniqueFd target =
        kind == TargetKind::File
            ? TRY(make_file_in_root(root_fd.get(), destination, 0644, Symlinks::in_root))
            : TRY(make_directories_in_root(root_fd.get(), destination, 0755, Symlinks::in_root));
    std::string path = fd_path(target.get());
    m_targets.push_back(std::move(target));
    return path;
}

}  // namespace twinbox::container
