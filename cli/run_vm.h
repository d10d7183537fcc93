// `twinbox run --isolation vm IMAGE [CMD...]`: the same image and command as a
// container, in a microVM instead (vmm/machine/vm_workload.h,
// container/image/vm_disk.h).
#pragma once

#include <string>

#include "container/engine/run_spec.h"

namespace twinbox::cli {

// Runs `reference` with `flags` (command, -e, -w, -u, -m, --cpus, -it,
// --hostname) in a microVM and returns the command's exit status, or 125
// after printing one line when twinbox fails.
int run_image_in_vm(container::RunFlags flags, const std::string& reference);

}  // namespace twinbox::cli
