// twinbox run --isolation vm: an image's command in its own microVM (see run_vm.h).
#include "cli/run_vm.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/container_common.h"
#include "cli/vm_network.h"
#include "host/image/image_rootfs.h"
#include "host/image/store.h"
#include "host/image/vm_disk.h"
#include "vmm/control/registry.h"
#include "vmm/machine/vm_workload.h"
#include "vmm/sandbox/supervisor.h"

namespace twinbox::cli {

namespace {

constexpr uint64_t kDefaultVmMemory = 256ull << 20;
constexpr uint64_t kMinimumVmMemory = 64ull << 20;  // the Debian kernel and initramfs need this

// What the VM isolation cannot do yet, refused up front with the reason.
Result<void> check_supported(const container::RunFlags& flags) {
    auto refuse = [](const char* flag, const char* why) {
        return Error::message(
            fmt::format("{} is not supported with --isolation vm: {}", flag, why));
    };
    if (flags.detach)
        return refuse("-d",
                      "a VM runs in the foreground (use 'twinbox vm run' for long-lived VMs)");
    if (!flags.publish.empty() && (flags.network.empty() || flags.network == "none"))
        return Error::message(fmt::format("-p needs a bridge network, not --network {}",
                                          flags.network.empty() ? "none" : flags.network))
            .with_hint("add --network bridge (or a network name)");
    TRY(network::parse_port_specs(flags.publish));  // bad -p before any disk is built
    if (flags.network == "host")
        return refuse("--network host", "a VM always has its own network stack");
    if (!flags.rootfs.empty())
        return refuse("--rootfs", "a VM runs an image; give IMAGE instead");
    return ok();
}

// Docker's -e K=V, or -e K for the value in our own environment.
std::vector<std::string> resolve_env(const std::vector<std::string>& entries) {
    std::vector<std::string> env;
    bool has_path = false;
    for (const auto& entry : entries) {
        std::string resolved = entry;
        if (entry.find('=') == std::string::npos) {
            const char* value = std::getenv(entry.c_str());
            if (value == nullptr)
                continue;
            resolved = entry + "=" + value;
        }
        std::string key = resolved.substr(0, resolved.find('='));
        std::erase_if(env, [&](const std::string& e) { return e.rfind(key + "=", 0) == 0; });
        has_path = has_path || key == "PATH";
        env.push_back(resolved);
    }
    if (!has_path)
        env.insert(env.begin(),
                   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    return env;
}

// -v HOST:PATH:ro -> a read-only ext4 copy of HOST, mounted at PATH by the agent.
// A VM cannot share a live host directory without virtio-fs (not built), so
// only read-only volumes are accepted, and the copy is taken at start.
Result<VmWorkload::Volume> volume_disk(const std::string& spec, const std::string& scratch,
                                       size_t index) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = spec.find(':', start)) != std::string::npos; start = colon + 1)
        parts.push_back(spec.substr(start, colon - start));
    parts.push_back(spec.substr(start));
    if (parts.size() != 3 || parts[2] != "ro" || parts[0].empty() || parts[1].empty() ||
        parts[1][0] != '/')
        return Error::message(fmt::format(
            "-v {}: with --isolation vm a volume is HOST_DIR:/PATH:ro (VMs get read-only copies)",
            spec));
    std::string disk = fmt::format("{}/volume{}.ext4", scratch, index);
    TRY(image::make_ext4_from_directory(parts[0], disk).with_context("-v " + spec));
    return VmWorkload::Volume{disk, parts[1]};
}

Result<VmWorkload> workload_for(container::RunFlags& flags, const std::string& reference,
                                const std::string& scratch) {
    TRY(check_supported(flags));
    auto image = TRY(image::prepare_image(reference));
    image::apply_image(image, flags);
    auto disk = TRY(image::vm_disk_for_image(image::default_store_root(),
                                                        image.manifest_digest, image.layer_dirs,
                                                        TWINBOX_GUEST_DIR "/twinbox-init"));
    if (disk.built_now)
        log::info("built the VM disk of {} in {} ms: {}", reference, disk.build_time.count(),
                  disk.path);

    VmWorkload workload;
    if (!flags.name.empty())
        TRY(validate_vm_name(flags.name).with_context("--name"));
    workload.name = flags.name;  // `twinbox ps` and `twinbox vm ls` show it by this name
    workload.root_disk = disk.path;
    workload.command = flags.command.empty() ? std::vector<std::string>{"sh"} : flags.command;
    workload.env = resolve_env(flags.env);
    if (flags.tty)
        workload.env.push_back("TERM=xterm");
    workload.workdir = flags.workdir.empty() ? "/" : flags.workdir;
    auto [uid, gid] = TRY(image::resolve_image_user(image.layer_dirs, flags.user)
                              .with_context("-u " + flags.user));
    workload.uid = uid;
    workload.gid = gid;
    workload.hostname = flags.hostname.empty() ? "twinbox-vm" : flags.hostname;
    workload.tty = flags.tty;
    workload.interactive = flags.interactive;
    workload.memory = kDefaultVmMemory;
    if (!flags.memory.empty()) {
        auto bytes = TRY(container::parse_memory(flags.memory, "-m"));
        if (static_cast<uint64_t>(bytes) < kMinimumVmMemory)
            return Error::message(
                fmt::format("-m {}: a VM needs at least {} MiB to boot its kernel", flags.memory,
                            kMinimumVmMemory >> 20));
        workload.memory = static_cast<uint64_t>(bytes);
    }
    for (size_t index = 0; index < flags.volumes.size(); ++index)
        workload.volumes.push_back(TRY(volume_disk(flags.volumes[index], scratch, index)));
    if (flags.cpus) {
        if (*flags.cpus <= 0 || *flags.cpus > 64)
            return Error::message(fmt::format("--cpus {}: a VM has 1 to 64 vCPUs", *flags.cpus));
        workload.cpus = static_cast<uint32_t>(std::ceil(*flags.cpus));  // whole vCPUs
    }
    return workload;
}

}  // namespace

