// ps, stop, kill, rm, wait, inspect, logs and exec for VMs (see vm_backend.h):
// detached VMs from their records (vm_records.h), and any running VM (also one
// of `twinbox vm run` or a foreground `run`) from the VM registry.
#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/log.h"
#include "vmm/control/client.h"
#include "vmm/control/proc_stat.h"
#include "vmm/control/registry.h"
#include "workload/vm_backend.h"
#include "workload/vm_records.h"

namespace twinbox::workload {

namespace {

using Clock = std::chrono::steady_clock;

int64_t seconds_since(int64_t unix_ms) {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    return std::max<int64_t>(0, (now_ms - unix_ms) / 1000);
}

WorkloadInfo info_of(const VmWorkloadRecord& record, const std::optional<VmRecord>& vm) {
    WorkloadInfo info;
    info.isolation = Isolation::vm;
    info.id = record.id;
    info.name = record.name;
    info.image = record.image;
    info.command = record.command;
    info.running = !record.exit_code && VmRecordStore::supervisor_alive(record);
    info.pid = vm ? vm->pid : 0;
    info.exit_code = record.exit_code;
    if (info.running)
        info.status = fmt::format("Up {} seconds", seconds_since(record.started_unix_ms));
    else if (record.exit_code)
        info.status = fmt::format("Exited ({})", *record.exit_code);
    else
        info.status = "Dead (its supervisor was killed)";
    return info;
}

WorkloadInfo info_of(const VmRecord& vm) {
    WorkloadInfo info;
    info.isolation = Isolation::vm;
    info.name = vm.name;
    info.command = {vm.boot, vm.guest};
    info.running = true;
    info.pid = vm.pid;
    info.status = fmt::format("Up {} seconds", seconds_since(vm.started_unix_ms));
    return info;
}

std::optional<VmRecord> running_vm(const std::string& name) {
    auto vm = VmRegistry::open_default().find(name);
    return vm ? std::optional<VmRecord>(*vm) : std::nullopt;
}

bool vm_alive(const VmRecord& vm) {
    return live_process_start(vm.pid) == vm.pid_start_time;
}

// Waits until `done` or the deadline; true when done.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

// A detached VM's supervisor records the exit status just after the VMM ends.
void wait_for_record(const WorkloadInfo& workload) {
    if (workload.id.empty())
        return;
    auto store = VmRecordStore::open_default();
    (void)wait_until(
        [&] {
            auto record = store.load(workload.id);
            return !record || record->exit_code || !VmRecordStore::supervisor_alive(*record);
        },
        std::chrono::seconds(10));
}

}  // namespace

Backend::Listing VmBackend::list(bool all) const {
    Listing listing;
    std::vector<std::string> recorded;
    for (const auto& record : VmRecordStore::open_default().list()) {
        auto info = info_of(record, running_vm(record.name));
        recorded.push_back(record.name);
        if (all || info.running)
            listing.workloads.push_back(std::move(info));
    }
    // VMs of `twinbox vm run` and foreground runs: listed while they run.
    auto running = VmRegistry::open_default().scan();
    listing.damaged = std::move(running.damaged);
    for (const auto& vm : running.records)
        if (std::find(recorded.begin(), recorded.end(), vm.name) == recorded.end())
            listing.workloads.push_back(info_of(vm));
    return listing;
}

Result<WorkloadInfo> VmBackend::find(const std::string& reference) const {
    auto record = VmRecordStore::open_default().find(reference);
    if (record)
        return info_of(*record, running_vm(record->name));
    if (auto vm = running_vm(reference))
        return info_of(*vm);
    return std::move(record).error();
}

Result<void> VmBackend::stop(const WorkloadInfo& workload, std::chrono::seconds timeout) {
    auto vm = running_vm(workload.name);
    if (!vm)
        return ok();  // it has ended already (docker stop succeeds too)
    auto socket = VmRegistry::open_default().socket_path(workload.name);
    // The ACPI power button: the guest agent stops the workload and powers off
    // with its exit status. A VMM without it answers an error: stop it outright.
    if (auto pressed = control_request(socket, "powerdown"); !pressed) {
        log::info("VM {}: no powerdown ({}), stopping it", workload.name,
                  pressed.error().to_string());
        (void)control_request(socket, "stop");
    }
    if (!wait_until([&] { return !vm_alive(*vm); }, timeout)) {
        ::kill(vm->pid, SIGKILL);
        if (!wait_until([&] { return !vm_alive(*vm); }, std::chrono::seconds(10)))
            return Error::message(
                fmt::format("VM {} (pid {}) survives SIGKILL", workload.name, vm->pid));
    }
    wait_for_record(workload);
    return ok();
}

Result<void> VmBackend::kill(const WorkloadInfo& workload, int signal) {
    auto vm = running_vm(workload.name);
    if (!vm)
        return Error::message(fmt::format("VM {} is not running", workload.name));
    // The VMM is the VM's process on the host: SIGKILL ends it at once,
    // SIGTERM/SIGINT end the VM as `vm stop` does.
    if (::kill(vm->pid, signal) < 0)
        return Error::from_errno("kill", fmt::format("VM {} (pid {})", workload.name, vm->pid));
    if (signal == SIGKILL)
        wait_for_record(workload);
    return ok();
}

Result<void> VmBackend::remove(const WorkloadInfo& workload, bool force) {
    if (workload.id.empty())
        return Error::message(fmt::format("VM {} runs in the foreground or under 'twinbox vm run'",
                                          workload.name))
            .with_hint("stop it with 'twinbox stop'; it leaves nothing to remove");
    if (workload.running) {
        if (!force)
            return Error::message(fmt::format("VM {} is running", workload.name))
                .with_hint("stop it first (twinbox stop) or use rm -f");
        TRY(kill(workload, SIGKILL));
    }
    return VmRecordStore::open_default().remove(workload.id);
}

Result<int> VmBackend::wait(const WorkloadInfo& workload) {
    if (workload.id.empty())
        return Error::message(fmt::format(
            "VM {} has no recorded exit status (only 'twinbox run -d --isolation vm' keeps one)",
            workload.name));
    auto store = VmRecordStore::open_default();
    for (;;) {
        auto record = store.load(workload.id);
        if (!record)
            return workload.exit_code ? *workload.exit_code : 0;  // --rm removed it
        if (record->exit_code)
            return *record->exit_code;
        if (!VmRecordStore::supervisor_alive(*record))
            return Error::message(fmt::format(
                "VM {} ended without an exit status: its supervisor was killed", workload.name));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

Result<nlohmann::json> VmBackend::inspect(const WorkloadInfo& workload) const {
    nlohmann::json document = {
        {"Id", workload.id}, {"Name", workload.name},   {"Kind", "vm"},
        {"Isolation", "vm"}, {"Image", workload.image}, {"Command", workload.command}};
    nlohmann::json state = {{"Status", workload.running ? "running" : "exited"},
                            {"Running", workload.running},
                            {"Pid", workload.pid}};
    if (workload.exit_code)
        state["ExitCode"] = *workload.exit_code;
    if (!workload.id.empty()) {
        auto store = VmRecordStore::open_default();
        if (auto record = store.load(workload.id)) {
            state["StartedAt"] = record->started;
            state["FinishedAt"] = record->finished;
        }
        document["LogPath"] = store.output_log(workload.id);
        document["ConsoleLogPath"] = store.console_log(workload.id);
    }
    document["State"] = state;
    if (workload.running) {
        // The VMM's own view: memory map, devices, vCPU threads, exits.
        auto socket = VmRegistry::open_default().socket_path(workload.name);
        if (auto reply = control_request(socket, "inspect"))
            document["Vm"] = *reply;
    }
    return document;
}

Result<std::string> VmBackend::log_path(const WorkloadInfo& workload) const {
    if (workload.id.empty())
        return Error::message(fmt::format("VM {} has no log", workload.name))
            .with_hint("only VMs run with -d have logs");
    return VmRecordStore::open_default().output_log(workload.id);
}

Result<int> VmBackend::exec(const WorkloadInfo& workload, const ExecRequest& request) {
    if (!workload.running)
        return Error::message(fmt::format("VM {} is not running", workload.name))
            .with_hint("start it again with twinbox run -d --isolation vm");
    return exec_in_vm_workload(VmRegistry::open_default().directory(workload.name), request);
}

}  // namespace twinbox::workload
