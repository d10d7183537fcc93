// EC2 security groups (issue 20 item 5) over the state store
// ("security_groups.json"): CreateSecurityGroup, DeleteSecurityGroup,
// DescribeSecurityGroups, Authorize/RevokeSecurityGroupIngress/Egress and the
// groups of an instance (ModifyInstanceAttribute --groups).
//
// A group holds its rules one source each, as EC2's "security group rules"
// (sgr-...): an IpPermission of the API with two CIDRs is two rules, which
// is also how AWS counts its limit of 60 rules per direction (VPC quotas,
// "Inbound or outbound rules per security group"). Describe folds them back
// into IpPermissions by (protocol, ports).
//
// Enforcement is elsewhere: sg_compile.h turns the groups into nftables
// text, apply_security_groups() loads it into the VPC's router namespace.
// Errors carry EC2's codes (cloud/aws_error.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/filters.h"
#include "cloud/state_store.h"
#include "common/result.h"

namespace twinbox::cloud {

// AWS's quotas (VPC User Guide, "Amazon VPC quotas", Security groups).
inline constexpr size_t kMaxRulesPerDirection = 60;
inline constexpr size_t kMaxGroupsPerInterface = 5;

struct SecurityGroupRule {
    std::string rule_id;   // "sgr-" + 17 hex
    std::string protocol;  // "tcp", "udp", "icmp", "-1" (all) or another IP protocol number
    // Ports for tcp/udp (0..65535), ICMP type/code for icmp (-1 = any), -1 otherwise.
    int from_port = -1, to_port = -1;
    std::string cidr;      // "10.0.0.0/16", or "" when the peer is a group
    std::string group_id;  // the peer group ("sg-..."), or ""
    std::string description;

    // Whether two rules allow the same thing (InvalidPermission.Duplicate).
    bool same_as(const SecurityGroupRule& other) const {
        return protocol == other.protocol && from_port == other.from_port &&
               to_port == other.to_port && cidr == other.cidr && group_id == other.group_id;
    }
};

struct SecurityGroup {
    std::string group_id;  // "sg-" + 17 hex
    std::string group_name, description, vpc_id;
    std::vector<SecurityGroupRule> ingress, egress;
    std::vector<std::pair<std::string, std::string>> tags;
    bool is_default() const { return group_name == "default"; }
};

// One IpPermission as the API takes it (several peers for one protocol and
// port range). Ports are kept as given so that validation can refuse 70000.
struct IpPermission {
    std::string protocol;  // as given: "tcp", "6", "-1", "all", "icmp"...
    long long from_port = -1, to_port = -1;
    bool has_ports = false;
    std::vector<std::pair<std::string, std::string>> cidrs;      // CidrIp, Description
    std::vector<std::pair<std::string, std::string>> group_ids;  // GroupId, Description
};

// --ip-permissions as the AWS CLI takes it: a JSON list of IpPermission
// objects (or one object). InvalidParameterValue when it is not.
Result<std::vector<IpPermission>> parse_ip_permissions(std::string_view text);

// The shorthand flags of authorize/revoke: --protocol P --port N[-M]
// (--cidr C | --source-group G); one permission.
Result<IpPermission> permission_from_flags(std::string_view protocol, std::string_view port,
                                           std::string_view cidr, std::string_view source_group);

// The rules `permission` stands for, validated (InvalidParameterValue for a
// bad protocol, port or CIDR); group peers are not looked up here.
Result<std::vector<SecurityGroupRule>> expand_permission(const IpPermission& permission);

// DescribeSecurityGroups' SecurityGroups[] entry, as the AWS CLI prints it.
nlohmann::json to_json(const SecurityGroup& group);
// The IpPermissions list of `rules` (folded by protocol and ports).
nlohmann::json permissions_json(const std::vector<SecurityGroupRule>& rules);
// AuthorizeSecurityGroup*'s SecurityGroupRules[] entry.
nlohmann::json rule_json(const SecurityGroup& group, const SecurityGroupRule& rule, bool egress);

// All groups; a damaged file is an Error naming it.
Result<std::vector<SecurityGroup>> read_security_groups(const StateStore& store);

Result<SecurityGroup> create_security_group(const StateStore& store, std::string_view name,
                                            std::string_view description, std::string_view vpc_id);
// CannotDelete for a VPC's default group; DependencyViolation while an
// instance uses it or another group's rule names it.
Result<void> delete_security_group(const StateStore& store, std::string_view group_id);
// All groups, or those named by id (each must exist: InvalidGroup.NotFound),
// that match every filter (group-id, group-name, vpc-id, description).
Result<std::vector<SecurityGroup>> describe_security_groups(const StateStore& store,
                                                            const std::vector<std::string>& ids,
                                                            const std::vector<std::string>& names,
                                                            const std::vector<Filter>& filters);

enum class Direction { ingress, egress };
// Adds the rules; all or nothing. Re-applies the VPC's rules.
Result<std::vector<nlohmann::json>> authorize_security_group(
    const StateStore& store, std::string_view group_id, Direction direction,
    const std::vector<IpPermission>& permissions);
// Removes the rules; each must exist (InvalidPermission.NotFound). Tracked
// connections the rule let in stay, as on AWS; new ones are refused.
Result<void> revoke_security_group(const StateStore& store, std::string_view group_id,
                                   Direction direction,
                                   const std::vector<IpPermission>& permissions);
// ModifyInstanceAttribute --groups: the instance's groups become `group_ids`
// (1..5, of the instance's VPC), and the VPC's rules are re-applied.
Result<void> set_instance_security_groups(const StateStore& store, std::string_view instance_id,
                                          const std::vector<std::string>& group_ids);

// --- The contract with the VPC code (helper "vpc") ---

// The VPC's group named "default" (its members reach each other, all
// egress allowed) and the VPC's default network ACL (allow all); returns
// the group's id. Existing ones are kept (idempotent).
Result<std::string> create_default_security_group(const StateStore& store, std::string_view vpc_id);
// Deletes the VPC's default group and default network ACL (delete-vpc).
Result<void> delete_security_groups_of_vpc(const StateStore& store, std::string_view vpc_id);
// Whether the VPC has groups other than its default, or network ACLs other
// than its default: delete-vpc is then a DependencyViolation.
Result<bool> vpc_has_security_groups(const StateStore& store, std::string_view vpc_id);
// The groups an instance launched into `vpc_id` gets: `ids` (at most 5,
// each existing and of that VPC), or the VPC's default group when empty.
// InvalidGroup.NotFound, InvalidParameter (another VPC's group).
Result<std::vector<std::string>> resolve_instance_groups(const StateStore& store,
                                                         std::string_view vpc_id,
                                                         const std::vector<std::string>& ids);
// Rebuilds the VPC's firewall (security groups and network ACLs) in its
// router namespace in one nftables transaction, from the groups and the
// instances' records. Nothing to do when the router namespace does not
// exist. Call it after an instance's port appears or goes.
Result<void> apply_security_groups(const StateStore& store, std::string_view vpc_id);

}  // namespace twinbox::cloud
