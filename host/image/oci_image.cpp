// JSON for descriptors, manifests and image configs, read with the strict
// reader (common/json_reader.h): errors name the JSON path.
#include "host/image/oci_image.h"

#include <fmt/core.h>
#include <sys/utsname.h>

#include "common/json_reader.h"
#include "host/image/digest.h"

namespace twinbox::image {

using nlohmann::json;

json to_json(const Descriptor& descriptor) {
    json out = {{"mediaType", descriptor.media_type},
                {"digest", descriptor.digest},
                {"size", descriptor.size}};
    if (!descriptor.annotations.empty())
        out["annotations"] = descriptor.annotations;
    if (!descriptor.architecture.empty())
        out["platform"] = {{"architecture", descriptor.architecture}, {"os", descriptor.os}};
    return out;
}

// descriptor.md "Properties": mediaType, digest and size are REQUIRED; a
// missing mediaType is tolerated, as Docker's older writers omit it.
Result<void> read(const json_reader::Node& node, Descriptor& out) {
    TRY(json_reader::expect_object(node));
    TRY(json_reader::read_member(node, "mediaType", out.media_type));
    TRY(json_reader::read_required(node, "digest", out.digest));
    TRY(json_reader::read_required(node, "size", out.size));
    TRY(json_reader::read_member(node, "annotations", out.annotations));
    if (auto platform = node.member("platform")) {
        TRY(json_reader::read_member(*platform, "architecture", out.architecture));
        TRY(json_reader::read_member(*platform, "os", out.os));
    }
    TRY(digest_hex(out.digest, "descriptor digest"));
    if (out.size < 0)
        return node.member("size")->error("must not be negative");
    return ok();
}

Result<Descriptor> descriptor_from_json(const json& in) {
    Descriptor descriptor;
    TRY(read(json_reader::Node(in, "", "descriptor"), descriptor).with_context("bad descriptor"));
    return descriptor;
}

std::string manifest_to_json(const Manifest& manifest) {
    json layers = json::array();
    for (const auto& layer : manifest.layers) layers.push_back(to_json(layer));
    json out = {{"schemaVersion", 2},
                {"mediaType", media_type::kManifest},
                {"config", to_json(manifest.config)},
                {"layers", layers}};
    return out.dump();
}

namespace {

// manifest.md "Image Manifest Property Descriptions".
Result<Manifest> read_manifest(const json_reader::Node& in) {
    TRY(json_reader::expect_object(in));
    int schema_version = 0;
    TRY(json_reader::read_member(in, "schemaVersion", schema_version));
    if (schema_version != 2)
        return Error::message("schemaVersion is not 2");
    std::string type = media_type::kManifest;
    TRY(json_reader::read_member(in, "mediaType", type));
    if (type != media_type::kManifest && type != media_type::kDockerManifest)
        return Error::message(fmt::format("media type {} is not a manifest", type));
    Manifest manifest;
    TRY(json_reader::read_required(in, "config", manifest.config));
    TRY(json_reader::read_required(in, "layers", manifest.layers));
    return manifest;
}

}  // namespace

Result<Manifest> parse_manifest(const std::string& text) {
    auto document = TRY(json_reader::parse(text).with_context("image manifest"));
    return read_manifest(json_reader::Node(document, "", "manifest"))
        .with_context("image manifest");
}

namespace {

// config.md "config": every field is OPTIONAL, and Docker writes null for the
// unset ones; a field of the wrong type is an error naming it.
Result<void> read_run_config(const json_reader::Node& in, ImageConfig& image) {
    TRY(json_reader::expect_object(in));
    TRY(json_reader::read_member(in, "Entrypoint", image.entrypoint));
    TRY(json_reader::read_member(in, "Cmd", image.cmd));
    TRY(json_reader::read_member(in, "Env", image.env));
    TRY(json_reader::read_member(in, "WorkingDir", image.working_dir));
    TRY(json_reader::read_member(in, "User", image.user));
    if (auto ports = in.member("ExposedPorts")) {
        // A set written as an object whose values are empty objects: the keys count.
        TRY(json_reader::expect_object(*ports));
        for (const auto& [port, ignored] : ports->json().items())
            image.exposed_ports.push_back(port);
    }
    TRY(json_reader::read_member(in, "Labels", image.labels));
    return ok();
}

}  // namespace

Result<ImageConfig> image_config_from_json(const json& config) {
    ImageConfig image;
    json_reader::Node root(config, "", "image config");
    TRY(json_reader::expect_object(root).with_context("image config"));
    if (auto in = root.member("config"))
        TRY(read_run_config(*in, image).with_context("image config"));
    return image;
}

void store_image_config(json& config, const ImageConfig& image) {
    json& out = config["config"];
    if (!out.is_object())
        out = json::object();
    auto set_list = [&](const char* key, const std::vector<std::string>& values) {
        if (values.empty())
            out.erase(key);
        else
            out[key] = values;
    };
    set_list("Entrypoint", image.entrypoint);
    set_list("Cmd", image.cmd);
    set_list("Env", image.env);
    out["WorkingDir"] = image.working_dir;
    out["User"] = image.user;
    json ports = json::object();
    for (const auto& port : image.exposed_ports) ports[port] = json::object();
    if (image.exposed_ports.empty())
        out.erase("ExposedPorts");
    else
        out["ExposedPorts"] = ports;
    if (image.labels.empty())
        out.erase("Labels");
    else
        out["Labels"] = image.labels;
}

std::string host_architecture() {
    struct utsname name {};
    ::uname(&name);
    std::string machine = name.machine;
    if (machine == "x86_64")
        return "amd64";
    if (machine == "aarch64")
        return "arm64";
    return machine;
}

Result<void> check_platform(const json& config) {
    json_reader::Node root(config, "", "image config");
    std::string architecture, os;
    TRY(json_reader::expect_object(root).with_context("image config"));
    TRY(json_reader::read_member(root, "architecture", architecture).with_context("image config"));
    TRY(json_reader::read_member(root, "os", os).with_context("image config"));
    if (os != "linux" || architecture != host_architecture())
        return Error::message(fmt::format("the image is for {}/{}, this machine runs linux/{}",
                                          os.empty() ? "?" : os,
                                          architecture.empty() ? "?" : architecture,
                                          host_architecture()))
            .with_hint("import an image built for this machine's architecture");
    return ok();
}

}  // namespace twinbox::image
