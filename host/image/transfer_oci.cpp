// Importing an OCI image layout (image-spec image-layout.md): index.json
// names manifests (or nested indexes, one manifest per platform); every
// blob is read from blobs/<alg>/<hex> and checked against its digest.
#include <fmt/core.h>

#include "common/file.h"
#include "host/image/digest.h"
#include "host/image/transfer.h"

namespace twinbox::image::detail {

using nlohmann::json;

namespace {

// The blob's path inside the layout (image-layout.md "Blobs").
Result<std::string> blob_member(const Descriptor& descriptor) {
    std::string hex = TRY(digest_hex(descriptor.digest, "blob digest"));
    return "blobs/sha256/" + hex;
}

Result<ArchiveMember> layout_blob(const std::string& dir, const Descriptor& descriptor) {
    return open_member(dir, TRY(blob_member(descriptor)));
}

// A small blob (index, manifest, config) from the layout, its size and
// digest checked against the descriptor that names it.
Result<std::string> read_layout_blob(const std::string& dir, const Descriptor& descriptor) {
    ArchiveMember blob = TRY(layout_blob(dir, descriptor));
    if (blob.size != descriptor.size)
        return Error::message(fmt::format("blob {} is {} bytes, its descriptor says {}",
                                          descriptor.digest, blob.size, descriptor.size))
            .with_hint("the archive is corrupt or was altered");
    auto bytes = TRY(read_whole_file(blob.path, "image blob", 64 << 20));
    std::string text(bytes.begin(), bytes.end());
    if (digest_of(text) != descriptor.digest)
        return Error::message(fmt::format("blob {} does not match its digest (it is {})",
                                          descriptor.digest, digest_of(text)))
            .with_hint("the archive is corrupt or was altered");
    return text;
}

// image-index.md: "manifests" is REQUIRED, an array of descriptors.
Result<std::vector<Descriptor>> read_index(std::string_view member, std::string_view text) {
    json index = TRY(parse_member_json(member, text));
    auto root = member_root(index);
    std::vector<Descriptor> manifests;
    TRY(json_reader::expect_object(root).with_context(member));
    TRY(json_reader::read_required(root, "manifests", manifests).with_context(member));
    return manifests;
}

// An index entry may be a manifest list: pick the manifest for this machine.
Result<Descriptor> pick_manifest(const std::string& dir, const Descriptor& entry, int depth) {
    if (entry.media_type != media_type::kIndex && entry.media_type != media_type::kDockerList)
        return entry;
    if (depth > 4)
        return Error::message("image indexes nest too deeply");
    std::string text = TRY(read_layout_blob(dir, entry));
    auto candidates = TRY(read_index(TRY(blob_member(entry)), text));
    std::string found;
    for (const Descriptor& candidate : candidates) {
        if (candidate.os == "linux" && candidate.architecture == host_architecture())
            return pick_manifest(dir, candidate, depth + 1);
        found += (found.empty() ? "" : ", ") + candidate.os + "/" + candidate.architecture;
    }
    return Error::message(fmt::format("no manifest for linux/{} in the image (it has: {})",
                                      host_architecture(), found.empty() ? "none" : found))
        .with_hint("import an image built for this machine's architecture");
}

// The name to tag: ours if given, else containerd's full name, else a
// ref.name that is a full reference (a bare tag needs a name from us).
std::string name_of(const Descriptor& entry, const std::string& given, bool first) {
    if (!given.empty())
        return first ? given : "";
    auto full = entry.annotations.find("io.containerd.image.name");
    if (full != entry.annotations.end())
        return full->second;
    auto ref = entry.annotations.find("org.opencontainers.image.ref.name");
    if (ref != entry.annotations.end() && ref->second.find_first_of(":/") != std::string::npos)
        return ref->second;
    return "";
}

}  // namespace

Result<std::vector<IndexEntry>> import_oci_layout(ImageStore& store, const std::string& dir,
                                                  const std::string& name, bool may_move) {
    ArchiveMember index_file = TRY(open_member(dir, "index.json"));
    auto index_bytes = TRY(read_whole_file(index_file.path, "index.json", 64 << 20));
    auto entries = TRY(read_index(
        "index.json",
        std::string_view(reinterpret_cast<const char*>(index_bytes.data()), index_bytes.size())));
    if (entries.empty())
        return Error::message("index.json names no image");
    std::vector<IndexEntry> tagged;
    for (size_t i = 0; i < entries.size(); ++i) {
        std::string tag_name = name_of(entries[i], name, i == 0);
        if (tag_name.empty() && name.empty())
            return Error::message(
                       "the OCI layout does not name its image (no full reference in its annotations)")
                .with_hint("give one: twinbox image import PATH NAME:TAG");
        Descriptor chosen = TRY(pick_manifest(dir, entries[i], 0));
        std::string text = TRY(read_layout_blob(dir, chosen));
        Manifest manifest = TRY(parse_manifest(text).with_context(TRY(blob_member(chosen))));
        std::string config_member = TRY(blob_member(manifest.config));
        std::string config_text = TRY(read_layout_blob(dir, manifest.config));
        json config = TRY(parse_member_json(config_member, config_text));
        TRY(check_platform(config).with_context(config_member));
        for (const auto& layer : manifest.layers)
            TRY(ingest_blob(store, TRY(layout_blob(dir, layer)), layer, may_move));
        TRY(store.put_blob(config_text, manifest.config.media_type));
        TRY(check_layers(store, manifest, config).with_context(config_member));
        Descriptor stored = TRY(store.put_blob(text, media_type::kManifest));
        if (!tag_name.empty())
            tagged.push_back({TRY(parse_reference(tag_name)).to_string(), stored});
    }
    // Only now, with every blob checked and in place, do names point at them.
    for (const auto& entry : tagged)
        TRY(store.tag(TRY(parse_reference(entry.reference)), entry.manifest));
    return tagged;
}

}  // namespace twinbox::image::detail
