// exec_in_vm: run a command in a running VM through its guest agent
// (`twinbox vm exec`, and `twinbox exec` on a VM). See protocol.h for the
// frames and agent_channel.h for the VMM's end.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox {

struct VmExecRequest {
    std::vector<std::string> argv;  // the first is looked up on the PATH of the guest's env
    std::vector<std::string> env;   // KEY=VALUE, added to (or replacing) the workload's
    std::string user;               // UID[:GID] or a name in the guest's /etc/passwd; "": root
    std::string workdir;            // "": /
    bool tty = false;               // a pseudo-terminal in the guest (stdout and stderr merged)
    int stdin_fd = -1;              // -1: the command's stdin is empty
    int stdout_fd = 1;
    int stderr_fd = 2;
};

// Connects to `vm_run_dir`/agent.sock, runs the command and relays its stdio
// until it ends; returns its exit status (128+N for signal N, 126/127 when
// it cannot be started, as Docker's exec). Everything the VMM relays from the
// guest is checked (frame types, lengths). An error: no agent channel, the
// channel is busy (one exec at a time), or the VM ended mid-command.
Result<int> exec_in_vm(const std::filesystem::path& vm_run_dir, const VmExecRequest& request);

}  // namespace twinbox
