// The image being built, step by step (builder.h); internal to the builder.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "host/image/build_context.h"
#include "host/image/builder.h"
#include "host/image/dockerfile.h"

namespace twinbox::image {

struct BuildState {
    ImageStore* store = nullptr;
    const BuildOptions* options = nullptr;
    DockerIgnore ignore;
    nlohmann::json config;  // the whole config document, from the base image
    ImageConfig run;        // its "config" part, edited by the steps
    bool cmd_set_here = false;
    std::vector<Descriptor> layers;
    std::vector<std::string> diff_ids;
    std::vector<std::string> layer_dirs;  // unpacked, bottom first
    nlohmann::json history = nlohmann::json::array();
    std::map<std::string, std::string> global_args;  // ARG before FROM
    std::map<std::string, std::string> args;         // ARG after FROM, in scope
    std::set<std::string> used_build_args;
    std::string key;  // the cache key of the last step

    // Variables for expansion: ARGs, then ENV over them (Docker's order).
    std::map<std::string, std::string> variables() const;
};

// One instruction after FROM; `label` is "[3/7]".
Result<void> run_instruction(BuildState& state, const Instruction& instruction,
                             const std::string& label);

}  // namespace twinbox::image
