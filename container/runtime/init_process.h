// The container's first process, from its birth in clone3(2) to execve(2)
// of the user's program. Runs only in the child; never returns.
#pragma once

#include <string>
#include <vector>

#include "container/mounts/rootfs.h"
#include "container/runtime/runtime.h"
#include "container/security/seccomp.h"

namespace twinbox::container {

struct InitContext {
    const CreateOptions* options = nullptr;
    int sync_fd = -1;  // our end of the SyncSocket
    int fifo_fd = -1;  // O_PATH descriptor of exec.fifo; -1 for exec
    CgroupMountSource cgroups;
    const SeccompProgram* seccomp = nullptr;  // compiled by the parent; null: none
};

[[noreturn]] void run_init_process(const InitContext& context);

// The first steps after the parent's "go": a new cgroup namespace, the
// namespaces to join, and root of a new user namespace.
Result<void> enter_namespaces(Syscalls& sys, const oci::Linux& linux_spec);

// The steps before the program that can fail (rlimits, oom_score_adj,
// terminal, working directory, the program's path, no_new_privs, seccomp
// unless no_new_privs, bounding set, user, capabilities), in runc's order.
Result<void> prepare_process_steps(Syscalls& sys, const SeccompProgram* seccomp,
                                   const oci::Process& process, int terminal_slave);
// The same, with an error reported over `sync_fd`, ending the process.
void prepare_process(const SeccompProgram* seccomp, const oci::Process& process, int sync_fd,
                     int terminal_slave, bool report_to_stderr);

// The last steps: the program's path, seccomp under no_new_privs, execve.
// `reaping_init` forks first and stays as PID 1 (reaping_init.cpp). Returns
// only what went wrong (execve does not return when it works).
Result<void> exec_program_steps(Syscalls& sys, const SeccompProgram* seccomp,
                                const oci::Process& process, bool reaping_init, int sync_fd);
[[noreturn]] void exec_program(const SeccompProgram* seccomp, const oci::Process& process,
                               int sync_fd, bool reaping_init, bool report_to_stderr);

// Shared with exec: prepare_process, then exec_program.
[[noreturn]] void finish_and_exec(const SeccompProgram* seccomp, const oci::Process& process,
                                  int sync_fd, int terminal_slave, bool reaping_init,
                                  bool report_to_stderr);

// Finds args[0] the way execvp(3) would, in the container's PATH. An
// error's exit_status() is 127 (not found) or 126 (not executable).
Result<std::string> find_executable(const oci::Process& process);

// --init: forks the program, then reaps every child and forwards signals
// until the program exits, and exits with its status.
[[noreturn]] void run_reaping_init(const std::string& path, char* const argv[], char* const envp[],
                                   int sync_fd);

}  // namespace twinbox::container