int write_image_vm_config(container::RunFlags flags, const std::string& reference,
                          const std::string& out_dir) {
    std::error_code error;
    std::filesystem::create_directories(out_dir, error);
    if (error)
        return report(Error::message(fmt::format("cannot create {}: {} - give a writable directory",
                                                 out_dir, error.message())));
    auto workload = workload_for(flags, reference, out_dir);
    if (!workload)
        return report(std::move(workload).error());
    auto config = workload_vm_config(*workload, {TWINBOX_GUEST_DIR, TWINBOX_INSTALL_GUEST_DIR});
    if (!config)
        return report(std::move(config).error());
    nlohmann::json dump = {{"kernel", config->kernel},
                           {"initrd", config->initrd},
                           {"command_line", config->command_line},
                           {"memory_bytes", config->memory},
                           {"cpus", config->cpus},
                           {"console", "virtio"},
                           {"disks", nlohmann::json::array()},
                           {"fw_cfg", nlohmann::json::array()}};
    for (const auto& disk : config->disks)
        dump["disks"].push_back({{"path", disk.path}, {"read_only", disk.read_only}});
    for (size_t index = 0; index < config->fw_cfg_files.size(); ++index) {
        const auto& [name, blob] = config->fw_cfg_files[index];
        std::string path = fmt::format("{}/fw_cfg{}.bin", out_dir, index);
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file.write(reinterpret_cast<const char*>(blob.data()),
                   static_cast<std::streamsize>(blob.size()));
        if (!file.flush())
            return report(Error::from_errno("write", path));
        dump["fw_cfg"].push_back({{"name", name}, {"file", path}});
    }
    std::string path = out_dir + "/vm.json";
    std::ofstream file(path, std::ios::trunc);
    file << dump.dump(2) << "\n";
    if (!file.flush())
        return report(Error::from_errno("write", path));
    return 0;
}

int run_image_in_vm(container::RunFlags flags, const std::string& reference,
                    const std::string& kernel) {
    // A scratch directory for this run's volume disks, removed when it ends.
    char scratch_template[] = "/tmp/twinbox-vm-run.XXXXXX";
    if (::mkdtemp(scratch_template) == nullptr)
        return report(Error::from_errno("mkdtemp", scratch_template));
    std::string scratch = scratch_template;
    struct RemoveScratch {
        std::string path;
        ~RemoveScratch() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    } remove_scratch{scratch};

    if (!kernel.empty() && ::access(kernel.c_str(), R_OK) != 0)
        return report(Error::from_errno("--vm-kernel", kernel)
                          .with_hint("give a readable Linux kernel (bzImage)"));
    auto workload = workload_for(flags, reference, scratch);
    if (!workload)
        return report(std::move(workload).error());
    workload->kernel = kernel;
    // The serial console (kernel and initramfs messages) goes to a log that is
    // kept only when the VM fails, so an error can point at it.
    char log_template[] = "/tmp/twinbox-vm-console.XXXXXX";
    int log_fd = ::mkstemp(log_template);
    if (log_fd >= 0) {
        ::close(log_fd);
        workload->console_log = log_template;
    }
    auto config = workload_vm_config(*workload, {TWINBOX_GUEST_DIR, TWINBOX_INSTALL_GUEST_DIR});
    if (!config)
        return report(std::move(config).error());
    // --network bridge|NAME: one virtio-net card on the network's bridge, with
    // an address lease (ip= on the command line), held while the VM runs.
    if (!flags.network.empty() && flags.network != "none")
        config->nets.push_back(
            NetConfig{"", flags.network == "bridge" ? "twinbox0" : flags.network, std::nullopt});
    // -p: DNAT rules to the guest's lease, as for a container (endpoint.h).
    auto ports = network::parse_port_specs(flags.publish);
    if (!ports)
        return report(std::move(ports).error());
    auto networks = attach_vm_networks(*config, *ports);
    if (!networks)
        return report(std::move(networks).error().with_context("--network " + flags.network));
    // The VMM runs sandboxed in a child (vmm/sandbox/supervisor.h); this process
    // keeps the leases, the scratch directory and the console log, and cleans up.
    config->seccomp = true;
    int status = report_or_status(sandbox::run_supervised([&config, &workload] {
        return report_or_status(run_workload_config(*config, workload->console_log));
    }));
    // 125: twinbox failed, and its message may point at the console log.
    if (status != exit_code::kTwinboxError && !workload->console_log.empty())
        ::unlink(workload->console_log.c_str());
    return status;
}

}  // namespace twinbox::cli
