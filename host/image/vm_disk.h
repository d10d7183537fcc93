// An image as a VM disk: the layers flattened into one ext4 file system,
// plus the guest agent, for `twinbox run --isolation vm` (docs/images.md
// "One image, two isolations").
//
//   layers (bottom first) ──flatten_layers──▶ staging dir ──mkfs.ext4 -d──▶ disk
//                                             + /.twinbox/init (the agent)
//                                             + /.twinbox/rw, /proc, /sys, /dev, /run
//
// `mkfs.ext4 -d DIR` (e2fsprogs 1.43+) copies a directory tree into a new
// file system with owners and modes, with no loop device and no mount. The
// disk is cached per image and agent under
// <store>/vmdisks/<manifest hex>-<agent digest, 12 hex>.ext4, written under a
// temporary name and renamed when whole, so concurrent runs share it and an
// interrupted build leaves no half-made disk behind.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox::image {

struct VmDisk {
    std::string path;
    bool built_now = false;  // false: found in the cache
    std::chrono::milliseconds build_time{0};
};

// The cached disk for image `manifest_digest` with these layers (bottom first),
// built if missing. `agent` is the static guest agent binary.
Result<VmDisk> vm_disk_for_image(const std::string& store_root, const std::string& manifest_digest,
                                 const std::vector<std::string>& layer_dirs,
                                 const std::string& agent);

// An ext4 file system image at `output` holding a copy of `directory` (for
// `-v HOST:PATH:ro` with --isolation vm: the directory becomes a read-only disk).
Result<void> make_ext4_from_directory(const std::string& directory, const std::string& output);

// An empty ext4 file system of `size` bytes at `output`, sparse (only what
// mkfs.ext4 writes takes space): a detached VM's writable layer, its root
// volume across stop and start.
Result<void> make_empty_ext4(const std::string& output, uint64_t size);

}  // namespace twinbox::image
