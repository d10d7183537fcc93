// twinbox stop: SIGTERM, then SIGKILL after -t seconds (docker stop).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"

namespace twinbox::cli {

void register_container_stop(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    auto timeout = std::make_shared<int>(10);
    CLI::App* stop = app.add_subcommand("stop", "Stop running containers (SIGTERM, then SIGKILL)");
    stop->add_option("-t,--time", *timeout, "seconds to wait before SIGKILL")->default_val(10);
    stop->add_option("container", *references, "container id or name")->required();
    stop->callback([references, timeout, &exit_code] {
        auto store = container_store();
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = container::find_container(store, reference);
            auto stopped = found ? container::stop_container(
                                       store, *found, std::chrono::seconds(std::max(0, *timeout)))
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
