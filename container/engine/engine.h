// The Docker-style engine behind `twinbox run/ps/stop/kill/rm/exec/logs/
// inspect/stats`: names, a supervisor for detached containers, exit
// statuses recorded in the state, and cleanup of what a killed twinbox
// left behind. It drives the same runtime (container/runtime) as twinbox-oci.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "container/engine/paths.h"
#include "container/engine/run_spec.h"
#include "container/runtime/runtime.h"
#include "container/runtime/state.h"

namespace twinbox::container {

// `twinbox run`: returns the program's exit status (0 after printing the id
// for -d), or an error whose exit_status() is 126/127 when the program could
// not be executed, else 125.
Result<int> run_container(const RunFlags& flags);

struct ContainerView {
    ContainerState state;
    Status status = Status::Stopped;
};

// A container by id, unique id prefix, or name.
Result<ContainerView> find_container(const StateStore& store, const std::string& reference);
// Every container; removes half-created leftovers of a killed twinbox on the way.
std::vector<ContainerView> list_containers(const StateStore& store);

// The same, plus one error (kind Damaged) for each container whose state
// cannot be read, for `ps` to name: each state.json is read once.
struct ContainerListing {
    std::vector<ContainerView> containers;
    std::vector<Error> damaged;
};
ContainerListing scan_containers(const StateStore& store);

// docker start: a stopped container made by `twinbox run` again, detached
// under a new supervisor, with the same spec and its storage (start.cpp).
// Returns true when it started it, false when it was already running.
Result<bool> start_stopped_container(const StateStore& store, const std::string& id);

// SIGTERM, then SIGKILL after `timeout` (docker stop -t).
Result<void> stop_container(const StateStore& store, const ContainerView& container,
                            std::chrono::seconds timeout);
// docker rm [-f].
Result<void> remove_container(const StateStore& store, const ContainerView& container, bool force);
// rm -f of a container whose state is damaged (StateStore::is_damaged): kills
// what is in its cgroup and removes its storage and state.
Result<void> remove_damaged_container(const StateStore& store, const std::string& id);

// `twinbox exec`: returns the command's exit status; an error's
// exit_status() is 126/127 when it could not be executed.
struct ExecFlags {
    std::vector<std::string> command;
    bool interactive = false, tty = false, detach = false;
    std::vector<std::string> env;
    std::string workdir, user;
};
Result<int> exec_container(const StateStore& store, const ContainerView& container,
                           const ExecFlags& flags);

// "Up 3 seconds", "Exited (0) 2 minutes ago", "Created".
std::string describe_status(const ContainerView& container);

}  // namespace twinbox::container
