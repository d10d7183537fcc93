// The image store: an OCI image layout (image-spec image-layout.md) under
// TWINBOX_ROOT, plus the unpacked layers overlayfs stacks (docs/images.md):
//
//   <root>/lib/images/                 (/var/lib/twinbox/images without TWINBOX_ROOT)
//     oci-layout                       {"imageLayoutVersion": "1.0.0"}
//     index.json                       one manifest per NAME:TAG (annotation
//                                      io.containerd.image.name, as containerd writes)
//     blobs/sha256/<hex>               manifests, configs, layer tars; never changed
//     layers/<hex>/                    layer blob <hex> unpacked, overlayfs whiteouts
//     cache/<hex>                      build cache: step key -> layer (builder.h)
//     tmp/                             half-written files; renamed into place when whole
//     lock                             flock(2): index changes are exclusive
//     gc.lock                          flock(2): shared while importing or building,
//                                      exclusive while pruning
//
// Consistency: a blob or an unpacked layer appears under its final name only
// by rename(2) once complete, and a name is tagged only after every blob it
// needs is in place, so an interrupted import or build leaves nothing
// referenced that is half-written (only garbage that `image prune` removes).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/file_lock.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "host/image/oci_image.h"
#include "host/image/reference.h"

namespace twinbox::image {

// An image as the store knows it.
struct Image {
    std::string reference;        // "busybox:latest" (empty when found by digest)
    std::string manifest_digest;  // the image id
    int64_t manifest_size = 0;
    Manifest manifest;
    // The config blob as stored (image-spec config.md), for `image inspect`
    // and for `build` to extend; the fields twinbox uses are read out below.
    std::string config_text;
    std::string created, architecture, os;
    std::vector<std::string> diff_ids;  // config "rootfs.diff_ids", bottom layer first
    ImageConfig run_config;
};

struct IndexEntry {
    std::string reference;
    Descriptor manifest;
};

// A directory under the store's tmp/ removed when this goes out of scope.
class TempDir {
public:
    TempDir() = default;
    explicit TempDir(std::string path) : m_path(std::move(path)) {}
    TempDir(TempDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
    TempDir& operator=(TempDir&& other) noexcept;
    ~TempDir();
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

class ImageStore {
public:
    // The store under TWINBOX_ROOT (or /var/lib/twinbox): created on first
    // use, with the built-in busybox:latest image.
    static Result<ImageStore> open();
    static Result<ImageStore> open_at(const std::string& root, bool seed_busybox);

    const std::string& root() const { return m_root; }
    std::string blob_path(const std::string& digest) const;
    bool has_blob(const std::string& digest) const;

    // Writes bytes as a blob (temporary file, fsync, rename).
    Result<Descriptor> put_blob(const std::string& bytes, const std::string& media_type);
    // Moves file `path` (inside tmp/) into the store as a blob; `expected`
    // (if not empty) is the digest it must have.
    Result<Descriptor> put_blob_file(const std::string& path, const std::string& media_type,
                                     const std::string& expected = "");
    // Reads a small blob (manifest, config) and checks its digest.
    Result<std::string> read_blob(const std::string& digest) const;

    Result<TempDir> make_temp_dir() const;
    // Shared while importing or building (blobs are being added), exclusive to prune.
    Result<FileLock> lock_for_writing() const;

    // The directory of layer blob `layer` unpacked (done once, then reused).
    Result<std::string> unpacked_layer(const Descriptor& layer);

    // The index (NAME:TAG -> manifest).
    Result<std::vector<IndexEntry>> list() const;
    Result<void> tag(const Reference& reference, const Descriptor& manifest);
    // Removes the name; returns the manifest digest it pointed to.
    Result<std::string> untag(const Reference& reference);
    // NAME[:TAG], or an image id (sha256:... or a unique prefix of its hex).
    Result<Image> load(const std::string& reference);
    // The manifest, config and checks of the manifest with this digest.
    Result<Image> load_manifest(const std::string& digest) const;

    // Build cache records (cache/<key hex>): layer descriptor + diff id.
    std::optional<std::pair<Descriptor, std::string>> cache_lookup(const std::string& key) const;
    Result<void> cache_store(const std::string& key, const Descriptor& layer,
                             const std::string& diff_id);

    struct PruneResult {
        int blobs = 0, layers = 0, cache_entries = 0;
        uint64_t bytes = 0;
    };
    // Deletes blobs and unpacked layers no tagged image (nor `in_use`
    // manifest, nor build cache record) needs; with `drop_cache` the build
    // cache goes first.
    Result<PruneResult> prune(const std::set<std::string>& in_use, bool drop_cache);

private:
    explicit ImageStore(std::string root) : m_root(std::move(root)) {}
    Result<void> write_index(const std::vector<IndexEntry>& entries);
    std::string m_root;
};

// <TWINBOX_ROOT>/lib/images or /var/lib/twinbox/images.
std::string default_store_root();

// The built-in busybox:latest (builtin_busybox.cpp): a root file system of
// Debian's busybox-static /bin/busybox with its applet links, a minimal
// /etc, Cmd ["sh"]. Its files have fixed times, so its digest depends only
// on the busybox binary.
Result<Descriptor> create_busybox_image(ImageStore& store);

}  // namespace twinbox::image
