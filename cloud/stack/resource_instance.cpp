// aws_instance: one EC2 instance per instance of the block (count), through
// cloud/instances.h: RunInstances with MinCount = MaxCount = 1,
// DescribeInstances to read it back, TerminateInstances to delete it.
//
// What forces a replacement: ami, key_name, user_data, subnet_id,
// private_ip, associate_public_ip_address, vpc_security_group_ids and
// instance_type. The AWS provider changes instance_type in place (it stops
// the instance, modifies it and starts it); twinbox replaces it, as issue 21
// asks, because the library has no ModifyInstanceAttribute yet. tags are
// updated in place.
//
// Isolation (twinbox's extension, `--isolation` of run-instances) is the tag
// "twinbox:isolation" = "vm" | "container" (default vm, as EC2): a tag, not an
// argument, so the same file is valid for the real AWS provider, where it is
// just a tag. Changing it replaces the instance.
#include <fmt/core.h>

#include "cloud/aws_error.h"
#include "cloud/instances.h"
#include "cloud/stack/resource_types.h"

namespace twinbox::cloud::stack {
namespace {

constexpr const char* kIsolationTag = "twinbox:isolation";

std::string text(const Json& args, const char* key) {
    const Json& value = args.contains(key) ? args[key] : Json();
    if (value.is_string())
        return value.get<std::string>();
    return value.is_null() ? std::string() : value.dump();
}

Result<std::vector<Tag>> tags_of(const Json& args) {
    std::vector<Tag> tags;
    if (!args.contains("tags") || args["tags"].is_null())
        return tags;
    if (!args["tags"].is_object())
        return Error::message("tags must be a map of strings");
    for (const auto& [key, value] : args["tags"].items()) {
        if (!value.is_string())
            return Error::message(fmt::format("tags.{} must be a string", key));
        tags.emplace_back(key, value.get<std::string>());
    }
    return tags;
}

Json attributes_of(const InstanceRecord& record) {
    return {{"id", record.instance_id},
            {"private_ip", record.private_ip},
            {"public_ip", record.public_ip},
            {"instance_state", instance_state_name(record.state)}};
}

Result<Json> create(const StateStore& store, const Json& args) {
    RunInstancesInput input;
    input.image_id = text(args, "ami");
    input.instance_type = text(args, "instance_type");
    input.key_name = text(args, "key_name");
    if (args.contains("user_data") && !args["user_data"].is_null())
        input.user_data = text(args, "user_data");
    input.tags = TRY(tags_of(args));
    for (const auto& [key, value] : input.tags)
        if (key == kIsolationTag)
            input.isolation = value;
    if (input.isolation != "vm" && input.isolation != "container")
        return Error::message(fmt::format("tag {} must be vm or container", kIsolationTag));
    input.subnet_id = text(args, "subnet_id");
    input.private_ip = text(args, "private_ip");
    if (args.contains("vpc_security_group_ids"))
        for (const auto& id : args["vpc_security_group_ids"])
            input.security_group_ids.push_back(id.is_string() ? id.get<std::string>() : id.dump());
    if (args.contains("associate_public_ip_address") &&
        args["associate_public_ip_address"].is_boolean())
        input.associate_public_ip = args["associate_public_ip_address"].get<bool>();
    auto records = TRY(run_instances(store, input));
    return attributes_of(records.front());
}

Result<std::optional<Observed>> read(const StateStore& store, const Json& attributes) {
    std::string id = attributes.value("id", std::string());
    auto records = describe_instances(store, {id}, {});
    if (!records && aws_error_code(records.error()) == "InvalidInstanceID.NotFound")
        return std::optional<Observed>();
    if (!records)
        return std::move(records).error();
    if (records->empty())
        return std::optional<Observed>();
    const InstanceRecord& record = records->front();
    if (record.state == InstanceState::terminated || record.state == InstanceState::shutting_down)
        return std::optional<Observed>();
    Observed observed{Json{{"ami", record.image_id}, {"instance_type", record.instance_type}},
                      attributes_of(record)};
    if (!record.key_name.empty())
        observed.arguments["key_name"] = record.key_name;
    Json tags = Json::object();
    for (const auto& [key, value] : record.tags) tags[key] = value;
    observed.arguments["tags"] = tags;
    return std::optional<Observed>(std::move(observed));
}

// Only tags change in place: the record's tags are replaced, as CreateTags
// and DeleteTags together would.
Result<Json> update(const StateStore& store, const Json& attributes, const Json&,
                    const Json& after) {
    std::vector<Tag> tags = TRY(tags_of(after));
    std::string id = attributes.value("id", std::string());
    TRY(update_instances(store, [&](std::vector<InstanceRecord>& instances) -> Result<void> {
        InstanceRecord* record = find_instance(instances, id);
        if (!record)
            return aws_error("InvalidInstanceID.NotFound",
                             fmt::format("The instance ID '{}' does not exist", id));
        record->tags = tags;
        return ok();
    }));
    return attributes;
}

Result<void> destroy(const StateStore& store, const Json& attributes) {
    auto done = terminate_instances(store, {attributes.value("id", std::string())});
    if (!done && aws_error_code(done.error()) != "InvalidInstanceID.NotFound")
        return std::move(done).error();
    return ok();
}

std::vector<std::string> isolation_changes(const Json& before, const Json& after) {
    auto isolation = [](const Json& args) {
        const Json& tags = args.contains("tags") ? args["tags"] : Json();
        return tags.is_object() ? tags.value(kIsolationTag, std::string("vm")) : std::string("vm");
    };
    if (isolation(before) != isolation(after))
        return {"tags"};
    return {};
}

}  // namespace

ResourceType aws_instance_type() {
    return {.name = "aws_instance",
            .arguments = {{"ami", true, true},
                          {"instance_type", true, true},
                          {"key_name", true},
                          {"user_data", true},
                          {"subnet_id", true},
                          {"private_ip", true},
                          {"associate_public_ip_address", true},
                          {"vpc_security_group_ids", true},
                          {"tags"}},
            .attributes = {"id", "private_ip", "public_ip", "instance_state"},
            .create = create,
            .read = read,
            .update = update,
            .destroy = destroy,
            .also_forces = isolation_changes};
}

}  // namespace twinbox::cloud::stack
