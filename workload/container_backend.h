// The container half of the twin: RunRequest -> OCI spec -> the runtime
// (container/engine drives create, start, the -d supervisor and the state).
#pragma once

#include <string>

#include "container/oci/spec.h"
#include "workload/backend.h"

namespace twinbox::workload {

// The engine's flags for `request`: the shared fields as the request resolved
// them (argv, env, uid:gid, workdir...) over the container-only ones.
container::RunFlags container_run_flags(const RunRequest& request);

// The OCI spec the engine gives container `id` with `rootfs` as its root:
// the translation the unit tests check field by field.
Result<oci::Spec> container_spec(const RunRequest& request, const std::string& id,
                                 const std::string& rootfs);

class ContainerBackend final : public Backend {
public:
    Isolation isolation() const override { return Isolation::container; }
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
