// Finding, listing, stopping and removing containers (docker ps/stop/rm),
// and cleaning up what a SIGKILLed twinbox left behind.
#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/log.h"
#include "container/cgroups/cgroup.h"
#include "container/engine/engine.h"
#include "container/engine/network_attach.h"

namespace twinbox::container {

namespace {

// A state directory without state.json is a container being created... or
// one whose creator was killed. Creation takes milliseconds, so one that is
// older than this, with no process left in its cgroup, was abandoned.
constexpr auto kAbandonedAfter = std::chrono::seconds(30);

bool older_than(const std::string& path, std::chrono::seconds age) {
    struct stat status {};
    if (::stat(path.c_str(), &status) < 0)
        return false;
    return ::time(nullptr) - status.st_mtime > age.count();
}

// What the engine knows about a container whose state it cannot read: the
// cgroup and storage names follow the id (run_spec.cpp, run.cpp), and the
// engine made both.
ContainerState remains_of(const std::string& id) {
    ContainerState state;
    state.id = id;
    state.cgroup_path = "/twinbox/" + id;
    state.cgroup_created = true;
    state.storage_dir = engine_paths().storage_root + "/" + id;
    return state;
}

bool has_processes(const ContainerState& state) {
    auto layout = detect_cgroup_layout();
    if (!layout)
        return true;  // cannot tell: assume the worst
    auto pids = Cgroup::open(*layout, state.cgroup_path).processes();
    return pids && !pids->empty();
}

// Removes a half-created container whose creator was killed: only when
// state.json was never written (a state that exists but does not parse is
// damaged, which only `rm -f` may act on), the directory is old, and no
// process is left in its cgroup. A running container is never touched here.
void clean_abandoned(const StateStore& store, const std::string& id) {
    if (::access((store.directory(id) + "/state.json").c_str(), F_OK) == 0 ||
        !older_than(store.directory(id), kAbandonedAfter))
        return;
    ContainerState state = remains_of(id);
    if (has_processes(state))
        return;
    if (auto cleaned = force_cleanup(store, state); !cleaned)
        log::warn("cleaning up the remains of container {}: {}", id, cleaned.error().to_string());
    else
        log::info("removed the remains of container {} (its creator was killed)", id);
}

// Alive and not a zombie (a zombie's parent may never reap it).
bool process_alive(pid_t pid) {
    return process_start_time(pid) != 0;
}

}  // namespace

ContainerListing scan_containers(const StateStore& store) {
    ContainerListing listing;
    for (const auto& id : store.list()) {
        auto state = store.load(id);
        if (state) {
            listing.containers.push_back({*state, store.status(*state)});
            continue;
        }
        clean_abandoned(store, id);
        // A state younger than that may be one a creator is still writing.
        if (state.error().kind() == Error::Kind::Damaged &&
            older_than(store.directory(id), std::chrono::seconds(2)))
            listing.damaged.push_back(std::move(state).error());
    }
    return listing;
}

std::vector<ContainerView> list_containers(const StateStore& store) {
    return scan_containers(store).containers;
}

Result<ContainerView> find_container(const StateStore& store, const std::string& reference) {
    if (reference.empty())
        return Error::message("no container given");
    if (store.exists(reference)) {
        auto state = store.load(reference);
        if (state)
            return ContainerView{*state, store.status(*state)};
        clean_abandoned(store, reference);
        if (store.exists(reference))
            return std::move(state).error();  // "state of container ID is damaged"
        return Error::message(fmt::format(
            "container {} was half-created by a killed twinbox; removed its remains", reference));
    }
    std::vector<ContainerView> matches;
    for (auto& view : list_containers(store)) {
        if (view.state.name == reference)
            return view;
        if (view.state.id.starts_with(reference))
            matches.push_back(view);
    }
    if (matches.size() == 1)
        return matches.front();
    if (matches.size() > 1)
        return Error::message(fmt::format("{} matches {} containers; give more of the id",
                                          reference, matches.size()));
    return Error::message(fmt::format("no such container: {}", reference))
        .with_hint("see 'twinbox ps -a'");
}

std::string describe_status(const ContainerView& container) {
    switch (container.status) {
        case Status::Creating:
            return "Creating";
        case Status::Created:
            return "Created";
        case Status::Running:
            return "Up";
        case Status::Paused:
            return "Up (Paused)";
        case Status::Stopped:
            if (!container.state.exit_code)
                return "Exited (unknown)";
            return fmt::format("Exited ({}){}", *container.state.exit_code,
                               container.state.oom_killed ? " OOMKilled" : "");
    }
    return "?";
}

Result<void> stop_container(const StateStore& store, const ContainerView& container,
                            std::chrono::seconds timeout) {
    if (container.status == Status::Stopped)
        return ok();
    const ContainerState& state = container.state;
    auto dead = [&] { return process_start_time(state.pid) != state.pid_start_time; };
    if (container.status == Status::Paused)
        TRY(pause_container(store, state.id, false));
    ::kill(state.pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!dead() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!dead()) {
        // PID 1 ignores signals it has no handler for (a shell ignores
        // SIGTERM): after the grace period, SIGKILL every process.
        (void)kill_container(store, state.id, SIGKILL, true);
        auto kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!dead() && std::chrono::steady_clock::now() < kill_deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!dead())
            return Error::message(fmt::format("container {} did not stop after SIGKILL", state.id));
    }
    // Give the supervisor a moment to record the exit status.
    for (int attempt = 0; attempt < 200 && process_alive(state.supervisor_pid); ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return ok();
}

Result<void> remove_damaged_container(const StateStore& store, const std::string& id) {
    if (!store.is_damaged(id))
        return Error::message(fmt::format("container {} is not damaged", id));
    // Its state is unreadable, so its processes are found the way the
    // engine named them: in /twinbox/ID, the cgroup the engine made for it.
    log::warn("removing container {} whose state is damaged, with its processes", id);
    release_container_network(id);
    return force_cleanup(store, remains_of(id));
}

Result<void> remove_container(const StateStore& store, const ContainerView& container, bool force) {
    if ((container.status == Status::Running || container.status == Status::Paused) && !force)
        return Error::message(
                   fmt::format("cannot remove container {}: it is running", container.state.name))
            .with_hint("stop it first, or use 'twinbox rm -f'");
    release_container_network(container.state.id);
    return force_cleanup(store, container.state);
}

}  // namespace twinbox::container
