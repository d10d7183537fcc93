// twinbox ec2 run-instances | describe-instances (cloud/instances.h), with
// the AWS CLI's flags and output.
#include <fmt/core.h>

#include <memory>

#include "cli/ec2_common.h"
#include "cloud/instance_json.h"
#include "cloud/instances.h"

namespace twinbox::cli {
namespace {

struct RunArgs {
    std::string image_id, instance_type, key_name, user_data, count = "1", isolation = "vm",
                                                              metadata_options, client_token;
    std::vector<std::string> tag_specifications;
    Ec2Output output;
};

Result<cloud::RunInstancesInput> run_input(const RunArgs& args) {
    cloud::RunInstancesInput input;
    input.image_id = args.image_id;
    input.instance_type = args.instance_type;
    input.key_name = args.key_name;
    input.isolation = args.isolation;
    input.client_token = args.client_token;
    input.count = TRY(cloud::parse_count(args.count));
    input.tags = TRY(cloud::parse_tag_specifications(args.tag_specifications));
    if (!args.metadata_options.empty())
        input.http_tokens = TRY(cloud::parse_metadata_options(args.metadata_options));
    if (!args.user_data.empty())
        input.user_data = TRY(read_blob_argument(args.user_data, "--user-data"));
    return input;
}

void register_run(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* verb = ec2.add_subcommand(
        "run-instances", "Launch instances: each a detached twinbox VM or container");
    verb->add_option("--image-id", args->image_id, "The AMI (ami-...)")->required();
    verb->add_option("--instance-type", args->instance_type,
                     "t3.micro, ... (describe-instance-types)")
        ->required();
    verb->add_option("--key-name", args->key_name, "The key pair whose public key ec2-user gets");
    verb->add_option("--user-data", args->user_data,
                     "file://SCRIPT (or the text): run once at first boot, at most 16 KiB");
    verb->add_option("--count", args->count, "N or MIN:MAX (default 1)");
    verb->add_option("--isolation", args->isolation,
                     "vm (the default, as EC2) or container: twinbox's extension")
        ->check(CLI::IsMember({"vm", "container"}));
    verb->add_option("--tag-specifications", args->tag_specifications,
                     "ResourceType=instance,Tags=[{Key=Name,Value=web}]");
    verb->add_option("--metadata-options", args->metadata_options,
                     "HttpTokens=required (IMDSv2 only) or optional");
    verb->add_option("--client-token", args->client_token,
                     "Idempotency: a second call with the same token returns the first launch");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code = with_store("RunInstances", [&](const cloud::StateStore& store) -> Result<int> {
            auto input = TRY(run_input(*args));
            auto made = TRY(cloud::run_instances(store, input));
            return print_result(cloud::reservation_json(made), args->output);
        });
    });
}

struct DescribeArgs {
    std::vector<std::string> ids, filters;
    Ec2Output output;
};

std::string tag_value(const cloud::InstanceRecord& record, std::string_view key) {
    for (const auto& [name, value] : record.tags)
        if (name == key)
            return value;
    return "";
}

// A readable table: one row per instance.
void print_instances_table(const std::vector<cloud::InstanceRecord>& records) {
    fmt::print("{:<21} {:<14} {:<10} {:<16} {:<10} {:<22} {}\n", "INSTANCE ID", "STATE", "TYPE",
               "PRIVATE IP", "ISOLATION", "IMAGE", "NAME");
    for (const auto& record : records)
        fmt::print("{:<21} {:<14} {:<10} {:<16} {:<10} {:<22} {}\n", record.instance_id,
                   cloud::instance_state_name(record.state), record.instance_type,
                   record.private_ip.empty() ? "-" : record.private_ip, record.isolation,
                   record.image_id, tag_value(record, "Name"));
}

void register_describe(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<DescribeArgs>();
    CLI::App* verb = ec2.add_subcommand("describe-instances", "List instances and their state");
    verb->add_option("--instance-ids", args->ids, "Instance ids (i-...)");
    verb->add_option(
        "--filters", args->filters,
        "Name=instance-state-name,Values=running Name=tag:Name,Values=web (also instance-id, "
        "instance-type, image-id, key-name, private-ip-address, reservation-id, tag-key)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code =
            with_store("DescribeInstances", [&](const cloud::StateStore& store) -> Result<int> {
                auto filters = TRY(cloud::parse_instance_filters(args->filters));
                auto records = TRY(cloud::describe_instances(store, args->ids, filters));
                if (args->output.format == "table" && args->output.query.empty()) {
                    print_instances_table(records);
                    return 0;
                }
                return print_result(cloud::reservations_json(records), args->output);
            });
    });
}

}  // namespace

void register_ec2_instances(CLI::App& ec2, int& exit_code) {
    register_run(ec2, exit_code);
    register_describe(ec2, exit_code);
}

}  // namespace twinbox::cli
