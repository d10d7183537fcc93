// `twinbox cloud`, the parent of the cloud's service commands (imds, serve,
// credentials, graph), each registered from its own file in any order.
#pragma once

#include <CLI/CLI.hpp>

namespace twinbox::cli {
// The `cloud` subcommand of `app`, added on first use.
CLI::App* cloud_command(CLI::App& app);
}  // namespace twinbox::cli
