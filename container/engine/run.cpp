// `twinbox run`: create + start + wait, in the foreground or (-d) in a
// small supervisor process that outlives the command.
//
//   twinbox run            twinbox run -d
//   -----------            --------------
//   twinbox                twinbox --fork--> supervisor (setsid, output -> console.log)
//     | create+start         |                 | create+start
//     | relay / wait         | <-- "started" --|
//     | record exit          | prints the id   | waits, records the exit status
//     v exit with its status v exit 0          v --rm: removes the container
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "common/log.h"
#include "common/unique_fd.h"
#include "container/cgroups/cgroup.h"
#include "container/engine/engine.h"
#include "container/engine/network_attach.h"
#include "container/engine/terminal.h"

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

std::string random_id() {
    std::random_device random;
    return fmt::format("{:08x}{:04x}", random(), random() & 0xffff);
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

// Held from the check that a --name is free until the container's state
// (which records the name) is written, so that two `run --name same` cannot
// both see the name free (flock(2) on STATE_ROOT/.names.lock). The lock
// belongs to the open file description: a forked supervisor shares it, and
// release() (LOCK_UN) frees it for every process that holds a copy - the
// container's first process too, which inherits it until its execve.
class NameLock {
public:
    static Result<NameLock> acquire(const std::string& state_root) {
        std::error_code ignored;
        std::filesystem::create_directories(state_root, ignored);
        std::string path = state_root + "/.names.lock";
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!fd)
            return Error::from_errno("open", path).with_hint("is TWINBOX_ROOT writable?");
        while (::flock(fd.get(), LOCK_EX) < 0)
            if (errno != EINTR)
                return Error::from_errno("flock", path);
        NameLock lock;
        lock.m_fd = std::move(fd);
        return lock;
    }
    void release() {
        if (m_fd)
            ::flock(m_fd.get(), LOCK_UN);
        m_fd.reset();
    }
    // Closes this process's copy only; the lock stays with the others (-d's supervisor).
    void hand_over() { m_fd.reset(); }
    ~NameLock() { release(); }
    NameLock() = default;
    NameLock(NameLock&&) noexcept = default;
    NameLock& operator=(NameLock&& other) noexcept {
        release();
        m_fd = std::move(other.m_fd);
        return *this;
    }

private:
    UniqueFd m_fd;
};

Result<CreateOptions> prepare(const RunFlags& flags, const EnginePaths& paths,
                              const std::string& id) {
    if (!flags.name.empty()) {
        TRY(validate_container_id(flags.name).with_context("--name"));
        StateStore store(paths.state_root);
        for (const auto& view : list_containers(store))
            if (view.state.name == flags.name)
                return Error::message(fmt::format("the container name {} is already in use by {}",
                                                  flags.name, view.state.id))
                    .with_hint("remove that container or choose another --name");
    }
    if (flags.rootfs.empty())
        return Error::message("no root file system: give --rootfs DIR");
    std::error_code error;
    std::string lower = std::filesystem::absolute(flags.rootfs, error).lexically_normal().string();
    if (lower.size() > 1 && lower.back() == '/')
        lower.pop_back();
    if (!std::filesystem::is_directory(lower, error))
        return Error::message(fmt::format("--rootfs {} is not a directory", flags.rootfs));
    CreateOptions options;
    options.id = id;
    options.spec = TRY(spec_from_run_flags(flags, id, lower));
    std::string storage = paths.storage_root + "/" + id;
    options.rootfs = storage + "/merged";
    options.spec.root.path = options.rootfs;
    options.layers = {
        flags.image_layers.empty() ? std::vector<std::string>{lower} : flags.image_layers,
        storage + "/upper", storage + "/work"};
    if (!flags.image.empty())
        options.spec.annotations["org.twinbox.image"] = flags.image;  // for `image rm`
    options.state_root = paths.state_root;
    options.reaping_init = flags.init;
    options.extras.name = flags.name.empty() ? id : flags.name;
    options.extras.command = options.spec.process->args;
    options.extras.storage_dir = storage;
    options.extras.auto_remove = flags.remove;
    add_network_mounts(options);
    return options;
}

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

int wait_for_container(const StateStore& store, const std::string& id, pid_t pid, bool quiet) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    record_exit(store, id, status, quiet);
    return exit_status_of(status);
}

// Create and start; on failure everything is undone and the status returned.
Result<CreatedContainer> create_and_start(const CreateOptions& options, int* failure_status) {
    StateStore store(options.state_root);
    TRY(make_storage(options));
    StorageGuard storage(options.extras.storage_dir);
    std::optional<ContainerNetwork> network;
    if (wants_bridge_network(options.spec))
        network.emplace(TRY(ContainerNetwork::reserve(options)));
    auto created = TRY(create_container(options, failure_status));
    // Undo from the state create_container returned, not from state.json,
    // which may be the very thing that failed. The first process is killed
    // first: until `start` succeeds it blocks on exec.fifo, and waiting for
    // its exec would wait forever.
    auto undo = [&] {
        ::kill(created.state.pid, SIGKILL);
        ::waitpid(created.state.pid, nullptr, 0);
        (void)force_cleanup(store, created.state);
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
        auto last_words = alive ? std::nullopt : wait_for_exec(created.sync.get());
        undo();
        if (last_words) {
            *failure_status = last_words->exit_status;
            return std::move(last_words->error);
        }
        return std::move(started).error();
    }
    if (auto failed = wait_for_exec(created.sync.get())) {
        *failure_status = failed->exit_status;
        ::waitpid(created.state.pid, nullptr, 0);
        undo();
        return std::move(failed->error);
    }
    storage.commit();
    if (network)
        network->keep();
    return created;
}

