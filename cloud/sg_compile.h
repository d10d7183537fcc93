// The rule compiler: a VPC's security groups and network ACLs -> nftables
// text for its router namespace, a pure function (unit-tested table-driven
// in tests/unit/cloud/sg_compile_test.cpp).
//
// Where the packets are seen. Instances hang on subnet bridges inside the
// router namespace ("tbs..."), each by its port ("tbi...", vpc_names.h):
//
//   instance A ─ tbiA ─┐                    ┌─ tbiC ─ instance C
//                      tbs1 ── router ── tbs2
//   instance B ─ tbiB ─┘   (IP forwarding)
//
//   A -> B (same subnet)   bridged only: the bridge family sees it, and the
//                          inet family too once br_netfilter is on
//                          (net.bridge.bridge-nf-call-iptables = 1)
//   A -> C, host -> A      routed: the inet family's forward hook
//   router -> A (IMDS...)  the inet family's output hook
//   A -> router            the inet family's input hook
//
// Conntrack is what makes groups stateful, and the bridge family's own
// conntrack (nf_conntrack_bridge, CONFIG_NF_CONNTRACK_BRIDGE) is often not
// built (it is not in this project's test kernel: `ct state` in a bridge
// table fails with EPROTO). So the groups are enforced in an `ip` table
// whose forward/output/input chains see bridged traffic through
// br_netfilter, keyed on the instances' private addresses, and a `bridge`
// table makes those addresses trustworthy: a frame from port tbiA must
// carry A's address (AWS's source/destination check), so no instance can
// borrow another's rules.
//
// Chains per instance port P: "in_P" (its groups' ingress rules: match ->
// accept, else drop) and "out_P" (egress: match -> return, else drop), so
// that A -> B passes A's egress, then B's ingress, in one base chain.
// A --source-group rule matches the set "sg_<hex>" of that group's
// members' addresses. Traffic to the metadata service (169.254.169.254) is
// not subject to security groups, as on EC2.
//
// Network ACLs: table `inet twinbox_nacl`, a forward chain that sends
// traffic crossing a subnet's bridge (routed in or out, not bridged within
// it) to "in_<bridge>"/"out_<bridge>": the entries lowest number first,
// then drop (the "*" rule). Stateless: no ct match.
//
// Each run deletes and re-adds both tables in one transaction, so a rule
// change applies at once and atomically. Connections a revoked rule let in
// stay (they are tracked and "ct state established" accepts them), as on
// AWS ("Security group connection tracking"); new ones are refused.
#pragma once

#include <string>
#include <vector>

#include "cloud/network_acls.h"
#include "cloud/security_groups.h"

namespace twinbox::cloud {

struct SgMember {
    std::string instance_id;
    std::string port;        // "tbi..." (instance_port_name)
    std::string private_ip;  // "10.0.1.5"
    std::string subnet_id;   // "subnet-..." ("" when unknown)
    std::vector<std::string> group_ids;
};

// The nft script (one transaction) for one VPC's router namespace.
std::string compile_firewall(std::string_view vpc_id, const std::vector<SecurityGroup>& groups,
                             const std::vector<SgMember>& members,
                             const std::vector<NetworkAcl>& acls);

// Removes both tables (the VPC goes).
std::string compile_firewall_removal();

// The match part of one rule for `peer_field` ("saddr" for ingress, "daddr"
// for egress): "ip saddr 10.0.0.0/16 tcp dport 22".
std::string rule_match(const SecurityGroupRule& rule, std::string_view peer_field);

}  // namespace twinbox::cloud
