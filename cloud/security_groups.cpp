// Security groups in the state store (see security_groups.h).
#include "cloud/security_groups.h"

#include <fmt/core.h>

#include <algorithm>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/instance_store.h"
#include "cloud/network_acls.h"
#include "cloud/vpc_store.h"
#include "cloud/vpcs.h"
#include "common/json_reader.h"

namespace twinbox::cloud {
namespace {

constexpr std::string_view kDocument = "security_groups";

using json_reader::Node;

Result<void> read_rules(const Node& group, std::string_view key,
                        std::vector<SecurityGroupRule>& rules) {
    auto list = group.member(key);
    if (!list)
        return ok();
    TRY(json_reader::expect_array(*list));
    for (size_t i = 0; i < list->json().size(); ++i) {
        Node node = list->element(i);
        TRY(json_reader::expect_object(node));
        SecurityGroupRule rule;
        TRY(json_reader::read_required(node, "SecurityGroupRuleId", rule.rule_id));
        TRY(json_reader::read_required(node, "IpProtocol", rule.protocol));
        TRY(json_reader::read_required(node, "FromPort", rule.from_port));
        TRY(json_reader::read_required(node, "ToPort", rule.to_port));
        TRY(json_reader::read_member(node, "CidrIpv4", rule.cidr));
        TRY(json_reader::read_member(node, "ReferencedGroupId", rule.group_id));
        TRY(json_reader::read_member(node, "Description", rule.description));
        if (rule.cidr.empty() == rule.group_id.empty())
            return node.error("needs exactly one of CidrIpv4 and ReferencedGroupId");
        rules.push_back(std::move(rule));
    }
    return ok();
}

Result<SecurityGroup> read_group(const Node& node) {
    TRY(json_reader::expect_object(node));
    SecurityGroup group;
    TRY(json_reader::read_required(node, "GroupId", group.group_id));
    TRY(json_reader::read_required(node, "GroupName", group.group_name));
    TRY(json_reader::read_required(node, "Description", group.description));
    TRY(json_reader::read_required(node, "VpcId", group.vpc_id));
    TRY(read_rules(node, "Ingress", group.ingress));
    TRY(read_rules(node, "Egress", group.egress));
    return group;
}

nlohmann::json rules_to_json(const std::vector<SecurityGroupRule>& rules) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& rule : rules)
        list.push_back({{"SecurityGroupRuleId", rule.rule_id},
                        {"IpProtocol", rule.protocol},
                        {"FromPort", rule.from_port},
                        {"ToPort", rule.to_port},
                        {"CidrIpv4", rule.cidr},
                        {"ReferencedGroupId", rule.group_id},
                        {"Description", rule.description}});
    return list;
}

nlohmann::json group_to_json(const SecurityGroup& group) {
    return {{"GroupId", group.group_id},
            {"GroupName", group.group_name},
            {"Description", group.description},
            {"VpcId", group.vpc_id},
            {"Ingress", rules_to_json(group.ingress)},
            {"Egress", rules_to_json(group.egress)}};
}

Result<std::vector<SecurityGroup>> load(const StateStore& store, const nlohmann::json& document) {
    Node root(document, "", "security_groups.json");
    std::vector<SecurityGroup> groups;
    auto list = root.member("SecurityGroups");
    if (!list)
        return groups;
    if (auto checked = json_reader::expect_array(*list); !checked)
        return damaged(store.path_of(kDocument), checked.error().to_string());
    for (size_t i = 0; i < list->json().size(); ++i) {
        auto group = read_group(list->element(i));
        if (!group)
            return damaged(store.path_of(kDocument), group.error().to_string());
        groups.push_back(std::move(*group));
    }
    return groups;
}

using GroupsChange = std::function<Result<void>(std::vector<SecurityGroup>&)>;

Result<void> update_groups(const StateStore& store, const GroupsChange& change) {
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        auto groups = TRY(load(store, document));  // a damaged file is never rewritten
        TRY(change(groups));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& group : groups) list.push_back(group_to_json(group));
        document["SecurityGroups"] = std::move(list);
        return ok();
    });
}

Error group_not_found(std::string_view id) {
    return aws_error("InvalidGroup.NotFound",
                     fmt::format("The security group '{}' does not exist", id));
}

SecurityGroup* find_group(std::vector<SecurityGroup>& groups, std::string_view id) {
    auto found = std::find_if(groups.begin(), groups.end(),
                              [&](const SecurityGroup& group) { return group.group_id == id; });
    return found == groups.end() ? nullptr : &*found;
}

