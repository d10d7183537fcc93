// Steps 1, 2, 3 and 5 of building the root: private propagation, the
// overlayfs or bind root, the spec's mounts and pivot_root(2).
#include "container/mounts/rootfs.h"

#include <fmt/core.h>
#include <sys/mount.h>

#include "container/mounts/mount_options.h"

namespace twinbox::container {

Result<void> check_destination(const std::string& destination) {
    if (destination.empty() || destination[0] != '/')
        return Error::message(
            fmt::format("mount destination {} is not an absolute path", destination));
    // ".." would be clamped at the root anyway (prepare_target), but a
    // destination that names one is a mistake or an attack: say so.
    if (destination.find("/../") != std::string::npos || destination.ends_with("/.."))
        return Error::message(
            fmt::format("mount destination {} leaves the root with ..", destination));
    return ok();
}

namespace {

// "/a//b/./c/" -> "/a/b/c"; ".." is kept (it is resolved inside the root).
std::string lexically_clean(const std::string& path) {
    std::string clean;
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos)
            slash = path.size();
        std::string part = path.substr(start, slash - start);
        if (!part.empty() && part != ".")
            clean += "/" + part;
        start = slash + 1;
    }
    return clean.empty() ? "/" : clean;
}

}  // namespace

Result<void> check_user_destination(const std::string& flag, const std::string& destination) {
    TRY(check_destination(destination));
    std::string clean = lexically_clean(destination);
    if (clean == "/")
        return Error::message(fmt::format("{}: cannot mount over /, the image's root", flag))
            .with_hint("mount on a directory inside the container, such as /data");
    // What the runtime mounts itself (oci/default spec): a mount on top would
    // hide it or be hidden by it, and /proc and /sys are where the masked
    // paths live (runc refuses destinations inside /proc for the same reason).
    static const char* const kProvided[] = {"/proc",    "/sys",        "/dev",          "/dev/pts",
                                            "/dev/shm", "/dev/mqueue", "/sys/fs/cgroup"};
    for (const char* provided : kProvided) {
        if (clean == provided ||
            (std::string_view(provided) == "/proc" && clean.starts_with("/proc/")))
            return Error::message(
                       fmt::format("{}: cannot mount over {}, which the container runtime provides",
                                   flag, clean))
                .with_hint("mount on a directory of your own, such as /data");
    }
    return ok();
}

namespace {

// linux.rootfsPropagation as mount(2) flags; empty means rprivate.
Result<MountOptions> root_propagation(const std::string& propagation) {
    MountOptions parsed = parse_mount_options({propagation.empty() ? "rprivate" : propagation});
    if (parsed.propagation == 0)
        return Error::message(
            fmt::format("rootfsPropagation {} is not a propagation mode", propagation));
    return parsed;
}

// pivot_root(2) fails with EINVAL when the parent mount of the new root or
// the current root is shared, and an unbindable root cannot be bound onto
// itself (mount_root). So "shared" and "unbindable" hold back during the
// build - slave (still receiving the host's mounts, which shared would) or
// private - and are applied to the new root after the pivot (runc applies
// rootfsPropagation after pivot_root too, in prepareRootfs).
bool applied_after_pivot(unsigned long propagation) {
    return (propagation & (MS_SHARED | MS_UNBINDABLE)) != 0;
}

}  // namespace

Result<void> make_mounts_private(const std::string& propagation, Syscalls& sys) {
    // A new mount namespace starts as a copy of the host's, and on most
    // systems "/" is shared: our mounts would show up on the host. Making
    // every mount private (mount_namespaces(7), "MS_PRIVATE") cuts that link.
    MountOptions parsed = TRY(root_propagation(propagation));
    unsigned long flag = parsed.propagation;
    if (applied_after_pivot(flag))
        flag = (flag & MS_SHARED) ? MS_SLAVE : MS_PRIVATE;
    return sys.mount("", "/", "", MS_REC | flag, "")
        .with_context("making the container's mounts private");
}

