// The instance actions: RunInstances, DescribeInstances (paginated),
// Stop/Start/Reboot/TerminateInstances and GetConsoleOutput, over
// cloud/instances.h.
#include <fmt/core.h>

#include <array>
#include <charconv>

#include "cloud/api/actions.h"
#include "cloud/aws_error.h"
#include "cloud/instance_json.h"
#include "cloud/instances.h"

namespace twinbox::cloud::api::detail {

namespace {

Error invalid(std::string message) {
    return aws_error("InvalidParameterValue", message);
}

// TagSpecification.N.ResourceType / .Tag.M.Key / .Tag.M.Value. The tag
// kIsolationTag picks the isolation and stays on the instance, so that
// describe-instances shows how it runs.
Result<void> read_tags(const Query& query, RunInstancesInput& input) {
    const QueryNode* specs = query.node("TagSpecification");
    if (specs == nullptr)
        return ok();
    for (const QueryNode* spec : TRY(list_items(*specs, "TagSpecification"))) {
        auto type = child_value(*spec, "ResourceType").value_or("");
        if (type != "instance")
            return invalid(
                fmt::format("'{}' is not a valid taggable resource type for this "
                            "operation: twinbox tags instances only",
                            type));
        auto tags = spec->children.find("Tag");
        if (tags == spec->children.end())
            continue;
        for (const QueryNode* tag : TRY(list_items(tags->second, "TagSpecification.N.Tag"))) {
            auto key = child_value(*tag, "Key");
            if (!key || key->empty())
                return aws_error("MissingParameter", "A tag has no Key");
            input.tags.emplace_back(*key, child_value(*tag, "Value").value_or(""));
            if (*key == kIsolationTag)
                input.isolation = input.tags.back().second;
        }
    }
    if (input.isolation != "vm" && input.isolation != "container")
        return invalid(fmt::format("Value ({}) for the tag {} is invalid: vm or container",
                                   input.isolation, kIsolationTag));
    return ok();
}

Result<RunInstancesInput> run_input(const Query& query) {
    RunInstancesInput input;
    input.image_id = TRY(query.required("ImageId"));
    input.instance_type = query.value("InstanceType").value_or("m1.small");
    input.key_name = query.value("KeyName").value_or("");
    input.client_token = query.value("ClientToken").value_or("");
    long min = TRY(query.integer("MinCount", 1, 1000)).value_or(0);
    long max = TRY(query.integer("MaxCount", 1, 1000)).value_or(0);
    if (min == 0 || max == 0)
        return aws_error("MissingParameter",
                         "The request must contain the parameters MinCount and MaxCount");
    if (min > max)
        return invalid(fmt::format("MinCount ({}) is larger than MaxCount ({})", min, max));
    input.count = {static_cast<unsigned>(min), static_cast<unsigned>(max)};
    if (auto user_data = query.value("UserData"))
        input.user_data = TRY(decode_base64(*user_data, "UserData"));
    if (auto tokens = query.value("MetadataOptions.HttpTokens")) {
        if (*tokens != "required" && *tokens != "optional")
            return invalid(fmt::format(
                "Value ({}) for parameter MetadataOptions.HttpTokens is invalid", *tokens));
        input.http_tokens = *tokens;
    }
    input.subnet_id = query.value("SubnetId").value_or("");
    input.private_ip = query.value("PrivateIpAddress").value_or("");
    input.security_group_ids = TRY(query.strings("SecurityGroupId"));
    TRY(read_tags(query, input));
    return input;
}

Result<nlohmann::json> run_instances(const StateStore& store, const Query& query) {
    auto input = TRY(run_input(query));
    return reservation_json(TRY(cloud::run_instances(store, input)));
}

// NextToken is the index of the page's first instance, in decimal: the
// records come back in launch order, which is stable between pages.
Result<size_t> page_start(const Query& query) {
    auto token = query.value("NextToken");
    if (!token)
        return size_t{0};
    size_t start = 0;
    auto [end, error] = std::from_chars(token->data(), token->data() + token->size(), start);
    if (token->empty() || error != std::errc() || end != token->data() + token->size())
        return invalid(fmt::format("Invalid NextToken ({})", *token));
    return start;
}

Result<nlohmann::json> describe_instances(const StateStore& store, const Query& query) {
    auto ids = TRY(query.strings("InstanceId"));
    auto filters = TRY(query.filters());
    TRY(check_instance_filters(filters));
    auto max_results = TRY(query.integer("MaxResults", 5, 1000));
    if (max_results && !ids.empty())
        return aws_error("InvalidParameterCombination",
                         "The parameter instancesSet cannot be used with the parameter maxResults");
    auto records = TRY(cloud::describe_instances(store, ids, filters));
    size_t start = TRY(page_start(query));
    if (start > records.size())
        return invalid("NextToken is past the end of the list");
    size_t size = max_results ? static_cast<size_t>(*max_results) : records.size();
    size_t stop = std::min(records.size(), start + size);
    std::vector<InstanceRecord> page(records.begin() + static_cast<ptrdiff_t>(start),
                                     records.begin() + static_cast<ptrdiff_t>(stop));
    nlohmann::json result = reservations_json(page);
    if (stop < records.size())
        result["NextToken"] = std::to_string(stop);
    return result;
}

Result<std::vector<std::string>> required_ids(const Query& query) {
    auto ids = TRY(query.strings("InstanceId"));
    if (ids.empty())
        return aws_error("MissingParameter", "The request must contain the parameter InstanceId");
    return ids;
}

Result<nlohmann::json> stop_instances(const StateStore& store, const Query& query) {
    auto force = TRY(query.boolean("Force")).value_or(false);
    return nlohmann::json{
        {"StoppingInstances", TRY(cloud::stop_instances(store, TRY(required_ids(query)), force))}};
}

Result<nlohmann::json> start_instances(const StateStore& store, const Query& query) {
    return nlohmann::json{
        {"StartingInstances", TRY(cloud::start_instances(store, TRY(required_ids(query))))}};
}

Result<nlohmann::json> reboot_instances(const StateStore& store, const Query& query) {
    TRY(cloud::reboot_instances(store, TRY(required_ids(query))));
    return nlohmann::json();
}

Result<nlohmann::json> terminate_instances(const StateStore& store, const Query& query) {
    return nlohmann::json{
        {"TerminatingInstances", TRY(cloud::terminate_instances(store, TRY(required_ids(query))))}};
}

// Output is base64 on the wire, as EC2's; the AWS CLI decodes it.
Result<nlohmann::json> get_console_output(const StateStore& store, const Query& query) {
    auto console = TRY(cloud::get_console_output(store, TRY(query.required("InstanceId"))));
    return nlohmann::json{{"InstanceId", console.instance_id},
                          {"Timestamp", console.timestamp},
                          {"Output", encode_base64(console.output)}};
}

constexpr std::array kInstanceActions = {
    Action{"RunInstances", run_instances},
    Action{"DescribeInstances", describe_instances},
    Action{"StopInstances", stop_instances},
    Action{"StartInstances", start_instances},
    Action{"RebootInstances", reboot_instances},
    Action{"TerminateInstances", terminate_instances},
    Action{"GetConsoleOutput", get_console_output},
};

}  // namespace

std::span<const Action> instance_actions() {
    return kInstanceActions;
}

}  // namespace twinbox::cloud::api::detail
