// start, kill, delete, pause and resume (runtime.md "Operations").
//
// Each operation first observes the container's status and refuses what
// the spec forbids, with no effect: `start` only on "created", `delete` of
// a running container only with --force, `kill` only while it has a process.
#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "container/cgroups/cgroup.h"
#include "container/runtime/hooks.h"
#include "container/runtime/runtime.h"
#include "container/sys/sync_socket.h"

namespace twinbox::container {

namespace {

// The spec the container was created from (hooks for poststart/poststop).
std::optional<oci::Spec> load_spec(const StateStore& store, const std::string& id) {
    auto bytes = read_whole_file(store.directory(id) + "/config.json", "config.json", 16 << 20);
    if (!bytes)
        return std::nullopt;
    auto spec = oci::parse_spec(std::string(bytes->begin(), bytes->end()));
    if (!spec)
        return std::nullopt;
    return std::move(*spec);
}

Error wrong_status(const std::string& id, Status status, std::string_view operation) {
    return Error::message(
        fmt::format("cannot {} container {}: it is {}", operation, id, status_name(status)));
}

// Waits until the container's first process is gone (up to `timeout`).
bool wait_until_dead(const ContainerState& state, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (process_start_time(state.pid) == state.pid_start_time && state.pid_start_time != 0) {
        // If it is our own child (run, a supervisor), reap it so it stops being a zombie.
        ::waitpid(state.pid, nullptr, WNOHANG);
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

// The namespace identity of /proc/PID/ns/NAME (device and inode), or 0.
uint64_t namespace_of(pid_t pid, std::string_view name) {
    struct stat status {};
    std::string path =
        pid > 0 ? fmt::format("/proc/{}/ns/{}", pid, name) : fmt::format("/proc/self/ns/{}", name);
    if (::stat(path.c_str(), &status) < 0)
        return 0;
    return (static_cast<uint64_t>(status.st_dev) << 32) ^ status.st_ino;
}

// The processes in the container's cgroup that are the container's. In a
// cgroup the runtime made, that is all of them. In one it did not make
// (an existing cgroupsPath), someone may have moved other processes in
// since: only those in the container's own PID namespace count, and if it
// has none of its own (or its first process is gone), only that process.
std::vector<pid_t> container_processes(const ContainerState& state, const Cgroup& cgroup) {
    auto pids = cgroup.processes();
    if (!pids)
        return {};
    if (state.cgroup_created)
        return *pids;
    bool alive = state.pid_start_time != 0 && process_start_time(state.pid) == state.pid_start_time;
    if (!alive)
        return {};
    uint64_t own = namespace_of(state.pid, "pid");
    if (own == 0 || own == namespace_of(0, "pid"))
        return {state.pid};
    std::erase_if(*pids, [&](pid_t pid) { return namespace_of(pid, "pid") != own; });
    return *pids;
}

Result<void> signal_all(const ContainerState& state, int signal) {
    auto layout = TRY(detect_cgroup_layout());
    auto cgroup = Cgroup::open(layout, state.cgroup_path);
    // A frozen process cannot act on a signal, not even SIGKILL: thaw first.
    if (cgroup.frozen())
        (void)cgroup.freeze(false);
    for (pid_t pid : container_processes(state, cgroup)) ::kill(pid, signal);
    return ok();
}

}  // namespace

int exit_status_of(int wait_status) {
    return exit_code::of_wait_status(wait_status);
}

Result<void> start_container(const StateStore& store, const std::string& id) {
    auto state = TRY(store.load(id));
    Status status = store.status(state);
    if (status != Status::Created)
        return wrong_status(id, status, "start");
    // Opening the read end releases the first process, blocked in its open
    // for writing; it then writes one byte. O_NONBLOCK so that a dead first
    // process cannot leave `start` blocked in open(2) forever.
    std::string fifo = store.fifo_path(id);
    UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd)
        return Error::from_errno("open", fifo);
    for (;;) {
        struct pollfd poll_fd {
            fd.get(), POLLIN, 0
        };
        int ready = ::poll(&poll_fd, 1, 100);
        char byte;
        if (ready > 0 && ::read(fd.get(), &byte, 1) == 1)
            break;
        if (process_start_time(state.pid) != state.pid_start_time)
            return Error::message(
                fmt::format("container {}'s first process exited before start", id));
    }
    ::unlink(fifo.c_str());
    state.started = rfc3339_now();
    TRY(store.save(state));
    if (auto spec = load_spec(store, id); spec && !spec->hooks.poststart.empty())
        if (auto hooks =
                run_hooks(spec->hooks.poststart, state_json(state, Status::Running), "poststart");
            !hooks)
            log::warn("{}", hooks.error().to_string());
    return ok();
}

Result<void> wait_for_exec(int sync_fd) {
    // The socket's other end is close-on-exec: end-of-file means execve
    // succeeded; a message means it failed, with the status to report.
    auto reply = TRY(SyncSocket::receive(sync_fd));
    if (reply.kind == SyncMessage::Kind::Error)
        return Error::message(reply.text).with_exit_status(reply.exit_code);
    return ok();
}

Result<void> kill_container(const StateStore& store, const std::string& id, int signal, bool all) {
    auto state = TRY(store.load(id));
    Status status = store.status(state);
    if (status == Status::Stopped || status == Status::Creating)
        return wrong_status(id, status, "kill");
    if (all)
        return signal_all(state, signal);
    if (::kill(state.pid, signal) < 0)
        return Error::from_errno("kill", fmt::format("container {} (pid {})", id, state.pid));
    return ok();
}

Result<void> pause_container(const StateStore& store, const std::string& id, bool pause) {
    auto state = TRY(store.load(id));
    Status status = store.status(state);
    if (pause && status != Status::Running)
        return wrong_status(id, status, "pause");
    if (!pause && status != Status::Paused)
        return wrong_status(id, status, "resume");
    auto layout = TRY(detect_cgroup_layout());
    auto cgroup = Cgroup::open(layout, state.cgroup_path);
    return cgroup.freeze(pause);
}

Result<void> force_cleanup(const StateStore& store, const ContainerState& state) {
    if (state.supervisor_pid > 0 && ::kill(state.supervisor_pid, 0) == 0 &&
        store.status(state) != Status::Stopped)
        ::kill(state.supervisor_pid, SIGKILL);
    if (!state.cgroup_path.empty()) {
        TRY(signal_all(state, SIGKILL));
        if (!wait_until_dead(state, std::chrono::seconds(10)))
            return Error::message(fmt::format("container {} did not die after SIGKILL", state.id));
        auto layout = TRY(detect_cgroup_layout());
        auto cgroup = Cgroup::open(layout, state.cgroup_path);
        // Stragglers (processes that left the PID namespace) get one more
        // SIGKILL; a cgroup the runtime did not make is not its to empty or remove.
        for (int attempt = 0; attempt < 100 && state.cgroup_created; ++attempt) {
            auto pids = cgroup.processes();
            if (!pids || pids->empty())
                break;
            for (pid_t pid : *pids) ::kill(pid, SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (state.cgroup_created)
            TRY(cgroup.remove());
    }
    if (auto spec = load_spec(store, state.id); spec && !spec->hooks.poststop.empty())
        if (auto hooks =
                run_hooks(spec->hooks.poststop, state_json(state, Status::Stopped), "poststop");
            !hooks)
            log::warn("{}", hooks.error().to_string());
    if (!state.storage_dir.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(state.storage_dir, ignored);
    }
    return store.remove(state.id);
}

Result<void> delete_container(const StateStore& store, const std::string& id, bool force) {
    auto state = TRY(store.load(id));
    Status status = store.status(state);
    if ((status == Status::Running || status == Status::Paused) && !force)
        return Error::message(
                   fmt::format("cannot delete container {}: it is {}", id, status_name(status)))
            .with_hint("stop it first, or use --force");
    // A created container is killed (runtime.md: delete of a created container).
    return force_cleanup(store, state);
}

}  // namespace twinbox::container
