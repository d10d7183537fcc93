// twinbox wait: block until containers or VMs end and print their exit
// statuses (docker wait).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_wait(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    CLI::App* wait =
        app.add_subcommand("wait", "Wait for containers or VMs to end; print their exit statuses");
    wait->add_option("container", *references, "container or VM id or name")->required();
    wait->callback([references, &exit_code] {
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = workload::find_workload(reference);
            auto status = found ? found->backend->wait(found->info) : Result<int>(found.error());
            if (!status) {
                exit_code = report(status.error());
                continue;
            }
            fmt::print("{}\n", *status);
        }
    });
}

}  // namespace twinbox::cli