Result<SecurityGroupRule> all_traffic_to(std::string cidr, std::string group_id) {
    return SecurityGroupRule{TRY(new_id("sgr")),  "-1", -1, -1, std::move(cidr),
                             std::move(group_id), ""};
}

Result<SecurityGroup> new_group(std::string_view name, std::string_view description,
                                std::string_view vpc_id) {
    SecurityGroup group{TRY(new_id("sg")),
                        std::string(name),
                        std::string(description),
                        std::string(vpc_id),
                        {},
                        {},
                        {}};
    // EC2: a new group allows all outbound traffic and no inbound traffic.
    group.egress.push_back(TRY(all_traffic_to("0.0.0.0/0", "")));
    return group;
}

Result<void> check_name(std::string_view name, std::string_view description) {
    // EC2: "Constraints: Up to 255 characters in length"; names must not start with sg-.
    if (name.empty())
        return aws_error("MissingParameter", "The request must contain the parameter GroupName");
    if (description.empty())
        return aws_error("MissingParameter",
                         "The request must contain the parameter GroupDescription");
    if (name.size() > 255 || description.size() > 255)
        return aws_error("InvalidParameterValue",
                         "GroupName and GroupDescription are at most 255 characters");
    if (name.starts_with("sg-"))
        return aws_error("InvalidParameterValue", "Group names may not be in the format sg-*.");
    if (name == "default")
        return aws_error("InvalidGroup.Reserved", "The security group 'default' is reserved");
    return ok();
}

// The instances (not terminated) using `group_id`.
Result<bool> group_in_use(const StateStore& store, std::string_view group_id) {
    for (const auto& instance : TRY(read_instances(store)))
        if (instance.state != InstanceState::terminated &&
            std::find(instance.security_group_ids.begin(), instance.security_group_ids.end(),
                      group_id) != instance.security_group_ids.end())
            return true;
    return false;
}

}  // namespace

Result<std::vector<SecurityGroup>> read_security_groups(const StateStore& store) {
    return load(store, TRY(store.read(kDocument)));
}

Result<SecurityGroup> create_security_group(const StateStore& store, std::string_view name,
                                            std::string_view description,
                                            std::string_view given_vpc_id) {
    // No --vpc-id: the default VPC's, as on AWS.
    std::string vpc_id(given_vpc_id);
    if (vpc_id.empty())
        vpc_id = TRY(ensure_default_vpc(store));
    if (!is_id(vpc_id, "vpc"))
        return aws_error("InvalidVpcID.Malformed", fmt::format("Invalid id: \"{}\"", vpc_id));
    if (!TRY(read_vpc_state(store)).vpc(vpc_id))
        return aws_error("InvalidVpcID.NotFound",
                         fmt::format("The vpc ID '{}' does not exist", vpc_id));
    TRY(check_name(name, description));
    TRY(create_default_security_group(store, vpc_id));
    SecurityGroup group = TRY(new_group(name, description, vpc_id));
    TRY(update_groups(store, [&](std::vector<SecurityGroup>& groups) -> Result<void> {
        for (const auto& existing : groups)
            if (existing.vpc_id == vpc_id && existing.group_name == name)
                return aws_error("InvalidGroup.Duplicate",
                                 fmt::format("The security group '{}' already exists for VPC '{}'",
                                             name, vpc_id));
        groups.push_back(group);
        return ok();
    }));
    return group;
}

Result<void> delete_security_group(const StateStore& store, std::string_view group_id) {
    // Read before the groups' lock is taken: the instances have a document of their own.
    bool in_use = TRY(group_in_use(store, group_id));
    return update_groups(store, [&](std::vector<SecurityGroup>& groups) -> Result<void> {
        SecurityGroup* group = find_group(groups, group_id);
        if (!group)
            return group_not_found(group_id);
        if (group->is_default())
            return aws_error("CannotDelete",
                             fmt::format("the specified group: \"{}\" name: \"default\" cannot "
                                         "be deleted by a user",
                                         group_id));
        if (in_use)
            return aws_error("DependencyViolation",
                             fmt::format("resource {} has a dependent object", group_id));
        for (const auto& other : groups) {
            if (other.group_id == group_id)
                continue;
            for (const auto* rules : {&other.ingress, &other.egress})
                for (const auto& rule : *rules)
                    if (rule.group_id == group_id)
                        return aws_error("DependencyViolation",
                                         fmt::format("resource {} has a dependent object "
                                                     "(a rule of {})",
                                                     group_id, other.group_id));
        }
        std::erase_if(groups, [&](const SecurityGroup& g) { return g.group_id == group_id; });
        return ok();
    });
}

