// Step 4 of building the root: the device nodes a program expects in /dev.
//
// /dev is a fresh tmpfs (mounted from the spec), so it starts empty: the
// runtime creates the few character devices every container gets (runc's
// list, config-linux.md "Default Devices") with mknod(2), adds the spec's
// own devices, and the symbolic links that programs use to reach their
// standard streams through /proc/self/fd.
#include <fmt/core.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "container/mounts/rootfs.h"

namespace twinbox::container {

namespace {

struct DefaultDevice {
    const char* path;
    unsigned major;  // Documentation/admin-guide/devices.txt
    unsigned minor;
};

constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

struct Link {
    const char* target;
    const char* path;
};

constexpr Link kLinks[] = {
    {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},  // the devpts instance's own ptmx (devpts.rst)
};

// The path for mknod(2) or symlink(2) of `path` (a path in the container):
// its directory resolved (and created) inside the root, then its own name.
Result<std::string> node_in_root(const std::string& root, const std::string& path, Syscalls& sys) {
    TRY(check_destination(path));
    auto slash = path.rfind('/');
    std::string name = path.substr(slash + 1);
    if (name.empty() || name == "." || name == "..")
        return Error::message(fmt::format("device path {} does not end in a name", path));
    std::string directory = TRY(sys.prepare_target(root, slash == 0 ? "/" : path.substr(0, slash),
                                                   Syscalls::TargetKind::Directory));
    return directory + "/" + name;
}

// config-linux.md "Devices": fileMode, uid and gid are the node's; runc
// and Docker give 0666 root:root when they are not set. mknod(2) reduces
// the mode by the umask, so the exact mode is set afterwards.
Result<void> make_device(const std::string& root, const std::string& path, char type,
                         unsigned major, unsigned minor, mode_t mode, uid_t uid, gid_t gid,
                         bool bind_from_host, Syscalls& sys) {
    if (bind_from_host) {
        // mknod(2) is refused in a user namespace; borrow the host's node
        // (with the host's mode and owner, which the namespace cannot change).
        std::string target = TRY(sys.prepare_target(root, path, Syscalls::TargetKind::File));
        return sys.mount(path, target, "", MS_BIND, "");
    }
    mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
    std::string node = TRY(node_in_root(root, path, sys));
    TRY(sys.mknod(node, kind | mode, makedev(major, minor)));
    TRY(sys.chmod(node, mode));
    return sys.chown(node, uid, gid);
}

}  // namespace

Result<void> populate_dev(const std::string& root, const std::vector<oci::Device>& devices,
                          bool bind_from_host, Syscalls& sys) {
    for (const auto& device : kDefaultDevices)
        TRY(make_device(root, device.path, 'c', device.major, device.minor, 0666, 0, 0,
                        bind_from_host, sys));
    for (const auto& device : devices)
        TRY(make_device(root, device.path, device.type, static_cast<unsigned>(device.major),
                        static_cast<unsigned>(device.minor), device.file_mode.value_or(0666),
                        device.uid.value_or(0), device.gid.value_or(0), bind_from_host, sys)
                .with_context(fmt::format("creating device {}", device.path)));
    for (const auto& link : kLinks)
        TRY(sys.symlink(link.target, TRY(node_in_root(root, link.path, sys))));
    return ok();
}

}  // namespace twinbox::container
