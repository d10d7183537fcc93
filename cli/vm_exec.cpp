// twinbox vm exec [-i] [-t] [-e K=V] [-u USER] [-w DIR] NAME [--] CMD...:
// run a command in a running VM through its guest agent (vmm/agent/exec_client.h;
// docs/tools.md, "Agent channel and vm exec"). The low-level twin of
// `twinbox exec`, as `vm run` is of `run --isolation vm`.
#include <fmt/core.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/log.h"
#include "vmm/agent/exec_client.h"
#include "vmm/control/registry.h"
#include "vmm/machine/console.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::cli {

namespace {

struct VmExecFlags {
    bool interactive = false;
    bool tty = false;
    std::vector<std::string> env;
    std::string user, workdir;
};

Result<int> vm_exec(const VmExecFlags& flags, std::vector<std::string> rest) {
    if (!rest.empty() && rest.front() == "--")
        rest.erase(rest.begin());
    if (rest.size() < 2)
        return Error::message("vm exec: give a VM name and a command")
            .with_hint("twinbox vm exec NAME -- CMD [ARG...]");
    std::string name = rest.front();
    rest.erase(rest.begin());
    if (!rest.empty() && rest.front() == "--")
        rest.erase(rest.begin());
    if (rest.empty())
        return Error::message("vm exec: give a command to run");
    auto registry = VmRegistry::open_default();
    TRY(registry.find(name));
    VmExecRequest request;
    request.argv = std::move(rest);
    request.env = flags.env;
    request.user = flags.user;
    request.workdir = flags.workdir;
    request.tty = flags.tty;
    request.stdin_fd = flags.interactive ? STDIN_FILENO : -1;
    // -it on a terminal: keys go to the guest's pseudo-terminal as they are typed.
    std::unique_ptr<RawTerminal> raw;
    if (flags.tty && flags.interactive && ::isatty(STDIN_FILENO))
        raw = TRY(RawTerminal::enter(STDIN_FILENO));
    return exec_in_vm(registry.directory(name), request)
        .with_context(fmt::format("exec in VM {}", name));
}

}  // namespace

void register_vm_exec(CLI::App& vm, int& exit_code) {
    auto flags = std::make_shared<VmExecFlags>();
    CLI::App* exec =
        vm.add_subcommand("exec", "Run a command in a running VM through its guest agent");
    exec->footer(
        "Example: twinbox vm exec -i web -- sh -c 'cat > /tmp/x'\n"
        "Only VMs started by 'twinbox run --isolation vm' run the guest agent; one exec at a time.\nExit status: the command's (128+N for signal N; 126, 127 when it cannot start); 125 for a twinbox error.");
    exec->prefix_command();
    exec->add_flag("-i,--interactive", flags->interactive, "pass stdin to the command");
    exec->add_flag("-t,--tty", flags->tty, "a pseudo-terminal in the guest");
    exec->add_option("-e,--env", flags->env, "set an environment variable KEY=VALUE")
        ->allow_extra_args(false);
    exec->add_option("-w,--workdir", flags->workdir, "working directory in the guest");
    exec->add_option("-u,--user", flags->user, "UID[:GID] or a user name of the guest");
    exec->callback([flags, exec, &exit_code] {
        auto status = vm_exec(*flags, exec->remaining());
        if (!status) {
            log::error("{}", status.error().to_string());
            exit_code = exit_code::kTwinboxError;
            return;
        }
        exit_code = *status;
    });
}

}  // namespace twinbox::cli