Result<void> apply_root_propagation(const std::string& propagation, Syscalls& sys) {
    MountOptions parsed = TRY(root_propagation(propagation));
    if (!applied_after_pivot(parsed.propagation))
        return ok();
    return sys.mount("", "/", "", parsed.propagation | (parsed.recursive ? MS_REC : 0), "")
        .with_context(fmt::format("rootfsPropagation {}", propagation));
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
Result<void> mount_cgroups(const std::string& root, const std::string& destination,
                           const std::string& target, const MountOptions& options,
                           const CgroupMountSource& cgroups, Syscalls& sys) {
    unsigned long flags = options.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (cgroups.v2)
        return sys.mount("cgroup2", target, "cgroup2", flags, "");
    TRY(sys.mount("tmpfs", target, "tmpfs", (flags & ~MS_RDONLY), "mode=755"));
    for (const auto& [controller, host_dir] : cgroups.v1_controllers) {
        std::string mount_point = TRY(sys.prepare_target(root, destination + "/" + controller,
                                                         Syscalls::TargetKind::Directory));
        TRY(sys.mount(host_dir, mount_point, "", MS_BIND, ""));
        mount_point = TRY(sys.prepare_target(root, destination + "/" + controller,
                                             Syscalls::TargetKind::Directory));
        TRY(sys.mount("", mount_point, "", MS_BIND | MS_REMOUNT | flags, ""));
    }
    if (options.readonly()) {
        std::string tmpfs =
            TRY(sys.prepare_target(root, destination, Syscalls::TargetKind::Directory));
        TRY(sys.mount("", tmpfs, "", MS_REMOUNT | flags, "mode=755"));
    }
    return ok();
}

Result<void> mount_one(const std::string& root, const oci::Mount& mount,
                       const CgroupMountSource& cgroups, Syscalls& sys) {
    TRY(check_destination(mount.destination));
    MountOptions options = parse_mount_options(mount.options);
    bool bind = options.bind || mount.type == "bind";
    // The mount point must exist: a directory, or for a bind of a file, a
    // file. It is resolved inside the root: an image whose /data is a link
    // to /etc gets the mount on its own /etc, never on the host's.
    auto kind = bind && sys.file_kind(mount.source) == Syscalls::FileKind::Other
                    ? Syscalls::TargetKind::File
                    : Syscalls::TargetKind::Directory;
    if (bind && sys.file_kind(mount.source) == Syscalls::FileKind::Missing)
        return Error::message(fmt::format("bind mount source {} does not exist", mount.source));
    std::string target = TRY(sys.prepare_target(root, mount.destination, kind));
    if (mount.type == "cgroup" || mount.type == "cgroup2")
        return mount_cgroups(root, mount.destination, target, options, cgroups, sys);
    if (bind) {
        // A bind mount ignores every flag but MS_REC on the first call; the
        // flags (ro, nosuid...) take effect with a second, remounting call,
        // on the new mount (resolved again: the old descriptor names what
        // the mount now covers).
        TRY(sys.mount(mount.source, target, "", MS_BIND | (options.recursive ? MS_REC : 0), ""));
        unsigned long remount_flags = options.flags & ~MS_REMOUNT;
        if (remount_flags != 0) {
            target = TRY(sys.prepare_target(root, mount.destination, kind));
            TRY(sys.mount("", target, "", MS_BIND | MS_REMOUNT | remount_flags, ""));
        }
    } else {
        TRY(sys.mount(mount.source.empty() ? mount.type : mount.source, target, mount.type,
                      options.flags, options.data));
    }
    if (options.propagation != 0) {
        target = TRY(sys.prepare_target(root, mount.destination, kind));
        TRY(sys.mount("", target, "", options.propagation | (options.recursive ? MS_REC : 0), ""));
    }
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

Result<void> chroot_into(const std::string& root, Syscalls& sys) {
    TRY(sys.chdir(root));
    TRY(sys.chroot("."));
    return sys.chdir("/");
}

}  // namespace twinbox::container
