// twinbox inspect: a container's state and configuration as JSON (docker inspect).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "common/file.h"

namespace twinbox::cli {

void register_container_inspect(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    CLI::App* inspect =
        app.add_subcommand("inspect", "Show a container's state and configuration as JSON");
    inspect->add_option("container", *references, "container id or name")->required();
    inspect->callback([references, &exit_code] {
        auto store = container_store();
        nlohmann::json all = nlohmann::json::array();
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = container::find_container(store, reference);
            if (!found) {
                exit_code = report(found.error());
                continue;
            }
            const auto& state = found->state;
            nlohmann::json entry = {
                {"Id", state.id},
                {"Name", state.name},
                {"Created", state.created},
                {"Path", state.command.empty() ? "" : state.command.front()},
                {"Args", state.command},
                {"State",
                 {{"Status", container::status_name(found->status)},
                  {"Running", found->status == container::Status::Running},
                  {"Paused", found->status == container::Status::Paused},
                  {"OOMKilled", state.oom_killed},
                  {"Pid", found->status == container::Status::Stopped ? 0 : state.pid},
                  {"ExitCode", state.exit_code.value_or(0)},
                  {"StartedAt", state.started},
                  {"FinishedAt", state.finished}}},
                {"CgroupPath", state.cgroup_path},
                {"StorageDir", state.storage_dir},
                {"LogPath", state.storage_dir + "/container.log"},
            };
            auto config = read_whole_file(store.directory(state.id) + "/config.json", "config.json",
                                          16 << 20);
            if (config)
                entry["Config"] =
                    nlohmann::json::parse(config->begin(), config->end(), nullptr, false);
            all.push_back(entry);
        }
        fmt::print("{}\n", all.dump(4));
    });
}

}  // namespace twinbox::cli
