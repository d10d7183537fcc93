// twinbox ps: list containers (running ones; -a for all).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"

namespace twinbox::cli {

void register_container_ps(CLI::App& app, int& exit_code) {
    auto all = std::make_shared<bool>(false);
    auto quiet = std::make_shared<bool>(false);
    CLI::App* ps = app.add_subcommand("ps", "List containers");
    ps->add_flag("-a,--all", *all, "show stopped containers too");
    ps->add_flag("-q,--quiet", *quiet, "print only ids");
    ps->callback([all, quiet, &exit_code] {
        auto store = container_store();
        auto containers = container::list_containers(store);
        if (!*quiet)
            fmt::print("{:<14}{:<20}{:<10}{:<28}{}\n", "CONTAINER ID", "NAME", "PID", "STATUS",
                       "COMMAND");
        for (const auto& view : containers) {
            bool running = view.status != container::Status::Stopped;
            if (!*all && !running)
                continue;
            if (*quiet) {
                fmt::print("{}\n", view.state.id);
                continue;
            }
            std::string command;
            for (const auto& arg : view.state.command)
                command += (command.empty() ? "" : " ") + arg;
            if (command.size() > 40)
                command = command.substr(0, 37) + "...";
            fmt::print("{:<14}{:<20}{:<10}{:<28}\"{}\"\n", view.state.id, view.state.name,
                       running ? std::to_string(view.state.pid) : "-",
                       container::describe_status(view), command);
        }
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
