// twinbox stop: a graceful end, then a kill after -t seconds (docker stop):
// SIGTERM for a container, the ACPI power button for a VM.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_stop(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    auto timeout = std::make_shared<int>(10);
    CLI::App* stop = app.add_subcommand(
        "stop", "Stop running containers (SIGTERM) and VMs (ACPI power button), then kill them");
    stop->add_option("-t,--time", *timeout, "seconds to wait before killing")->default_val(10);
    stop->add_option("container", *references, "container or VM id or name")->required();
    stop->callback([references, timeout, &exit_code] {
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = workload::find_workload(reference);
            auto stopped = found ? found->backend->stop(found->info,
                                                        std::chrono::seconds(std::max(0, *timeout)))
                                 : Result<void>(found.error());
            if (!stopped) {
                exit_code = report(stopped.error());
                continue;
            }
            fmt::print("{}\n", reference);
        }
    });
}

}  // namespace twinbox::cli
