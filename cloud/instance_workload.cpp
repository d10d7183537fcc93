// The instance's workload through the workload layer (see instance_workload.h).
#include "cloud/instance_workload.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common/file.h"
#include "common/unique_fd.h"
#include "host/network/endpoint.h"
#include "host/network/network.h"
#include "workload/backend.h"
#include "workload/vm_records.h"

namespace twinbox::cloud {

namespace {

// stdout pointed at /dev/null while it lives: the detached run prints the
// workload's id, and the verb's stdout is its JSON.
class QuietStdout {
public:
    QuietStdout() {
        std::fflush(stdout);
        m_saved = ::dup(STDOUT_FILENO);
        int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (m_saved >= 0 && null >= 0)
            ::dup2(null, STDOUT_FILENO);
        if (null >= 0)
            ::close(null);
    }
    ~QuietStdout() {
        std::fflush(stdout);
        if (m_saved >= 0) {
            ::dup2(m_saved, STDOUT_FILENO);
            ::close(m_saved);
        }
    }
    QuietStdout(const QuietStdout&) = delete;
    QuietStdout& operator=(const QuietStdout&) = delete;

private:
    int m_saved = -1;
};

struct Found {
    std::unique_ptr<workload::Backend> backend;
    workload::WorkloadInfo info;
};

Result<Found> find(const std::string& name, workload::Isolation isolation) {
    auto backend = workload::make_backend(isolation);
    auto info = TRY(backend->find(name));
    return Found{std::move(backend), std::move(info)};
}

// proc(5) stat field 4; 0 when unknown.
pid_t parent_of(pid_t pid) {
    if (pid <= 0)
        return 0;
    auto stat = read_text_file(fmt::format("/proc/{}/stat", pid), "a process's stat", 4096);
    if (!stat)
        return 0;
    size_t close = stat->rfind(')');
    int parent = 0;
    if (close == std::string::npos ||
        std::sscanf(stat->c_str() + close + 1, " %*c %d", &parent) != 1)
        return 0;
    return parent;
}

}  // namespace

container::RunFlags launch_flags(const LaunchPlan& plan) {
    container::RunFlags flags;
    flags.detach = true;
    flags.name = plan.name;
    flags.network = plan.network;
    // EC2's resource-based host name (the instance id); the init may set
    // the metadata's name over it where it is allowed to.
    flags.hostname = plan.name;
    if (plan.type) {
        // A VM: --cpus N --memory M; a container: cpu.max = N * period and
        // memory.max = M, which is what the same two flags mean for it.
        if (plan.isolation == workload::Isolation::vm) {
            VmShape shape = vm_shape(*plan.type);
            flags.cpus = shape.cpus;
            flags.memory = fmt::format("{}m", shape.memory_mib);
        } else {
            ContainerLimits limits = container_limits(*plan.type);
            flags.cpus = static_cast<double>(limits.cpu_quota_us) /
                         static_cast<double>(limits.cpu_period_us);
            flags.memory = std::to_string(limits.memory_bytes);
        }
    }
    return flags;
}

Result<void> launch_workload(const LaunchPlan& plan) {
    container::RunFlags flags = launch_flags(plan);
    auto request =
        TRY(workload::build_run_request_for_image(flags, plan.isolation, plan.image_reference));
    auto backend = workload::make_backend(plan.isolation);
    Result<int> status = Error::message("");
    {
        QuietStdout quiet;
        status = backend->run(request);
    }
    if (!status)
        return std::move(status).error();
    if (*status != 0)
        return Error::message(
            fmt::format("the workload of {} did not start (status {})", plan.name, *status));
    return ok();
}

std::optional<Observed> observe_workload(const std::string& name, workload::Isolation isolation) {
    auto listing = workload::make_backend(isolation)->list(true);
    for (const auto& info : listing.workloads)
        if (info.name == name)
            return info.running ? Observed::running : Observed::exited;
    if (!listing.damaged.empty())
        return std::nullopt;
    return Observed::gone;
}

std::string workload_private_ip(const std::string& name, workload::Isolation isolation,
                                const std::string& network) {
    auto found = find(name, isolation);
    if (!found || !found->info.running)
        return "";
    if (isolation == workload::Isolation::container) {
        auto endpoint = network::find_endpoint(found->info.id);
        return endpoint ? endpoint->lease.address.to_string() : "";
    }
    // A VM's first card's lease is owned by the process that attached it
    // ("vm-<pid>-0", host/network/vm_attach.cpp) and follows the VMM: one
    // of the VMM, its parent, or the VM's supervisor.
    std::vector<pid_t> pids = {found->info.pid, parent_of(found->info.pid)};
    if (auto record = workload::VmRecordStore::open_default().load(found->info.id))
        pids.push_back(record->supervisor_pid);
    auto members = network::inspect_network(network::resolve_network_name(network));
    if (!members || !members->contains("Members"))
        return "";
    for (const auto& member : (*members)["Members"]) {
        std::string owner = member.value("Id", "");
        pid_t pid = member.value("Pid", 0);
        for (pid_t candidate : pids) {
            if (candidate <= 0 || (owner != fmt::format("vm-{}-0", candidate) && pid != candidate))
                continue;
            std::string address = member.value("IPv4Address", "");
            return address.substr(0, address.find('/'));
        }
    }
    return "";
}

Result<void> stop_workload(const std::string& name, workload::Isolation isolation,
                           std::chrono::seconds timeout) {
    auto found = TRY(find(name, isolation));
    if (!found.info.running)
        return ok();
    return found.backend->stop(found.info, timeout);
}

Result<void> start_workload(const std::string& name, workload::Isolation isolation) {
    auto found = TRY(find(name, isolation));
    if (found.info.running)
        return ok();
    QuietStdout quiet;
    return found.backend->start(found.info);
}

Result<void> remove_workload(const std::string& name, workload::Isolation isolation,
                             std::chrono::seconds timeout) {
    auto observed = observe_workload(name, isolation);
    if (observed == Observed::gone)
        return ok();
    auto found = TRY(find(name, isolation));
    if (found.info.running) {
        if (auto stopped = found.backend->stop(found.info, timeout); !stopped)
            TRY(found.backend->kill(found.info, SIGKILL));
        found = TRY(find(name, isolation));
    }
    return found.backend->remove(found.info, true);
}

Result<std::string> workload_console(const std::string& name, workload::Isolation isolation,
                                     size_t limit) {
    auto found = TRY(find(name, isolation));
    std::vector<std::string> paths;
    // A VM's serial console (the kernel and the init) comes first, then what
    // the workload's program wrote; a container has only the latter.
    if (auto inspected = found.backend->inspect(found.info);
        inspected && inspected->contains("ConsoleLogPath") &&
        (*inspected)["ConsoleLogPath"].is_string())
        paths.push_back((*inspected)["ConsoleLogPath"].get<std::string>());
    paths.push_back(TRY(found.backend->log_path(found.info)));
    std::string text;
    for (const auto& path : paths) {
        if (::access(path.c_str(), R_OK) != 0)
            continue;
        text += TRY(read_text_file(path, "the instance's console", 64 << 20));
    }
    if (text.size() > limit)
        text.erase(0, text.size() - limit);
    return text;
}

}  // namespace twinbox::cloud
