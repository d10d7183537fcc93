// `twinbox run --isolation vm IMAGE [CMD...]`: the same image and command as a
// container, in a microVM instead (vmm/machine/vm_workload.h,
// host/image/vm_disk.h).
#pragma once

#include <string>

#include "container/engine/run_spec.h"

namespace twinbox::cli {

// Runs `reference` with `flags` (command, -e, -w, -u, -m, --cpus, -it,
// --hostname, -v HOST:/PATH:ro, --network, -p, --name) in a microVM and returns the command's exit
// status, or 125 after printing one line when twinbox fails.
// `kernel` is --vm-kernel ("" = the default guest kernel).
int run_image_in_vm(container::RunFlags flags, const std::string& reference,
                    const std::string& kernel = "");

// What run_image_in_vm would boot, without booting it, for other VMMs to boot
// the same guest (twinbox bench's QEMU and libvirt baselines): writes
// OUT_DIR/vm.json (kernel, initrd, command line - without the
// virtio_mmio.device= entries twinbox's own devices add -, memory, vCPUs,
// disks) and each fw_cfg blob (the agent's run configuration) as a file.
// Returns 0, or 125 after printing one line.
int write_image_vm_config(container::RunFlags flags, const std::string& reference,
                          const std::string& out_dir);

}  // namespace twinbox::cli
