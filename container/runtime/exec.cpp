// exec: a new process in a running container (runc exec, docker exec).
//
// The new process must end up where the container's first process is:
// in each of its namespaces (setns(2)), in its cgroup, under the same
// security layers. A PID namespace is special: setns(2) on it changes only
// where our *children* are born, so the runtime joins it and then clones;
// the child joins the rest itself and executes the program.
#include <fcntl.h>
#include <fmt/core.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "container/cgroups/cgroup.h"
#include "container/namespaces/namespaces.h"
#include "container/runtime/console.h"
#include "container/runtime/init_process.h"
#include "container/runtime/runtime.h"
#include "container/sys/clone.h"
#include "container/sys/fd_passing.h"
#include "container/sys/sync_socket.h"

namespace twinbox::container {

namespace {

[[noreturn]] void exec_child(const SeccompProgram* seccomp, const oci::Process& process,
                             std::vector<NamespaceFd>& namespaces, int console_socket, int sync) {
    // Wait until the parent has moved us into the container's cgroup.
    auto go = SyncSocket::receive(sync);
    if (!go || go->kind != SyncMessage::Kind::Go)
        ::_exit(exit_code::kTwinboxError);
    for (auto& ns : namespaces) {
        if (ns.type == oci::NamespaceType::Pid)
            continue;  // joined by the parent before clone
        if (::setns(ns.fd.get(), oci::namespace_clone_flag(ns.type)) < 0)
            fail_and_exit(
                sync, Error::from_errno("setns", std::string(oci::namespace_proc_name(ns.type))));
    }
    int slave = -1;
    if (process.terminal) {
        // In the container's mount namespace now: its devpts, its ptmx.
        auto console = open_console("/dev/pts", process.console_size);
        if (!console)
            fail_and_exit(sync, console.error());
        bool sent = console_socket < 0
                        ? bool(send_fd(sync, console->master.get(), "/dev/ptmx"))
                        : bool(send_fd(console_socket, console->master.get(), "/dev/ptmx"));
        if (!sent)
            fail_and_exit(sync, Error::message("could not pass the terminal to the caller"));
        slave = console->slave.release();
    }
    if (::chdir(process.cwd.c_str()) < 0)
        fail_and_exit(sync, Error::from_errno("chdir", process.cwd).with_context("process.cwd"));
    finish_and_exec(seccomp, process, sync, slave, false, false);
}

}  // namespace

Result<ExecutedProcess> exec_in_container(const StateStore& store, const ExecOptions& options) {
    auto state = TRY(store.load(options.id));
    Status status = store.status(state);
    if (status != Status::Running)
        return Error::message(
            fmt::format("cannot exec in container {}: it is {}", options.id, status_name(status)));
    if (options.process.args.empty())
        return Error::message("exec: no command given");
    auto bytes =
        TRY(read_whole_file(store.directory(options.id) + "/config.json", "config.json", 16 << 20));
    oci::Spec spec = TRY(oci::parse_spec(std::string(bytes.begin(), bytes.end()))
                             .with_context(fmt::format("container {}'s config.json", options.id)));
    auto namespaces = TRY(open_process_namespaces(state.pid));
    auto layout = TRY(detect_cgroup_layout());
    auto cgroup = Cgroup::open(layout, state.cgroup_path);

    // setns(CLONE_NEWPID) for our future children, undone after the clone.
    UniqueFd own_pid_namespace(::open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
    for (auto& ns : namespaces)
        if (ns.type == oci::NamespaceType::Pid && ::setns(ns.fd.get(), CLONE_NEWPID) < 0)
            return Error::from_errno("setns", "the container's pid namespace");
    // The console socket is a host path: connect before the child leaves our mount namespace.
    UniqueFd console_socket;
    if (!options.console_socket.empty())
        console_socket = TRY(connect_unix(options.console_socket).with_context("--console-socket"));
    std::optional<SeccompProgram> seccomp;
    if (spec.linux.seccomp)
        seccomp = TRY(compile_seccomp(*spec.linux.seccomp));
    auto sync = TRY(SyncSocket::create());
    auto pid = clone_process(0);
    if (own_pid_namespace)
        ::setns(own_pid_namespace.get(), CLONE_NEWPID);
    if (!pid)
        return std::move(pid).error();
    if (*pid == 0) {
        sync.parent_end().reset();
        exec_child(seccomp ? &*seccomp : nullptr, options.process, namespaces, console_socket.get(),
                   sync.child_end().get());
    }
    sync.child_end().reset();
    ExecutedProcess executed;
    executed.pid = *pid;
    if (auto joined = cgroup.add_process(*pid); !joined) {
        ::kill(*pid, SIGKILL);
        ::waitpid(*pid, nullptr, 0);
        return std::move(joined).error();
    }
    TRY(SyncSocket::send(sync.parent_end().get(), {SyncMessage::Kind::Go, 0, {}}));
    if (options.process.terminal && options.console_socket.empty()) {
        auto master = receive_fd(sync.parent_end().get());
        if (master)
            executed.console_master = std::move(*master);
    }
    if (auto executed_program = wait_for_exec(sync.parent_end().get()); !executed_program) {
        ::waitpid(*pid, nullptr, 0);
        return std::move(executed_program).error();
    }
    if (!options.pid_file.empty()) {
        std::string text = std::to_string(*pid);
        TRY(write_whole_file(options.pid_file, text.data(), text.size()));
    }
    return executed;
}

}  // namespace twinbox::container
