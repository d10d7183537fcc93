// The container's first process: the child side of create_container().
//
// It is a copy of the runtime (clone3 without CLONE_VM), already in its new
// namespaces and, by the time the parent says "go", in its cgroup. It then
// builds the root file system (mounts/), reports "ready", waits on
// exec.fifo for `start`, applies the security layers (security/) and
// executes the user's program. Every failure is sent to the parent over the
// sync socket, and the process _exit()s: it never returns into the
// runtime's code, which would run the parent's cleanup a second time.
#include "container/runtime/init_process.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "common/default_path.h"
#include "common/file.h"
#include "container/namespaces/namespaces.h"
#include "container/runtime/console.h"
#include "container/runtime/hooks.h"
#include "container/security/capabilities.h"
#include "container/security/process_limits.h"
#include "container/security/seccomp.h"
#include "container/sys/fd_passing.h"
#include "container/sys/sync_socket.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace twinbox::container {

namespace {

std::string environment_value(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& entry : env)
        if (entry.starts_with(key + "="))
            return entry.substr(key.size() + 1);
    return {};
}

// sysctl net.ipv4.ip_forward=1 -> /proc/sys/net/ipv4/ip_forward. Which keys
// may be set at all (namespaced ones only) is checked when config.json is
// read (oci/spec_linux.cpp check_sysctls); a key that could still leave
// /proc/sys is refused here too, as a second line of defence.
Result<void> apply_sysctls(const std::map<std::string, std::string>& sysctls) {
    for (const auto& [key, value] : sysctls) {
        if (key.empty() || key.find('/') != std::string::npos ||
            key.find("..") != std::string::npos || key.front() == '.')
            return Error::message(fmt::format("sysctl \"{}\" is not a sysctl name", key));
        std::string path = "/proc/sys/" + key;
        for (size_t i = 10; i < path.size(); ++i)
            if (path[i] == '.')
                path[i] = '/';
        TRY(write_whole_file(path, value.data(), value.size()).with_context("sysctl " + key));
    }
    return ok();
}

// The working directory: created if missing (as Docker does for -w).
Result<void> enter_working_directory(Syscalls& sys, const std::string& cwd) {
    if (sys.chdir(cwd))
        return ok();
    TRY(sys.make_directories(cwd, 0755).with_context("creating the working directory"));
    return sys.chdir(cwd).with_context("process.cwd");
}

