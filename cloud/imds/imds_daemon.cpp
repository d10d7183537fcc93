#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <sstream>

#include "cloud/imds/imds.h"
#include "cloud/imds/imds_server.h"
#include "cloud/instance_store.h"
#include "common/file.h"
#include "common/file_lock.h"
#include "common/twinbox_root.h"
#include "common/unique_fd.h"
#include "host/network/endpoint.h"
#include "host/network/links.h"
#include "host/network/network.h"

namespace twinbox::cloud {

namespace {

struct ImdsPaths {
    std::string dir = twinbox_run_root() + "/imds";
    std::string lock() const { return dir + "/lock"; }
    std::string pidfile() const { return dir + "/imds.pid"; }
    std::string bridges() const { return dir + "/bridges"; }
    std::string log() const { return dir + "/imds.log"; }
};

Result<FileLock> lock_imds(const ImdsPaths& paths) {
    TRY(network::make_directories(paths.dir));
    return FileLock::acquire(paths.lock());
}

// The pid in the pidfile when that process is alive and is a metadata server
// (its command line says "cloud imds"), so a reused pid is not taken for it.
std::optional<pid_t> live_server(const ImdsPaths& paths) {
    auto text = read_text_file(paths.pidfile(), "imds pidfile", 64);
    if (!text)
        return std::nullopt;
    long pid = std::strtol(text->c_str(), nullptr, 10);
    if (pid <= 1 || pid > INT_MAX)
        return std::nullopt;
    auto cmdline = read_text_file(fmt::format("/proc/{}/cmdline", pid), "cmdline", 1 << 16);
    if (!cmdline || cmdline->find(std::string("cloud\0imds", 10)) == std::string::npos)
        return std::nullopt;
    return static_cast<pid_t>(pid);
}

std::vector<std::string> read_bridges(const ImdsPaths& paths) {
    std::vector<std::string> bridges;
    auto text = read_text_file(paths.bridges(), "imds bridges", 1 << 16);
    if (!text)
        return bridges;
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty())
            bridges.push_back(line);
    return bridges;
}

// The bridge of `network`, materialized (it may not exist yet after a reboot).
Result<std::string> network_bridge(const std::string& network) {
    auto paths = network::network_paths();
    auto lock = TRY(network::lock_networks(paths));
    auto config = TRY(network::load_or_make_default(paths, network::resolve_network_name(network)));
    TRY(network::materialize(config));
    return config.bridge;
}

Result<void> add_address(const ImdsPaths& paths, const std::string& bridge) {
    auto address = TRY(network::parse_ipv4(kImdsAddress));
    auto socket = TRY(network::RouteSocket::open());
    TRY(socket.add_host_address(bridge, address));
    auto bridges = read_bridges(paths);
    if (std::find(bridges.begin(), bridges.end(), bridge) != bridges.end())
        return ok();
    bridges.push_back(bridge);
    std::string text;
    for (const auto& name : bridges) text += name + "\n";
    return write_file_atomically(paths.bridges(), text, false, 0600);
}

Result<void> remove_addresses(const ImdsPaths& paths) {
    auto address = TRY(network::parse_ipv4(kImdsAddress));
    auto socket = TRY(network::RouteSocket::open());
    for (const auto& bridge : read_bridges(paths)) TRY(socket.delete_address(bridge, address, 32));
    ::unlink(paths.bridges().c_str());
    return ok();
}

// Waits up to `timeout` for `pid` to end (it is not our child: a pidfd
// tells, pidfd_open(2), Linux 5.3).
bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd)
        return errno == ESRCH;
    pollfd wait{pidfd.get(), POLLIN, 0};
    return ::poll(&wait, 1, static_cast<int>(timeout.count())) == 1;
}

Result<void> stop_server(const ImdsPaths& paths) {
    if (auto pid = live_server(paths)) {
        ::kill(*pid, SIGTERM);
        if (!wait_for_exit(*pid, std::chrono::seconds(5))) {
            ::kill(*pid, SIGKILL);
            if (!wait_for_exit(*pid, std::chrono::seconds(2)))
                return Error::message(
                    fmt::format("the metadata server (pid {}) does not stop", *pid));
        }
    }
    ::unlink(paths.pidfile().c_str());
    return ok();
}

