// `twinbox exec`: a command in a running container, with Docker's flags.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "common/file.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "container/engine/engine.h"
#include "container/engine/terminal.h"

namespace twinbox::container {

namespace {

Result<oci::Process> exec_process(const StateStore& store, const ContainerView& container,
                                  const ExecFlags& flags) {
    auto bytes = TRY(read_whole_file(store.directory(container.state.id) + "/config.json",
                                     "config.json", 16 << 20));
    oci::Spec spec = TRY(oci::parse_spec(std::string(bytes.begin(), bytes.end())));
    // Start from the container's own process: its environment, user,
    // capabilities and limits, as docker exec does.
    oci::Process process = spec.process.value_or(oci::Process{});
    process.args = flags.command;
    process.terminal = flags.tty;
    for (const auto& entry : flags.env) {
        std::string key = entry.substr(0, entry.find('='));
        std::erase_if(process.env,
                      [&](const std::string& existing) { return existing.starts_with(key + "="); });
        process.env.push_back(entry);
    }
    if (!flags.workdir.empty())
        process.cwd = flags.workdir;
    if (!flags.user.empty()) {
        // Names resolve in the container's own /etc/passwd, reached through /proc/PID/root.
        RunFlags user_flags;
        user_flags.user = flags.user;
        auto root = fmt::format("/proc/{}/root", container.state.pid);
        auto user_spec = TRY(spec_from_run_flags(user_flags, container.state.id, root));
        process.user = user_spec.process->user;
    }
    return process;
}

}  // namespace

Result<int> exec_container(const StateStore& store, const ContainerView& container,
                           const ExecFlags& flags) {
    if (flags.command.empty())
        return Error::message("exec: no command given");
    auto process = TRY(exec_process(store, container, flags));
    if (!flags.interactive && !flags.tty) {
        UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ::dup2(null.get(), STDIN_FILENO);
    }
    ExecOptions options;
    options.id = container.state.id;
    options.process = std::move(process);
    options.detach = flags.detach;
    auto executed = TRY(exec_in_container(store, options));
    if (flags.detach)
        return 0;
    if (executed.console_master) {
        std::optional<RawTerminal> raw;
        // Raw mode on our terminal: the container's pty already did the line
        // discipline's work (echo, \n -> \r\n); ours must not do it twice.
        int terminal = ::isatty(STDIN_FILENO)    ? STDIN_FILENO
                       : ::isatty(STDOUT_FILENO) ? STDOUT_FILENO
                                                 : -1;
        if (terminal >= 0)
            if (auto entered = RawTerminal::enter(terminal))
                raw.emplace(std::move(*entered));
        relay_terminal(executed.console_master.get(), flags.interactive ? STDIN_FILENO : -1,
                       STDOUT_FILENO);
    }
    int status = 0;
    while (::waitpid(executed.pid, &status, 0) < 0 && errno == EINTR) {
    }
    return exit_status_of(status);
}

}  // namespace twinbox::container
