// twinbox ec2 describe-instance-types (cloud/instance_types.h).
#include <fmt/core.h>

#include <memory>

#include "cli/ec2_common.h"
#include "cloud/instance_types.h"

namespace twinbox::cli {
namespace {

struct DescribeArgs {
    std::vector<std::string> types;
    Ec2Output output;
};

}  // namespace

void register_ec2_instance_types(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<DescribeArgs>();
    CLI::App* verb =
        ec2.add_subcommand("describe-instance-types", "The instance types, their vCPUs and memory");
    verb->add_option("--instance-types", args->types, "Types to show (default: all)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        auto list = cloud::describe_instance_types(args->types);
        if (!list) {
            exit_code = report_ec2("DescribeInstanceTypes", list.error());
            return;
        }
        exit_code = print_result({{"InstanceTypes", *list}}, args->output);
    });
}

}  // namespace twinbox::cli
