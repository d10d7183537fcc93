// Policy routing (ip-rule(8)) and routes in numbered tables through libnl:
// what a VPC router needs to give each subnet the routes of its route table.
//
//   ip rule add to VPC_CIDR lookup main priority 900      (the local route)
//   ip rule add iif BRIDGE lookup TABLE priority 1000+n   (one per subnet)
//   ip route add 0.0.0.0/0 via GW dev LINK table TABLE    (a route of the table)
//
// Each call replaces the whole set it owns (the rules in a priority range, the
// routes of one table), so the kernel always matches the record it was built
// from. Reference: rtnetlink(7) RTM_NEWRULE/RTM_NEWROUTE; libnl "route/rule.h".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "host/network/ipv4.h"

namespace twinbox::network {

struct PolicyRule {
    uint32_t priority = 0;
    std::string input_link;  // iif; "" for any
    std::optional<Cidr> to;  // destination; none for any
    uint32_t table = 0;      // RT_TABLE_MAIN is 254
};

enum class TableRouteKind { Unicast, Blackhole, Unreachable };

struct TableRoute {
    Cidr destination;
    TableRouteKind kind = TableRouteKind::Unicast;
    std::string link;         // the output link (Unicast)
    std::optional<Ipv4> via;  // the next hop; none for a directly connected route
};

// Replaces the IPv4 rules with priorities in [first, last] by `rules`, in
// the calling thread's network namespace.
Result<void> replace_rules(uint32_t first, uint32_t last, const std::vector<PolicyRule>& rules);

// Replaces every IPv4 route of `table` by `routes`.
Result<void> replace_table_routes(uint32_t table, const std::vector<TableRoute>& routes);

// Replaces the /32 routes of the main table that leave by `link` by `routes`.
Result<void> replace_link_host_routes(const std::string& link,
                                      const std::vector<TableRoute>& routes);

}  // namespace twinbox::network
