// Launching a container: see launch.h.
#include "container/engine/launch.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/file.h"
#include "common/inherited_fds.h"
#include "common/json_reader.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "container/cgroups/cgroup.h"
#include "container/engine/network_attach.h"
#include "container/engine/terminal.h"
#include "container/sys/sync_socket.h"

namespace twinbox::container {

namespace {

pid_t g_forward_to = 0;

void forward_signal(int signal) {
    if (g_forward_to > 0)
        ::kill(g_forward_to, signal);
}

void forward_signals_to(pid_t pid) {
    g_forward_to = pid;
    struct sigaction action {};
    action.sa_handler = forward_signal;
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
        ::sigaction(signal, &action, nullptr);
}

// Removes the storage directory unless commit() is called.
class StorageGuard {
public:
    explicit StorageGuard(std::string dir) : m_dir(std::move(dir)) {}
    ~StorageGuard() {
        if (!m_dir.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(m_dir, ignored);
        }
    }
    void commit() { m_dir.clear(); }

private:
    std::string m_dir;
};

// The container's storage: STORAGE/ID/{upper,work,merged}. Modes are set
// explicitly, whatever the caller's umask: the storage root and ID are
// 0700 (the writable layer and the logs may hold secrets; Docker keeps its
// layers root-only too), upper/ is the container's "/" and gets the 0755
// a root directory has, merged/ is its mount point.
Result<void> make_storage(const CreateOptions& options) {
    std::string storage = options.extras.storage_dir;
    std::string root = storage.substr(0, storage.rfind('/'));
    struct Dir {
        const std::string& path;
        mode_t mode;
    };
    const Dir dirs[] = {{root, 0700},
                        {storage, 0700},
                        {options.layers.upper_dir, 0755},
                        {options.layers.work_dir, 0700},
                        {options.rootfs, 0755}};
    for (const auto& dir : dirs) {
        std::error_code error;
        std::filesystem::create_directories(dir.path, error);
        if (error)
            return Error::from_errno("mkdir", dir.path, error.value())
                .with_hint("is TWINBOX_ROOT writable?");
        if (::chmod(dir.path.c_str(), dir.mode) < 0)
            return Error::from_errno("chmod", dir.path);
    }
    return ok();
}

// After the first process exited: record how, free the cgroup, and with
// --rm remove everything.
void record_exit(const StateStore& store, const std::string& id, int wait_status, bool quiet) {
    auto state = store.load(id);
    if (!state)
        return;
    state->exit_code = exit_status_of(wait_status);
    release_container_network(id);
    state->finished = rfc3339_now();
    if (auto layout = detect_cgroup_layout(); layout && !state->cgroup_path.empty()) {
        auto cgroup = Cgroup::open(*layout, state->cgroup_path);
        state->oom_killed = cgroup.stats().oom_kills > 0;
        if (state->cgroup_created)
            (void)cgroup.remove();
    }
    if (state->oom_killed && !quiet)
        log::warn(
            "container {} was killed by the kernel's OOM killer: it used all memory allowed by -m",
            state->name);
    if (state->auto_remove) {
        (void)force_cleanup(store, *state);
        return;
    }
    (void)store.save(*state);
}

std::string launch_record_path(const std::string& storage_dir) {
    return storage_dir + "/launch.json";
}

Result<void> save_launch_record(const CreateOptions& options) {
    nlohmann::json record = {{"lower_dirs", options.layers.lower_dirs},
                             {"reaping_init", options.reaping_init}};
    return write_file_atomically(launch_record_path(options.extras.storage_dir), record.dump(),
                                 false, 0600);
}

// The supervisor reports "ready" or the error (text and exit status) over
// the same SEQPACKET handshake the runtime uses with its first process
// (container/sys/sync_socket.h), then stays to wait for the container.
[[noreturn]] void supervise(CreateOptions options, StorageOrigin origin, int report_fd,
                            FileLock& name_lock) {
    ::setsid();
    // The command's other descriptors (its locks, a server's socket) must not
    // live as long as the container does.
    close_inherited_fds({report_fd, name_lock.fd()});
    std::string log_path = options.extras.storage_dir + "/container.log";
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    UniqueFd log_file(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    ::dup2(null.get(), STDIN_FILENO);
    ::dup2(log_file.get(), STDOUT_FILENO);
    ::dup2(log_file.get(), STDERR_FILENO);
    ::signal(SIGHUP, SIG_IGN);
    options.extras.supervisor_pid = ::getpid();
    auto created = create_and_start(options, origin);
    name_lock.release();
    if (!created)
        fail_and_exit(report_fd, created.error());
    (void)SyncSocket::send(report_fd, {SyncMessage::Kind::Ready, 0, {}});
    ::close(report_fd);
    if (created->console_master)
        relay_terminal(created->console_master.get(), -1, STDOUT_FILENO);
    StateStore store(options.state_root);
    ::_exit(wait_for_container(store, options.id, created->state.pid, true));
}

}  // namespace

// release() frees the lock for every holder - the container's first process
// too, which inherits it until its execve.
Result<FileLock> lock_names(const std::string& state_root) {
    std::error_code ignored;
    std::filesystem::create_directories(state_root, ignored);
    return FileLock::acquire(state_root + "/.names.lock");
}

int wait_for_container(const StateStore& store, const std::string& id, pid_t pid, bool quiet) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    record_exit(store, id, status, quiet);
    return exit_status_of(status);
}

Result<CreatedContainer> create_and_start(const CreateOptions& options, StorageOrigin origin) {
    StateStore store(options.state_root);
    TRY(make_storage(options));
    StorageGuard storage(origin == StorageOrigin::New ? options.extras.storage_dir : "");
    if (origin == StorageOrigin::New)
        TRY(save_launch_record(options));
    std::optional<ContainerNetwork> network;
    if (wants_bridge_network(options.spec))
        network.emplace(TRY(ContainerNetwork::reserve(options)));
    auto created = TRY(create_container(options));
    // Undo from the state create_container returned, not from state.json,
    // which may be the very thing that failed. The first process is killed
    // first: until `start` succeeds it blocks on exec.fifo, and waiting for
    // its exec would wait forever.
    auto undo = [&] {
        ::kill(created.state.pid, SIGKILL);
        ::waitpid(created.state.pid, nullptr, 0);
        ContainerState remains = created.state;
        if (origin == StorageOrigin::Kept)
            remains.storage_dir.clear();  // the root volume outlives a failed start
        (void)force_cleanup(store, remains);
    };
    forward_signals_to(created.state.pid);
    if (network) {
        if (auto connected = network->connect(created.state.pid); !connected) {
            undo();
            return std::move(connected).error();
        }
    }
    if (auto started = start_container(store, options.id); !started) {
        // If the first process died, its own last words are the better
        // message; if it is still waiting for `start`, it has none.
        bool alive = process_start_time(created.state.pid) == created.state.pid_start_time;
        auto last_words = alive ? Result<void>() : wait_for_exec(created.sync.get());
        undo();
        return last_words ? std::move(started).error() : std::move(last_words).error();
    }
    if (auto executed = wait_for_exec(created.sync.get()); !executed) {
        ::waitpid(created.state.pid, nullptr, 0);
        undo();
        return std::move(executed).error();
    }
    storage.commit();
    if (network)
        network->keep();
    return created;
}

Result<void> launch_detached(const CreateOptions& options, StorageOrigin origin,
                             FileLock& name_lock) {
    TRY(make_storage(options));
    auto report = TRY(SyncSocket::create());
    pid_t supervisor = ::fork();
    if (supervisor < 0)
        return Error::from_errno("fork", "the container supervisor");
    if (supervisor == 0) {
        report.parent_end().reset();
        supervise(options, origin, report.child_end().release(), name_lock);
    }
    name_lock.hand_over();
    report.child_end().reset();
    auto reply = TRY(SyncSocket::receive(report.parent_end().get()));
    if (reply.kind == SyncMessage::Kind::Ready)
        return ok();
    ::waitpid(supervisor, nullptr, 0);
    if (reply.kind == SyncMessage::Kind::Error)
        return Error::message(reply.text).with_exit_status(reply.exit_code);
    return Error::message("the container supervisor died before reporting")
        .with_hint(fmt::format("see {}/container.log", options.extras.storage_dir));
}

Result<LaunchRecord> load_launch_record(const std::string& storage_dir) {
    std::string path = launch_record_path(storage_dir);
    auto json = TRY(json_reader::parse_file(path, 1 << 20));
    json_reader::Node root(json, "", "launch.json");
    LaunchRecord record;
    TRY(json_reader::read_member(root, "lower_dirs", record.lower_dirs));
    TRY(json_reader::read_member(root, "reaping_init", record.reaping_init));
    return record;
}

}  // namespace twinbox::container
