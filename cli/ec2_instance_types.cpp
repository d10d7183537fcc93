// twinbox ec2 describe-instance-types (cloud/instance_types.h).
#include <fmt/core.h>

#include <memory>

#include "cli/ec2_common.h"
#include "cloud/aws_error.h"
#include "cloud/instance_types.h"

namespace twinbox::cli {
namespace {

struct DescribeArgs {
    std::vector<std::string> types;
    Ec2Output output;
};

// EC2 names every unknown type in one message.
Result<nlohmann::json> describe(const std::vector<std::string>& names) {
    nlohmann::json list = nlohmann::json::array();
    if (names.empty()) {
        for (const auto& type : cloud::instance_types())
            list.push_back(cloud::describe_instance_type(type));
        return list;
    }
    std::string unknown;
    for (const auto& name : names) {
        if (const auto* type = cloud::find_instance_type(name))
            list.push_back(cloud::describe_instance_type(*type));
        else
            unknown += (unknown.empty() ? "" : ", ") + name;
    }
    if (!unknown.empty())
        return cloud::aws_error(
            "InvalidInstanceType",
            fmt::format("The following supplied instance types do not exist: [{}]", unknown));
    return list;
}

}  // namespace

void register_ec2_instance_types(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<DescribeArgs>();
    CLI::App* verb =
        ec2.add_subcommand("describe-instance-types", "The instance types, their vCPUs and memory");
    verb->add_option("--instance-types", args->types, "Types to show (default: all)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        auto list = describe(args->types);
        if (!list) {
            exit_code = report_ec2("DescribeInstanceTypes", list.error());
            return;
        }
        exit_code = print_result({{"InstanceTypes", *list}}, args->output);
    });
}

}  // namespace twinbox::cli
