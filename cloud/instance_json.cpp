// EC2's JSON shapes and the reconciliation rules (see instance_json.h).
#include "cloud/instance_json.h"

#include <fmt/chrono.h>
#include <fmt/core.h>

#include <algorithm>
#include <ctime>

#include "cloud/instance_types.h"

namespace twinbox::cloud {

std::string ec2_timestamp(Clock::time_point when) {
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() %
        1000;
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(Clock::to_time_t(when)), millis);
}

std::optional<Clock::time_point> parse_ec2_timestamp(std::string_view text) {
    std::tm parts{};
    std::string copy(text);
    const char* rest = ::strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
    if (rest == nullptr)
        return std::nullopt;
    return Clock::from_time_t(::timegm(&parts));
}

std::string user_initiated(Clock::time_point when) {
    return fmt::format("User initiated ({:%Y-%m-%d %H:%M:%S} GMT)",
                       fmt::gmtime(Clock::to_time_t(when)));
}

std::string private_dns_name(std::string_view ip) {
    if (ip.empty())
        return "";
    std::string dashed(ip);
    std::replace(dashed.begin(), dashed.end(), '.', '-');
    return fmt::format("ip-{}.{}.compute.internal", dashed, kRegion);
}

nlohmann::json instance_json(const InstanceRecord& record) {
    nlohmann::json tags = nlohmann::json::array();
    for (const auto& [key, value] : record.tags) tags.push_back({{"Key", key}, {"Value", value}});
    unsigned vcpus = 1;
    if (const InstanceType* type = find_instance_type(record.instance_type))
        vcpus = type->vcpus;
    nlohmann::json instance = {
        {"AmiLaunchIndex", record.launch_index},
        {"ImageId", record.image_id},
        {"InstanceId", record.instance_id},
        {"InstanceType", record.instance_type},
        {"LaunchTime", record.launch_time},
        {"Monitoring", {{"State", "disabled"}}},
        {"Placement",
         {{"AvailabilityZone", kAvailabilityZone}, {"GroupName", ""}, {"Tenancy", "default"}}},
        {"PrivateDnsName", private_dns_name(record.private_ip)},
        {"ProductCodes", nlohmann::json::array()},
        {"PublicDnsName", ""},
        {"State",
         {{"Code", instance_state_code(record.state)},
          {"Name", instance_state_name(record.state)}}},
        {"StateTransitionReason", record.state_reason},
        {"Architecture", "x86_64"},
        {"BlockDeviceMappings", nlohmann::json::array()},
        {"ClientToken", record.client_token},
        {"EbsOptimized", false},
        // Not one of EC2's values (ovm|xen): what really runs the instance.
        {"Hypervisor", record.isolation == "vm" ? "twinbox-kvm" : "none"},
        {"NetworkInterfaces", nlohmann::json::array()},
        {"RootDeviceName", "/dev/xvda"},
        // The root volume outlives stop (a VM's writable layer, a container's
        // upper directory), which is what EBS-backed means.
        {"RootDeviceType", "ebs"},
        {"SecurityGroups", nlohmann::json::array()},
        {"VirtualizationType", "hvm"},
        {"CpuOptions", {{"CoreCount", vcpus}, {"ThreadsPerCore", 1}}},
        {"MetadataOptions",
         {{"State", "applied"},
          {"HttpTokens", record.http_tokens},
          {"HttpPutResponseHopLimit", 1},
          {"HttpEndpoint", "enabled"}}},
        {"PlatformDetails", "Linux/UNIX"},
        // twinbox's extension: which isolation the instance runs in.
        {"Isolation", record.isolation},
    };
    if (!record.key_name.empty())
        instance["KeyName"] = record.key_name;
    if (!record.private_ip.empty())
        instance["PrivateIpAddress"] = record.private_ip;
    if (!tags.empty())
        instance["Tags"] = std::move(tags);
    if (record.state == InstanceState::stopped || record.state == InstanceState::terminated) {
        bool own = record.state_reason.starts_with("Client.InstanceInitiatedShutdown");
        instance["StateReason"] = {
            {"Code", own ? "Client.InstanceInitiatedShutdown" : "Client.UserInitiatedShutdown"},
            {"Message", own ? "Client.InstanceInitiatedShutdown: Instance initiated shutdown"
                            : "Client.UserInitiatedShutdown: User initiated shutdown"}};
    }
    return instance;
}

nlohmann::json reservation_json(const std::vector<InstanceRecord>& records) {
    nlohmann::json instances = nlohmann::json::array();
    for (const auto& record : records) instances.push_back(instance_json(record));
    return {{"Groups", nlohmann::json::array()},
            {"Instances", std::move(instances)},
            {"OwnerId", kOwnerId},
            {"ReservationId", records.empty() ? "" : records.front().reservation_id}};
}

nlohmann::json reservations_json(const std::vector<InstanceRecord>& records) {
    std::vector<std::vector<InstanceRecord>> groups;
    for (const auto& record : records) {
        auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& members) {
            return members.front().reservation_id == record.reservation_id;
        });
        if (group == groups.end())
            groups.push_back({record});
        else
            group->push_back(record);
    }
    nlohmann::json reservations = nlohmann::json::array();
    for (const auto& group : groups) reservations.push_back(reservation_json(group));
    return {{"Reservations", std::move(reservations)}};
}

nlohmann::json state_change_json(std::string_view id, InstanceState previous,
                                 InstanceState current) {
    return {{"CurrentState",
             {{"Code", instance_state_code(current)}, {"Name", instance_state_name(current)}}},
            {"InstanceId", id},
            {"PreviousState",
             {{"Code", instance_state_code(previous)}, {"Name", instance_state_name(previous)}}}};
}

bool reconcile(InstanceRecord& record, Observed observed, Clock::time_point now) {
    bool settled = record.state == InstanceState::running || record.state == InstanceState::stopped;
    if (!settled)
        return false;  // a verb is at work on it (or died there): left as it is
    if (observed == Observed::gone) {
        record.state = InstanceState::terminated;
        record.state_reason = fmt::format(
            "Server.InternalError: the instance's workload {} was removed outside twinbox ec2 "
            "({:%Y-%m-%d %H:%M:%S} GMT)",
            record.workload, fmt::gmtime(Clock::to_time_t(now)));
        record.terminated_at = ec2_timestamp(now);
        record.private_ip.clear();
        return true;
    }
    if (record.state == InstanceState::running && observed == Observed::exited) {
        record.state = InstanceState::stopped;
        record.state_reason = "Client.InstanceInitiatedShutdown: Instance initiated shutdown";
        return true;
    }
    if (record.state == InstanceState::stopped && observed == Observed::running) {
        record.state = InstanceState::running;
        record.state_reason.clear();
        return true;
    }
    return false;
}

bool drop_expired(std::vector<InstanceRecord>& records, Clock::time_point now) {
    auto expired = [&](const InstanceRecord& record) {
        if (record.state != InstanceState::terminated)
            return false;
        auto at = parse_ec2_timestamp(record.terminated_at);
        return !at || now - *at > kTerminatedVisible;
    };
    size_t before = records.size();
    std::erase_if(records, expired);
    return records.size() != before;
}

}  // namespace twinbox::cloud
