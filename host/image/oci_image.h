// The OCI image-spec documents twinbox reads and writes (image-spec v1.1):
// descriptor.md (Descriptor), manifest.md (Manifest), config.md (the image
// configuration: Entrypoint, Cmd, Env, WorkingDir, User...). Parsing is
// strict about the fields twinbox needs and keeps the rest untouched.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/json_reader.h"
#include "common/result.h"

namespace twinbox::image {

namespace media_type {
inline constexpr const char* kManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
}  // namespace media_type

struct Descriptor {
    std::string media_type;
    std::string digest;
    int64_t size = 0;
    std::map<std::string, std::string> annotations;
    std::string architecture, os;  // platform, in an index
};

struct Manifest {
    Descriptor config;
    std::vector<Descriptor> layers;
};

// What `twinbox run` takes from an image (config.md "config").
struct ImageConfig {
    std::vector<std::string> entrypoint, cmd, env;
    std::string working_dir, user;
    std::vector<std::string> exposed_ports;
    std::map<std::string, std::string> labels;
};

nlohmann::json to_json(const Descriptor& descriptor);
// The strict reader (common/json_reader.h): errors name the JSON path.
Result<void> read(const json_reader::Node& node, Descriptor& out);
Result<Descriptor> descriptor_from_json(const nlohmann::json& json);

std::string manifest_to_json(const Manifest& manifest);
Result<Manifest> parse_manifest(const std::string& text);

// Reads config["config"]; fields that are absent stay empty.
Result<ImageConfig> image_config_from_json(const nlohmann::json& config);
// Writes the fields into config["config"], leaving other keys alone.
void store_image_config(nlohmann::json& config, const ImageConfig& image);

// The GOARCH name of this machine ("amd64" on x86_64), as configs and indexes use.
std::string host_architecture();
// Refuses a config for another OS or architecture.
Result<void> check_platform(const nlohmann::json& config);

}  // namespace twinbox::image
