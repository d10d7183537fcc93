// Layers as tar streams, and the two whiteout dialects (OCI image-spec
// layer.md "Whiteouts"; Linux Documentation/filesystems/overlayfs.rst):
//
//   in a layer tar (OCI)              on disk, for overlayfs
//   ---------------------             ----------------------
//   dir/.wh.NAME   (empty file)  <->  dir/NAME  character device 0:0
//   dir/.wh..wh..opq              <->  dir     with xattr trusted.overlay.opaque="y"
//
// unpack_layer converts left to right, pack_layer (a RUN's overlay upper
// directory -> a layer) right to left. Reading and writing tar, gzip and
// zstd is libarchive's work.
#pragma once

#include <string>

#include "common/result.h"

namespace twinbox::image {

enum class Compression { none, gzip, zstd, other };

// The OCI media type of a layer blob with this compression.
const char* layer_media_type(Compression compression);

struct StreamInfo {
    std::string diff_id;  // "sha256:..." of the uncompressed tar (config.rootfs.diff_ids)
    Compression compression = Compression::none;
};

// Reads a (possibly compressed) file through libarchive's decompressors:
// its compression and the digest of the decompressed bytes. With
// `plain_copy` set, also writes the decompressed bytes there.
Result<StreamInfo> inspect_stream(const std::string& path, const std::string& plain_copy = "");

// Extracts layer tar `archive` into the (new, empty) directory `dest`,
// turning OCI whiteouts into overlayfs ones. Refuses absolute paths, ".."
// and writes through symbolic links (libarchive's SECURE flags), and never
// applies trusted.overlay.* attributes from the archive.
Result<void> unpack_layer(const std::string& archive, const std::string& dest);

// Writes directory `dir` as a layer tar to `out` (pax format), turning
// overlayfs whiteouts into OCI ones; entries are sorted by name.
Result<void> pack_layer(const std::string& dir, const std::string& out, Compression compression);

}  // namespace twinbox::image
