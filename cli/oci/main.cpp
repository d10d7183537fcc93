// twinbox-oci: the OCI runtime command line (runc's flags and commands),
// so that containerd can use twinbox. See docs/container.md "twinbox-oci".
#include <signal.h>

#include <CLI/CLI.hpp>

#include "cli/oci/oci_cli.h"
#include "common/log.h"

namespace {

// One clear line for a command twinbox-oci lacks (runc checkpoint...), not
// the argument parser's "A subcommand is required".
twinbox::Error unknown_command(const CLI::App& app, int argc, char** argv) {
    std::string known;
    for (const CLI::App* command : app.get_subcommands({}))
        known += (known.empty() ? "" : ", ") + command->get_name();
    for (int index = 1; index < argc; ++index) {
        std::string word = argv[index];
        bool takes_value =
            word == "--root" || word == "--log" || word == "--log-format" || word == "--criu";
        if (takes_value) {
            ++index;
            continue;
        }
        if (!word.starts_with("-"))
            return twinbox::Error::message(
                       fmt::format("unknown command '{}': twinbox-oci does not implement it", word))
                .with_hint("its commands are " + known);
    }
    return twinbox::Error::message("no command given").with_hint("its commands are " + known);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace twinbox;
    ::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"twinbox-oci: an OCI runtime (runc-compatible command line)", "twinbox-oci"};
    app.require_subcommand(1);
    app.set_version_flag("-v,--version", "twinbox-oci version 0.1.0\nspec: 1.0.2");
    auto& options = oci_cli::globals();
    app.add_option("--root", options.root, "directory for container state")
        ->default_val("/run/twinbox-oci");
    app.add_option("--log", options.log, "also write errors to this file");
    app.add_option("--log-format", options.log_format, "text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--systemd-cgroup", options.systemd_cgroup,
                 "not supported (twinbox uses cgroupfs)");
    app.add_flag("--debug", options.debug, "print debug messages");
    std::string criu;
    bool rootless = false;
    app.add_option("--criu", criu, "accepted and ignored (no checkpointing)");
    app.add_flag("--rootless", rootless, "accepted; twinbox-oci needs root");
    int exit_code = 1;
    oci_cli::register_create(app, exit_code);
    oci_cli::register_start(app, exit_code);
    oci_cli::register_state(app, exit_code);
    oci_cli::register_kill(app, exit_code);
    oci_cli::register_delete(app, exit_code);
    oci_cli::register_run(app, exit_code);
    oci_cli::register_exec(app, exit_code);
    oci_cli::register_ps(app, exit_code);
    oci_cli::register_pause(app, exit_code);
    oci_cli::register_features(app, exit_code);
    oci_cli::register_spec(app, exit_code);
    oci_cli::register_list(app, exit_code);
    oci_cli::register_update(app, exit_code);
    oci_cli::register_events(app, exit_code);
    app.parse_complete_callback([&] {
        if (options.debug)
            log::set_level(log::Level::debug);
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        if (app.get_subcommands().empty())
            return oci_cli::fail(unknown_command(app, argc, argv));
        return oci_cli::fail(
            Error::message(fmt::format("{} - see 'twinbox-oci --help'", error.what())));
    }
    return exit_code;
}
