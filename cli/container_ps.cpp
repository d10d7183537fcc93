// twinbox ps: list containers and VMs (running ones; -a for all), each with
// its isolation (workload/backend.h): containers from the engine's state,
// VMs of `run -d --isolation vm` from their records, and any other running
// VM (twinbox vm run, a foreground run) from the VM registry.
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "common/log.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_ps(CLI::App& app, int& exit_code) {
    auto all = std::make_shared<bool>(false);
    auto quiet = std::make_shared<bool>(false);
    CLI::App* ps = app.add_subcommand("ps", "List containers and VMs");
    ps->add_flag("-a,--all", *all, "show stopped containers and VMs too");
    ps->add_flag("-q,--quiet", *quiet, "print only ids (a VM's name when it has no id)");
    ps->callback([all, quiet, &exit_code] {
        std::vector<std::vector<std::string>> rows;
        rows.push_back({"CONTAINER ID", "NAME", "ISOLATION", "PID", "STATUS", "COMMAND"});
        auto listing = workload::list_workloads(*all);
        // Named, never removed: only `rm -f` acts on a damaged state.
        for (const auto& error : listing.damaged) log::warn("{}", error.to_string());
        for (const auto& workload : listing.workloads) {
            if (*quiet) {
                fmt::print("{}\n", workload.id.empty() ? workload.name : workload.id);
                continue;
            }
            std::string command;
            for (const auto& arg : workload.command) command += (command.empty() ? "" : " ") + arg;
            if (command.size() > 40)
                command = command.substr(0, 37) + "...";
            rows.push_back({workload.id.empty() ? "-" : workload.id.substr(0, 12), workload.name,
                            workload::isolation_name(workload.isolation),
                            workload.running ? std::to_string(workload.pid) : "-", workload.status,
                            "\"" + command + "\""});
        }
        if (!*quiet)
            print_table(rows);
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
