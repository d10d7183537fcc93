// EC2 network ACLs (issue 20 item 6) over the state store
// ("network_acls.json"): stateless, numbered allow/deny rules that act at a
// subnet's boundary, lowest number first, with a final implicit deny
// (VPC User Guide, "Control subnet traffic with network access control
// lists"). Each VPC has a default ACL that allows everything (rule 100
// allow all in each direction); a subnet uses it unless associated with
// another ACL of its VPC.
//
// Association ids are derived from the subnet's id ("aclassoc-" + the
// subnet's 17 hex digits), so the association of any subnet can be named
// without a list of the VPC's subnets, which the VPC code keeps.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/filters.h"
#include "cloud/state_store.h"
#include "common/result.h"

namespace twinbox::cloud {

struct NetworkAclEntry {
    int rule_number = 0;  // 1..32766 (EC2's range; 32767 is the implicit deny "*")
    bool egress = false;
    std::string protocol;  // "tcp", "udp", "icmp", "-1" or a number
    bool allow = false;    // RuleAction allow | deny
    std::string cidr;
    int from_port = -1, to_port = -1;  // PortRange for tcp/udp
};

struct NetworkAcl {
    std::string acl_id;  // "acl-" + 17 hex
    std::string vpc_id;
    bool is_default = false;
    std::vector<NetworkAclEntry> entries;
    std::vector<std::string> subnet_ids;  // explicit associations
};

std::string network_acl_association_id(std::string_view subnet_id);

Result<std::vector<NetworkAcl>> read_network_acls(const StateStore& store);
// The ACL that applies to `subnet_id` of `vpc_id` (its association, else the default).
const NetworkAcl* acl_of_subnet(const std::vector<NetworkAcl>& acls, std::string_view vpc_id,
                                std::string_view subnet_id);

// The VPC's default ACL (made when missing); its id.
Result<std::string> ensure_default_network_acl(const StateStore& store, std::string_view vpc_id);
Result<NetworkAcl> create_network_acl(const StateStore& store, std::string_view vpc_id);
Result<void> delete_network_acl(const StateStore& store, std::string_view acl_id);
// An entry from the words both front ends take: --rule-action allow|deny
// (RuleAction), --ingress/--egress (Egress) exactly one. InvalidParameterValue
// otherwise.
Result<NetworkAclEntry> network_acl_entry(int rule_number, bool ingress, bool egress,
                                          std::string_view protocol, std::string_view action,
                                          std::string_view cidr);
// --protocol, --port-range From=N,To=M, --cidr-block, --rule-action allow|deny.
Result<void> create_network_acl_entry(const StateStore& store, std::string_view acl_id,
                                      const NetworkAclEntry& entry, std::string_view port_range);
Result<void> delete_network_acl_entry(const StateStore& store, std::string_view acl_id,
                                      int rule_number, bool egress);
// Moves the subnet named by `association_id` to `acl_id`; the new association id.
Result<std::string> replace_network_acl_association(const StateStore& store,
                                                    std::string_view association_id,
                                                    std::string_view acl_id);
Result<std::vector<NetworkAcl>> describe_network_acls(const StateStore& store,
                                                      const std::vector<std::string>& ids,
                                                      const std::vector<Filter>& filters);
// The subnet's association goes with the subnet (delete-subnet): its ACL can
// then be deleted. Nothing to forget is not an error.
Result<void> forget_subnet_network_acl(const StateStore& store, std::string_view subnet_id);
// The default ACL and every other ACL of the VPC go (delete-vpc).
Result<void> delete_network_acls_of_vpc(const StateStore& store, std::string_view vpc_id);

// DescribeNetworkAcls' NetworkAcls[] entry; `subnets`: subnets known to use
// it implicitly (the default ACL's), listed as associations too.
nlohmann::json to_json(const NetworkAcl& acl, const std::vector<std::string>& implicit_subnets);

}  // namespace twinbox::cloud
