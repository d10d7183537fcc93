// Step 6 of building the root, after pivot_root: hide and freeze the parts
// of /proc and /sys that would let a container reach the host
// (config-linux.md "Masked Paths" and "Readonly Paths"), and make the root
// itself read-only for --read-only.
#include <fmt/core.h>
#include <sys/mount.h>

#include "container/mounts/rootfs.h"

namespace twinbox::container {

namespace {

// A masked file gets /dev/null bound over it; a masked directory gets an
// empty read-only tmpfs. Reads then see nothing (runc does the same).
Result<void> mask(const std::string& path, Syscalls& sys) {
    switch (sys.file_kind(path)) {
        case Syscalls::FileKind::Missing:
            return ok();  // nothing to hide (e.g. /proc/timer_list on some kernels)
        case Syscalls::FileKind::Directory:
            return sys.mount("tmpfs", path, "tmpfs", MS_RDONLY, "");
        case Syscalls::FileKind::Other:
            return sys.mount("/dev/null", path, "", MS_BIND, "");
    }
    return ok();
}

// A read-only path is bound onto itself and the bind remounted MS_RDONLY.
Result<void> make_readonly(const std::string& path, Syscalls& sys) {
    if (sys.file_kind(path) == Syscalls::FileKind::Missing)
        return ok();
    TRY(sys.mount(path, path, "", MS_BIND | MS_REC, ""));
    return sys.mount("", path, "",
                     MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_REC,
                     "");
}

}  // namespace

Result<void> restrict_paths(const oci::Linux& linux, bool readonly_root, Syscalls& sys) {
    for (const auto& path : linux.readonly_paths)
        TRY(make_readonly(path, sys).with_context(fmt::format("read-only path {}", path)));
    for (const auto& path : linux.masked_paths)
        TRY(mask(path, sys).with_context(fmt::format("masked path {}", path)));
    if (readonly_root) {
        // The root is a bind or overlay mount; remounting the bind read-only
        // leaves the mounts on top of it (/proc, /dev, volumes) as they are.
        TRY(sys.mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY, "")
                .with_context("making the root read-only"));
    }
    return apply_root_propagation(linux.rootfs_propagation, sys);
}

}  // namespace twinbox::container
