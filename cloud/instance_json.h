// What the instance verbs print, in EC2's shapes (the EC2 API reference's
// Instance, Reservation, InstanceStateChange, as `aws ec2` prints them), and
// the state reconciliation done before each describe: the record says what
// twinbox did, the workload says what happened since (an instance whose OS
// shut down is stopped on EC2; one whose workload was removed behind our back
// is gone). Pure, so the shapes and the rules are unit-tested.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/instance_store.h"

namespace twinbox::cloud {

// One machine is one region with one zone; the account is LocalStack's
// well-known 000000000000 (nothing here is an AWS account).
inline constexpr const char* kRegion = "local-1";
inline constexpr const char* kAvailabilityZone = "local-1a";
inline constexpr const char* kOwnerId = "000000000000";

using Clock = std::chrono::system_clock;

// "2026-12-07T18:00:00.000Z", as EC2's LaunchTime.
std::string ec2_timestamp(Clock::time_point when);
// Back to a time point; nullopt for anything else.
std::optional<Clock::time_point> parse_ec2_timestamp(std::string_view text);
// StateTransitionReason of a user's action: "User initiated (2026-12-07 18:00:00 GMT)".
std::string user_initiated(Clock::time_point when);
// "ip-172-17-0-2.local-1.compute.internal" ("" without an address).
std::string private_dns_name(std::string_view ip);

// Reservations[].Instances[] entry.
nlohmann::json instance_json(const InstanceRecord& record);
// {"Reservations": [...]}: instances grouped by reservation, in launch order.
nlohmann::json reservations_json(const std::vector<InstanceRecord>& records);
// One run-instances reservation: {"ReservationId", "OwnerId", "Groups", "Instances"}.
nlohmann::json reservation_json(const std::vector<InstanceRecord>& records);
// StoppingInstances[] / StartingInstances[] / TerminatingInstances[] entry.
nlohmann::json state_change_json(std::string_view id, InstanceState previous,
                                 InstanceState current);

// What the workload of an instance is doing now.
enum class Observed { running, exited, gone };
// Brings `record` in line with `observed`; true when it changed. Rules:
//   running  + exited -> stopped ("Client.InstanceInitiatedShutdown", as EC2
//                        when the OS shuts down)
//   stopped  + running -> running (started with `twinbox start`)
//   anything not terminated + gone -> terminated (the workload was removed
//                        outside `twinbox ec2`)
// pending, stopping and shutting-down are in-flight states of a verb that is
// still working (or died); they are settled by what the workload shows.
bool reconcile(InstanceRecord& record, Observed observed, Clock::time_point now);

// Terminated instances stay listed for an hour (as EC2), then are dropped.
inline constexpr std::chrono::hours kTerminatedVisible{1};
// Drops them; true when it dropped any.
bool drop_expired(std::vector<InstanceRecord>& records, Clock::time_point now);

}  // namespace twinbox::cloud
