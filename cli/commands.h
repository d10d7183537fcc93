// Each subcommand lives in its own file and registers itself on the parser.
// A subcommand's callback stores the process exit status in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace twinbox::cli {

void register_vm_run(CLI::App& vm, int& exit_code);

// Containers (cli/container_*.cpp), Docker's words and exit statuses.
void register_container_run(CLI::App& app, int& exit_code);
void register_container_ps(CLI::App& app, int& exit_code);
void register_container_stop(CLI::App& app, int& exit_code);
void register_container_kill(CLI::App& app, int& exit_code);
void register_container_rm(CLI::App& app, int& exit_code);
void register_container_exec(CLI::App& app, int& exit_code);
void register_container_logs(CLI::App& app, int& exit_code);
void register_container_inspect(CLI::App& app, int& exit_code);
void register_container_stats(CLI::App& app, int& exit_code);

}  // namespace twinbox::cli
