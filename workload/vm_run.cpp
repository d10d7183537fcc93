// VmBackend::run: a VM in the foreground, or detached under a supervisor
// process, as the container engine does (container/engine/run.cpp):
//
//   twinbox run --isolation vm     twinbox run -d --isolation vm
//   --------------------------     -----------------------------
//   twinbox                        twinbox --fork--> supervisor (setsid, output -> output.log)
//     | disk, config                 | disk, config    | leases, run_supervised(VMM)
//     | leases, run_supervised(VMM)  | waits for the   | records the exit status
//     v exit with its status         v VM's registry   v --rm: removes the record
//                                      entry, prints the id
//
// A detached VM (without --rm) gets a writable disk for its overlay's upper
// layer and a launch record (vm_launch.h); `twinbox start` forks a new
// supervisor that boots the same VM from them, its root volume kept.
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/file_lock.h"
#include "common/inherited_fds.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "container/runtime/state.h"
#include "host/image/vm_disk.h"
#include "host/network/port_spec.h"
#include "vmm/control/proc_stat.h"
#include "vmm/control/registry.h"
#include "vmm/sandbox/supervisor.h"
#include "workload/vm_backend.h"
#include "workload/vm_launch.h"
#include "workload/vm_network.h"
#include "workload/vm_records.h"

