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

// `twinbox run`: returns the exit status (the program's, 125/126/127, or
// 0 after printing the id for -d). Errors are printed here.
int run_container(const RunFlags& flags);

struct ContainerView {
    ContainerState state;
    Status status = Status::Stopped;
};

// A container by id, unique id prefix, or name.
Result<ContainerView> find_container(const StateStore& store, const std::string& reference);
// Every container; removes half-created leftovers of a killed twinbox on the way.
std::vector<ContainerView> list_containers(const StateStore& store);

// SIGTERM, then SIGKILL after `timeout` (docker stop -t).
Result<void> stop_container(const StateStore& store, const ContainerView& container,
                            std::chrono::seconds timeout);
// docker rm [-f].
Result<void> remove_container(const StateStore& store, const ContainerView& container, bool force);
// rm -f of a container whose state is damaged (StateStore::is_damaged): kills
// what is in its cgroup and removes its storage and state.
Result<void> remove_damaged_container(const StateStore& store, const std::string& id);

// `twinbox exec`: returns the exit status; errors are printed here.
struct ExecFlags {
    std::vector<std::string> command;
    bool interactive = false, tty = false, detach = false;
    std::vector<std::string> env;
    std::string workdir, user;
};
int exec_container(const StateStore& store, const ContainerView& container, const ExecFlags& flags);

// "Up 3 seconds", "Exited (0) 2 minutes ago", "Created".
std::string describe_status(const ContainerView& container);

}  // namespace twinbox::container
