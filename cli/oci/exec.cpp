// twinbox-oci exec: another process in a running container, described by a
// process.json (--process, what containerd's shim passes) or by arguments.
#include <fmt/core.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "cli/oci/oci_cli.h"
#include "common/default_path.h"
#include "common/file.h"

namespace twinbox::oci_cli {

namespace {

// The process object is parsed by wrapping it in a minimal config.json, so
// that it is checked by exactly the same rules as a bundle's process.
Result<oci::Process> load_process(const std::string& path) {
    auto bytes = TRY(read_whole_file(path, "--process", 4 << 20));
    nlohmann::json process = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (process.is_discarded() || !process.is_object())
        return Error::message(fmt::format("--process {} is not a JSON object", path));
    nlohmann::json config = {
        {"ociVersion", oci::kOciVersion}, {"root", {{"path", "rootfs"}}}, {"process", process}};
    auto spec = TRY(oci::parse_spec(config.dump()).with_context(fmt::format("--process {}", path)));
    return *spec.process;
}

}  // namespace

void register_exec(CLI::App& app, int& exit_code) {
    struct Options {
        std::string id, process_file, pid_file, console_socket, cwd;
        std::vector<std::string> args, env;
        bool detach = false, tty = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("exec", "Run a process in a running container");
    command->add_option("-p,--process", options->process_file,
                        "process.json describing the process");
    command->add_option("--pid-file", options->pid_file, "write the process's PID here");
    command->add_option("--console-socket", options->console_socket,
                        "AF_UNIX socket for the pty master");
    command->add_flag("-d,--detach", options->detach, "do not wait for the process");
    command->add_flag("-t,--tty", options->tty, "allocate a terminal (with --console-socket)");
    command->add_option("--cwd", options->cwd, "working directory");
    command->add_option("-e,--env", options->env, "environment variable KEY=VALUE");
    command->add_option("container-id", options->id, "container id")->required();
    command->add_option("command", options->args, "command and arguments (without --process)");
    command->callback([options, &exit_code] {
        container::ExecOptions exec;
        exec.id = options->id;
        exec.pid_file = options->pid_file;
        exec.console_socket = options->console_socket;
        exec.detach = options->detach;
        if (!options->process_file.empty()) {
            auto process = load_process(options->process_file);
            if (!process) {
                exit_code = fail(process.error());
                return;
            }
            exec.process = std::move(*process);
        } else {
            exec.process.args = options->args;
            exec.process.env = options->env;
            exec.process.terminal = options->tty;
            exec.process.env.push_back(kDefaultPathEnv);
            if (!options->cwd.empty())
                exec.process.cwd = options->cwd;
        }
        auto executed = container::exec_in_container(state_store(), exec);
        if (!executed) {
            exit_code = fail(executed.error());
            // runc exits 1 for its own failures, but passes 126/127 through.
            if (executed.error().exit_status() != exit_code::kTwinboxError)
                exit_code = executed.error().exit_status();
            return;
        }
        if (options->detach) {
            exit_code = 0;
            return;
        }
        int status = 0;
        while (::waitpid(executed->pid, &status, 0) < 0 && errno == EINTR) {
        }
        exit_code = container::exit_status_of(status);
    });
}

}  // namespace twinbox::oci_cli
