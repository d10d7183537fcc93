// twinbox vm pause|resume|powerdown|stop NAME: one request on the VM's control
// socket (docs/tools.md, "Control socket"). stop also waits until the VM has
// ended; powerdown only presses the button (the guest decides when to end).
#include <fmt/core.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/report.h"
#include "common/log.h"
#include "vmm/control/client.h"
#include "vmm/control/proc_stat.h"
#include "vmm/control/registry.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::cli {

namespace {

// How long `vm stop` waits for the VMM to exit after it accepted the request.
constexpr auto kStopWait = std::chrono::seconds(10);

Result<void> send_command(const std::string& name, const std::string& command) {
    auto registry = VmRegistry::open_default();
    auto record = TRY(registry.find(name));
    TRY(control_request(registry.socket_path(name), command)
            .with_context(fmt::format("{} VM {}", command, name)));
    if (command != "stop")
        return ok();
    // The VMM removes its registry directory as it ends; a dead PID means the same.
    auto deadline = std::chrono::steady_clock::now() + kStopWait;
    struct stat status {};
    while (::stat(registry.directory(name).c_str(), &status) == 0 &&
           live_process_start(record.pid) == record.pid_start_time) {
        if (std::chrono::steady_clock::now() > deadline)
            return Error::message(
                       fmt::format("VM {} (pid {}) accepted stop but is still running after {} s",
                                   name, record.pid, kStopWait.count()))
                .with_hint(fmt::format("kill -KILL {}", record.pid));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ok();
}

void register_one(CLI::App& vm, int& exit_code, const std::string& command,
                  const std::string& help) {
    auto name = std::make_shared<std::string>();
    CLI::App* sub = vm.add_subcommand(command, help);
    sub->add_option("name", *name, "the VM's name (see 'twinbox vm ls')")->required();
    sub->callback([name, command, &exit_code] {
        if (auto done = send_command(*name, command); !done) {
            exit_code = report(done.error());
            return;
        }
        fmt::print("{}\n", *name);
        exit_code = 0;
    });
}

}  // namespace

void register_vm_control(CLI::App& vm, int& exit_code) {
    register_one(
        vm, exit_code, "pause",
        "Pause a running VM: its vCPUs stop running guest code (the guest clock jumps on resume)");
    register_one(vm, exit_code, "resume", "Resume a paused VM");
    register_one(
        vm, exit_code, "powerdown",
        "Press the VM's ACPI power button (like 'virsh shutdown'): the guest shuts down on its own");
    register_one(vm, exit_code, "stop", "Stop a running VM now (like 'virsh destroy')");
}

}  // namespace twinbox::cli
