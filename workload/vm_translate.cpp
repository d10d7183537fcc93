// RunRequest -> VmWorkload -> VmConfig: what a VM makes of `twinbox run`'s
// request (see vm_backend.h). Moved here from the CLI, so that the CLI only
// picks a backend.
#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "host/image/store.h"
#include "host/image/vm_disk.h"
#include "host/network/port_spec.h"
#include "vmm/control/registry.h"
#include "workload/vm_backend.h"

namespace twinbox::workload {

namespace {

constexpr uint64_t kDefaultVmMemory = 256ull << 20;
constexpr uint64_t kMinimumVmMemory = 64ull << 20;  // the Debian kernel and initramfs need this

// What the VM isolation cannot do, refused up front with the reason.
Result<void> check_supported(const RunRequest& request) {
    auto refuse = [](const char* flag, const char* why) {
        return Error::message(
            fmt::format("{} is not supported with --isolation vm: {}", flag, why));
    };
    if (!request.publish.empty() && request.network == "none")
        return Error::message("-p needs a bridge network, not --network none")
            .with_hint("add --network bridge (or a network name)");
    TRY(network::parse_port_specs(request.publish));  // bad -p before any disk is built
    if (request.network == "host")
        return refuse("--network host", "a VM always has its own network stack");
    if (!request.rootfs.empty() || request.image_id.empty())
        return refuse("--rootfs", "a VM runs an image; give IMAGE instead");
    for (const auto& volume : request.volumes)
        if (!volume.read_only())
            return Error::message(fmt::format(
                "-v {}: with --isolation vm a volume is HOST_DIR:/PATH:ro (VMs get read-only copies)",
                volume.spec));
    if (!request.tmpfs.empty())
        return refuse("--tmpfs", "the agent mounts no tmpfs yet (the VM's root is writable)");
    return ok();
}

// -v HOST:PATH:ro -> a read-only ext4 copy of HOST, mounted at PATH by the agent.
// A VM cannot share a live host directory without virtio-fs (not built), so
// only read-only volumes are accepted, and the copy is taken at start.
Result<VmWorkload::Volume> volume_disk(const Volume& volume, const std::string& scratch,
                                       size_t index) {
    std::string disk = fmt::format("{}/volume{}.ext4", scratch, index);
    TRY(image::make_ext4_from_directory(volume.host, disk).with_context("-v " + volume.spec));
    return VmWorkload::Volume{disk, volume.target};
}

Result<uint64_t> vm_memory(const RunRequest& request) {
    if (!request.limits.memory_bytes || *request.limits.memory_bytes < 0)
        return kDefaultVmMemory;
    auto bytes = static_cast<uint64_t>(*request.limits.memory_bytes);
    if (bytes < kMinimumVmMemory)
        return Error::message(fmt::format("-m {}: a VM needs at least {} MiB to boot its kernel",
                                          request.limits.memory_text, kMinimumVmMemory >> 20));
    return bytes;
}

}  // namespace

std::string ignored_vm_flags(const RunRequest& request) {
    const container::ContainerOnlyFlags& flags = request.container_only;
    std::vector<std::string> ignored;
    auto note = [&](bool given, const char* flag) {
        if (given)
            ignored.push_back(flag);
    };
    note(!flags.cap_add.empty(), "--cap-add");
    note(!flags.cap_drop.empty(), "--cap-drop");
    note(!flags.security_opt.empty(), "--security-opt");
    note(flags.privileged, "--privileged");
    note(flags.read_only, "--read-only");
    note(flags.init, "--init");
    note(!flags.ulimits.empty(), "--ulimit");
    note(flags.pids_limit.has_value(), "--pids-limit");
    note(flags.cpu_shares.has_value(), "--cpu-shares");
    note(!flags.memory_swap.empty(), "--memory-swap");
    note(flags.oom_score_adj.has_value(), "--oom-score-adj");
    if (ignored.empty())
        return "";
    std::string list;
    for (const auto& flag : ignored) list += (list.empty() ? "" : ", ") + flag;
    return fmt::format(
        "--isolation vm ignores {}: a VM has its own kernel, these set a container's view of the host's",
        list);
}

Result<VmWorkload> vm_workload_for(const RunRequest& request, const std::string& scratch,
                                   bool disk_for_image) {
    TRY(check_supported(request));
    VmWorkload workload;
    if (!request.name.empty())
        TRY(validate_vm_name(request.name).with_context("--name"));
    workload.name = request.name;  // `twinbox ps` and `twinbox vm ls` show it by this name
    workload.command = request.command;
    workload.env = request.env;
    workload.workdir = request.workdir.empty() ? "/" : request.workdir;
    workload.uid = request.ids.uid;
    workload.gid = request.ids.gid;
    workload.hostname = request.hostname.empty() ? "twinbox-vm" : request.hostname;
    workload.tty = request.tty;
    workload.interactive = request.interactive && !request.detach;
    workload.memory = TRY(vm_memory(request));
    if (request.limits.cpus) {
        double cpus = *request.limits.cpus;
        if (!std::isfinite(cpus) || cpus <= 0 || cpus > 64)
            return Error::message(fmt::format("--cpus {}: a VM has 1 to 64 vCPUs", cpus));
        workload.cpus = static_cast<uint32_t>(std::ceil(cpus));  // whole vCPUs
    }
    workload.kernel = request.vm_kernel;
    if (!disk_for_image)
        return workload;
    auto disk =
        TRY(image::vm_disk_for_image(image::default_store_root(), request.image_id,
                                     request.image_layers, TWINBOX_GUEST_DIR "/twinbox-init"));
    if (disk.built_now)
        log::info("built the VM disk of {} in {} ms: {}", request.image_reference,
                  disk.build_time.count(), disk.path);
    workload.root_disk = disk.path;
    for (size_t index = 0; index < request.volumes.size(); ++index)
        workload.volumes.push_back(TRY(volume_disk(request.volumes[index], scratch, index)));
    return workload;
}

namespace {

Result<void> write_vm_json(const VmConfig& config, const std::string& out_dir) {
    nlohmann::json dump = {{"kernel", config.kernel},
                           {"initrd", config.initrd},
                           {"command_line", config.command_line},
                           {"memory_bytes", config.memory},
                           {"cpus", config.cpus},
                           {"console", "virtio"},
                           {"disks", nlohmann::json::array()},
                           {"fw_cfg", nlohmann::json::array()}};
    for (const auto& disk : config.disks)
        dump["disks"].push_back({{"path", disk.path}, {"read_only", disk.read_only}});
    for (size_t index = 0; index < config.fw_cfg_files.size(); ++index) {
        const auto& [name, blob] = config.fw_cfg_files[index];
        std::string path = fmt::format("{}/fw_cfg{}.bin", out_dir, index);
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file.write(reinterpret_cast<const char*>(blob.data()),
                   static_cast<std::streamsize>(blob.size()));
        if (!file.flush())
            return Error::from_errno("write", path);
        dump["fw_cfg"].push_back({{"name", name}, {"file", path}});
    }
    std::string path = out_dir + "/vm.json";
    std::ofstream file(path, std::ios::trunc);
    file << dump.dump(2) << "\n";
    if (!file.flush())
        return Error::from_errno("write", path);
    return ok();
}

}  // namespace

Result<void> write_vm_config(const RunRequest& request, const std::string& out_dir) {
    std::error_code error;
    std::filesystem::create_directories(out_dir, error);
    if (error)
        return Error::message(fmt::format("cannot create {}: {} - give a writable directory",
                                          out_dir, error.message()));
    auto workload = TRY(vm_workload_for(request, out_dir));
    auto config = TRY(workload_vm_config(workload, {TWINBOX_GUEST_DIR, TWINBOX_INSTALL_GUEST_DIR}));
    return write_vm_json(config, out_dir);
}

}  // namespace twinbox::workload
