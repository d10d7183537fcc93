// twinbox exec: run a command in a running container (docker exec), or in a
// running VM through its guest agent (workload/vm_backend.h).
#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/report.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_exec(CLI::App& app, int& exit_code) {
    auto flags = std::make_shared<container::ExecFlags>();
    auto reference = std::make_shared<std::string>();
    CLI::App* exec = app.add_subcommand("exec", "Run a command in a running container or VM");
    exec->footer(
        "Example: twinbox exec -it web sh\nExit status: the command's; 125, 126, 127 as for run.");
    exec->prefix_command();
    exec->add_flag("-i,--interactive", flags->interactive, "keep stdin open");
    exec->add_flag("-t,--tty", flags->tty, "allocate a terminal");
    exec->add_flag("-d,--detach", flags->detach, "do not wait for the command");
    exec->add_option("-e,--env", flags->env, "set an environment variable KEY=VALUE")
        ->allow_extra_args(false);
    exec->add_option("-w,--workdir", flags->workdir, "working directory");
    exec->add_option("-u,--user", flags->user, "UID[:GID] or NAME[:GROUP]");
    exec->callback([flags, exec, &exit_code] {
        auto rest = exec->remaining();
        if (rest.empty()) {
            exit_code = report(Error::message("exec: give a container and a command"));
            return;
        }
        auto found = workload::find_workload(rest.front());
        if (!found) {
            exit_code = report(found.error());
            return;
        }
        flags->command.assign(rest.begin() + 1, rest.end());
        exit_code = report_or_status(found->backend->exec(found->info, *flags));
    });
}

}  // namespace twinbox::cli
