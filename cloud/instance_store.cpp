// The instances document (see instance_store.h), read strictly: every field
// through common/json_reader.h so that a damaged file names its JSON path.
#include "cloud/instance_store.h"

#include <algorithm>
#include <array>

#include "common/json_reader.h"

namespace twinbox::cloud {

namespace {

constexpr std::string_view kDocument = "instances";

struct StateInfo {
    InstanceState state;
    const char* name;
    int code;  // EC2's InstanceState.Code (the low byte; the high byte is internal to AWS)
};
constexpr std::array<StateInfo, 6> kStates = {{
    {InstanceState::pending, "pending", 0},
    {InstanceState::running, "running", 16},
    {InstanceState::shutting_down, "shutting-down", 32},
    {InstanceState::terminated, "terminated", 48},
    {InstanceState::stopping, "stopping", 64},
    {InstanceState::stopped, "stopped", 80},
}};

const StateInfo& info_of(InstanceState state) {
    return *std::find_if(kStates.begin(), kStates.end(),
                         [&](const StateInfo& info) { return info.state == state; });
}

using json_reader::Node;

Result<InstanceRecord> read_record(const Node& node) {
    TRY(json_reader::expect_object(node));
    InstanceRecord record;
    TRY(json_reader::read_required(node, "InstanceId", record.instance_id));
    TRY(json_reader::read_required(node, "ReservationId", record.reservation_id));
    TRY(json_reader::read_required(node, "ImageId", record.image_id));
    TRY(json_reader::read_required(node, "InstanceType", record.instance_type));
    TRY(json_reader::read_member(node, "KeyName", record.key_name));
    TRY(json_reader::read_required(node, "Isolation", record.isolation));
    TRY(json_reader::read_required(node, "Workload", record.workload));
    TRY(json_reader::read_member(node, "Network", record.network));
    TRY(json_reader::read_member(node, "VpcId", record.vpc_id));
    TRY(json_reader::read_member(node, "SubnetId", record.subnet_id));
    TRY(json_reader::read_member(node, "SecurityGroupIds", record.security_group_ids));
    TRY(json_reader::read_member(node, "PublicIpAddress", record.public_ip));
    std::string state;
    TRY(json_reader::read_required(node, "State", state));
    auto parsed = parse_instance_state(state);
    if (!parsed)
        return node.member("State")->error("not an instance state");
    record.state = *parsed;
    TRY(json_reader::read_member(node, "StateTransitionReason", record.state_reason));
    TRY(json_reader::read_member(node, "PrivateIpAddress", record.private_ip));
    TRY(json_reader::read_required(node, "LaunchTime", record.launch_time));
    TRY(json_reader::read_member(node, "TerminatedAt", record.terminated_at));
    TRY(json_reader::read_member(node, "UserData", record.user_data));
    TRY(json_reader::read_member(node, "HttpTokens", record.http_tokens));
    TRY(json_reader::read_member(node, "AmiLaunchIndex", record.launch_index));
    TRY(json_reader::read_member(node, "ClientToken", record.client_token));
    if (auto tags = node.member("Tags")) {
        TRY(json_reader::expect_array(*tags));
        for (size_t index = 0; index < tags->json().size(); ++index) {
            Node tag = tags->element(index);
            std::pair<std::string, std::string> entry;
            TRY(json_reader::expect_object(tag));
            TRY(json_reader::read_required(tag, "Key", entry.first));
            TRY(json_reader::read_required(tag, "Value", entry.second));
            record.tags.push_back(std::move(entry));
        }
    }
    return record;
}

nlohmann::json to_json(const InstanceRecord& record) {
    nlohmann::json tags = nlohmann::json::array();
    for (const auto& [key, value] : record.tags) tags.push_back({{"Key", key}, {"Value", value}});
    return {{"InstanceId", record.instance_id},
            {"ReservationId", record.reservation_id},
            {"ImageId", record.image_id},
            {"InstanceType", record.instance_type},
            {"KeyName", record.key_name},
            {"Isolation", record.isolation},
            {"Workload", record.workload},
            {"Network", record.network},
            {"VpcId", record.vpc_id},
            {"SubnetId", record.subnet_id},
            {"SecurityGroupIds", record.security_group_ids},
            {"PublicIpAddress", record.public_ip},
            {"State", instance_state_name(record.state)},
            {"StateTransitionReason", record.state_reason},
            {"PrivateIpAddress", record.private_ip},
            {"LaunchTime", record.launch_time},
            {"TerminatedAt", record.terminated_at},
            {"UserData", record.user_data},
            {"HttpTokens", record.http_tokens},
            {"AmiLaunchIndex", record.launch_index},
            {"ClientToken", record.client_token},
            {"Tags", std::move(tags)}};
}

Result<std::vector<InstanceRecord>> load(const StateStore& store, const nlohmann::json& document) {
    Node root(document, "", "instances.json");
    std::vector<InstanceRecord> instances;
    auto list = root.member("Instances");
    if (!list)
        return instances;
    auto checked = json_reader::expect_array(*list);
    if (!checked)
        return damaged(store.path_of(kDocument), checked.error().to_string());
    for (size_t index = 0; index < list->json().size(); ++index) {
        auto record = read_record(list->element(index));
        if (!record)
            return damaged(store.path_of(kDocument), record.error().to_string());
        instances.push_back(std::move(*record));
    }
    return instances;
}

}  // namespace

const char* instance_state_name(InstanceState state) {
    return info_of(state).name;
}

int instance_state_code(InstanceState state) {
    return info_of(state).code;
}

std::optional<InstanceState> parse_instance_state(std::string_view name) {
    for (const auto& info : kStates)
        if (name == info.name)
            return info.state;
    return std::nullopt;
}

Result<std::vector<InstanceRecord>> read_instances(const StateStore& store) {
    return load(store, TRY(store.read(kDocument)));
}

Result<void> update_instances(const StateStore& store, const InstancesChange& change) {
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        auto instances = TRY(load(store, document));  // a damaged file is never rewritten
        TRY(change(instances));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& record : instances) list.push_back(to_json(record));
        document = nlohmann::json{{"Instances", std::move(list)}};
        return ok();
    });
}

const InstanceRecord* find_by_private_ip(const std::vector<InstanceRecord>& instances,
                                         std::string_view ip) {
    if (ip.empty())
        return nullptr;
    for (const auto& record : instances)
        if (record.private_ip == ip && record.state != InstanceState::terminated)
            return &record;
    return nullptr;
}

InstanceRecord* find_instance(std::vector<InstanceRecord>& instances, std::string_view id) {
    for (auto& record : instances)
        if (record.instance_id == id)
            return &record;
    return nullptr;
}

}  // namespace twinbox::cloud
