// twinbox vm ls: the running VMs of the registry (vmm/control/registry.h),
// each asked for its state over its control socket.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>

#include "cli/commands.h"
#include "common/log.h"
#include "vmm/control/client.h"
#include "vmm/control/inspect_text.h"
#include "vmm/control/registry.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::cli {

namespace {

std::string uptime_text(double seconds) {
    auto total = static_cast<uint64_t>(seconds);
    if (total >= 3600)
        return fmt::format("{}h{:02}m", total / 3600, total % 3600 / 60);
    if (total >= 60)
        return fmt::format("{}m{:02}s", total / 60, total % 60);
    return fmt::format("{}s", total);
}

}  // namespace

void register_vm_ls(CLI::App& vm, int& exit_code) {
    auto quiet = std::make_shared<bool>(false);
    CLI::App* command = vm.add_subcommand("ls", "List running VMs (started with 'twinbox vm run')");
    command->alias("ps");
    command->add_flag("-q,--quiet", *quiet, "print only the names");
    command->callback([quiet, &exit_code] {
        auto registry = VmRegistry::open_default();
        auto [records, damaged] = registry.scan();
        // Named, never removed: a damaged entry's VM may still run.
        for (const auto& error : damaged) log::warn("{}", error.to_string());
        exit_code = 0;
        if (*quiet) {
            for (const auto& record : records) fmt::print("{}\n", record.name);
            return;
        }
        fmt::print("{:<16}{:<9}{:<10}{:<9}{:<7}{:<10}{}\n", "NAME", "PID", "STATE", "UPTIME",
                   "vCPUs", "MEMORY", "GUEST");
        for (const auto& record : records) {
            // A short timeout: one stuck VMM must not hold up the list.
            auto stats = control_request(registry.socket_path(record.name), "stats",
                                         std::chrono::milliseconds(1000));
            std::string state = "gone";
            std::string uptime = "-";
            if (stats) {
                state = stats->value("state", "?");
                uptime = uptime_text(stats->value("uptime_seconds", 0.0));
            }
            fmt::print("{:<16}{:<9}{:<10}{:<9}{:<7}{:<10}{} {}\n", record.name, record.pid, state,
                       uptime, record.cpus, format_bytes(record.memory), record.boot,
                       std::filesystem::path(record.guest).filename().string());
        }
    });
}

}  // namespace twinbox::cli
