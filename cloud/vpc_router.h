// The kernel picture of a VPC, rebuilt from its record (cloud/vpc_store.h):
//
//   host netns                          router netns "twinbox-vpc-..." (vpc_names.h)
//   ----------                          -------------------------------------------
//   tbg<vpc hex> 198.19.X.1/30 ---veth--- tbr<vpc hex> 198.19.X.2/30  (internet gateway)
//   198.18.A.B/32 via 198.19.X.2          nft table ip twinbox_vpc: 1:1 NAT for public
//     (each public IPv4 of the VPC)         IPv4s (dnat in, snat out), NAT gateways' snat
//                                         tbs<subnet hex> bridge, router at subnet .1
//                                         ip rule to VPC_CIDR lookup main  (prio 900:
//                                           the local route)
//                                         ip rule iif tbs... lookup TABLE (prio 1000+:
//                                           the subnet's route table)
//                                         table TABLE: the table's routes, an
//                                           unreachable default when it has none
//
// Public addresses come from 198.18.0.0/16 and the gateway links from
// 198.19.0.0/16: together 198.18.0.0/15, the range RFC 2544 (and RFC 5735 s.3)
// sets aside for benchmarking and that is never routed on the internet, so a
// "public" IPv4 here can never collide with a real one nor leave the machine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cloud/vpc_store.h"
#include "common/result.h"
#include "host/network/ipv4.h"

namespace twinbox::cloud {

inline constexpr network::Cidr kPublicRange{{0xC6120000}, 16};       // 198.18.0.0/16
inline constexpr network::Cidr kGatewayLinkRange{{0xC6130000}, 16};  // 198.19.0.0/16
inline constexpr uint32_t kLocalRulePriority = 900;
inline constexpr uint32_t kSubnetRulePriority = 1000;  // + the subnet's position
inline constexpr uint32_t kLastRulePriority = 1999;
inline constexpr const char* kRouterNftTable = "twinbox_vpc";

// The internet gateway link's two ends ("tbg"/"tbr" + 12 hex digits of the VPC id).
std::string gateway_host_link(std::string_view vpc_id);
std::string gateway_router_link(std::string_view vpc_id);
// The host's and the router's address on link number `index`.
network::Ipv4 gateway_host_address(int index);
network::Ipv4 gateway_router_address(int index);

// "active" or "blackhole" (its gateway detached or gone), as DescribeRouteTables.
std::string route_state(const VpcState& state, const RouteTableRecord& table,
                        const RouteRecord& route);

// The nft text of the router's NAT table for `vpc_id` (unit-tested).
std::string router_nat_ruleset(const VpcState& state, std::string_view vpc_id);

// Makes or updates the router of `vpc_id` to match `state` (idempotent).
Result<void> build_vpc_router(const VpcState& state, std::string_view vpc_id);
// Removes the router: the gateway link on the host and the namespace with
// everything in it.
Result<void> remove_vpc_router(std::string_view vpc_id);
// Deletes a subnet's bridge and flushes a route table's kernel table.
Result<void> remove_subnet_bridge(std::string_view vpc_id, std::string_view subnet_id);
Result<void> flush_route_table(std::string_view vpc_id, int table);

}  // namespace twinbox::cloud