namespace twinbox::workload {

namespace {

// Only the forked children (the supervisor of a detached VM, the sandboxed
// VMM) print their own errors: nobody else is left to. The CLI reports the rest.
int child_fail(const Error& error) {
    log::error("{}", error.to_string());
    return error.exit_status();
}

// Removes a directory tree when it goes out of scope (a foreground run's scratch).
struct RemoveTree {
    std::string path;
    ~RemoveTree() {
        std::error_code ignored;
        if (!path.empty())
            std::filesystem::remove_all(path, ignored);
    }
};

Result<VmConfig> config_for(const VmLaunch& launch) {
    const VmWorkload& workload = launch.workload;
    if (!workload.kernel.empty() && ::access(workload.kernel.c_str(), R_OK) != 0)
        return Error::from_errno("--vm-kernel", workload.kernel)
            .with_hint("give a readable Linux kernel (bzImage)");
    auto config = TRY(workload_vm_config(workload, {TWINBOX_GUEST_DIR, TWINBOX_INSTALL_GUEST_DIR}));
    // --network bridge|NAME: one virtio-net card on the network's bridge, with
    // an address lease (ip= on the command line), held while the VM runs.
    if (launch.network != "none")
        config.nets.push_back(
            NetConfig{"", launch.network == "bridge" ? "twinbox0" : launch.network, std::nullopt});
    // The VMM runs sandboxed in a child (vmm/sandbox/supervisor.h); this process
    // keeps the leases, the scratch directory and the console log, and cleans up.
    config.seccomp = true;
    return config;
}

// Takes the network leases (and -p rules) and runs the VMM sandboxed until the
// VM ends: the workload's exit status, or 125 after one line.
Result<int> boot(const VmLaunch& launch, VmConfig& config, const std::string& console_log) {
    auto ports = TRY(network::parse_port_specs(launch.publish));
    auto networks = attach_vm_networks(config, ports);
    if (!networks)
        return std::move(networks).error().with_context("--network " + launch.network);
    return sandbox::run_supervised([&config, &console_log] {
        auto result = run_workload_config(config, console_log);
        return result ? *result : child_fail(result.error());
    });
}

Result<int> run_foreground(const RunRequest& request) {
    // A scratch directory for this run's volume disks, removed when it ends.
    char scratch_template[] = "/tmp/twinbox-vm-run.XXXXXX";
    if (::mkdtemp(scratch_template) == nullptr)
        return Error::from_errno("mkdtemp", scratch_template);
    RemoveTree remove_scratch{scratch_template};
    auto workload = vm_workload_for(request, scratch_template);
    if (!workload)
        return workload.error();
    // The serial console (kernel and initramfs messages) goes to a log that is
    // kept only when the VM fails, so an error can point at it.
    char log_template[] = "/tmp/twinbox-vm-console.XXXXXX";
    if (int log_fd = ::mkstemp(log_template); log_fd >= 0) {
        ::close(log_fd);
        workload->console_log = log_template;
    }
    VmLaunch launch{std::move(*workload), request.network, request.publish};
    auto config = TRY(config_for(launch));
    auto status = boot(launch, config, launch.workload.console_log);
    // An error may point at the console log: keep it then.
    if (status && !launch.workload.console_log.empty())
        ::unlink(launch.workload.console_log.c_str());
    return status;
}

int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The supervisor: detached from the terminal and the CLI, it records itself,
// runs the VM and records how it ended. It never returns.
[[noreturn]] void supervise(const VmLaunch& launch, VmConfig config, const VmRecordStore& store,
                            VmWorkloadRecord record) {
    ::setsid();
    // The command's descriptors (start.lock, a server's socket) must not live
    // as long as the VM does: a second `twinbox start` would wait for its end.
    close_inherited_fds();
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    UniqueFd log_file(::open(store.output_log(record.id).c_str(),
                             O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    ::dup2(null.get(), STDIN_FILENO);
    ::dup2(log_file.get(), STDOUT_FILENO);
    ::dup2(log_file.get(), STDERR_FILENO);
    ::signal(SIGHUP, SIG_IGN);
    record.supervisor_pid = ::getpid();
    record.supervisor_start = live_process_start(record.supervisor_pid);
    (void)store.save(record);
    auto booted = boot(launch, config, store.console_log(record.id));
    int status = booted ? *booted : child_fail(booted.error());
    record.exit_code = status;
    record.finished = container::rfc3339_now();
    // The volume copies stay for `twinbox start` (rm removes them).
    if (record.auto_remove)
        (void)store.remove(record.id);
    else
        (void)store.save(record);
    ::_exit(status);
}

// The last line the supervisor wrote: why it failed to start the VM.
std::string last_line(const std::string& path) {
    std::ifstream file(path);
    std::string line, last;
    while (std::getline(file, line))
        if (!line.empty())
            last = line;
    // The supervisor's own log::error line: its message, without the prefix.
    constexpr std::string_view kPrefix = "twinbox: error: ";
    if (last.starts_with(kPrefix))
        last.erase(0, kPrefix.size());
    return last;
}

// Forks the supervisor and waits until the VMM has registered the VM (its
// control socket is then there for stop, inspect and exec); a supervisor
// that ends first failed, and its last line says why.
Result<void> launch_supervisor(const VmLaunch& launch, VmConfig config, const VmRecordStore& store,
                               const VmWorkloadRecord& record) {
    ::fflush(nullptr);
    pid_t supervisor = ::fork();
    if (supervisor < 0)
        return Error::from_errno("fork", "the VM's supervisor");
    if (supervisor == 0)
        supervise(launch, std::move(config), store, record);
    auto registry = VmRegistry::open_default();
    for (;;) {
        if (registry.find(record.name))
            return ok();
        int status = 0;
        if (::waitpid(supervisor, &status, WNOHANG) == supervisor) {
            std::string why = last_line(store.output_log(record.id));
            int exit_status = WIFEXITED(status) && WEXITSTATUS(status) != 0
                                  ? WEXITSTATUS(status)
                                  : exit_code::kTwinboxError;
            return Error::message(
                       fmt::format("the VM did not start{}{}", why.empty() ? "" : ": ", why))
                .with_exit_status(exit_status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Result<int> run_detached(const RunRequest& request) {
    auto store = VmRecordStore::open_default();
    if (!request.name.empty())
        if (auto taken = store.find(request.name); taken && taken->name == request.name)
            return Error::message(fmt::format("the VM name {} is already in use by {}",
                                              request.name, taken->id))
                .with_hint("remove that VM (twinbox rm) or choose another --name");
    VmWorkloadRecord record;
    record.id = random_vm_name();
    record.name = request.name.empty() ? record.id : request.name;
    record.image = request.image_reference;
    record.command = request.command;
    record.created = container::rfc3339_now();
    record.created_unix_ms = now_unix_ms();
    record.auto_remove = request.remove;
    TRY(store.reserve(record.id));
    auto undo = [&](const Error& error) -> Result<int> {
        (void)store.remove(record.id);
        return error;
    };
    // Everything that can fail before the boot fails here, on the user's terminal.
    auto workload = vm_workload_for(request, store.scratch(record.id));
    if (!workload)
        return undo(workload.error());
    workload->name = record.name;
    workload->console_log = store.console_log(record.id);
    record.started = record.created;
    record.started_unix_ms = record.created_unix_ms;
    VmLaunch launch{std::move(*workload), request.network, request.publish};
    if (!request.remove) {
        // Its root volume: what it writes outlives the VM, for `twinbox start`.
        launch.workload.writable_disk = store.writable_disk(record.id);
        if (auto made = image::make_empty_ext4(launch.workload.writable_disk, kWritableDiskBytes);
            !made)
            return undo(made.error());
        if (auto saved = save_vm_launch(store.launch_file(record.id), launch); !saved)
            return undo(saved.error());
    }
    auto config = config_for(launch);
    if (!config)
        return undo(config.error());
    if (auto saved = store.save(record); !saved)
        return undo(saved.error());
    if (auto launched = launch_supervisor(launch, std::move(*config), store, record); !launched)
        return undo(launched.error());
    fmt::print("{}\n", record.id);
    return 0;
}

}  // namespace

Result<void> VmBackend::start(const WorkloadInfo& workload) {
    if (workload.id.empty())
        return Error::message(fmt::format("VM {} runs in the foreground or under 'twinbox vm run'",
                                          workload.name))
            .with_hint("only VMs run with -d can be started again");
    auto store = VmRecordStore::open_default();
    // Two starts of one VM: the second waits, then finds it running.
    auto lock = TRY(FileLock::acquire(store.directory(workload.id) + "/start.lock"));
    auto record = TRY(store.load(workload.id));
    if (VmRecordStore::supervisor_alive(record))
        return ok();  // running (or still recording its exit): docker start does nothing
    auto launch = TRY(load_vm_launch(store.launch_file(record.id))
                          .with_context(fmt::format("VM {} cannot be started again", record.name)));
    for (const auto& disk : {launch.workload.root_disk, launch.workload.writable_disk})
        if (::access(disk.c_str(), R_OK) != 0)
            return Error::message(
                       fmt::format(
                           "VM {} cannot be started: its disk {} is gone{}", record.name, disk,
                           disk == launch.workload.root_disk ? " (its image was removed)" : ""))
                .with_hint("remove it (twinbox rm) and run a new one");
    auto config = TRY(config_for(launch));
    VmWorkloadRecord restarted = record;
    restarted.exit_code.reset();
    restarted.finished.clear();
    restarted.started = container::rfc3339_now();
    restarted.started_unix_ms = now_unix_ms();
    TRY(store.save(restarted));
    if (auto launched = launch_supervisor(launch, std::move(config), store, restarted); !launched) {
        (void)store.save(record);  // as it was: stopped, with its exit status
        return launched.error();
    }
    return ok();
}

Result<int> VmBackend::run(const RunRequest& request) {
    return request.detach ? run_detached(request) : run_foreground(request);
}

}  // namespace twinbox::workload
