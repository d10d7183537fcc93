// The VM half of the twin: RunRequest -> VmWorkload (vmm/machine/vm_workload.h)
// -> VmConfig -> a Machine in a sandboxed VMM process (vmm/sandbox/supervisor.h).
// With -d a supervisor process runs it detached, logs its output and records
// its exit status (vm_records.h). Stopping presses the ACPI power button over
// the control socket, then kills the VMM after -t seconds, as `docker stop`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "vmm/machine/vm_workload.h"
#include "workload/backend.h"

namespace twinbox::workload {

// The flags a VM ignores (they configure a container's kernel view), named
// in one line for a warning; "" when there are none.
std::string ignored_vm_flags(const RunRequest& request);

// The VmWorkload for `request` (checks, the image's disk, one read-only
// disk per -v under `scratch`). `disk_for_image` = false skips building the
// image's disk (the unit tests check the rest field by field).
Result<VmWorkload> vm_workload_for(const RunRequest& request, const std::string& scratch,
                                   bool disk_for_image = true);

// What a VM run would boot, without booting it, for other VMMs (twinbox
// bench's QEMU and libvirt baselines): OUT_DIR/vm.json and one file per
// fw_cfg blob. Returns 0, or 125 after printing one line.
Result<void> write_vm_config(const RunRequest& request, const std::string& out_dir);

// `twinbox exec` into a VM, through the guest agent (vmm/agent/exec_client.h
// when it is built in); the command's exit status.
Result<int> exec_in_vm_workload(const std::filesystem::path& vm_run_dir,
                                const ExecRequest& request);

class VmBackend final : public Backend {
public:
    Isolation isolation() const override { return Isolation::vm; }
    Result<int> run(const RunRequest& request) override;
    Listing list(bool all) const override;
    Result<WorkloadInfo> find(const std::string& reference) const override;
    Result<void> stop(const WorkloadInfo& workload, std::chrono::seconds timeout) override;
    Result<void> start(const WorkloadInfo& workload) override;
    Result<void> kill(const WorkloadInfo& workload, int signal) override;
    Result<void> remove(const WorkloadInfo& workload, bool force) override;
    Result<int> wait(const WorkloadInfo& workload) override;
    Result<nlohmann::json> inspect(const WorkloadInfo& workload) const override;
    Result<std::string> log_path(const WorkloadInfo& workload) const override;
    Result<int> exec(const WorkloadInfo& workload, const ExecRequest& request) override;
};

}  // namespace twinbox::workload
