// `twinbox exec` into a VM: the guest agent runs the command (over agent.sock
// in the VM's run directory, next to control.sock; vmm/agent/exec_client.h,
// docs/tools.md "Agent channel and vm exec").
#include <unistd.h>

#include "vmm/agent/exec_client.h"
#include "workload/vm_backend.h"

namespace twinbox::workload {

Result<int> exec_in_vm_workload(const std::filesystem::path& vm_run_dir,
                                const ExecRequest& request) {
    VmExecRequest exec;
    exec.argv = request.command;
    exec.env = request.env;
    exec.user = request.user;
    exec.workdir = request.workdir;
    exec.tty = request.tty;
    // As `docker exec`: stdin reaches the command only with -i.
    exec.stdin_fd = request.interactive ? STDIN_FILENO : -1;
    exec.stdout_fd = STDOUT_FILENO;
    exec.stderr_fd = STDERR_FILENO;
    return exec_in_vm(vm_run_dir, exec);
}

}  // namespace twinbox::workload
