// twinbox ec2 create-security-group | delete-security-group |
// describe-security-groups | authorize-security-group-ingress|egress |
// revoke-security-group-ingress|egress | modify-instance-attribute --groups
// (cloud/security_groups.h), with the AWS CLI's flags and output.
#include <memory>

#include "cli/ec2_common.h"
#include "cloud/filters.h"
#include "cloud/security_groups.h"

namespace twinbox::cli {
namespace {

struct CreateArgs {
    std::string name, description, vpc_id;
    Ec2Output output;
};

void register_create(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<CreateArgs>();
    CLI::App* verb = ec2.add_subcommand("create-security-group", "Create a security group");
    verb->add_option("--group-name", args->name, "A name unique in its VPC")->required();
    verb->add_option("--description", args->description, "What the group is for")->required();
    verb->add_option("--vpc-id", args->vpc_id, "The VPC (vpc-...)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code =
            with_store("CreateSecurityGroup", [&](const cloud::StateStore& store) -> Result<int> {
                auto group = TRY(cloud::create_security_group(store, args->name, args->description,
                                                              args->vpc_id));
                return print_result({{"GroupId", group.group_id}}, args->output);
            });
    });
}

void register_delete(CLI::App& ec2, int& exit_code) {
    auto group_id = std::make_shared<std::string>();
    CLI::App* verb = ec2.add_subcommand("delete-security-group", "Delete a security group");
    verb->add_option("--group-id", *group_id, "The group (sg-...)")->required();
    verb->callback([group_id, &exit_code] {
        exit_code =
            with_store("DeleteSecurityGroup", [&](const cloud::StateStore& store) -> Result<int> {
                TRY(cloud::delete_security_group(store, *group_id));
                return 0;
            });
    });
}

struct DescribeArgs {
    std::vector<std::string> ids, names, filters;
    Ec2Output output;
};

void register_describe(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<DescribeArgs>();
    CLI::App* verb =
        ec2.add_subcommand("describe-security-groups", "List security groups and their rules");
    verb->add_option("--group-ids", args->ids, "Group ids (sg-...)");
    verb->add_option("--group-names", args->names, "Group names");
    verb->add_option("--filters", args->filters,
                     "Name=group-id|group-name|vpc-id|description,Values=V1,V2");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code = with_store(
            "DescribeSecurityGroups", [&](const cloud::StateStore& store) -> Result<int> {
                auto filters = TRY(cloud::parse_filters(args->filters));
                auto groups =
                    TRY(cloud::describe_security_groups(store, args->ids, args->names, filters));
                nlohmann::json list = nlohmann::json::array();
                for (const auto& group : groups) list.push_back(cloud::to_json(group));
                return print_result({{"SecurityGroups", list}}, args->output);
            });
    });
}

struct RuleArgs {
    std::string group_id, protocol, port, cidr, source_group, ip_permissions;
    Ec2Output output;
};

// The permissions of --ip-permissions, or of the shorthand flags.
Result<std::vector<cloud::IpPermission>> permissions_of(const RuleArgs& args) {
    if (!args.ip_permissions.empty()) {
        auto text = TRY(read_blob_argument(args.ip_permissions, "--ip-permissions"));
        return cloud::parse_ip_permissions(text);
    }
    return std::vector<cloud::IpPermission>{
        TRY(cloud::permission_from_flags(args.protocol, args.port, args.cidr, args.source_group))};
}

void register_rule_verb(CLI::App& ec2, int& exit_code, bool authorize, cloud::Direction direction) {
    auto args = std::make_shared<RuleArgs>();
    bool egress = direction == cloud::Direction::egress;
    std::string name = std::string(authorize ? "authorize" : "revoke") + "-security-group-" +
                       (egress ? "egress" : "ingress");
    std::string operation = std::string(authorize ? "Authorize" : "Revoke") + "SecurityGroup" +
                            (egress ? "Egress" : "Ingress");
    CLI::App* verb = ec2.add_subcommand(name, std::string(authorize ? "Add" : "Remove") + " " +
                                                  (egress ? "outbound" : "inbound") +
                                                  " rules of a security group");
    verb->add_option("--group-id", args->group_id, "The group (sg-...)")->required();
    verb->add_option("--protocol", args->protocol, "tcp | udp | icmp | -1 (all) | a number");
    verb->add_option("--port", args->port, "N or N-M (the ICMP type for icmp)");
    verb->add_option("--cidr", args->cidr, "The peer's addresses (10.0.0.0/16)");
    verb->add_option("--source-group", args->source_group, "The peer group (sg-...)");
    verb->add_option("--ip-permissions", args->ip_permissions,
                     "JSON: [{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
                     "\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]}] (or file://F)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code, authorize, direction, operation] {
        exit_code = with_store(operation, [&](const cloud::StateStore& store) -> Result<int> {
            auto permissions = TRY(permissions_of(*args));
            if (!authorize) {
                TRY(cloud::revoke_security_group(store, args->group_id, direction, permissions));
                return print_result({{"Return", true}}, args->output);
            }
            auto added =
                TRY(cloud::authorize_security_group(store, args->group_id, direction, permissions));
            return print_result({{"Return", true}, {"SecurityGroupRules", added}}, args->output);
        });
    });
}

struct ModifyArgs {
    std::string instance_id;
    std::vector<std::string> groups;
};

void register_modify(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<ModifyArgs>();
    CLI::App* verb = ec2.add_subcommand("modify-instance-attribute",
                                        "Change an instance's security groups (--groups)");
    verb->add_option("--instance-id", args->instance_id, "The instance (i-...)")->required();
    verb->add_option("--groups", args->groups, "Its security groups from now on (1 to 5)")
        ->required();
    verb->callback([args, &exit_code] {
        exit_code = with_store(
            "ModifyInstanceAttribute", [&](const cloud::StateStore& store) -> Result<int> {
                TRY(cloud::set_instance_security_groups(store, args->instance_id, args->groups));
                return 0;
            });
    });
}

}  // namespace

void register_ec2_security_groups(CLI::App& ec2, int& exit_code) {
    register_create(ec2, exit_code);
    register_delete(ec2, exit_code);
    register_describe(ec2, exit_code);
    for (bool authorize : {true, false})
        for (auto direction : {cloud::Direction::ingress, cloud::Direction::egress})
            register_rule_verb(ec2, exit_code, authorize, direction);
    register_modify(ec2, exit_code);
}

}  // namespace twinbox::cli
