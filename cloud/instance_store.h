// EC2 instances as the cloud's state keeps them ("instances.json"): one record
// per instance, whatever its isolation. The instances verbs (run, describe,
// stop, start, reboot, terminate) change it; the instance metadata service
// reads it to tell which instance is calling (by its private address).
//
// States and their codes are EC2's (InstanceState in the EC2 API reference):
//
//   pending(0) ─▶ running(16) ─▶ stopping(64) ─▶ stopped(80) ─▶ pending ...
//                      └──────▶ shutting-down(32) ─▶ terminated(48)
//
// A terminated instance stays listed for an hour, as on EC2, then is dropped.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloud/state_store.h"
#include "common/result.h"

namespace twinbox::cloud {

enum class InstanceState { pending, running, stopping, stopped, shutting_down, terminated };

// "shutting-down", and EC2's code (16 for running).
const char* instance_state_name(InstanceState state);
int instance_state_code(InstanceState state);
std::optional<InstanceState> parse_instance_state(std::string_view name);

struct InstanceRecord {
    std::string instance_id;     // "i-" + 17 hex
    std::string reservation_id;  // "r-" + 17 hex, shared by one run-instances
    std::string image_id;        // "ami-..."
    std::string instance_type;   // "t3.micro"
    std::string key_name;        // "" = launched without a key pair
    std::string isolation;       // "vm" or "container" (twinbox's extension)
    std::string workload;        // the twinbox workload's name (`twinbox ps`)
    std::string network;         // the twinbox network it is attached to ("" in a VPC)
    // In a VPC (issue 20; "" for an instance on a plain twinbox network):
    std::string vpc_id, subnet_id;                // "vpc-...", "subnet-..."
    std::vector<std::string> security_group_ids;  // "sg-...", at most 5, in order
    std::string public_ip;                        // "" = none (auto-assigned or an Elastic IP)
    InstanceState state = InstanceState::pending;
    std::string state_reason;              // StateTransitionReason ("User initiated (...)")
    std::string private_ip;                // "" until it has one
    std::string launch_time;               // RFC 3339 UTC, "2026-12-07T18:00:00.000Z"
    std::string terminated_at;             // when it reached terminated ("" before)
    std::string user_data;                 // base64, as EC2 keeps it ("" = none)
    std::string http_tokens = "optional";  // MetadataOptions.HttpTokens: optional|required
    int launch_index = 0;                  // AmiLaunchIndex within its reservation
    std::string client_token;              // run-instances --client-token ("" = none)
    std::vector<std::pair<std::string, std::string>> tags;  // Key, Value in order
};

// All instances; a damaged file is an Error of kind Damaged naming it.
Result<std::vector<InstanceRecord>> read_instances(const StateStore& store);

// Reads the instances under the store's lock, lets `change` edit them and
// writes them back atomically; nothing is written when `change` fails.
using InstancesChange = std::function<Result<void>(std::vector<InstanceRecord>& instances)>;
Result<void> update_instances(const StateStore& store, const InstancesChange& change);

// The instance (not terminated) whose private address is `ip`: what the
// metadata service answers for a request from `ip`.
const InstanceRecord* find_by_private_ip(const std::vector<InstanceRecord>& instances,
                                         std::string_view ip);
InstanceRecord* find_instance(std::vector<InstanceRecord>& instances, std::string_view id);

}  // namespace twinbox::cloud
