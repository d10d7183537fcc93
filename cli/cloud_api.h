// The EC2 API's commands, `twinbox cloud serve` and `twinbox cloud
// credentials` (cli/cloud_api.cpp), registered by main.cpp.
#pragma once

#include <CLI/CLI.hpp>

namespace twinbox::cli {
void register_cloud_api(CLI::App& app, int& exit_code);
}  // namespace twinbox::cli
