// run_captured(): fork, exec, and poll both pipes until the program exits (see subprocess.h).
#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/exit_codes.h"
#include "common/unique_fd.h"

namespace twinbox {

namespace {

using Clock = std::chrono::steady_clock;

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return Error::from_errno("pipe2", "capturing a program's output");
    return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

Result<Captured> run_captured(const std::vector<std::string>& argv,
                              std::chrono::milliseconds deadline, size_t max_output) {
    if (argv.empty())
        return Error::message("run_captured: no program given");
    auto out_pipe = TRY(make_pipe());
    auto err_pipe = TRY(make_pipe());
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    auto start = Clock::now();
    pid_t child = ::fork();
    if (child < 0)
        return Error::from_errno("fork", argv[0]);
    if (child == 0) {
        // Only async-signal-safe calls between fork and exec.
        int null = ::open("/dev/null", O_RDONLY);
        if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out_pipe.second.get(), 1) < 0 ||
            ::dup2(err_pipe.second.get(), 2) < 0)
            ::_exit(exit_code::kTwinboxError);
        ::execv(args[0], args.data());
        ::_exit(errno == ENOENT ? exit_code::kNotFound : exit_code::kNotExecutable);
    }
    out_pipe.second.reset();
    err_pipe.second.reset();

    Captured result;
    pollfd fds[2] = {{out_pipe.first.get(), POLLIN, 0}, {err_pipe.first.get(), POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_streams = 2;
    bool terminated = false;
    while (open_streams > 0) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(start + deadline - Clock::now());
        if (left.count() <= 0) {
            // Too slow: ask, then insist; the pipes close when it is gone.
            if (!terminated) {
                ::kill(child, SIGTERM);
                terminated = true;
                result.timed_out = true;
                deadline += std::chrono::seconds(5);
                continue;
            }
            ::kill(child, SIGKILL);
            break;
        }
        int ready = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
        if (ready < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[16384];
            ssize_t got = ::read(fds[i].fd, buffer, sizeof(buffer));
            if (got > 0) {
                size_t room = max_output - std::min(max_output, sinks[i]->size());
                sinks[i]->append(buffer, std::min(room, static_cast<size_t>(got)));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                fds[i].fd = -1;
                --open_streams;
            }
        }
    }
    int wait_status = 0;
    while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    result.exit_status = exit_code::of_wait_status(wait_status);
    return result;
}

}  // namespace twinbox
