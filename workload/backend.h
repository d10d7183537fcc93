// The two isolations behind one interface: `twinbox run` builds a RunRequest
// (run_request.h) and hands it to a Backend; `ps`, `logs`, `stop`, `kill`,
// `rm`, `inspect`, `wait` and `exec` find a workload by name or id in either
// and call the same verbs, so containers and VMs share one lifecycle.
//
//   RunRequest ─▶ ContainerBackend: RunRequest ─▶ OCI spec ─▶ runtime (container/engine)
//              └▶ VmBackend:        RunRequest ─▶ VmWorkload ─▶ VmConfig ─▶ Machine
//                                   (-d: a supervisor, a log, an exit status; vm_records.h)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "container/engine/engine.h"
#include "workload/run_request.h"

namespace twinbox::workload {

// One workload as `ps` shows it.
struct WorkloadInfo {
    Isolation isolation = Isolation::container;
    std::string id;  // containers: 16 hex digits; VMs: 12 (or "" for a `vm run` VM)
    std::string name;
    std::string image;
    std::vector<std::string> command;
    bool running = false;
    pid_t pid = 0;                 // the container's first process, or the VMM
    std::optional<int> exit_code;  // once it ended
    std::string status;            // "Up 3 seconds", "Exited (0) 2 minutes ago"
};

// `twinbox exec`'s request, for both isolations.
using ExecRequest = container::ExecFlags;

class Backend {
public:
    virtual ~Backend() = default;
    virtual Isolation isolation() const = 0;

    // prepare (translate the request, check it, build what it needs) + start
    // + attach and wait, or with request.detach print the id and return 0.
    // Returns the workload's exit status, or an Error (the CLI reports it).
    virtual Result<int> run(const RunRequest& request) = 0;

    // Every workload of this isolation (-a: stopped ones too), and one error
    // (kind Damaged) per state file that cannot be read: named, never removed.
    struct Listing {
        std::vector<WorkloadInfo> workloads;
        std::vector<Error> damaged;
    };
    virtual Listing list(bool all) const = 0;
    // By name, id or unique id prefix.
    virtual Result<WorkloadInfo> find(const std::string& reference) const = 0;
    // docker stop -t: a graceful end (SIGTERM; a VM: the ACPI power button),
    // then a kill after `timeout`.
    virtual Result<void> stop(const WorkloadInfo& workload, std::chrono::seconds timeout) = 0;
    // docker start: a stopped detached workload again, with the request it
    // was run with and its root volume kept (a container's overlay upper
    // dir, a VM's writable disk), under a new supervisor; its log is
    // appended to. Returns once it is up; a running one is left alone (ok).
    virtual Result<void> start(const WorkloadInfo& workload) = 0;
    virtual Result<void> kill(const WorkloadInfo& workload, int signal) = 0;
    virtual Result<void> remove(const WorkloadInfo& workload, bool force) = 0;
    // Blocks until the workload ended; its exit status.
    virtual Result<int> wait(const WorkloadInfo& workload) = 0;
    virtual Result<nlohmann::json> inspect(const WorkloadInfo& workload) const = 0;
    // The file holding a detached workload's output (`twinbox logs`).
    virtual Result<std::string> log_path(const WorkloadInfo& workload) const = 0;
    // Returns the command's exit status, or an Error (the CLI reports it).
    virtual Result<int> exec(const WorkloadInfo& workload, const ExecRequest& request) = 0;
};

std::unique_ptr<Backend> make_backend(Isolation isolation);

// A workload by name or id, looked for among containers, then VMs.
struct FoundWorkload {
    std::unique_ptr<Backend> backend;
    WorkloadInfo info;
};
Result<FoundWorkload> find_workload(const std::string& reference);

// Both isolations, containers first.
Backend::Listing list_workloads(bool all);

}  // namespace twinbox::workload
