// The store's index.json (image-spec image-index.md): NAME:TAG -> manifest,
// read and replaced under flock(2), and loading an image by name or id.
#include <fmt/core.h>
#include <unistd.h>

#include "common/file.h"
#include "common/json_reader.h"
#include "host/image/digest.h"
#include "host/image/store.h"

namespace twinbox::image {

using nlohmann::json;

namespace {

constexpr const char* kNameAnnotation = "io.containerd.image.name";
constexpr const char* kRefAnnotation = "org.opencontainers.image.ref.name";

// A damaged index is named and left alone: rewriting it would drop every tag.
Result<std::vector<IndexEntry>> read_index(const std::string& path) {
    auto index = TRY(json_reader::parse_file(path, 64 << 20));
    std::vector<Descriptor> manifests;
    if (auto read = json_reader::read_required(json_reader::Node(index, "", "index.json"),
                                               "manifests", manifests);
        !read)
        return json_reader::damaged(path, read.error());
    std::vector<IndexEntry> entries;
    for (auto& manifest : manifests) {
        auto name = manifest.annotations.find(kNameAnnotation);
        if (name != manifest.annotations.end())
            entries.push_back({name->second, std::move(manifest)});
    }
    return entries;
}

}  // namespace

Result<void> ImageStore::write_index(const std::vector<IndexEntry>& entries) {
    json manifests = json::array();
    for (const auto& entry : entries) {
        Descriptor manifest = entry.manifest;
        manifest.annotations[kNameAnnotation] = entry.reference;
        auto colon = entry.reference.rfind(':');
        if (colon != std::string::npos)
            manifest.annotations[kRefAnnotation] = entry.reference.substr(colon + 1);
        manifests.push_back(to_json(manifest));
    }
    json index = {
        {"schemaVersion", 2}, {"mediaType", media_type::kIndex}, {"manifests", manifests}};
    return write_file_atomically(m_root + "/index.json", index.dump(2), true);
}

Result<std::vector<IndexEntry>> ImageStore::list() const {
    auto lock = TRY(FileLock::acquire(m_root + "/lock", FileLock::Mode::Shared));
    return read_index(m_root + "/index.json");
}

Result<void> ImageStore::tag(const Reference& reference, const Descriptor& manifest) {
    if (!has_blob(manifest.digest))
        return Error::message(fmt::format("cannot tag {}: manifest {} is not in the store",
                                          reference.to_string(), manifest.digest));
    auto lock = TRY(FileLock::acquire(m_root + "/lock", FileLock::Mode::Exclusive));
    auto entries = TRY(read_index(m_root + "/index.json"));
    std::erase_if(
        entries, [&](const IndexEntry& entry) { return entry.reference == reference.to_string(); });
    Descriptor plain{media_type::kManifest, manifest.digest, manifest.size, {}, {}, {}};
    entries.push_back({reference.to_string(), plain});
    return write_index(entries);
}

Result<std::string> ImageStore::untag(const Reference& reference) {
    auto lock = TRY(FileLock::acquire(m_root + "/lock", FileLock::Mode::Exclusive));
    auto entries = TRY(read_index(m_root + "/index.json"));
    for (auto it = entries.begin(); it != entries.end(); ++it) {
        if (it->reference != reference.to_string())
            continue;
        std::string digest = it->manifest.digest;
        entries.erase(it);
        TRY(write_index(entries));
        return digest;
    }
    return Error::message(fmt::format("no image {}", reference.to_string()))
        .with_hint("see 'twinbox images'");
}

Result<Image> ImageStore::load_manifest(const std::string& digest) const {
    Image image;
    image.manifest_digest = digest;
    std::string text = TRY(read_blob(digest));
    image.manifest_size = static_cast<int64_t>(text.size());
    image.manifest = TRY(parse_manifest(text).with_context(digest));
    std::string config = TRY(read_blob(image.manifest.config.digest));
    std::string where = fmt::format("image config {}", image.manifest.config.digest);
    auto document = TRY(json_reader::parse(config).with_context(where));
    TRY(check_platform(document));
    image.run_config = TRY(image_config_from_json(document));
    json_reader::Node root(document, "", "image config");
    TRY(json_reader::expect_object(root).with_context(where));
    TRY(json_reader::read_member(root, "created", image.created).with_context(where));
    TRY(json_reader::read_member(root, "architecture", image.architecture).with_context(where));
    TRY(json_reader::read_member(root, "os", image.os).with_context(where));
    if (auto rootfs = root.member("rootfs"))
        TRY(json_reader::read_member(*rootfs, "diff_ids", image.diff_ids).with_context(where));
    image.config_text = std::move(config);
    return image;
}

Result<Image> ImageStore::load(const std::string& text) {
    // An id: sha256:HEX, or a prefix of HEX of at least 4 digits (docker's short ids).
    std::string hex_prefix = text.starts_with("sha256:") ? text.substr(7) : text;
    bool maybe_id = hex_prefix.size() >= 4 && hex_prefix.size() <= 64 &&
                    hex_prefix.find_first_not_of("0123456789abcdef") == std::string::npos;
    auto entries = TRY(list());
    if (maybe_id) {
        for (const auto& entry : entries)
            if (entry.manifest.digest.substr(7).starts_with(hex_prefix))
                return load_manifest(entry.manifest.digest);
    }
    Reference reference = TRY(parse_reference(text));
    if (!reference.digest.empty())
        return load_manifest(reference.digest);
    for (const auto& entry : entries)
        if (entry.reference == reference.to_string()) {
            Image image = TRY(load_manifest(entry.manifest.digest));
            image.reference = entry.reference;
            return image;
        }
    if (reference.to_string() == "busybox:latest") {
        // The built-in image comes back when asked for, even after `image rm`.
        auto writing = TRY(lock_for_writing());
        Descriptor manifest = TRY(create_busybox_image(*this));
        TRY(tag(reference, manifest));
        return load(text);
    }
    return Error::message(fmt::format("no image {} in the store", reference.to_string()))
        .with_hint("see 'twinbox images'; 'twinbox image import' or 'twinbox build' makes one");
}

std::optional<std::pair<Descriptor, std::string>> ImageStore::cache_lookup(
    const std::string& key) const {
    auto bytes = read_whole_file(m_root + "/cache/" + key, "build cache record", 1 << 20);
    if (!bytes)
        return std::nullopt;
    // A record that does not read (a crash mid-write cannot make one: records are
    // written atomically) is a cache miss: the step runs again and cache_store()
    // replaces the record.
    auto record = json_reader::parse(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!record)
        return std::nullopt;
    json_reader::Node root(*record, "", "build cache record");
    Descriptor layer;
    std::string diff_id;
    if (!json_reader::read_required(root, "layer", layer) ||
        !json_reader::read_required(root, "diff_id", diff_id) || !has_blob(layer.digest))
        return std::nullopt;
    return std::pair{layer, diff_id};
}

Result<void> ImageStore::cache_store(const std::string& key, const Descriptor& layer,
                                     const std::string& diff_id) {
    json record = {{"layer", to_json(layer)}, {"diff_id", diff_id}};
    return write_file_atomically(m_root + "/cache/" + key, record.dump(), true);
}

}  // namespace twinbox::image
