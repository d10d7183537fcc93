// The state of VMs started with `twinbox run -d --isolation vm`, kept after
// they end (as a container's state is) so that `ps -a`, `logs`, `inspect`,
// `wait` and `rm` find them:
//
//   $TWINBOX_ROOT/run/vm-workloads/ID/state.json    who supervises it, how it ended
//   $TWINBOX_ROOT/run/vm-workloads/ID/output.log    the workload's stdout and stderr
//   $TWINBOX_ROOT/run/vm-workloads/ID/console.log   the guest kernel's console
//   $TWINBOX_ROOT/run/vm-workloads/ID/scratch/      volume disks (copies made at run)
//   $TWINBOX_ROOT/run/vm-workloads/ID/launch.json   what `start` boots again (vm_launch.h)
//   $TWINBOX_ROOT/run/vm-workloads/ID/writable.ext4 the writable layer (its root volume)
//
// While the VM runs it is also in the VM registry (vmm/control/registry.h)
// under its name, with its control socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox::workload {

struct VmWorkloadRecord {
    std::string id;  // 12 hex digits
    std::string name;
    std::string image;
    std::vector<std::string> command;
    std::string created;  // RFC 3339, UTC
    int64_t created_unix_ms = 0;
    std::string started;  // the last run or start (RFC 3339, UTC); created when absent
    int64_t started_unix_ms = 0;
    pid_t supervisor_pid = 0;
    uint64_t supervisor_start = 0;  // /proc/PID/stat field 22: a reused PID is not ours
    std::optional<int> exit_code;
    std::string finished;
    bool auto_remove = false;  // --rm
};

class VmRecordStore {
public:
    explicit VmRecordStore(std::string root) : m_root(std::move(root)) {}
    // twinbox_run_root() + "/vm-workloads".
    static VmRecordStore open_default();

    std::string directory(const std::string& id) const { return m_root + "/" + id; }
    std::string output_log(const std::string& id) const { return directory(id) + "/output.log"; }
    std::string console_log(const std::string& id) const { return directory(id) + "/console.log"; }
    std::string scratch(const std::string& id) const { return directory(id) + "/scratch"; }
    std::string launch_file(const std::string& id) const { return directory(id) + "/launch.json"; }
    std::string writable_disk(const std::string& id) const {
        return directory(id) + "/writable.ext4";
    }

    // mkdir(2) of the record's directory (and its scratch): fails if taken.
    Result<void> reserve(const std::string& id) const;
    Result<void> save(const VmWorkloadRecord& record) const;
    Result<VmWorkloadRecord> load(const std::string& id) const;
    std::vector<VmWorkloadRecord> list() const;
    Result<void> remove(const std::string& id) const;
    // By id, unique id prefix or name.
    Result<VmWorkloadRecord> find(const std::string& reference) const;
    // The supervisor is alive (and is the one that wrote the record).
    static bool supervisor_alive(const VmWorkloadRecord& record);

private:
    std::string m_root;
};

}  // namespace twinbox::workload
