// create: the parent side of making a container (runtime.md "create").
//
//   reserve the id (mkdir of the state directory) ......... StateGuard
//   mkfifo exec.fifo
//   create the cgroup and write its limits ................. Cgroup (RAII)
//   clone3 into new namespaces ............................. ChildGuard
//   put the child in the cgroup, write uid/gid maps
//   prestart + createRuntime hooks, "go" to the child
//   wait for "ready" (or the child's error, or its death)
//   write state.json and the pid file
//
// Each guard undoes its step unless creation succeeds, so a failure at any
// point leaves no state entry, cgroup or process behind (mounts live in the
// child's mount namespace and vanish with it).
#include <fcntl.h>
#include <fmt/core.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/file.h"
#include "common/log.h"
#include "container/cgroups/cgroup.h"
#include "container/namespaces/namespaces.h"
#include "container/runtime/hooks.h"
#include "container/runtime/init_process.h"
#include "container/runtime/runtime.h"
#include "container/sys/clone.h"
#include "container/sys/fd_passing.h"
#include "container/sys/sync_socket.h"

namespace twinbox::container {

namespace {

// Removes the state directory unless commit() is called.
class StateGuard {
public:
    StateGuard(const StateStore& store, std::string id) : m_store(store), m_id(std::move(id)) {}
    ~StateGuard() {
        if (!m_committed)
            (void)m_store.remove(m_id);
    }
    void commit() { m_committed = true; }

private:
    const StateStore& m_store;
    std::string m_id;
    bool m_committed = false;
};

// Kills and reaps the half-made container process unless commit() is called.
class ChildGuard {
public:
    explicit ChildGuard(pid_t pid) : m_pid(pid) {}
    ~ChildGuard() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    void commit() { m_pid = -1; }

private:
    pid_t m_pid;
};

Result<void> check_options(const CreateOptions& options) {
    if (!options.spec.process || options.spec.process->args.empty())
        return Error::message("process.args is empty: there is no program to run");
    struct stat status {};
    if (::stat(options.rootfs.c_str(), &status) < 0)
        return Error::from_errno("stat", fmt::format("root file system {}", options.rootfs))
            .with_hint("check root.path in config.json (or --rootfs)");
    if (!S_ISDIR(status.st_mode))
        return Error::message(
            fmt::format("root file system {} is not a directory", options.rootfs));
    TRY(check_namespaces(options.spec.linux));
    // Without a mount namespace the container shares the host's and only
    // chroots into a plain directory (init_process.cpp, as runc): nothing
    // that needs a mount can be honoured there.
    const auto& namespaces = options.spec.linux.namespaces;
    bool own_mounts =
        std::any_of(namespaces.begin(), namespaces.end(),
                    [](const oci::Namespace& ns) { return ns.type == oci::NamespaceType::Mount; });
    if (!own_mounts &&
        (!options.layers.lower_dirs.empty() || options.spec.root.readonly ||
         !options.spec.linux.masked_paths.empty() || !options.spec.linux.readonly_paths.empty()))
        return Error::message(
                   "without a mount namespace, image layers, root.readonly and linux.maskedPaths/readonlyPaths cannot be set up")
            .with_hint("add {\"type\": \"mount\"} to linux.namespaces");
    if (!options.console_socket.empty() && !options.spec.process->terminal)
        return Error::message("--console-socket was given but process.terminal is false");
    return ok();
}

// linux.namespaces {"type": "pid", "path": P}: setns(2) on a pid namespace
// sets where the caller's *children* are born, so the runtime joins P just
// for the clone and then returns to its own (as runc's nsexec does).
class PidNamespaceForChildren {
public:
    PidNamespaceForChildren() = default;
    explicit PidNamespaceForChildren(UniqueFd own) : m_own(std::move(own)) {}
    void restore() {
        if (m_own)
            (void)::setns(m_own.get(), CLONE_NEWPID);
        m_own.reset();
    }

private:
    UniqueFd m_own;
};

Result<PidNamespaceForChildren> enter_pid_namespace_for_children(const oci::Linux& linux) {
    for (const auto& ns : linux.namespaces) {
        if (ns.type != oci::NamespaceType::Pid || ns.path.empty())
            continue;
        UniqueFd own(::open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
        if (!own)
            return Error::from_errno("open", "/proc/self/ns/pid_for_children");
        UniqueFd target(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!target)
            return Error::from_errno("open", ns.path).with_context("linux.namespaces pid path");
        if (::setns(target.get(), CLONE_NEWPID) < 0)
            return Error::from_errno("setns", ns.path).with_context("linux.namespaces pid path");
        return PidNamespaceForChildren(std::move(own));
    }
    return PidNamespaceForChildren();
}

Error describe_death(pid_t pid, const Cgroup& cgroup) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::string how = WIFSIGNALED(status)
                          ? fmt::format("killed by signal {}", WTERMSIG(status))
                          : fmt::format("exited with status {}", WEXITSTATUS(status));
    auto error = Error::message(
        fmt::format("the container's first process died while setting up ({})", how));
    if (cgroup.stats().oom_kills > 0 || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
        error = std::move(error).with_hint(
            "the memory limit is too small to start a process; raise -m");
    return error;
}

}  // namespace

Result<CreatedContainer> create_container(const CreateOptions& options) {
    TRY(check_options(options));
    auto layout = TRY(detect_cgroup_layout());
    StateStore store(options.state_root);
    TRY(store.reserve(options.id));
    StateGuard state_guard(store, options.id);

    // exec.fifo: the first process blocks opening it until `start` does.
    std::string fifo = store.fifo_path(options.id);
    if (::mkfifo(fifo.c_str(), 0600) < 0)
        return Error::from_errno("mkfifo", fifo);
    // The first process opens it after switching to process.user (so that
    // `start` only releases the exec): writable by others, as runc's 0622.
    if (::chmod(fifo.c_str(), 0622) < 0)
        return Error::from_errno("chmod", fifo);
    UniqueFd fifo_fd(::open(fifo.c_str(), O_PATH | O_CLOEXEC));
    if (!fifo_fd)
        return Error::from_errno("open", fifo);
    // In a user namespace the first process is root only inside it: give
    // the FIFO to the host user that its root maps to, or it cannot open it.
    for (const auto& mapping : options.spec.linux.uid_mappings)
        if (mapping.container_id == 0 &&
            ::chown(fifo.c_str(), mapping.host_id, static_cast<gid_t>(-1)) < 0)
            return Error::from_errno("chown", fifo);

    ContainerState state = options.extras;
    state.id = options.id;
    state.bundle = options.bundle;
    state.rootfs = options.rootfs;
    state.annotations = options.spec.annotations;
    state.cgroup_path = options.spec.linux.cgroups_path.empty() ? "/twinbox/" + options.id
                                                                : options.spec.linux.cgroups_path;
    // A relative cgroupsPath goes under the runtime's own parent (runc's rule).
    if (state.cgroup_path[0] != '/')
        state.cgroup_path = "/twinbox/" + state.cgroup_path;
    auto cgroup =
        TRY(Cgroup::create(layout, state.cgroup_path, resources_with_devices(options.spec.linux)));
    state.cgroup_created = cgroup.created();

    InitContext context;
    context.options = &options;
    context.fifo_fd = fifo_fd.get();
    if (layout.version == CgroupVersion::V1)
        context.cgroups.v1_controllers = cgroup.directories();
    else
        context.cgroups.v2 = true;
    std::optional<SeccompProgram> seccomp;
    if (options.spec.linux.seccomp) {
        seccomp = TRY(compile_seccomp(*options.spec.linux.seccomp).with_context("linux.seccomp"));
        context.seccomp = &*seccomp;
    }
    auto sync = TRY(SyncSocket::create());
    context.sync_fd = sync.child_end().get();

    // Every namespace but the cgroup one, which the child makes once it is in its cgroup.
    uint64_t flags =
        new_namespace_flags(options.spec.linux.namespaces) & ~uint64_t{CLONE_NEWCGROUP};
    auto joined_pid_namespace = TRY(enter_pid_namespace_for_children(options.spec.linux));
    auto cloned = clone_process(flags);
    joined_pid_namespace.restore();
    pid_t pid = TRY(std::move(cloned));
    if (pid == 0) {
        // Our copy of the parent's end must go: while we hold it, an error we
        // send after `create` has returned would sit unread instead of failing
        // (EPIPE) and going to stderr.
        sync.parent_end().reset();
        run_init_process(context);  // never returns
    }
    ChildGuard child_guard(pid);
    sync.child_end().reset();
    int sync_fd = sync.parent_end().get();

    TRY(cgroup.add_process(pid));
    if (wants_new_namespace(options.spec.linux.namespaces, oci::NamespaceType::User))
        TRY(write_id_mappings(pid, options.spec.linux.uid_mappings,
                              options.spec.linux.gid_mappings));
    state.pid = pid;
    state.pid_start_time = process_start_time(pid);
    state.created = rfc3339_now();
    std::string creating_json = state_json(state, Status::Creating);
    TRY(run_hooks(options.spec.hooks.prestart, creating_json, "prestart"));
    TRY(run_hooks(options.spec.hooks.create_runtime, creating_json, "createRuntime"));
    TRY(SyncSocket::send(sync_fd, {SyncMessage::Kind::Go, 0, creating_json}));

    auto reply = TRY(SyncSocket::receive(sync_fd));
    if (reply.kind == SyncMessage::Kind::Closed) {
        child_guard.commit();
        return describe_death(pid, cgroup);
    }
    if (reply.kind == SyncMessage::Kind::Error) {
        child_guard.commit();
        ::waitpid(pid, nullptr, 0);
        // The child's own words, and the status it chose (126/127 for the program).
        return Error::message(reply.text).with_exit_status(reply.exit_code);
    }

    CreatedContainer created;
    if (options.spec.process->terminal && options.console_socket.empty())
        created.console_master = TRY(receive_fd(sync_fd));
    TRY(store.save(state));
    std::string config = oci::to_json(options.spec);
    TRY(write_whole_file(store.directory(options.id) + "/config.json", config.data(), config.size(),
                         0600));  // holds the environment: maybe secrets
    if (!options.pid_file.empty()) {
        std::string text = std::to_string(pid);
        std::string temporary = options.pid_file + ".tmp";
        TRY(write_whole_file(temporary, text.data(), text.size()));
        if (::rename(temporary.c_str(), options.pid_file.c_str()) < 0)
            return Error::from_errno("rename", options.pid_file);
    }
    cgroup.keep();
    child_guard.commit();
    state_guard.commit();
    created.state = std::move(state);
    created.sync = std::move(sync.parent_end());
    return created;
}

}  // namespace twinbox::container