Result<std::vector<SecurityGroup>> describe_security_groups(const StateStore& store,
                                                            const std::vector<std::string>& ids,
                                                            const std::vector<std::string>& names,
                                                            const std::vector<Filter>& filters) {
    auto groups = TRY(read_security_groups(store));
    for (const auto& id : ids)
        if (!find_group(groups, id))
            return group_not_found(id);
    std::vector<SecurityGroup> listed;
    for (auto& group : groups) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), group.group_id) == ids.end())
            continue;
        if (!names.empty() &&
            std::find(names.begin(), names.end(), group.group_name) == names.end())
            continue;
        bool matches = true;
        for (const auto& filter : filters) {
            std::string value;
            if (filter.name == "group-id")
                value = group.group_id;
            else if (filter.name == "group-name")
                value = group.group_name;
            else if (filter.name == "vpc-id")
                value = group.vpc_id;
            else if (filter.name == "description")
                value = group.description;
            else
                return aws_error("InvalidParameterValue",
                                 fmt::format("The filter '{}' is invalid", filter.name));
            matches = matches && filter_matches(filter, value);
        }
        if (matches)
            listed.push_back(std::move(group));
    }
    return listed;
}

namespace {
// The rules `permissions` stand for, handed with the group's rules of
// `direction` to `change` under the store's lock; then the VPC's firewall
// is rebuilt.
using RulesChange = std::function<Result<void>(
    std::vector<SecurityGroup>& groups, SecurityGroup& group, std::vector<SecurityGroupRule>& rules,
    std::vector<SecurityGroupRule>& given)>;
Result<void> change_rules(const StateStore& store, std::string_view group_id, Direction direction,
                          const std::vector<IpPermission>& permissions, const RulesChange& change) {
    std::vector<SecurityGroupRule> given;
    for (const auto& permission : permissions)
        for (auto& rule : TRY(expand_permission(permission))) given.push_back(std::move(rule));
    std::string vpc_id;
    TRY(update_groups(store, [&](std::vector<SecurityGroup>& groups) -> Result<void> {
        SecurityGroup* group = find_group(groups, group_id);
        if (!group)
            return group_not_found(group_id);
        vpc_id = group->vpc_id;
        return change(groups, *group,
                      direction == Direction::ingress ? group->ingress : group->egress, given);
    }));
    return apply_security_groups(store, vpc_id);
}

Result<void> check_peer(std::vector<SecurityGroup>& groups, const SecurityGroup& group,
                        const SecurityGroupRule& rule) {
    if (rule.group_id.empty())
        return ok();
    SecurityGroup* peer = find_group(groups, rule.group_id);
    if (!peer)
        return group_not_found(rule.group_id);
    if (peer->vpc_id != group.vpc_id)
        return aws_error("InvalidGroup.NotFound",
                         fmt::format("You have specified two resources that belong to different "
                                     "networks ({} is in {}).",
                                     peer->group_id, peer->vpc_id));
    return ok();
}

}  // namespace

Result<std::vector<nlohmann::json>> authorize_security_group(
    const StateStore& store, std::string_view group_id, Direction direction,
    const std::vector<IpPermission>& permissions) {
    std::vector<nlohmann::json> added;
    TRY(change_rules(
        store, group_id, direction, permissions,
        [&](auto& groups, SecurityGroup& group, auto& rules, auto& wanted) -> Result<void> {
            for (auto& rule : wanted) {
                TRY(check_peer(groups, group, rule));
                for (const auto& existing : rules)
                    if (existing.same_as(rule))
                        return aws_error("InvalidPermission.Duplicate",
                                         fmt::format("the specified rule \"peer: {}, {}, from "
                                                     "port: {}, to port: {}, ALLOW\" already "
                                                     "exists",
                                                     rule.cidr.empty() ? rule.group_id : rule.cidr,
                                                     rule.protocol, rule.from_port, rule.to_port));
                if (rules.size() >= kMaxRulesPerDirection)
                    return aws_error("RulesPerSecurityGroupLimitExceeded",
                                     "The maximum number of rules per security "
                                     "group has been reached.");
                rule.rule_id = TRY(new_id("sgr"));
                rules.push_back(rule);
                added.push_back(rule_json(group, rule, direction == Direction::egress));
            }
            return ok();
        }));
    return added;
}

