// Each subcommand lives in its own file and registers itself on the parser.
// A subcommand's callback stores the process exit status in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace twinbox::cli {

void register_vm_run(CLI::App& vm, int& exit_code);

}  // namespace twinbox::cli
