// An instance's workload: the detached twinbox container or VM that is the
// instance, named by the instance id, so `twinbox ps` lists it and every
// twinbox verb works on it. This is the one place the cloud touches the
// workload layer (workload/backend.h).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cloud/instance_json.h"
#include "cloud/instance_types.h"
#include "common/result.h"
#include "workload/run_request.h"

namespace twinbox::cloud {

struct LaunchPlan {
    std::string name;             // the instance id
    std::string image_reference;  // the AMI's image in the store
    workload::Isolation isolation = workload::Isolation::vm;
    const InstanceType* type = nullptr;
    std::string network = "bridge";  // the default twinbox network (VPCs come in part 2)
};

// The flags `twinbox run -d` would get: --name, --network, and the type's
// size: -m and --cpus (a VM: memory and vCPUs; a container: memory.max and
// cpu.max, instance_types.h).
container::RunFlags launch_flags(const LaunchPlan& plan);

// Starts the workload detached, with the image's own command (the AMI's
// CMD is the instance init). Prints nothing (the backend's id line is
// swallowed: the verb prints JSON).
Result<void> launch_workload(const LaunchPlan& plan);

// What the workload is doing; nullopt when that cannot be told (a damaged
// workload state file): then nothing is concluded from it.
std::optional<Observed> observe_workload(const std::string& name, workload::Isolation isolation);

// The address its lease holds on the network ("" when it has none).
std::string workload_private_ip(const std::string& name, workload::Isolation isolation,
                                const std::string& network = "bridge");

Result<void> stop_workload(const std::string& name, workload::Isolation isolation,
                           std::chrono::seconds timeout);
// Backend::start: the stopped workload again, root volume kept.
Result<void> start_workload(const std::string& name, workload::Isolation isolation);
// Stopped (killed after `timeout`) and removed with all it holds; a workload
// that is already gone is not an error.
Result<void> remove_workload(const std::string& name, workload::Isolation isolation,
                             std::chrono::seconds timeout);
// The last `limit` bytes of its console: a VM's serial console, a container's
// stdout and stderr.
Result<std::string> workload_console(const std::string& name, workload::Isolation isolation,
                                     size_t limit);

}  // namespace twinbox::cloud
