// Running OCI hooks: fork, state JSON on a pipe to stdin, execve, wait with a timeout.
#include "container/runtime/hooks.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/log.h"
#include "common/unique_fd.h"

namespace twinbox::container {

namespace {

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (auto& text : strings) result.push_back(text.data());
    result.push_back(nullptr);
    return result;
}

Result<void> run_hook(const oci::Hook& hook, const std::string& state_json, const char* stage) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) < 0)
        return Error::from_errno("pipe2", "hook stdin");
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    std::vector<std::string> args =
        hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    std::vector<std::string> env = hook.env;
    auto argv = pointers(args);
    auto envp = pointers(env);
    pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_errno("fork", fmt::format("{} hook {}", stage, hook.path));
    if (pid == 0) {
        ::dup2(read_end.get(), STDIN_FILENO);
        ::execve(hook.path.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    read_end.reset();
    // The state is small (under the pipe's 64 KiB buffer), so this never blocks
    // for long; a hook that does not read it just gets EPIPE here, ignored.
    ::signal(SIGPIPE, SIG_IGN);
    (void)!::write(write_end.get(), state_json.data(), state_json.size());
    write_end.reset();
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(hook.timeout.value_or(3600));
    int status = 0;
    for (;;) {
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR)
            return Error::from_errno("waitpid", fmt::format("{} hook {}", stage, hook.path));
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return Error::message(fmt::format("{} hook {} timed out after {} s", stage, hook.path,
                                              hook.timeout.value_or(3600)));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return ok();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return Error::message(fmt::format("{} hook {} could not be run (missing or not executable)",
                                          stage, hook.path));
    return Error::message(fmt::format("{} hook {} failed with {} {}", stage, hook.path,
                                      WIFEXITED(status) ? "status" : "signal",
                                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)));
}

}  // namespace

Result<void> run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                       const char* stage) {
    // config.md "Poststart"/"Poststop": a failing hook there only earns a
    // warning, and the remaining hooks still run. Everywhere else the first
    // failure stops the list and the operation.
    std::string_view name = stage;
    bool warn_only = name == "poststart" || name == "poststop";
    for (const auto& hook : hooks) {
        auto done = run_hook(hook, state_json, stage);
        if (!done && !warn_only)
            return done;
        if (!done)
            log::warn("{}", done.error().to_string());
    }
    return ok();
}

}  // namespace twinbox::container
