// What a detached VM is booted from, kept in its record directory so that
// `twinbox start` boots the same VM again (vm_records.h):
//
//   $TWINBOX_ROOT/run/vm-workloads/ID/launch.json   this struct as JSON
//   $TWINBOX_ROOT/run/vm-workloads/ID/writable.ext4 the writable layer's disk
//
// The disk lives with the record: `stop` and `start` keep it, `rm` removes
// both. Like a container's state (also under the run root), a record does not
// outlive a reboot of the host when the run root is a tmpfs (/run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "vmm/machine/vm_workload.h"

namespace twinbox::workload {

// The size of a detached VM's writable layer: sparse, so only what the
// workload writes (and ext4's metadata) takes room on the host.
inline constexpr uint64_t kWritableDiskBytes = 1ull << 30;

struct VmLaunch {
    VmWorkload workload;               // without its networks: those are leased per boot
    std::string network = "none";      // --network
    std::vector<std::string> publish;  // -p
};

Result<void> save_vm_launch(const std::string& path, const VmLaunch& launch);
Result<VmLaunch> load_vm_launch(const std::string& path);

}  // namespace twinbox::workload
