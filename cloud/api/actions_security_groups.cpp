// The security group actions: CreateSecurityGroup, DescribeSecurityGroups,
// DeleteSecurityGroup, Authorize/RevokeSecurityGroupIngress/Egress, mapped
// to cloud/security_groups.h as `twinbox ec2` maps its flags. The AWS CLI
// turns its shorthand (--protocol --port --cidr) into IpPermissions itself,
// so the wire only carries the IpPermissions list:
//   IpPermissions.1.IpProtocol=tcp  .FromPort=22  .ToPort=22
//   IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0   (.Description)
//   IpPermissions.1.UserIdGroupPairs.1.GroupId=sg-...
#include <fmt/core.h>

#include <array>
#include <charconv>

#include "cloud/api/actions.h"
#include "cloud/aws_error.h"
#include "cloud/security_groups.h"

namespace twinbox::cloud::api {

namespace detail {

namespace {

Result<long long> port_of(const QueryNode& permission, std::string_view name) {
    auto text = child_value(permission, name);
    long long value = 0;
    auto [end, error] = text ? std::from_chars(text->data(), text->data() + text->size(), value)
                             : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (!text || error != std::errc() || end != text->data() + text->size())
        return aws_error("InvalidParameterValue",
                         fmt::format("IpPermissions.N.{}: expected an integer", name));
    return value;
}

// The peers of one permission: `list` ("IpRanges") items' `key` ("CidrIp").
Result<std::vector<std::pair<std::string, std::string>>> peers(const QueryNode& permission,
                                                               std::string_view list,
                                                               std::string_view key) {
    std::vector<std::pair<std::string, std::string>> out;
    auto found = permission.children.find(list);
    if (found == permission.children.end())
        return out;
    for (const QueryNode* item :
         TRY(list_items(found->second, fmt::format("IpPermissions.N.{}", list)))) {
        auto value = child_value(*item, key);
        if (!value)
            return aws_error("MissingParameter",
                             fmt::format("IpPermissions.N.{}.N.{} is required", list, key));
        out.emplace_back(*value, child_value(*item, "Description").value_or(""));
    }
    return out;
}

Result<std::vector<IpPermission>> permissions_of(const Query& query) {
    const QueryNode* list = query.node("IpPermissions");
    if (list == nullptr)
        return aws_error("MissingParameter", "The request must contain IpPermissions");
    std::vector<IpPermission> permissions;
    for (const QueryNode* item : TRY(list_items(*list, "IpPermissions"))) {
        IpPermission permission;
        auto protocol = child_value(*item, "IpProtocol");
        if (!protocol)
            return aws_error("MissingParameter", "IpPermissions.N.IpProtocol is required");
        permission.protocol = *protocol;
        if (child_value(*item, "FromPort") || child_value(*item, "ToPort")) {
            permission.has_ports = true;
            permission.from_port = TRY(port_of(*item, "FromPort"));
            permission.to_port = TRY(port_of(*item, "ToPort"));
        }
        permission.cidrs = TRY(peers(*item, "IpRanges", "CidrIp"));
        permission.group_ids = TRY(peers(*item, "Groups", "GroupId"));  // the wire's name
        auto pairs = TRY(peers(*item, "UserIdGroupPairs", "GroupId"));
        permission.group_ids.insert(permission.group_ids.end(), pairs.begin(), pairs.end());
        permissions.push_back(std::move(permission));
    }
    return permissions;
}

Result<nlohmann::json> create_security_group(const StateStore& store, const Query& query) {
    auto group = TRY(cloud::create_security_group(store, TRY(query.required("GroupName")),
                                                  TRY(query.required("GroupDescription")),
                                                  query.value("VpcId").value_or("")));
    return nlohmann::json{{"GroupId", group.group_id}};
}

Result<nlohmann::json> delete_security_group(const StateStore& store, const Query& query) {
    TRY(cloud::delete_security_group(store, TRY(query.required("GroupId"))));
    return nlohmann::json();
}

Result<nlohmann::json> describe_security_groups(const StateStore& store, const Query& query) {
    auto groups =
        TRY(cloud::describe_security_groups(store, TRY(query.strings("GroupId")),
                                            TRY(query.strings("GroupName")), TRY(query.filters())));
    nlohmann::json list = nlohmann::json::array();
    for (const auto& group : groups) list.push_back(to_json(group));
    return nlohmann::json{{"SecurityGroups", list}};
}

template <Direction direction>
Result<nlohmann::json> authorize(const StateStore& store, const Query& query) {
    auto added = TRY(authorize_security_group(store, TRY(query.required("GroupId")), direction,
                                              TRY(permissions_of(query))));
    return nlohmann::json{{"Return", true}, {"SecurityGroupRules", added}};
}

template <Direction direction>
Result<nlohmann::json> revoke(const StateStore& store, const Query& query) {
    TRY(revoke_security_group(store, TRY(query.required("GroupId")), direction,
                              TRY(permissions_of(query))));
    return nlohmann::json{{"Return", true}};
}

constexpr std::array kSecurityGroupActions = {
    Action{"CreateSecurityGroup", create_security_group},
    Action{"DescribeSecurityGroups", describe_security_groups},
    Action{"DeleteSecurityGroup", delete_security_group},
    Action{"AuthorizeSecurityGroupIngress", authorize<Direction::ingress>},
    Action{"AuthorizeSecurityGroupEgress", authorize<Direction::egress>},
    Action{"RevokeSecurityGroupIngress", revoke<Direction::ingress>},
    Action{"RevokeSecurityGroupEgress", revoke<Direction::egress>},
};

}  // namespace

std::span<const Action> security_group_actions() {
    return kSecurityGroupActions;
}

}  // namespace detail

}  // namespace twinbox::cloud::api