Result<void> revoke_security_group(const StateStore& store, std::string_view group_id,
                                   Direction direction,
                                   const std::vector<IpPermission>& permissions) {
    return change_rules(
        store, group_id, direction, permissions,
        [&](auto&, SecurityGroup&, auto& rules, auto& unwanted) -> Result<void> {
            for (const auto& rule : unwanted) {
                auto found = std::find_if(rules.begin(), rules.end(), [&](const auto& existing) {
                    return existing.same_as(rule);
                });
                if (found == rules.end())
                    return aws_error("InvalidPermission.NotFound",
                                     "The specified rule does not exist in this security group.");
                rules.erase(found);
            }
            return ok();
        });
}

Result<std::vector<std::string>> resolve_instance_groups(const StateStore& store,
                                                         std::string_view vpc_id,
                                                         const std::vector<std::string>& ids) {
    if (ids.empty())
        return std::vector<std::string>{TRY(create_default_security_group(store, vpc_id))};
    if (ids.size() > kMaxGroupsPerInterface)
        return aws_error("SecurityGroupsPerInterfaceLimitExceeded",
                         "The maximum number of security groups per interface has been reached.");
    auto groups = TRY(read_security_groups(store));
    std::vector<std::string> resolved;
    for (const auto& id : ids) {
        SecurityGroup* group = find_group(groups, id);
        if (!group)
            return group_not_found(id);
        if (group->vpc_id != vpc_id)
            return aws_error("InvalidParameter",
                             fmt::format("Security group {} and the instance's subnet belong "
                                         "to different networks.",
                                         id));
        if (std::find(resolved.begin(), resolved.end(), id) == resolved.end())
            resolved.push_back(id);
    }
    return resolved;
}

Result<void> set_instance_security_groups(const StateStore& store, std::string_view instance_id,
                                          const std::vector<std::string>& group_ids) {
    if (group_ids.empty())
        return aws_error("MissingParameter", "The request must contain the parameter groupId");
    std::string vpc_id;
    for (const auto& instance : TRY(read_instances(store)))
        if (instance.instance_id == instance_id)
            vpc_id = instance.vpc_id;
    if (vpc_id.empty())
        return aws_error(
            "InvalidInstanceID.NotFound",
            fmt::format("The instance ID '{}' does not exist (in a VPC)", instance_id));
    auto resolved = TRY(resolve_instance_groups(store, vpc_id, group_ids));
    TRY(update_instances(store, [&](std::vector<InstanceRecord>& instances) -> Result<void> {
        InstanceRecord* instance = find_instance(instances, instance_id);
        if (!instance)
            return aws_error("InvalidInstanceID.NotFound", "The instance is gone");
        instance->security_group_ids = resolved;
        return ok();
    }));
    return apply_security_groups(store, vpc_id);
}

Result<std::string> create_default_security_group(const StateStore& store,
                                                  std::string_view vpc_id) {
    TRY(ensure_default_network_acl(store, vpc_id));
    std::string id;
    TRY(update_groups(store, [&](std::vector<SecurityGroup>& groups) -> Result<void> {
        for (const auto& group : groups)
            if (group.vpc_id == vpc_id && group.is_default()) {
                id = group.group_id;
                return ok();
            }
        SecurityGroup group = TRY(new_group("default", "default VPC security group", vpc_id));
        // EC2's default group: inbound from its own members, all outbound.
        group.ingress.push_back(TRY(all_traffic_to("", group.group_id)));
        id = group.group_id;
        groups.push_back(std::move(group));
        return ok();
    }));
    return id;
}

Result<void> delete_security_groups_of_vpc(const StateStore& store, std::string_view vpc_id) {
    TRY(update_groups(store, [&](std::vector<SecurityGroup>& groups) -> Result<void> {
        std::erase_if(groups, [&](const auto& group) {
            return group.vpc_id == vpc_id && group.is_default();
        });
        return ok();
    }));
    return delete_network_acls_of_vpc(store, vpc_id);
}

Result<bool> vpc_has_security_groups(const StateStore& store, std::string_view vpc_id) {
    for (const auto& group : TRY(read_security_groups(store)))
        if (group.vpc_id == vpc_id && !group.is_default())
            return true;
    for (const auto& acl : TRY(read_network_acls(store)))
        if (acl.vpc_id == vpc_id && !acl.is_default)
            return true;
    return false;
}

}  // namespace twinbox::cloud
