// twinbox start: stopped containers and VMs again, with their root volume
// (docker start): prints each name as it starts it; starting a running one
// changes nothing. Exit 0, or 1 once every failure has been named.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/report.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_start(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    CLI::App* start = app.add_subcommand(
        "start", "Start stopped containers and VMs again, keeping what they wrote");
    start->add_option("container", *references, "container or VM id or name")->required();
    start->callback([references, &exit_code] {
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = workload::find_workload(reference);
            auto started = found ? found->backend->start(found->info) : Result<void>(found.error());
            if (!started) {
                (void)report(started.error());
                exit_code = 1;  // docker start's status when any failed
                continue;
            }
            fmt::print("{}\n", reference);
            std::fflush(stdout);
        }
    });
}

}  // namespace twinbox::cli
