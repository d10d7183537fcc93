// twinbox-oci: a runc-compatible command line over container/runtime, so
// containerd (through its runc shim) or a person can drive twinbox with
// runc's words. One file per command, as crun's src/*.c; all the work is
// in the library.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/result.h"
#include "container/runtime/runtime.h"
#include "container/runtime/state.h"

namespace twinbox::oci_cli {

// runc's global flags.
struct GlobalOptions {
    std::string root = "/run/twinbox-oci";  // state root (runc: /run/runc)
    std::string log;                        // errors also go here
    std::string log_format = "text";        // text | json (containerd asks for json)
    bool systemd_cgroup = false;
    bool debug = false;
};

GlobalOptions& globals();
container::StateStore state_store();

// Reports an error the way runc does: to stderr, and to --log as a line
// of JSON ({"level":"error","msg":...,"time":...}) with --log-format json.
// Returns runc's exit status for errors, 1.
int fail(const Error& error);

// Each command registers itself; `exit_code` receives its status.
void register_create(CLI::App& app, int& exit_code);
void register_start(CLI::App& app, int& exit_code);
void register_state(CLI::App& app, int& exit_code);
void register_kill(CLI::App& app, int& exit_code);
void register_delete(CLI::App& app, int& exit_code);
void register_run(CLI::App& app, int& exit_code);
void register_exec(CLI::App& app, int& exit_code);
void register_ps(CLI::App& app, int& exit_code);
void register_pause(CLI::App& app, int& exit_code);
void register_features(CLI::App& app, int& exit_code);
void register_spec(CLI::App& app, int& exit_code);
void register_list(CLI::App& app, int& exit_code);
void register_update(CLI::App& app, int& exit_code);
void register_events(CLI::App& app, int& exit_code);

// Shared by create and run: the bundle's config.json to CreateOptions.
struct BundleOptions {
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    bool no_pivot = false;
    bool no_new_keyring = false;
    unsigned preserve_fds = 0;
};
void add_bundle_options(CLI::App& command, BundleOptions& options);
Result<container::CreateOptions> load_bundle(const std::string& id, const BundleOptions& options);

}  // namespace twinbox::oci_cli
