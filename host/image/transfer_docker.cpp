// Importing a `docker save` archive (Docker's image spec v1.2 "combined
// image JSON + filesystem changeset format"): manifest.json lists, per
// image, its config file, its RepoTags and its layer tars, bottom first.
// twinbox stores the layers as they are and writes an OCI manifest for them.
#include <fmt/core.h>

#include <filesystem>

#include "common/file.h"
#include "host/image/digest.h"
#include "host/image/layer_tar.h"
#include "host/image/transfer.h"

namespace twinbox::image::detail {

using nlohmann::json;

namespace {

struct DockerImage {
    std::string config;
    std::vector<std::string> tags, layers;
};

// One entry of manifest.json: Config and Layers are required, RepoTags may be
// absent or null (an untagged image).
Result<void> read(const json_reader::Node& node, DockerImage& out) {
    TRY(json_reader::expect_object(node));
    TRY(json_reader::read_required(node, "Config", out.config));
    TRY(json_reader::read_member(node, "RepoTags", out.tags));
    TRY(json_reader::read_required(node, "Layers", out.layers));
    return ok();
}

Result<std::vector<DockerImage>> parse_docker_manifest(std::string_view text) {
    json document = TRY(parse_member_json("manifest.json", text));
    std::vector<DockerImage> images;
    TRY(json_reader::read(member_root(document), images).with_context("manifest.json"));
    if (images.empty())
        return Error::message("manifest.json lists no image");
    return images;
}

Result<std::vector<DockerImage>> read_manifest(const std::string& dir) {
    ArchiveMember file = TRY(open_member(dir, "manifest.json"));
    auto bytes = TRY(read_whole_file(file.path, "manifest.json", 16 << 20));
    auto images = parse_docker_manifest(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!images)
        return std::move(images).error().with_hint("is this a docker save archive?");
    return images;
}

// "<hex>.json" or "blobs/sha256/<hex>": the file name is its digest; check it.
Result<void> check_named_digest(const std::string& relative, const std::string& text) {
    std::string name = std::filesystem::path(relative).filename().string();
    if (name.ends_with(".json"))
        name.resize(name.size() - 5);
    if (name.size() == 64 && digest_of(text) != "sha256:" + name)
        return Error::message(fmt::format("{} does not match its digest (it is {})", relative,
                                          digest_of(text)))
            .with_hint("the archive is corrupt or was altered");
    return ok();
}

}  // namespace

Result<std::vector<IndexEntry>> import_docker_save(ImageStore& store, const std::string& dir,
                                                   const std::string& name) {
    auto images = TRY(read_manifest(dir));
    std::vector<IndexEntry> tagged;
    bool first = true;
    for (const auto& image : images) {
        ArchiveMember config_file = TRY(open_member(dir, image.config));
        auto bytes = TRY(read_whole_file(config_file.path, "image config", 16 << 20));
        std::string config_text(bytes.begin(), bytes.end());
        TRY(check_named_digest(image.config, config_text));
        // Member names come from the archive: at most 100 bytes of one in an error.
        std::string member = fmt::format("{:.100}", image.config);
        json config = TRY(parse_member_json(member, config_text));
        TRY(check_platform(config).with_context(member));
        Manifest manifest;
        manifest.config = TRY(store.put_blob(config_text, media_type::kConfig));
        for (const auto& layer_name : image.layers) {
            ArchiveMember layer = TRY(open_member(dir, layer_name));
            StreamInfo info = TRY(inspect_stream(layer.path).with_context(layer_name));
            if (info.compression == Compression::other)
                return Error::message(
                    fmt::format("layer {}: only plain, gzip and zstd tars", layer_name));
            // docker save names no sizes: the file's own is the expectation.
            Descriptor expected{layer_media_type(info.compression),
                                TRY(digest_of_file(layer.path)),
                                layer.size,
                                {},
                                {},
                                {}};
            manifest.layers.push_back(TRY(ingest_blob(store, layer, expected, true)));
        }
        TRY(check_layers(store, manifest, config).with_context(member));
        Descriptor stored = TRY(store.put_blob(manifest_to_json(manifest), media_type::kManifest));
        std::vector<std::string> names = image.tags;
        if (!name.empty())
            names = first ? std::vector<std::string>{name} : std::vector<std::string>{};
        if (names.empty() && name.empty())
            return Error::message("the docker archive names no image (no RepoTags)")
                .with_hint("give one: twinbox image import FILE NAME:TAG");
        for (const auto& tag_name : names)
            tagged.push_back({TRY(parse_reference(tag_name)).to_string(), stored});
        first = false;
    }
    for (const auto& entry : tagged)
        TRY(store.tag(TRY(parse_reference(entry.reference)), entry.manifest));
    return tagged;
}

}  // namespace twinbox::image::detail
