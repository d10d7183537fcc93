// Steps 1, 2, 3 and 5 of building the root: private propagation, the
// overlayfs or bind root, the spec's mounts and pivot_root(2).
#include "container/mounts/rootfs.h"

#include <fmt/core.h>
#include <sys/mount.h>

#include "container/mounts/mount_options.h"

namespace twinbox::container {

Result<std::string> path_in_root(const std::string& root, const std::string& destination) {
    if (destination.empty() || destination[0] != '/')
        return Error::message(
            fmt::format("mount destination {} is not an absolute path", destination));
    if (destination.find("/../") != std::string::npos || destination.ends_with("/.."))
        return Error::message(
            fmt::format("mount destination {} leaves the root with ..", destination));
    return root + (destination == "/" ? "" : destination);
}

Result<void> make_mounts_private(const std::string& propagation, Syscalls& sys) {
    // A new mount namespace starts as a copy of the host's, and on most
    // systems "/" is shared: our mounts would show up on the host. Making
    // every mount private (mount_namespaces(7), "MS_PRIVATE") cuts that link.
    unsigned long flag = MS_PRIVATE;
    if (!propagation.empty()) {
        auto parsed = parse_mount_options({propagation});
        if (parsed.propagation == 0)
            return Error::message(
                fmt::format("rootfsPropagation {} is not a propagation mode", propagation));
        flag = parsed.propagation;
    }
    return sys.mount("", "/", "", MS_REC | flag, "")
        .with_context("making the container's mounts private");
}

Result<void> mount_root(const std::string& root, const RootfsLayers& layers, Syscalls& sys) {
    if (layers.lower_dirs.empty()) {
        // A plain directory: bind it onto itself so it becomes a mount point.
        return sys.mount(root, root, "", MS_BIND | MS_REC, "").with_context("binding the root");
    }
    // overlayfs (Documentation/filesystems/overlayfs.rst): reads fall through
    // the lower layers, writes copy the file up into upper_dir first.
    std::string lower;
    for (const auto& dir : layers.lower_dirs) lower += (lower.empty() ? "" : ":") + dir;
    std::string data =
        fmt::format("lowerdir={},upperdir={},workdir={}", lower, layers.upper_dir, layers.work_dir);
    return sys.mount("overlay", root, "overlay", 0, data)
        .with_context("mounting the overlay root")
        .with_context(root);
}

namespace {

// /sys/fs/cgroup: on v2 a cgroup2 mount (the cgroup namespace makes the
// container's cgroup its root); on v1 a tmpfs with each controller's
// directory for this container bound in, read-only.
Result<void> mount_cgroups(const std::string& target, const MountOptions& options,
                           const CgroupMountSource& cgroups, Syscalls& sys) {
    unsigned long flags = options.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (cgroups.v2)
        return sys.mount("cgroup2", target, "cgroup2", flags, "");
    TRY(sys.mount("tmpfs", target, "tmpfs", (flags & ~MS_RDONLY), "mode=755"));
    for (const auto& [controller, host_dir] : cgroups.v1_controllers) {
        std::string mount_point = target + "/" + controller;
        TRY(sys.make_directories(mount_point, 0755));
        TRY(sys.mount(host_dir, mount_point, "", MS_BIND, ""));
        TRY(sys.mount("", mount_point, "", MS_BIND | MS_REMOUNT | flags, ""));
    }
    if (options.readonly())
        TRY(sys.mount("", target, "", MS_REMOUNT | flags, "mode=755"));
    return ok();
}

Result<void> mount_one(const std::string& root, const oci::Mount& mount,
                       const CgroupMountSource& cgroups, Syscalls& sys) {
    std::string target = TRY(path_in_root(root, mount.destination));
    MountOptions options = parse_mount_options(mount.options);
    bool bind = options.bind || mount.type == "bind";
    // The mount point must exist: a directory, or for a bind of a file, a file.
    if (bind && sys.file_kind(mount.source) == Syscalls::FileKind::Other) {
        auto slash = target.rfind('/');
        TRY(sys.make_directories(target.substr(0, slash), 0755));
        TRY(sys.make_file(target, 0644));
    } else {
        TRY(sys.make_directories(target, 0755));
    }
    if (mount.type == "cgroup" || mount.type == "cgroup2")
        return mount_cgroups(target, options, cgroups, sys);
    if (bind) {
        if (sys.file_kind(mount.source) == Syscalls::FileKind::Missing)
            return Error::message(fmt::format("bind mount source {} does not exist", mount.source));
        // A bind mount ignores every flag but MS_REC on the first call; the
        // flags (ro, nosuid...) take effect with a second, remounting call.
        TRY(sys.mount(mount.source, target, "", MS_BIND | (options.recursive ? MS_REC : 0), ""));
        unsigned long remount_flags = options.flags & ~MS_REMOUNT;
        if (remount_flags != 0)
            TRY(sys.mount("", target, "", MS_BIND | MS_REMOUNT | remount_flags, ""));
    } else {
        TRY(sys.mount(mount.source.empty() ? mount.type : mount.source, target, mount.type,
                      options.flags, options.data));
    }
    if (options.propagation != 0)
        TRY(sys.mount("", target, "", options.propagation | (options.recursive ? MS_REC : 0), ""));
    return ok();
}

}  // namespace

Result<void> mount_spec_mounts(const std::string& root, const std::vector<oci::Mount>& mounts,
                               const CgroupMountSource& cgroups, Syscalls& sys) {
    for (const auto& mount : mounts)
        TRY(mount_one(root, mount, cgroups, sys)
                .with_context(fmt::format("mounting {} on {}",
                                          mount.type.empty() ? mount.source : mount.type,
                                          mount.destination)));
    return ok();
}

Result<void> pivot_into(const std::string& root, Syscalls& sys) {
    // pivot_root(".", ".") (pivot_root(2), NOTES): the old root is stacked
    // under the new one at the same place, so no put_old directory is
    // needed; unmounting "." afterwards removes the old root from view.
    TRY(sys.chdir(root));
    auto pivoted = sys.pivot_root(".", ".");
    if (!pivoted) {
        if (pivoted.error().code() != EINVAL)
            return std::move(pivoted).with_context("entering the container root");
        // The host root is a ramfs/initramfs, which cannot be pivoted away
        // from: move the new root over "/" and chroot(2) into it instead
        // (what switch_root and runc's --no-pivot do). Weaker: the old root
        // stays in the namespace, hidden only by the chroot.
        TRY(sys.mount(root, "/", "", MS_MOVE, "").with_context("moving the root (no pivot_root)"));
        TRY(sys.chroot("."));
        return sys.chdir("/");
    }
    // The old root must not propagate our unmount to the host: make it a slave first.
    TRY(sys.mount("", ".", "", MS_SLAVE | MS_REC, "").with_context("detaching the old root"));
    TRY(sys.umount(".", MNT_DETACH).with_context("unmounting the old root"));
    return sys.chdir("/");
}

}  // namespace twinbox::container
