// twinbox inspect: a container's state and configuration as JSON (docker
// inspect), with its namespaces, cgroup, mounts and processes while it runs;
// --pretty prints the same as a page of text (container/engine/inspect.h).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "container/engine/inspect.h"

namespace twinbox::cli {

void register_container_inspect(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    auto pretty = std::make_shared<bool>(false);
    CLI::App* inspect = app.add_subcommand(
        "inspect", "Show a container's state, namespaces, cgroup, mounts and processes");
    inspect->add_option("container", *references, "container id or name")->required();
    inspect->add_flag("--pretty", *pretty, "a readable page instead of JSON");
    inspect->callback([references, pretty, &exit_code] {
        auto store = container_store();
        nlohmann::json all = nlohmann::json::array();
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = container::find_container(store, reference);
            if (!found) {
                exit_code = report(found.error());
                continue;
            }
            all.push_back(container::inspect_container(store, *found));
        }
        if (*pretty) {
            for (const auto& document : all)
                fmt::print("{}\n", container::render_inspection(document));
        } else {
            fmt::print("{}\n", all.dump(4));
        }
    });
}

}  // namespace twinbox::cli
