// Running one command in a microVM (see vm_workload.h).
#include "vmm/machine/vm_workload.h"

#include <fmt/core.h>

#include "vmm/agent/protocol.h"
#include "vmm/machine/default_guest.h"
#include "vmm/machine/machine.h"

namespace twinbox {

namespace {

constexpr size_t kMaxAgentConfig = 64 * 1024;  // the agent's CONFIG_MAX

}  // namespace

Result<std::vector<uint8_t>> encode_agent_config(const VmWorkload& workload) {
    if (workload.command.empty())
        return Error::message("no command to run in the VM (the image has no CMD or ENTRYPOINT)");
    std::vector<uint8_t> blob;
    for (const auto& arg : workload.command) TRY(agent::append_field(blob, 'a', arg));
    for (const auto& variable : workload.env) {
        if (variable.find('=') == std::string::npos)
            return Error::message(fmt::format("environment entry \"{}\" has no '='", variable));
        TRY(agent::append_field(blob, 'e', variable));
    }
    TRY(agent::append_field(blob, 'w', workload.workdir.empty() ? "/" : workload.workdir));
    TRY(agent::append_field(blob, 'u', fmt::format("{}:{}", workload.uid, workload.gid)));
    if (!workload.hostname.empty())
        TRY(agent::append_field(blob, 'h', workload.hostname));
    TRY(agent::append_field(blob, 't', workload.tty ? "1" : "0"));
    TRY(agent::append_field(blob, 'i', workload.interactive ? "1" : "0"));
    // Volumes are the disks after the root: vdb, vdc, ... (26 at most),
    // then the writable layer's disk, if any.
    size_t limit = workload.writable_disk.empty() ? 25 : 24;
    for (size_t index = 0; index < workload.volumes.size(); ++index) {
        if (index >= limit)
            return Error::message(fmt::format("a VM takes at most {} -v volumes", limit));
        TRY(agent::append_field(blob, 'm',
                                fmt::format("/dev/vd{}:{}", static_cast<char>('b' + index),
                                            workload.volumes[index].mount_point)));
    }
    if (!workload.writable_disk.empty())
        TRY(agent::append_field(
            blob, 'r', fmt::format("/dev/vd{}", static_cast<char>('b' + workload.volumes.size()))));
    if (blob.size() > kMaxAgentConfig)
        return Error::message(fmt::format(
            "the command and environment take {} bytes; the VM agent accepts at most {} KiB",
            blob.size(), kMaxAgentConfig / 1024));
    return blob;
}

Result<VmConfig> workload_vm_config(const VmWorkload& workload,
                                    const std::vector<std::string>& guest_directories) {
    auto guest = TRY(find_default_guest(guest_directories));
    VmConfig config;
    config.name = workload.name;
    config.kernel = workload.kernel.empty() ? guest.kernel : workload.kernel;
    config.initrd = guest.initrd;
    // The serial console carries only the kernel's and the initramfs's own
    // messages; the workload's stdio is on virtio-console (hvc0), which the
    // agent opens itself. `ro`: the image's disk is shared by every run.
    config.command_line =
        fmt::format("{} root=/dev/vda ro init=/.twinbox/init{}{}", guest.command_line,
                    workload.extra_command_line.empty() ? "" : " ", workload.extra_command_line);
    config.memory = workload.memory;
    config.cpus = workload.cpus;
    config.disks.push_back({workload.root_disk, true});
    for (const auto& volume : workload.volumes) config.disks.push_back({volume.disk, true});
    if (!workload.writable_disk.empty())
        config.disks.push_back({workload.writable_disk, false});
    config.nets = workload.nets;
    config.console = ConsoleKind::virtio;
    config.console_input = workload.interactive;  // -i: keystrokes to hvc0
    config.agent_channel = true;                  // hvc1: `twinbox vm exec`, `twinbox exec`
    if (workload.console_log.empty()) {
        config.serial = SerialOutput::none;
    } else {
        config.serial = SerialOutput::file;
        config.serial_file = workload.console_log;
    }
    config.fw_cfg_files.emplace_back("opt/twinbox/run", TRY(encode_agent_config(workload)));
    return config;
}

Result<int> run_workload_config(const VmConfig& config, const std::string& console_log) {
    auto machine = TRY(Machine::create(config));
    int status = machine->run();
    if (auto reported = machine->workload_status())
        return *reported;
    if (status >= exit_code::kSignalBase && status != exit_code::kTwinboxError)
        return status;  // twinbox itself was stopped by a signal (Ctrl-C, docker stop)
    return Error::message(fmt::format(
        "the VM ended (status {}) without its agent reporting the command's exit status{}", status,
        console_log.empty() ? std::string() : "; its console log is " + console_log));
}

Result<int> run_vm_workload(const VmWorkload& workload,
                            const std::vector<std::string>& guest_directories) {
    auto config = TRY(workload_vm_config(workload, guest_directories));
    return run_workload_config(config, workload.console_log);
}

}  // namespace twinbox
