// JSON for descriptors, manifests and image configs (nlohmann::json; its
// exceptions are caught here and turned into errors).
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

std::string json_error_text(const json::exception& error) {
    if (const auto* parse = dynamic_cast<const json::parse_error*>(&error))
        return fmt::format("not valid JSON (at byte {})", parse->byte);
    // "[json.exception.type_error.302] type must be string..." -> the sentence.
    std::string_view text(error.what());
    size_t end = text.find("] ");
    if (text.starts_with("[json.exception.") && end != std::string_view::npos)
        text.remove_prefix(end + 2);
    return std::string(text);
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

std::vector<std::string> strings(const json& object, const char* key) {
    if (!object.contains(key) || object[key].is_null())
        return {};
    return object[key].get<std::vector<std::string>>();
}

}  // namespace

Result<ImageConfig> image_config_from_json(const json& config) {
    try {
        ImageConfig image;
        if (!config.contains("config") || config["config"].is_null())
            return image;
        const json& in = config["config"];
        image.entrypoint = strings(in, "Entrypoint");
        image.cmd = strings(in, "Cmd");
        image.env = strings(in, "Env");
        image.working_dir = in.value("WorkingDir", "");
        image.user = in.value("User", "");
        if (in.contains("ExposedPorts") && in["ExposedPorts"].is_object())
            for (const auto& [port, ignored] : in["ExposedPorts"].items())
                image.exposed_ports.push_back(port);
        if (in.contains("Labels") && in["Labels"].is_object())
            image.labels = in["Labels"].get<std::map<std::string, std::string>>();
        return image;
    } catch (const json::exception& error) {
        return Error::message(fmt::format("image config: {}", json_error_text(error)));
    }
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
    std::string architecture = config.value("architecture", "");
    std::string os = config.value("os", "");
    if (os != "linux" || architecture != host_architecture())
        return Error::message(fmt::format("the image is for {}/{}, this machine runs linux/{}",
                                          os.empty() ? "?" : os,
                                          architecture.empty() ? "?" : architecture,
                                          host_architecture()))
            .with_hint("import an image built for this machine's architecture");
    return ok();
}

}  // namespace twinbox::image
