// The build driver: parse, ARGs before FROM, FROM, each step, then write
// the config and manifest and only then tag (builder.h).
#include "host/image/builder.h"

#include <fmt/core.h>

#include <cstdio>
#include <filesystem>

#include "common/clock.h"
#include "common/file.h"
#include "common/json_reader.h"
#include "host/image/build_state.h"
#include "host/image/digest.h"

namespace twinbox::image {

using nlohmann::json;

std::string chain_key(const std::string& parent, const std::string& own) {
    return sha256_hex(parent + "\n" + own);
}

std::map<std::string, std::string> BuildState::variables() const {
    std::map<std::string, std::string> vars = args;
    for (const auto& entry : run.env) {
        auto equals = entry.find('=');
        vars[entry.substr(0, equals)] = equals == std::string::npos ? "" : entry.substr(equals + 1);
    }
    return vars;
}

namespace {

// ARG NAME[=default] before FROM: only FROM may use it.
Result<void> global_arg(BuildState& state, const Instruction& instruction) {
    auto pairs = TRY(parse_key_values(
        instruction.text.find('=') == std::string::npos ? instruction.text + "=" : instruction.text,
        state.global_args, false));
    for (const auto& [name, value] : pairs) {
        auto given = state.options->build_args.find(name);
        state.global_args[name] = given != state.options->build_args.end() ? given->second : value;
        if (given != state.options->build_args.end())
            state.used_build_args.insert(name);
    }
    return ok();
}

Result<void> from(BuildState& state, const Instruction& instruction) {
    std::string text = TRY(expand_variables(instruction.text, state.global_args));
    std::string base = text.substr(0, text.find_first_of(" \t"));
    if (base == "scratch") {
        state.config = {{"architecture", host_architecture()}, {"os", "linux"}};
        state.key = chain_key("", "FROM scratch");
        return ok();
    }
    Image image = TRY(state.store->load(base).with_context("FROM " + base));
    state.config = TRY(json_reader::parse(image.config_text).with_context("FROM " + base));
    state.run = image.run_config;
    state.layers = image.manifest.layers;
    state.diff_ids = image.diff_ids;
    if (auto history = state.config.find("history");
        history != state.config.end() && history->is_array())
        state.history = *history;
    for (const auto& layer : state.layers)
        state.layer_dirs.push_back(TRY(state.store->unpacked_layer(layer)));
    state.key = chain_key("", "FROM " + image.manifest_digest);
    return ok();
}

Result<std::string> finish(BuildState& state, const Reference& reference) {
    json& config = state.config;
    config["architecture"] = host_architecture();
    config["os"] = "linux";
    config["created"] = rfc3339_utc_seconds();
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", state.diff_ids}};
    config["history"] = state.history;
    store_image_config(config, state.run);
    Manifest manifest;
    manifest.config = TRY(state.store->put_blob(config.dump(), media_type::kConfig));
    manifest.layers = state.layers;
    Descriptor stored =
        TRY(state.store->put_blob(manifest_to_json(manifest), media_type::kManifest));
    fmt::print("=> writing image {}\n", stored.digest);
    TRY(state.store->tag(reference, stored));
    fmt::print("=> naming to {}\n", reference.to_string());
    std::fflush(stdout);
    return stored.digest;
}

}  // namespace

Result<std::string> build_image(ImageStore& store, const BuildOptions& options) {
    Reference reference = TRY(parse_reference(options.tag).with_context("-t"));
    std::error_code error;
    if (!std::filesystem::is_directory(options.context, error))
        return Error::message(fmt::format("build context {} is not a directory", options.context));
    std::string file =
        options.dockerfile.empty() ? options.context + "/Dockerfile" : options.dockerfile;
    auto bytes =
        TRY(read_whole_file(file, "Dockerfile", 1 << 20).with_context("reading the Dockerfile"));
    auto instructions =
        TRY(parse_dockerfile(std::string(bytes.begin(), bytes.end())).with_context(file));
    auto writing = TRY(store.lock_for_writing());
    BuildState state;
    state.store = &store;
    state.options = &options;
    state.ignore = TRY(DockerIgnore::load(options.context));
    size_t at = 0;
    for (; at < instructions.size() && instructions[at].keyword == "ARG"; ++at)
        TRY(global_arg(state, instructions[at])
                .with_context(fmt::format("line {}", instructions[at].line)));
    if (at == instructions.size() || instructions[at].keyword != "FROM")
        return Error::message(
            fmt::format("{}: the first instruction (after ARGs) must be FROM", file));
    size_t total = instructions.size() - at;
    fmt::print("=> [1/{}] {}\n", total, instructions[at].to_string());
    std::fflush(stdout);
    TRY(from(state, instructions[at]));
    for (size_t i = at + 1; i < instructions.size(); ++i) {
        const Instruction& step = instructions[i];
        std::string label = fmt::format("[{}/{}]", i - at + 1, total);
        if (step.keyword == "FROM")
            return Error::message(fmt::format(
                "Dockerfile line {}: a second FROM (multi-stage builds are not supported)",
                step.line));
        TRY(run_instruction(state, step, label)
                .with_context(
                    fmt::format("step {} {:.60} (line {})", label, step.to_string(), step.line)));
    }
    for (const auto& [name, value] : options.build_args)
        if (!state.used_build_args.contains(name))
            fmt::print("=> warning: --build-arg {} is not declared by an ARG\n", name);
    return finish(state, reference);
}

}  // namespace twinbox::image