int run_foreground(const RunFlags& flags, const CreateOptions& options, NameLock& name_lock) {
    StateStore store(options.state_root);
    if (!flags.interactive && !flags.tty) {
        // Docker gives a container without -i an empty stdin.
        UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ::dup2(null.get(), STDIN_FILENO);
    }
    int failure_status = exit_code::kRuntimeError;
    auto created = create_and_start(options, &failure_status);
    name_lock.release();
    if (!created) {
        log::error("{}", created.error().to_string());
        return failure_status;
    }
    if (created->console_master) {
        std::optional<RawTerminal> raw;
        // Raw mode on our terminal: the container's pty already did the line
        // discipline's work (echo, \n -> \r\n); ours must not do it twice.
        int terminal = ::isatty(STDIN_FILENO)    ? STDIN_FILENO
                       : ::isatty(STDOUT_FILENO) ? STDOUT_FILENO
                                                 : -1;
        if (terminal >= 0)
            if (auto entered = RawTerminal::enter(terminal))
                raw.emplace(std::move(*entered));
        relay_terminal(created->console_master.get(), flags.interactive ? STDIN_FILENO : -1,
                       STDOUT_FILENO);
    }
    return wait_for_container(store, options.id, created->state.pid, false);
}

[[noreturn]] void supervise(CreateOptions options, int report_fd, NameLock& name_lock) {
    ::setsid();
    std::string log_path = options.extras.storage_dir + "/container.log";
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    UniqueFd log_file(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    ::dup2(null.get(), STDIN_FILENO);
    ::dup2(log_file.get(), STDOUT_FILENO);
    ::dup2(log_file.get(), STDERR_FILENO);
    ::signal(SIGHUP, SIG_IGN);
    options.extras.supervisor_pid = ::getpid();
    int failure_status = exit_code::kRuntimeError;
    auto created = create_and_start(options, &failure_status);
    name_lock.release();
    std::string report =
        created ? "OK" : fmt::format("{} {}", failure_status, created.error().to_string());
    (void)!::write(report_fd, report.data(), report.size());
    ::close(report_fd);
    if (!created)
        ::_exit(failure_status);
    if (created->console_master)
        relay_terminal(created->console_master.get(), -1, STDOUT_FILENO);
    StateStore store(options.state_root);
    ::_exit(wait_for_container(store, options.id, created->state.pid, true));
}

int run_detached(const CreateOptions& options, NameLock& name_lock) {
    if (auto made = make_storage(options); !made) {
        log::error("{}", made.error().to_string());
        return exit_code::kRuntimeError;
    }
    int report[2];
    if (::pipe2(report, O_CLOEXEC) < 0) {
        log::error("pipe2: {}", std::strerror(errno));
        return exit_code::kRuntimeError;
    }
    pid_t supervisor = ::fork();
    if (supervisor < 0) {
        log::error("fork: {}", std::strerror(errno));
        return exit_code::kRuntimeError;
    }
    if (supervisor == 0) {
        ::close(report[0]);
        supervise(options, report[1], name_lock);
    }
    name_lock.hand_over();
    ::close(report[1]);
    std::string text;
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(report[0], buffer, sizeof(buffer))) > 0 || (got < 0 && errno == EINTR))
        if (got > 0)
            text.append(buffer, static_cast<size_t>(got));
    ::close(report[0]);
    if (text == "OK") {
        fmt::print("{}\n", options.id);
        return 0;
    }
    ::waitpid(supervisor, nullptr, 0);
    auto space = text.find(' ');
    if (text.empty() || space == std::string::npos) {
        log::error("the container supervisor died before reporting");
        return exit_code::kRuntimeError;
    }
    log::error("{}", text.substr(space + 1));
    return std::atoi(text.substr(0, space).c_str());
}

}  // namespace

int run_container(const RunFlags& flags) {
    auto paths = engine_paths();
    std::string id = random_id();
    NameLock name_lock;
    if (!flags.name.empty()) {
        auto locked = NameLock::acquire(paths.state_root);
        if (!locked) {
            log::error("{}", std::move(locked).error().with_context("--name").to_string());
            return exit_code::kRuntimeError;
        }
        name_lock = std::move(*locked);
    }
    auto options = prepare(flags, paths, id);
    if (!options) {
        log::error("{}", options.error().to_string());
        return exit_code::kRuntimeError;
    }
    if (flags.detach)
        return run_detached(*options, name_lock);
    return run_foreground(flags, *options, name_lock);
}

}  // namespace twinbox::container
