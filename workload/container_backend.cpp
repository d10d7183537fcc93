// RunRequest -> OCI spec -> runtime; see container_backend.h.
#include "workload/container_backend.h"

#include <fmt/core.h>

#include <thread>

#include "common/log.h"
#include "container/engine/engine.h"
#include "container/engine/inspect.h"
#include "container/runtime/runtime.h"

namespace twinbox::workload {

namespace {

container::StateStore store() {
    return container::StateStore(container::engine_paths().state_root);
}

WorkloadInfo info_of(const container::ContainerView& view) {
    WorkloadInfo info;
    info.isolation = Isolation::container;
    info.id = view.state.id;
    info.name = view.state.name;
    info.command = view.state.command;
    info.running = view.status != container::Status::Stopped;
    info.pid = view.state.pid;
    info.exit_code = view.state.exit_code;
    info.status = container::describe_status(view);
    return info;
}

}  // namespace

container::RunFlags container_run_flags(const RunRequest& request) {
    container::RunFlags flags = request.container_only;
    if (!request.image_layers.empty()) {
        // The engine wants the layers topmost first, as overlayfs lower directories.
        flags.image_layers.assign(request.image_layers.rbegin(), request.image_layers.rend());
        flags.rootfs = flags.image_layers.front();
        flags.image = request.image_id;
    } else {
        flags.rootfs = request.rootfs;
    }
    flags.command = request.command;
    flags.env = request.env;
    flags.workdir = request.workdir;
    // Resolved once (run_request.h): the engine is given the numbers.
    flags.user = request.user.empty() ? "" : fmt::format("{}:{}", request.ids.uid, request.ids.gid);
    flags.hostname = request.hostname;
    flags.memory = request.limits.memory_text;
    flags.cpus = request.limits.cpus;
    flags.volumes.clear();
    for (const auto& volume : request.volumes) flags.volumes.push_back(volume.spec);
    flags.tmpfs = request.tmpfs;
    flags.network = request.network;
    flags.publish = request.publish;
    flags.tty = request.tty;
    flags.interactive = request.interactive;
    flags.detach = request.detach;
    flags.remove = request.remove;
    flags.name = request.name;
    return flags;
}

Result<oci::Spec> container_spec(const RunRequest& request, const std::string& id,
                                 const std::string& rootfs) {
    return container::spec_from_run_flags(container_run_flags(request), id, rootfs);
}

Result<int> ContainerBackend::run(const RunRequest& request) {
    return container::run_container(container_run_flags(request));
}

Backend::Listing ContainerBackend::list(bool all) const {
    auto scanned = container::scan_containers(store());
    Listing listing;
    listing.damaged = std::move(scanned.damaged);
    for (const auto& view : scanned.containers)
        if (all || view.status != container::Status::Stopped)
            listing.workloads.push_back(info_of(view));
    return listing;
}

Result<WorkloadInfo> ContainerBackend::find(const std::string& reference) const {
    return info_of(TRY(container::find_container(store(), reference)));
}

Result<void> ContainerBackend::stop(const WorkloadInfo& workload, std::chrono::seconds timeout) {
    auto view = TRY(container::find_container(store(), workload.id));
    return container::stop_container(store(), view, timeout);
}

Result<void> ContainerBackend::start(const WorkloadInfo& workload) {
    TRY(container::start_stopped_container(store(), workload.id));
    return ok();
}

Result<void> ContainerBackend::kill(const WorkloadInfo& workload, int signal) {
    return container::kill_container(store(), workload.id, signal, false);
}

Result<void> ContainerBackend::remove(const WorkloadInfo& workload, bool force) {
    auto view = TRY(container::find_container(store(), workload.id));
    return container::remove_container(store(), view, force);
}

Result<int> ContainerBackend::wait(const WorkloadInfo& workload) {
    // The engine's supervisor (or the foreground `run`) records the exit in
    // the state; a removed state (--rm) ends the wait too.
    for (;;) {
        auto state = store().load(workload.id);
        if (!state)
            return workload.exit_code ? *workload.exit_code : 0;
        if (store().status(*state) == container::Status::Stopped)
            return state->exit_code.value_or(0);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

Result<nlohmann::json> ContainerBackend::inspect(const WorkloadInfo& workload) const {
    auto view = TRY(container::find_container(store(), workload.id));
    return container::inspect_container(store(), view);
}

Result<std::string> ContainerBackend::log_path(const WorkloadInfo& workload) const {
    auto view = TRY(container::find_container(store(), workload.id));
    return view.state.storage_dir + "/container.log";
}

Result<int> ContainerBackend::exec(const WorkloadInfo& workload, const ExecRequest& request) {
    auto view = TRY(container::find_container(store(), workload.id));
    return container::exec_container(store(), view, request);
}

}  // namespace twinbox::workload
