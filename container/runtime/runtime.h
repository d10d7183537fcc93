// The container runtime: the OCI lifecycle (runtime.md "Lifecycle") over a
// state store. Both front ends use it: `twinbox-oci` (one call per runc
// command) and `twinbox run` (create + start + wait in one process).
//
//   create  namespaces, cgroup, root file system; the first process waits
//           on exec.fifo with everything set up but the user's program
//   start   opens exec.fifo: the first process runs the program
//   kill    a signal to the first process (or to every process: --all)
//   delete  the cgroup, the state, the poststop hooks
//   exec    another process in a running container's namespaces and cgroup
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/exit_codes.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "container/mounts/rootfs.h"
#include "container/oci/spec.h"
#include "container/runtime/state.h"

namespace twinbox::container {

struct CreateOptions {
    std::string id;
    oci::Spec spec;
    std::string bundle;  // absolute; "" for `twinbox run`
    std::string rootfs;  // absolute path of the root (the overlay's mount point for layers)
    RootfsLayers layers;
    std::string state_root;
    std::string pid_file;        // OCI --pid-file
    std::string console_socket;  // OCI --console-socket
    bool reaping_init = false;   // --init: PID 1 is a tiny init that reaps and forwards signals
    ContainerState extras;       // front-end fields (name, command, storage_dir...) to store
};

struct CreatedContainer {
    ContainerState state;
    // Our end of the handshake with the first process: it reports whether
    // the program could be executed (see wait_for_exec).
    UniqueFd sync;
    // The pty master when process.terminal is set and no console socket was given.
    UniqueFd console_master;
};

// An error's exit_status() is the status to report: 127 when the program is
// not found, 126 when it cannot be executed, else 125.
Result<CreatedContainer> create_container(const CreateOptions& options);
Result<void> start_container(const StateStore& store, const std::string& id);

// After start, for a caller that holds `sync`: waits until the program has
// been executed (the socket closes on execve) or failed (an error whose
// exit_status() is 126/127, or 125).
Result<void> wait_for_exec(int sync_fd);

Result<void> kill_container(const StateStore& store, const std::string& id, int signal, bool all);
Result<void> delete_container(const StateStore& store, const std::string& id, bool force);
Result<void> pause_container(const StateStore& store, const std::string& id, bool pause);

struct ExecOptions {
    std::string id;
    oci::Process process;
    std::string pid_file;
    std::string console_socket;
    bool detach = false;
};

struct ExecutedProcess {
    pid_t pid = 0;
    UniqueFd console_master;  // process.terminal without a console socket
};

// Starts `process` in the container. The caller waits for the returned pid
// (it is our child) unless it detaches. An error's exit_status() is 126/127
// when the program could not be executed.
Result<ExecutedProcess> exec_in_container(const StateStore& store, const ExecOptions& options);

// waitpid(2) status -> Docker's exit status (128 + N for a signal).
int exit_status_of(int wait_status);

// Kills every process of a container whose state is left over (a
// SIGKILLed supervisor), waits for them, and removes cgroup and state.
Result<void> force_cleanup(const StateStore& store, const ContainerState& state);

}  // namespace twinbox::container
