// twinbox stats: resource use of running containers, read from their cgroups (docker stats
// --no-stream).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "container/cgroups/cgroup.h"

namespace twinbox::cli {

namespace {

std::string bytes(uint64_t value) {
    if (value >= (1ull << 30))
        return fmt::format("{:.2f}GiB", static_cast<double>(value) / (1ull << 30));
    if (value >= (1ull << 20))
        return fmt::format("{:.2f}MiB", static_cast<double>(value) / (1ull << 20));
    return fmt::format("{:.2f}KiB", static_cast<double>(value) / 1024);
}

}  // namespace

void register_container_stats(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    CLI::App* stats = app.add_subcommand(
        "stats", "Show memory, CPU and process counts of containers (one sample)");
    stats->add_option("container", *references, "container ids or names (default: all running)");
    stats->callback([references, &exit_code] {
        auto store = container_store();
        auto layout = container::detect_cgroup_layout();
        if (!layout) {
            exit_code = report(layout.error());
            return;
        }
        std::vector<container::ContainerView> views;
        if (references->empty()) {
            for (auto& view : container::list_containers(store))
                if (view.status == container::Status::Running ||
                    view.status == container::Status::Paused)
                    views.push_back(view);
        }
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = container::find_container(store, reference);
            if (!found)
                exit_code = report(found.error());
            else
                views.push_back(*found);
        }
        fmt::print("{:<14}{:<20}{:<24}{:<12}{}\n", "CONTAINER ID", "NAME", "MEM USAGE / LIMIT",
                   "CPU TIME", "PIDS");
        for (const auto& view : views) {
            auto sample = container::Cgroup::open(*layout, view.state.cgroup_path).stats();
            std::string memory =
                bytes(sample.memory_usage) + " / " +
                (sample.memory_limit ? bytes(*sample.memory_limit) : std::string("unlimited"));
            fmt::print("{:<14}{:<20}{:<24}{:<12}{}\n", view.state.id, view.state.name, memory,
                       fmt::format("{:.3f}s", static_cast<double>(sample.cpu_usage_ns) / 1e9),
                       sample.pids_current);
        }
    });
}

}  // namespace twinbox::cli
