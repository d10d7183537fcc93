// An image, ready to run: its unpacked layers and its config. This is the
// one entry point both isolations use (docs/images.md "Running an image"):
//
//   container   the layers become overlayfs lower directories (topmost
//               first) under a per-container upper directory
//   vm          the layers are merged bottom to top (flatten_layers) into a
//               directory that `mkfs.ext4 -d DIR` turns into the VM's disk
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "container/engine/run_spec.h"
#include "host/image/oci_image.h"

namespace twinbox::image {

struct PreparedImage {
    std::string reference;        // as resolved: "busybox:latest"
    std::string manifest_digest;  // the image id, "sha256:..."
    // The unpacked layers, BOTTOM FIRST; whiteouts in them are overlayfs's
    // (character devices 0:0, trusted.overlay.opaque="y" directories).
    std::vector<std::string> layer_dirs;
    ImageConfig config;  // Entrypoint, Cmd, Env, WorkingDir, User...
};

// Looks `reference` up in the default store (TWINBOX_ROOT), unpacking any
// layer not unpacked yet. Errors are one line (no such image, bad name...).
Result<PreparedImage> prepare_image(const std::string& reference);

// Copies the layers into `dest` (an empty directory) as overlayfs would
// show them: upper files replace lower ones, a whiteout deletes the lower
// file, an opaque directory hides the lower directory's contents.
Result<void> flatten_layers(const std::vector<std::string>& layer_dirs, const std::string& dest);

// The process an image runs (Docker's rules): ENTRYPOINT + (the command
// given, or else CMD); Env first, -e over it; WorkingDir and User unless
// -w / -u were given.
std::vector<std::string> image_command(const ImageConfig& config,
                                       const std::vector<std::string>& given);

}  // namespace twinbox::image