// Reads the server's first line on the ready pipe: "ready PID" or its error.
Result<pid_t> await_ready(int fd, const ImdsPaths& paths) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buffer[512];
    while (line.find('\n') == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd wait{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&wait, 1, static_cast<int>(left.count())) != 1)
            return Error::message("the metadata server did not start within 10 s")
                .with_hint("see " + paths.log());
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        line.append(buffer, static_cast<size_t>(got));
    }
    if (line.rfind("ready ", 0) == 0)
        return static_cast<pid_t>(std::strtol(line.c_str() + 6, nullptr, 10));
    while (!line.empty() && line.back() == '\n') line.pop_back();
    return Error::message(fmt::format("the metadata server did not start: {}",
                                      line.empty() ? "it exited" : line))
        .with_hint("see " + paths.log());
}

// `twinbox cloud imds --ready-fd 3` as a daemon: its own session (setsid,
// then a second fork so it can never get a controlling terminal), stdio on
// the log, no inherited descriptors but the ready pipe.
Result<pid_t> start_server(const ImdsPaths& paths) {
    char exe[PATH_MAX];
    ssize_t size = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (size <= 0)
        return Error::from_errno("readlink", "/proc/self/exe");
    exe[size] = '\0';
    UniqueFd log(::open(paths.log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!log || !null)
        return Error::from_errno("open", paths.log());
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        return Error::from_errno("pipe2", "imds ready pipe");
    UniqueFd ready_read(pipe_fds[0]), ready_write(pipe_fds[1]);
    const char* argv[] = {exe, "cloud", "imds", "--ready-fd", "3", nullptr};
    // The daemon runs in "/", so a relative TWINBOX_ROOT is made absolute.
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry)
        if (std::string_view(*entry).rfind("TWINBOX_ROOT=", 0) != 0)
            environment.emplace_back(*entry);
    if (const char* root = std::getenv("TWINBOX_ROOT"); root != nullptr && *root != '\0') {
        std::error_code error;
        environment.push_back("TWINBOX_ROOT=" + std::filesystem::absolute(root, error).string());
    }
    std::vector<char*> envp;
    for (auto& entry : environment) envp.push_back(entry.data());
    envp.push_back(nullptr);

    pid_t child = ::fork();
    if (child < 0)
        return Error::from_errno("fork", "starting the metadata server");
    if (child == 0) {
        // Only async-signal-safe calls from here to execv.
        ::setsid();
        if (::fork() != 0)
            ::_exit(0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(null.get(), 0);
        ::dup2(log.get(), 1);
        ::dup2(log.get(), 2);
        // dup2 clears FD_CLOEXEC on the copy; when the pipe is fd 3 already, fcntl must.
        if (ready_write.get() == 3)
            ::fcntl(3, F_SETFD, 0);
        else
            ::dup2(ready_write.get(), 3);
        ::syscall(SYS_close_range, 4U, ~0U, 0U);
        if (::chdir("/") != 0)
            ::_exit(126);
        ::execve(exe, const_cast<char* const*>(argv), envp.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    ready_write.reset();
    pid_t pid = TRY(await_ready(ready_read.get(), paths));
    TRY(write_file_atomically(paths.pidfile(), fmt::format("{}\n", pid), false, 0600));
    return pid;
}

bool needs_imds(const InstanceRecord& instance) {
    return instance.state == InstanceState::pending || instance.state == InstanceState::running ||
           instance.state == InstanceState::stopping;
}

}  // namespace

Result<void> ensure_imds_running(const std::string& network) {
    ImdsPaths paths;
    auto lock = TRY(lock_imds(paths));
    auto bridge = TRY(network_bridge(network));
    TRY(add_address(paths, bridge).with_context("the metadata service's address"));
    if (live_server(paths))
        return ok();
    TRY(start_server(paths));
    return ok();
}

Result<void> stop_imds_if_idle() {
    ImdsPaths paths;
    auto lock = TRY(lock_imds(paths));
    // Read under the lock, so that an instance launched meanwhile either is
    // seen here or starts the server again after this stop.
    auto store = TRY(StateStore::open());
    auto instances = TRY(read_instances(store));
    if (std::any_of(instances.begin(), instances.end(), needs_imds))
        return ok();
    TRY(stop_server(paths));
    return remove_addresses(paths);
}

Result<void> stop_imds() {
    ImdsPaths paths;
    auto lock = TRY(lock_imds(paths));
    TRY(stop_server(paths));
    return remove_addresses(paths);
}

Result<ImdsStatus> imds_status() {
    ImdsPaths paths;
    auto lock = TRY(lock_imds(paths));
    return ImdsStatus{live_server(paths), read_bridges(paths), paths.log()};
}

}  // namespace twinbox::cloud
