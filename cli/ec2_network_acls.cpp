// twinbox ec2 create-network-acl | delete-network-acl | describe-network-acls |
// create-network-acl-entry | delete-network-acl-entry |
// replace-network-acl-association (cloud/network_acls.h).
#include <memory>

#include "cli/ec2_common.h"
#include "cloud/aws_error.h"
#include "cloud/filters.h"
#include "cloud/network_acls.h"

namespace twinbox::cli {
namespace {

void register_create(CLI::App& ec2, int& exit_code) {
    struct Args {
        std::string vpc_id;
        Ec2Output output;
    };
    auto args = std::make_shared<Args>();
    CLI::App* verb = ec2.add_subcommand("create-network-acl", "Create a network ACL (denies all)");
    verb->add_option("--vpc-id", args->vpc_id, "The VPC (vpc-...)")->required();
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code =
            with_store("CreateNetworkAcl", [&](const cloud::StateStore& store) -> Result<int> {
                auto acl = TRY(cloud::create_network_acl(store, args->vpc_id));
                return print_result({{"NetworkAcl", cloud::to_json(acl, {})}}, args->output);
            });
    });
}

void register_delete(CLI::App& ec2, int& exit_code) {
    auto acl_id = std::make_shared<std::string>();
    CLI::App* verb = ec2.add_subcommand("delete-network-acl", "Delete a network ACL");
    verb->add_option("--network-acl-id", *acl_id, "The ACL (acl-...)")->required();
    verb->callback([acl_id, &exit_code] {
        exit_code =
            with_store("DeleteNetworkAcl", [&](const cloud::StateStore& store) -> Result<int> {
                TRY(cloud::delete_network_acl(store, *acl_id));
                return 0;
            });
    });
}

void register_describe(CLI::App& ec2, int& exit_code) {
    struct Args {
        std::vector<std::string> ids, filters;
        Ec2Output output;
    };
    auto args = std::make_shared<Args>();
    CLI::App* verb = ec2.add_subcommand("describe-network-acls", "List network ACLs");
    verb->add_option("--network-acl-ids", args->ids, "ACL ids (acl-...)");
    verb->add_option("--filters", args->filters, "Name=network-acl-id|vpc-id|default,Values=...");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code =
            with_store("DescribeNetworkAcls", [&](const cloud::StateStore& store) -> Result<int> {
                auto filters = TRY(cloud::parse_filters(args->filters));
                auto acls = TRY(cloud::describe_network_acls(store, args->ids, filters));
                nlohmann::json list = nlohmann::json::array();
                for (const auto& acl : acls) list.push_back(cloud::to_json(acl, {}));
                return print_result({{"NetworkAcls", list}}, args->output);
            });
    });
}

void register_entry(CLI::App& ec2, int& exit_code, bool create) {
    struct Args {
        std::string acl_id, protocol, port_range, cidr, action;
        int rule_number = 0;
        bool ingress = false, egress = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App* verb = ec2.add_subcommand(
        create ? "create-network-acl-entry" : "delete-network-acl-entry",
        create ? "Add a numbered allow/deny rule to a network ACL" : "Remove a numbered rule");
    verb->add_option("--network-acl-id", args->acl_id, "The ACL (acl-...)")->required();
    verb->add_option("--rule-number", args->rule_number, "1..32766, lowest first")->required();
    verb->add_flag("--ingress", args->ingress, "An inbound rule");
    verb->add_flag("--egress", args->egress, "An outbound rule");
    if (create) {
        verb->add_option("--protocol", args->protocol, "tcp | udp | icmp | -1 | a number")
            ->required();
        verb->add_option("--port-range", args->port_range, "From=N,To=M (tcp and udp)");
        verb->add_option("--cidr-block", args->cidr, "The peer's addresses")->required();
        verb->add_option("--rule-action", args->action, "allow | deny")->required();
    }
    std::string operation = create ? "CreateNetworkAclEntry" : "DeleteNetworkAclEntry";
    verb->callback([args, &exit_code, create, operation] {
        exit_code = with_store(operation, [&](const cloud::StateStore& store) -> Result<int> {
            if (!create) {
                if (args->ingress == args->egress)
                    return cloud::aws_error("InvalidParameterValue",
                                            "Give exactly one of --ingress and --egress");
                TRY(cloud::delete_network_acl_entry(store, args->acl_id, args->rule_number,
                                                    args->egress));
                return 0;
            }
            auto entry =
                TRY(cloud::network_acl_entry(args->rule_number, args->ingress, args->egress,
                                             args->protocol, args->action, args->cidr));
            TRY(cloud::create_network_acl_entry(store, args->acl_id, entry, args->port_range));
            return 0;
        });
    });
}

void register_replace_association(CLI::App& ec2, int& exit_code) {
    struct Args {
        std::string association_id, acl_id;
        Ec2Output output;
    };
    auto args = std::make_shared<Args>();
    CLI::App* verb = ec2.add_subcommand("replace-network-acl-association",
                                        "Put a subnet under another network ACL");
    verb->add_option("--association-id", args->association_id,
                     "The subnet's association (aclassoc-...)")
        ->required();
    verb->add_option("--network-acl-id", args->acl_id, "The ACL (acl-...)")->required();
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code = with_store("ReplaceNetworkAclAssociation",
                               [&](const cloud::StateStore& store) -> Result<int> {
                                   auto id = TRY(cloud::replace_network_acl_association(
                                       store, args->association_id, args->acl_id));
                                   return print_result({{"NewAssociationId", id}}, args->output);
                               });
    });
}

}  // namespace

void register_ec2_network_acls(CLI::App& ec2, int& exit_code) {
    register_create(ec2, exit_code);
    register_delete(ec2, exit_code);
    register_describe(ec2, exit_code);
    register_entry(ec2, exit_code, true);
    register_entry(ec2, exit_code, false);
    register_replace_association(ec2, exit_code);
}

}  // namespace twinbox::cli
