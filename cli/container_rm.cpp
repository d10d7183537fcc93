// twinbox rm: remove containers, their cgroup, storage and state (docker rm).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"

namespace twinbox::cli {

void register_container_rm(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    CLI::App* rm = app.add_subcommand("rm", "Remove containers");
    rm->add_flag("-f,--force", *force, "kill a running container first");
    rm->add_option("container", *references, "container id or name")->required();
    rm->callback([references, force, &exit_code] {
        auto store = container_store();
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = container::find_container(store, reference);
            Result<void> removed = ok();
            if (found)
                removed = container::remove_container(store, *found, *force);
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
