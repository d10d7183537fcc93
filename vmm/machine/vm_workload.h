// One command in its own microVM: the VM half of `twinbox run --isolation vm`.
//
// The image's files are an ext4 disk (built by host/image/vm_disk.h)
// that carries the guest agent as /.twinbox/init. twinbox boots the default
// kernel and initramfs with root=/dev/vda (read-only: the disk is a cache
// shared by every run of the image), hands the agent the command, environment,
// working directory, user and host name on fw_cfg, and gives the workload a
// virtio-console for its stdio. The agent reports the command's exit status
// on twinbox's exit-status port, and run_vm_workload returns it.
//
//   host                              guest
//   twinbox run --isolation vm  ──▶  kernel ─▶ initramfs /init (modules, mount vda ro)
//     fw_cfg opt/twinbox/run  ─────▶  /.twinbox/init: overlay on tmpfs (or on
//                                      the writable disk), chroot,
//     virtio-console  ◀─── stdio ───   setuid, exec CMD, wait
//     exit-status port 0x604 ◀─ status ─┘
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "vmm/machine/vm_config.h"

namespace twinbox {

struct VmWorkload {
    std::string name;                  // the VM's name in the registry (empty: a random one)
    std::string root_disk;             // ext4 image with /.twinbox/init
    std::vector<std::string> command;  // argv; the first is looked up on the image's PATH
    std::vector<std::string> env;      // KEY=VALUE
    std::string workdir = "/";
    uint32_t uid = 0, gid = 0;
    std::string hostname;
    bool tty = false, interactive = false;
    uint64_t memory = 256ull << 20;
    uint32_t cpus = 1;
    // -v HOST:PATH:ro: ext4 images of host directories, attached read-only as
    // vdb, vdc, ... and mounted by the agent at `mount_point`.
    struct Volume {
        std::string disk, mount_point;
    };
    std::vector<Volume> volumes;
    // An ext4 disk for the writable layer, attached read-write after the
    // volumes, so that what the workload writes outlives the VM (a detached
    // VM's root volume, kept across stop and start); "" = a layer in RAM.
    std::string writable_disk;
    std::vector<NetConfig> nets;
    std::string extra_command_line;  // appended (e.g. ip= for a network)
    std::string console_log;         // where the serial console goes ("" = nowhere)
    std::string kernel;              // the guest kernel ("" = the default guest's)
};

// The agent's configuration blob ("TAG=VALUE\0" strings, guest/agent/twinbox-init.c).
// Fails on a string with a NUL in it or a configuration over 64 KiB.
Result<std::vector<uint8_t>> encode_agent_config(const VmWorkload& workload);

// The VmConfig that runs `workload` with the default guest kernel and initramfs
// found in `guest_directories` (as `twinbox vm run` looks for them).
Result<VmConfig> workload_vm_config(const VmWorkload& workload,
                                    const std::vector<std::string>& guest_directories);

// Boots a VM made by workload_vm_config (perhaps changed since, e.g. given a
// network) and returns the command's exit status; `console_log` is named in
// the error when the agent reported no status.
Result<int> run_workload_config(const VmConfig& config, const std::string& console_log);

// workload_vm_config + run_workload_config. Boots the VM and returns the command's exit status. A
// VM that ends without the agent reporting a status (a kernel panic, a missing agent) is an error
// naming the console log.
Result<int> run_vm_workload(const VmWorkload& workload,
                            const std::vector<std::string>& guest_directories);

}  // namespace twinbox
