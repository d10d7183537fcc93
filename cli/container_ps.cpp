// twinbox ps: list containers (running ones; -a for all), and the running
// VMs (twinbox vm run, twinbox run --isolation vm) from the VM registry, each
// with its isolation.
#include <fmt/core.h>

#include <chrono>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "vmm/control/registry.h"

namespace twinbox::cli {

void register_container_ps(CLI::App& app, int& exit_code) {
    auto all = std::make_shared<bool>(false);
    auto quiet = std::make_shared<bool>(false);
    CLI::App* ps = app.add_subcommand("ps", "List containers and VMs");
    ps->add_flag("-a,--all", *all, "show stopped containers too");
    ps->add_flag("-q,--quiet", *quiet, "print only ids");
    ps->callback([all, quiet, &exit_code] {
        auto store = container_store();
        auto [containers, damaged] = container::scan_containers(store);
        // Named, never removed: only `rm -f` acts on a damaged state.
        for (const auto& error : damaged) log::warn("{}", error.to_string());
        std::vector<std::vector<std::string>> rows;
        rows.push_back({"CONTAINER ID", "NAME", "ISOLATION", "PID", "STATUS", "COMMAND"});
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
            rows.push_back({view.state.id.substr(0, 12), view.state.name, "container",
                            running ? std::to_string(view.state.pid) : "-",
                            container::describe_status(view), "\"" + command + "\""});
        }
        // VMs are listed while they run (a VM leaves no state behind when it ends).
        auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        auto vms = VmRegistry::open_default().scan();
        for (const auto& error : vms.damaged) log::warn("{}", error.to_string());
        for (const auto& vm : vms.records) {
            if (*quiet) {
                fmt::print("{}\n", vm.name);
                continue;
            }
            int64_t seconds = std::max<int64_t>(0, (now_ms - vm.started_unix_ms) / 1000);
            std::string guest = vm.boot + " " + vm.guest;
            if (guest.size() > 40)
                guest = guest.substr(0, 37) + "...";
            rows.push_back({"-", vm.name, "vm", std::to_string(vm.pid),
                            fmt::format("Up {} seconds", seconds), "\"" + guest + "\""});
        }
        if (!*quiet)
            print_table(rows);
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
