// twinbox kill: send a signal to containers or VMs (docker kill; default
// SIGKILL). A VM's signal goes to its VMM process.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "container/runtime/signals.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_kill(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    auto signal_text = std::make_shared<std::string>("KILL");
    CLI::App* kill = app.add_subcommand("kill", "Send a signal to running containers or VMs");
    kill->add_option("-s,--signal", *signal_text, "signal name or number")->default_val("KILL");
    kill->add_option("container", *references, "container or VM id or name")->required();
    kill->callback([references, signal_text, &exit_code] {
        auto signal = container::parse_signal(*signal_text);
        if (!signal) {
            exit_code = report(std::move(signal).error().with_context("--signal"));
            return;
        }
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = workload::find_workload(reference);
            auto killed =
                found ? found->backend->kill(found->info, *signal) : Result<void>(found.error());
            if (!killed) {
                exit_code = report(killed.error());
                continue;
            }
            fmt::print("{}\n", reference);
        }
    });
}

}  // namespace twinbox::cli
