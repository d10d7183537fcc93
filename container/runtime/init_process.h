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

// The steps before the program that can fail (rlimits, oom_score_adj,
// terminal, no_new_privs, seccomp unless no_new_privs, user, capabilities);
// an error is reported over `sync_fd` and ends the process.
void prepare_process(const SeccompProgram* seccomp, const oci::Process& process, int sync_fd,
                     int terminal_slave, bool report_to_stderr);
// The last steps: the program's path, seccomp under no_new_privs, execve.
// `reaping_init` forks first and stays as PID 1 (reaping_init.cpp).
[[noreturn]] void exec_program(const SeccompProgram* seccomp, const oci::Process& process,
                               int sync_fd, bool reaping_init, bool report_to_stderr);

// Shared with exec: prepare_process, then exec_program.
[[noreturn]] void finish_and_exec(const SeccompProgram* seccomp, const oci::Process& process,
                                  int sync_fd, int terminal_slave, bool reaping_init,
                                  bool report_to_stderr);

// Finds args[0] the way execvp(3) would, in the container's PATH.
Result<std::string> find_executable(const oci::Process& process, int* exit_status);

// --init: forks the program, then reaps every child and forwards signals
// until the program exits, and exits with its status.
[[noreturn]] void run_reaping_init(const std::string& path, char* const argv[], char* const envp[],
                                   int sync_fd);

}  // namespace twinbox::container