// `fd_dir`: the host's /proc/self/fd, opened before chroot when the
// container has no mount namespace and so no /proc of its own; or -1.
void wait_for_start(int fifo_fd, int sync_fd, int fd_dir) {
    // Opening a FIFO for writing blocks until someone opens it for reading:
    // that someone is `start` (runc's exec.fifo). The path goes through
    // /proc/self/fd because the FIFO's own path is outside our new root.
    std::string path =
        fd_dir >= 0 ? std::to_string(fifo_fd) : fmt::format("/proc/self/fd/{}", fifo_fd);
    int fd;
    do {
        fd = ::openat(fd_dir >= 0 ? fd_dir : AT_FDCWD, path.c_str(), O_WRONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        fail_and_exit(sync_fd, Error::from_errno("open", "exec.fifo (is /proc mounted?)"));
    (void)!::write(fd, "0", 1);
    ::close(fd);
    ::close(fifo_fd);
}

// Like fail_and_exit(), but a first process whose `create` has returned
// (nobody reads the socket any more) also says it on stderr.
[[noreturn]] void report_and_exit(int sync_fd, const Error& error, bool to_stderr) {
    int status = error.exit_status();
    SyncMessage message{SyncMessage::Kind::Error, status, error.to_string()};
    if (!SyncSocket::send(sync_fd, message) || to_stderr) {
        std::string line = "twinbox: error: " + error.to_string() + "\n";
        (void)!::write(STDERR_FILENO, line.data(), line.size());
    }
    ::_exit(status);
}

}  // namespace

Result<void> enter_namespaces(Syscalls& sys, const oci::Linux& linux_spec) {
    // A cgroup namespace is made only now that the parent has moved us into
    // the container's cgroup, so that this cgroup becomes the namespace's root.
    if (wants_new_namespace(linux_spec.namespaces, oci::NamespaceType::Cgroup))
        TRY(sys.unshare(CLONE_NEWCGROUP).with_context("cgroup namespace"));
    TRY(join_namespace_paths(linux_spec.namespaces));
    if (wants_new_namespace(linux_spec.namespaces, oci::NamespaceType::User)) {
        // The parent has written our uid/gid maps; become the namespace's
        // root (until now we were its unmapped "nobody").
        auto root = [&]() -> Result<void> {
            TRY(sys.setresgid(0));
            return sys.setresuid(0);
        }();
        if (!root)
            return std::move(root)
                .error()
                .with_context("user namespace")
                .with_hint("do linux.uidMappings and gidMappings map container id 0?");
    }
    return ok();
}

Result<std::string> find_executable(const oci::Process& process) {
    const std::string& name = process.args.at(0);
    auto runnable = [&](const std::string& path) -> std::optional<Result<std::string>> {
        struct stat status {};
        if (::stat(path.c_str(), &status) < 0 || S_ISDIR(status.st_mode))
            return std::nullopt;
        if (::access(path.c_str(), X_OK) < 0)
            return Result<std::string>(
                Error::message(
                    fmt::format("{}: permission denied (the file is not executable)", path))
                    .with_exit_status(exit_code::kNotExecutable));
        return Result<std::string>(path);
    };
    if (name.find('/') != std::string::npos) {
        if (auto found = runnable(name))
            return std::move(*found);
        return Error::message(fmt::format("{}: no such file or directory in the container", name))
            .with_exit_status(exit_code::kNotFound);
    }
    std::string search = environment_value(process.env, "PATH");
    if (search.empty())
        search = kDefaultPath;
    for (size_t start = 0; start <= search.size();) {
        size_t colon = search.find(':', start);
        std::string dir =
            search.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (auto found = runnable((dir.empty() ? "." : dir) + "/" + name))
            return std::move(*found);
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    return Error::message(fmt::format("{}: executable file not found in $PATH", name))
        .with_exit_status(exit_code::kNotFound);
}

Result<void> prepare_process_steps(Syscalls& sys, const SeccompProgram* seccomp,
                                   const oci::Process& process, int terminal_slave) {
    TRY(apply_rlimits(process.rlimits));
    if (process.oom_score_adj)
        TRY(apply_oom_score_adj(*process.oom_score_adj));
    if (terminal_slave >= 0)
        TRY(attach_terminal(terminal_slave));
    // runc's finalizeNamespace (libcontainer/init_linux.go) changes directory
    // first, while the runtime's privileges can still reach it.
    TRY(enter_working_directory(sys, process.cwd).with_context("working directory"));
    // Look the program up now, so that `create` (not a later `start`)
    // reports a missing one, with Docker's 126/127.
    TRY(find_executable(process));
    // Security, in the order that keeps each step possible (runc's
    // linuxStandardInit.Init in libcontainer/standard_init_linux.go): without
    // no_new_privs, loading seccomp needs CAP_SYS_ADMIN, so it comes before
    // the capabilities are dropped; with it, seccomp comes last
    // (exec_program_steps), so the filter need not allow the calls that drop
    // privileges or wait for `start`. Then finalizeNamespace's order: the
    // bounding set, the user (keeping capabilities across setresuid), the
    // capability sets.
    if (process.no_new_privileges)
        TRY(set_no_new_privileges(sys));
    if (seccomp && !process.no_new_privileges)
        TRY(load_seccomp(sys, *seccomp));
    oci::Capabilities capabilities = process.capabilities.value_or(oci::Capabilities{});
    TRY(drop_bounding_set(sys, capabilities));
    TRY(switch_user(sys, process.user));
    TRY(apply_capabilities(sys, capabilities));
    return ok();
}

void prepare_process(const SeccompProgram* seccomp, const oci::Process& process, int sync_fd,
                     int terminal_slave, bool report_to_stderr) {
    LinuxSyscalls sys;
    if (auto done = prepare_process_steps(sys, seccomp, process, terminal_slave); !done)
        report_and_exit(sync_fd, done.error(), report_to_stderr);
}

Result<void> exec_program_steps(Syscalls& sys, const SeccompProgram* seccomp,
                                const oci::Process& process, bool reaping_init, int sync_fd) {
    auto path = TRY(find_executable(process));
    // As close to execve as possible, so that the filter need allow little
    // of the runtime's own work (standard_init_linux.go does the same).
    if (seccomp && process.no_new_privileges)
        TRY(load_seccomp(sys, *seccomp));

    std::vector<std::string> args = process.args, env = process.env;
    std::vector<char*> argv, envp;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    // The runtime ignores SIGPIPE and may block signals; the program must
    // start with the defaults (signal(7): ignored signals survive execve).
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // No descriptor of the runtime may leak into the container.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    if (reaping_init)
        run_reaping_init(path, argv.data(), envp.data(), sync_fd);
    return sys.execve(path, argv.data(), envp.data());
}

void exec_program(const SeccompProgram* seccomp, const oci::Process& process, int sync_fd,
                  bool reaping_init, bool report_to_stderr) {
    LinuxSyscalls sys;
    auto failed = exec_program_steps(sys, seccomp, process, reaping_init, sync_fd);
    report_and_exit(sync_fd, failed ? Error::message("execve returned") : failed.error(),
                    report_to_stderr);
}

void finish_and_exec(const SeccompProgram* seccomp, const oci::Process& process, int sync_fd,
                     int terminal_slave, bool reaping_init, bool report_to_stderr) {
    prepare_process(seccomp, process, sync_fd, terminal_slave, report_to_stderr);
    exec_program(seccomp, process, sync_fd, reaping_init, report_to_stderr);
}

void run_init_process(const InitContext& context) {
    const CreateOptions& options = *context.options;
    const oci::Spec& spec = options.spec;
    const oci::Process& process = *spec.process;
    int sync = context.sync_fd;
    // The caller's umask must not shape the container: directories and
    // nodes the runtime makes get the modes it asks for (the workload's own
    // umask is set in switch_user, from process.user.umask or 0022).
    ::umask(0022);
    auto fail = [&](Result<void> result, std::string_view what) {
        if (!result)
            fail_and_exit(sync, std::move(result).error().with_context(what));
    };

    // Wait until the parent has put us in the cgroup (and written the uid
    // maps): until then our resource use is not yet limited.
    auto go = SyncSocket::receive(sync);
    if (!go || go->kind != SyncMessage::Kind::Go)
        ::_exit(exit_code::kTwinboxError);
    const std::string& state_json = go->text;

    LinuxSyscalls sys;
    fail(enter_namespaces(sys, spec.linux), "namespaces");
    if (wants_new_namespace(spec.linux.namespaces, oci::NamespaceType::Network))
        fail(bring_up_loopback(), "network namespace");

    // The root file system (mounts/rootfs.h has the picture).
    bool user_namespace = wants_new_namespace(spec.linux.namespaces, oci::NamespaceType::User);
    // Without a mount namespace (none in linux.namespaces, new or joined)
    // the container shares the host's: nothing may be mounted there, so it
    // only chroot(2)s into its root, as runc does (its rootfs setup needs
    // NEWNS; chroot() otherwise).
    bool own_mounts =
        std::any_of(spec.linux.namespaces.begin(), spec.linux.namespaces.end(),
                    [](const oci::Namespace& ns) { return ns.type == oci::NamespaceType::Mount; });
    if (own_mounts) {
        fail(make_mounts_private(spec.linux.rootfs_propagation, sys), "root file system");
        fail(mount_root(options.rootfs, options.layers, sys), "root file system");
        fail(mount_spec_mounts(options.rootfs, spec.mounts, context.cgroups, sys),
             "root file system");
        fail(populate_dev(options.rootfs, spec.linux.devices, user_namespace, sys), "/dev");
    }
    Console console;
    if (process.terminal) {
        // /dev/pts and /dev/console are resolved inside the root: the image's
        // /dev may be a link to the host's.
        auto devpts =
            sys.prepare_target(options.rootfs, "/dev/pts", Syscalls::TargetKind::Directory);
        if (!devpts)
            fail_and_exit(sync, std::move(devpts).error().with_context("terminal"));
        auto opened = open_console(*devpts, process.console_size);
        if (!opened)
            fail_and_exit(sync, std::move(opened).error().with_context("terminal"));
        console = std::move(*opened);
        auto dev_console =
            sys.prepare_target(options.rootfs, "/dev/console", Syscalls::TargetKind::File);
        if (!dev_console)
            fail_and_exit(sync, std::move(dev_console).error().with_context("/dev/console"));
        fail(sys.mount(console.slave_path, *dev_console, "", MS_BIND, ""), "/dev/console");
        if (!options.console_socket.empty()) {
            // The OCI console socket is a host path: reach it before pivot_root hides the host.
            auto socket = connect_unix(options.console_socket);
            if (!socket)
                fail_and_exit(sync, std::move(socket).error().with_context("--console-socket"));
            fail(send_fd(socket->get(), console.master.get(), "/dev/ptmx"), "--console-socket");
            console.master.reset();
        }
    }
    fail(run_hooks(spec.hooks.create_container, state_json, "createContainer"), "hooks");
    UniqueFd host_fd_dir;
    if (!own_mounts)
        host_fd_dir.reset(::open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
    fail(own_mounts ? pivot_into(options.rootfs, sys) : chroot_into(options.rootfs, sys),
         "pivot_root");
    fail(apply_sysctls(spec.linux.sysctl), "linux.sysctl");
    if (own_mounts)
        fail(restrict_paths(spec.linux, spec.root.readonly, sys), "masked and read-only paths");
    if (!spec.hostname.empty())
        fail(sys.sethostname(spec.hostname), "hostname");
    if (!spec.domainname.empty())
        fail(sys.setdomainname(spec.domainname), "domainname");

    // Everything that can fail happens before "ready", so that `create`
    // reports it and `start` only lets the program run: a signal sent right
    // after `start` meets a process whose rlimits, user, capabilities and
    // seccomp filter are already in place (runc's order). The pty becomes
    // our stdio here too: the stdio we were given (the shim's pipes) must be
    // closed when `create` returns, or a shim that waits for them hangs.
    prepare_process(context.seccomp, process, sync, console.slave ? console.slave.release() : -1,
                    false);
    if (!SyncSocket::send(sync, {SyncMessage::Kind::Ready, 0, {}}))
        ::_exit(exit_code::kTwinboxError);
    if (console.master) {
        // Without a console socket, the pty master goes to the parent (twinbox run -it).
        if (!send_fd(sync, console.master.get(), "/dev/ptmx"))
            ::_exit(exit_code::kTwinboxError);
        console.master.reset();
    }

    wait_for_start(context.fifo_fd, sync, host_fd_dir.get());
    if (auto hooks = run_hooks(spec.hooks.start_container, state_json, "startContainer"); !hooks)
        report_and_exit(sync, hooks.error(), true);
    exec_program(context.seccomp, process, sync, options.reaping_init, false);
}

}  // namespace twinbox::container
