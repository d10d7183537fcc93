// EC2 instances on the workload layer: RunInstances, DescribeInstances,
// StopInstances, StartInstances, RebootInstances, TerminateInstances and
// GetConsoleOutput. Each instance is a record in instances.json
// (instance_store.h) and a detached twinbox container or VM named by its id
// (instance_workload.h). Errors carry EC2's codes (aws_error.h).
//
// The verbs run to completion before they return (EC2's return while the
// instance is still "stopping"; here stop-instances answers "stopped"), and
// never hold the store's lock while a workload starts or stops, so that
// describe-instances and the metadata service are not held up.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cloud/instance_args.h"
#include "cloud/instance_store.h"
#include "cloud/state_store.h"

namespace twinbox::cloud {

struct RunInstancesInput {
    std::string image_id, instance_type, key_name;
    std::optional<std::string> user_data;  // raw (the CLI reads file://)
    CountRange count;
    std::string isolation = "vm";  // twinbox's extension; EC2's instances are VMs
    std::vector<Tag> tags;
    std::string http_tokens = "optional";
    std::string client_token;
    // In a VPC (issue 20): --subnet-id (default: the default VPC's default
    // subnet), --private-ip-address, --security-group-ids, and
    // --[no-]associate-public-ip-address (nullopt: the subnet's MapPublicIpOnLaunch).
    std::string subnet_id, private_ip;
    std::vector<std::string> security_group_ids;
    std::optional<bool> associate_public_ip;
};

// Everything is checked before anything is made (AMI, type and capacity for
// the whole count, key pair, user data); a failure part way removes the
// workloads this call started and drops its records.
Result<std::vector<InstanceRecord>> run_instances(const StateStore& store,
                                                  const RunInstancesInput& input);

// The instances named (all when `ids` is empty) that match `filters`, each
// brought in line with its workload first (instance_json.h, reconcile).
Result<std::vector<InstanceRecord>> describe_instances(const StateStore& store,
                                                       const std::vector<std::string>& ids,
                                                       const std::vector<Filter>& filters);

// InstanceStateChange entries, one per id (state_change_json).
Result<nlohmann::json> stop_instances(const StateStore& store, const std::vector<std::string>& ids,
                                      bool force);
Result<nlohmann::json> start_instances(const StateStore& store,
                                       const std::vector<std::string>& ids);
// The workload stopped and started again (its root volume kept): the guest
// goes through a full shutdown and boot, as a reboot does, though a
// container's reboot is a new process tree rather than the same kernel.
Result<void> reboot_instances(const StateStore& store, const std::vector<std::string>& ids);
Result<nlohmann::json> terminate_instances(const StateStore& store,
                                           const std::vector<std::string>& ids);

struct ConsoleOutput {
    std::string instance_id, timestamp, output;
};
// The last 64 KiB of the console, as EC2 keeps.
inline constexpr size_t kConsoleLimit = 64 << 10;
Result<ConsoleOutput> get_console_output(const StateStore& store, const std::string& id);

}  // namespace twinbox::cloud
