// twinbox: run a guest in a KVM virtual machine or a container, side by side.
// This file only builds the command tree; each subcommand is one file.
#include <signal.h>

#include <CLI/CLI.hpp>

#include "cli/cloud_api.h"
#include "cli/commands.h"
#include "common/log.h"
#include "host/network/endpoint.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::cli {
// `twinbox cloud graph` (cli/cloud_graph.cpp).
void register_cloud_graph(CLI::App& app, int& exit_code);
}  // namespace twinbox::cli

int main(int argc, char** argv) {
    using namespace twinbox;
    // A closed stdout (say, `twinbox vm run | head`) must end in a write error that
    // twinbox handles, not in SIGPIPE killing it with the guest and terminal half-torn-down.
    ::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"twinbox: virtual machines and containers side by side", "twinbox"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "twinbox 0.1.0");
    app.footer(
        "Exit status: the guest's own status where it has one; 125 when twinbox itself fails.\n"
        "Run 'twinbox vm run --help' for the virtual machine monitor and 'twinbox run --help'\n"
        "for containers.");
    int exit_code = exit_code::kTwinboxError;

    CLI::App* vm = app.add_subcommand("vm", "Run and inspect KVM virtual machines");
    vm->require_subcommand(1);
    cli::register_vm_run(*vm, exit_code);
    cli::register_vm_step(*vm, exit_code);
    cli::register_vm_ls(*vm, exit_code);
    cli::register_vm_control(*vm, exit_code);
    cli::register_vm_inspect(*vm, exit_code);
    cli::register_vm_exec(*vm, exit_code);
    cli::register_top(app, exit_code);

    cli::register_container_run(app, exit_code);
    cli::register_container_ps(app, exit_code);
    cli::register_container_stop(app, exit_code);
    cli::register_container_start(app, exit_code);
    cli::register_container_kill(app, exit_code);
    cli::register_container_rm(app, exit_code);
    cli::register_container_exec(app, exit_code);
    cli::register_container_logs(app, exit_code);
    cli::register_container_wait(app, exit_code);
    cli::register_container_inspect(app, exit_code);
    cli::register_container_stats(app, exit_code);
    cli::register_demo(app, exit_code);
    cli::register_bench(app, exit_code);
    cli::register_network(app, exit_code);
    cli::register_image_list(app, exit_code);
    cli::register_image(app, exit_code);
    cli::register_build(app, exit_code);
    cli::register_ec2(app, exit_code);
    cli::register_cloud_imds(app, exit_code);
    cli::register_stack(app, exit_code);
    cli::register_cloud_graph(app, exit_code);
    cli::register_cloud_api(app, exit_code);

    // Address leases, veths and rules whose container or VM is gone (a
    // SIGKILLed twinbox) are released by the next command that takes or
    // gives back a network endpoint or lists networks - not by `--version`,
    // `images` or `vm ls`, which need no network lock.
    for (CLI::App* command :
         {app.get_subcommand("run"), vm->get_subcommand("run"), app.get_subcommand("network"),
          app.get_subcommand("rm"), app.get_subcommand("stop"), app.get_subcommand("kill")})
        command->preparse_callback([](size_t) { network::release_stale_endpoints(); });

    cli::rewrite_stack_flags(argc, argv);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        // CLI11 reports bad flags by throwing; turn that into twinbox's one-line error.
        log::error("{} - see 'twinbox --help'", error.what());
        // `twinbox ec2` keeps the AWS CLI's status for usage errors (docs/cloud.md).
        if (argc > 1 &&
            (std::string_view(argv[1]) == "ec2" || std::string_view(argv[1]) == "stack"))
            return 252;
        return exit_code::kTwinboxError;
    }
    return exit_code;
}
