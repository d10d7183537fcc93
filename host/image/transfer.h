// Moving images in and out of the store (docs/images.md "Import and export"):
//
//   import_image  a root file system tarball (one layer; NAME:TAG required),
//                 a `docker save` archive (manifest.json, RepoTags, layer tars),
//                 an OCI image layout directory or tar (oci-layout, index.json,
//                 blobs/sha256/...: what `skopeo copy ... oci:` and `podman save
//                 --format oci-archive` write); layers plain, gzip or zstd.
//   save_images   an OCI image layout tar, with a docker-style manifest.json
//                 too, so both `podman load` and `docker load` read it.
//
// Every blob is checked against its digest (and every layer against its
// diff id) before anything is tagged; a wrong one aborts the whole import.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/json_reader.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "host/image/store.h"

namespace twinbox::image {

// `name` (may be empty) names the imported image, replacing the archive's
// own name. Returns what was tagged.
Result<std::vector<IndexEntry>> import_image(ImageStore& store, const std::string& path,
                                             const std::string& name);

Result<void> save_images(ImageStore& store, const std::vector<std::string>& references,
                         const std::string& out);

// Internals shared by the importers (transfer_*.cpp).
namespace detail {

// The archive's top-level layout: which of the known files it has.
enum class ArchiveKind { oci_layout, docker_save, rootfs };
Result<ArchiveKind> classify_archive(const std::string& path);
// Unpacks a (docker or OCI) archive into `dir`.
Result<void> extract_archive(const std::string& path, const std::string& dir);

Result<std::vector<IndexEntry>> import_oci_layout(ImageStore& store, const std::string& dir,
                                                  const std::string& name, bool may_move);
Result<std::vector<IndexEntry>> import_docker_save(ImageStore& store, const std::string& dir,
                                                   const std::string& name);

// A file of an extracted archive (or of an OCI layout directory), opened
// inside that tree (container/sys/in_root.h): a symbolic link in the archive
// is followed only within the tree, never to the host's /etc/shadow, and
// the member must be a regular file - a FIFO would block the import
// forever, a device would read the host's disk.
struct ArchiveMember {
    UniqueFd fd;       // O_PATH
    std::string path;  // /proc/self/fd/N: names exactly this file, for path-taking calls
    int64_t size = 0;
};
Result<ArchiveMember> open_member(const std::string& dir, const std::string& relative);

// Copies (or, within the store's file system, links) `source` into the
// store as a blob, checking the digest and size in `expected`.
Result<Descriptor> ingest_blob(ImageStore& store, const ArchiveMember& source,
                               const Descriptor& expected, bool may_move);
// Checks each layer's diff id against the config, unpacks every layer.
Result<void> check_layers(ImageStore& store, const Manifest& manifest,
                          const nlohmann::json& config);
// Parses an archive member's JSON with the strict reader (common/json_reader.h):
// errors name the member by its path inside the archive ("index.json: not
// valid JSON (at byte 7: line 1, column 7)"). Members are read through
// json_reader::Node from member_root(), and errors about their fields get
// the member as context, so each names the JSON path too
// ("index.json: manifests[0].size: must be an integer ...").
Result<nlohmann::json> parse_member_json(std::string_view member, std::string_view text);
inline json_reader::Node member_root(const nlohmann::json& document) {
    return json_reader::Node(document, "", "top level");
}
// Refuses a member name that is absolute or climbs with "..".
Result<void> check_member_name(const std::string& relative);

}  // namespace detail

}  // namespace twinbox::image
