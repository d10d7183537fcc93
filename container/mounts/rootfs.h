// The container's file system view, built in its own mount namespace in the
// order the kernel needs (see docs/container.md, "Root file system"):
//
//   1. make_mounts_private  mount("", "/", MS_REC|MS_PRIVATE): nothing we mount
//                           from here on propagates back to the host
//   2. mount_root           overlayfs (lower dirs + a writable upper) or a bind
//                           mount of a plain directory onto itself, so that the
//                           root is a mount point, as pivot_root(2) demands
//   3. mount_spec_mounts    /proc, /dev (tmpfs), /dev/pts, /dev/shm,
//                           /dev/mqueue, /sys (ro), binds and tmpfs from -v/--tmpfs
//   4. populate_dev         (devices.cpp) device nodes and /dev/fd links
//   5. pivot_into           pivot_root(2), or MS_MOVE + chroot(2) on ramfs
//   6. restrict_paths       (paths.cpp) masked and read-only paths, read-only root,
//                           a shared or unbindable rootfsPropagation
//
// Every function takes a Syscalls so tests can record the calls instead.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "container/oci/spec.h"
#include "container/sys/syscalls.h"

namespace twinbox::container {

struct RootfsLayers {
    // Empty: the root is a plain directory. Otherwise the read-only layers of
    // an overlayfs, topmost first (overlayfs's "lowerdir=top:...:bottom").
    std::vector<std::string> lower_dirs;
    std::string upper_dir;  // the container's writes land here
    std::string work_dir;   // overlayfs scratch space, same file system as upper_dir
};

// How the /sys/fs/cgroup mount of the spec is made (host dependent).
struct CgroupMountSource {
    // v1: host directory of each controller for this container ("memory" ->
    // "/sys/fs/cgroup/memory/twinbox/ID"); empty for v2.
    std::vector<std::pair<std::string, std::string>> v1_controllers;
    bool v2 = false;
};

Result<void> make_mounts_private(const std::string& propagation, Syscalls& sys);
// After pivot_into: linux.rootfsPropagation "shared" or "unbindable" (and
// their r- forms), which pivot_root(2) would refuse before (rootfs.cpp).
// restrict_paths calls it.
Result<void> apply_root_propagation(const std::string& propagation, Syscalls& sys);
Result<void> mount_root(const std::string& root, const RootfsLayers& layers, Syscalls& sys);
Result<void> mount_spec_mounts(const std::string& root, const std::vector<oci::Mount>& mounts,
                               const CgroupMountSource& cgroups, Syscalls& sys);
Result<void> pivot_into(const std::string& root, Syscalls& sys);
// Without a mount namespace of its own: chroot(2) into the root, mounting nothing.
Result<void> chroot_into(const std::string& root, Syscalls& sys);

// Devices (devices.cpp): the standard nodes, the spec's devices, the links.
// With `bind_from_host` (in a user namespace, where mknod is refused) the
// nodes are bind mounts of the host's.
Result<void> populate_dev(const std::string& root, const std::vector<oci::Device>& devices,
                          bool bind_from_host, Syscalls& sys);

// Masked and read-only paths and the read-only root (paths.cpp); runs after
// pivot_into, with container paths.
Result<void> restrict_paths(const oci::Linux& linux, bool readonly_root, Syscalls& sys);

// A mount destination must be an absolute path in the container; where it
// lands is decided by Syscalls::prepare_target, inside the root.
Result<void> check_destination(const std::string& destination);

// For -v and --tmpfs: refuses "/" and the mounts the runtime makes itself
// (/proc and below, /sys, /dev...), with one line naming `flag` ("-v H:/proc").
Result<void> check_user_destination(const std::string& flag, const std::string& destination);

}  // namespace twinbox::container
