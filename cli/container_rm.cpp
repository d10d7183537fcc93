// twinbox rm: remove containers (cgroup, storage, state) and detached VMs
// (their record, logs and volume copies), as docker rm.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_rm(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    CLI::App* rm = app.add_subcommand("rm", "Remove containers and VMs");
    rm->add_flag("-f,--force", *force, "kill a running container or VM first");
    rm->add_option("container", *references, "container or VM id or name")->required();
    rm->callback([references, force, &exit_code] {
        auto store = container_store();
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = workload::find_workload(reference);
            Result<void> removed = ok();
            if (found)
                removed = found->backend->remove(found->info, *force);
            else if (*force && store.is_damaged(reference))
                removed = container::remove_damaged_container(store, reference);
            else
                removed = Result<void>(found.error());
            if (!removed) {
                exit_code = report(removed.error());
                continue;
            }
            fmt::print("{}\n", reference);
        }
    });
}

}  // namespace twinbox::cli
