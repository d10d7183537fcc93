// twinbox-oci ps: the processes of a container (host PIDs), as a table or
// with --format json as a JSON array (what containerd's shim asks for).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/oci/oci_cli.h"
#include "container/cgroups/cgroup.h"

namespace twinbox::oci_cli {

void register_ps(CLI::App& app, int& exit_code) {
    auto id = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("table");
    CLI::App* command = app.add_subcommand("ps", "List the processes of a container");
    command->add_option("-f,--format", *format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    command->add_option("container-id", *id, "container id")->required();
    command->callback([id, format, &exit_code] {
        auto store = state_store();
        auto state = store.load(*id);
        auto layout = container::detect_cgroup_layout();
        if (!state || !layout) {
            exit_code = fail(!state ? state.error() : layout.error());
            return;
        }
        auto pids = container::Cgroup::open(*layout, state->cgroup_path).processes();
        std::vector<pid_t> list = pids ? *pids : std::vector<pid_t>{};
        if (*format == "json") {
            fmt::print("{}\n", nlohmann::json(list).dump());
        } else {
            fmt::print("PID\n");
            for (pid_t pid : list) fmt::print("{}\n", pid);
        }
        exit_code = 0;
    });
}

}  // namespace twinbox::oci_cli
