// The network ACL actions: CreateNetworkAcl, DescribeNetworkAcls,
// DeleteNetworkAcl, CreateNetworkAclEntry, DeleteNetworkAclEntry and
// ReplaceNetworkAclAssociation, mapped to cloud/network_acls.h as
// `twinbox ec2` maps its flags. On the wire an entry is
//   NetworkAclId, RuleNumber, Protocol, RuleAction, Egress, CidrBlock,
//   PortRange.From, PortRange.To
#include <fmt/core.h>

#include <array>

#include "cloud/api/actions.h"
#include "cloud/aws_error.h"
#include "cloud/network_acls.h"

namespace twinbox::cloud::api {

namespace detail {

namespace {

Result<nlohmann::json> create_acl(const StateStore& store, const Query& query) {
    auto acl = TRY(create_network_acl(store, TRY(query.required("VpcId"))));
    return nlohmann::json{{"NetworkAcl", to_json(acl, {})}};
}

Result<nlohmann::json> delete_acl(const StateStore& store, const Query& query) {
    TRY(delete_network_acl(store, TRY(query.required("NetworkAclId"))));
    return nlohmann::json();
}

Result<nlohmann::json> describe_acls(const StateStore& store, const Query& query) {
    auto acls =
        TRY(describe_network_acls(store, TRY(query.strings("NetworkAclId")), TRY(query.filters())));
    nlohmann::json list = nlohmann::json::array();
    for (const auto& acl : acls) list.push_back(to_json(acl, {}));
    return nlohmann::json{{"NetworkAcls", list}};
}

Result<int> rule_number(const Query& query) {
    auto number = TRY(query.integer("RuleNumber", 1, 32766));
    if (!number)
        return aws_error("MissingParameter", "The request must contain the parameter RuleNumber");
    return static_cast<int>(*number);
}

Result<nlohmann::json> create_entry(const StateStore& store, const Query& query) {
    bool egress = TRY(query.boolean("Egress")).value_or(false);
    auto entry = TRY(
        network_acl_entry(TRY(rule_number(query)), !egress, egress, TRY(query.required("Protocol")),
                          TRY(query.required("RuleAction")), TRY(query.required("CidrBlock"))));
    std::string ports;
    if (auto from = query.value("PortRange.From"), to = query.value("PortRange.To"); from || to)
        ports = fmt::format("From={},To={}", from.value_or(""), to.value_or(""));
    TRY(create_network_acl_entry(store, TRY(query.required("NetworkAclId")), entry, ports));
    return nlohmann::json();
}

Result<nlohmann::json> delete_entry(const StateStore& store, const Query& query) {
    TRY(delete_network_acl_entry(store, TRY(query.required("NetworkAclId")),
                                 TRY(rule_number(query)),
                                 TRY(query.boolean("Egress")).value_or(false)));
    return nlohmann::json();
}

Result<nlohmann::json> replace_association(const StateStore& store, const Query& query) {
    auto id = TRY(replace_network_acl_association(store, TRY(query.required("AssociationId")),
                                                  TRY(query.required("NetworkAclId"))));
    return nlohmann::json{{"NewAssociationId", id}};
}

constexpr std::array kNetworkAclActions = {
    Action{"CreateNetworkAcl", create_acl},
    Action{"DescribeNetworkAcls", describe_acls},
    Action{"DeleteNetworkAcl", delete_acl},
    Action{"CreateNetworkAclEntry", create_entry},
    Action{"DeleteNetworkAclEntry", delete_entry},
    Action{"ReplaceNetworkAclAssociation", replace_association},
};

}  // namespace

std::span<const Action> network_acl_actions() {
    return kNetworkAclActions;
}

}  // namespace detail

}  // namespace twinbox::cloud::api
