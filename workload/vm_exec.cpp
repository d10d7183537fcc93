// `twinbox exec` into a VM: the guest agent runs the command (over agent.sock
// in the VM's run directory, next to control.sock). The client lives in
// vmm/agent/exec_client.h; a build without it says so in one line.
#include <unistd.h>

#include "workload/vm_backend.h"

#if __has_include("vmm/agent/exec_client.h")
#include "vmm/agent/exec_client.h"
#define TWINBOX_HAVE_VM_EXEC 1
#endif

namespace twinbox::workload {

Result<int> exec_in_vm_workload(const std::filesystem::path& vm_run_dir,
                                const ExecRequest& request) {
#ifdef TWINBOX_HAVE_VM_EXEC
    VmExecRequest exec;
    exec.argv = request.command;
    exec.env = request.env;
    exec.user = request.user;
    exec.workdir = request.workdir;
    exec.tty = request.tty;
    exec.stdin_fd = request.interactive ? STDIN_FILENO : -1;
    exec.stdout_fd = STDOUT_FILENO;
    exec.stderr_fd = STDERR_FILENO;
    return exec_in_vm(vm_run_dir, exec);
#else
    (void)vm_run_dir;
    (void)request;
    return Error::message("exec into a VM needs the guest agent channel")
        .with_hint("this build has no vmm/agent/exec_client.h");
#endif
}

}  // namespace twinbox::workload
