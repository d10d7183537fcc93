// The VPC router (see vpc_router.h): namespaces, bridges and the gateway link
// through netlink (host/network/), routing by ip rules and tables
// (host/network/policy_routing.h), NAT by libnftables.
#include "cloud/vpc_router.h"

#include <fmt/format.h>
#include <unistd.h>

#include "cloud/vpc_names.h"
#include "host/network/links.h"
#include "host/network/netns.h"
#include "host/network/nftables.h"
#include "host/network/policy_routing.h"

namespace twinbox::cloud {

namespace {

using network::Cidr;
using network::Ipv4;

Cidr cidr_of(const std::string& text) {
    auto parsed = network::parse_cidr(text);
    return parsed ? *parsed : Cidr{};
}

bool gateway_attached(const VpcState& state, std::string_view vpc_id, std::string_view igw) {
    for (const auto& gateway : state.internet_gateways)
        if (gateway.internet_gateway_id == igw && gateway.vpc_id == vpc_id)
            return true;
    return false;
}

bool vpc_has_gateway(const VpcState& state, std::string_view vpc_id) {
    for (const auto& gateway : state.internet_gateways)
        if (gateway.vpc_id == vpc_id)
            return true;
    return false;
}

const NatGatewayRecord* live_nat(const VpcState& state, std::string_view id) {
    for (const auto& nat : state.nat_gateways)
        if (nat.nat_gateway_id == id && nat.state == "available")
            return &nat;
    return nullptr;
}

// The routes of one table in the kernel: traffic out of the VPC goes by the
// gateway link; a route whose target is gone is a blackhole; with no default
// route, the rest is unreachable (so nothing falls through to the main table,
// which knows the gateway link).
std::vector<network::TableRoute> kernel_routes(const VpcState& state, const RouteTableRecord& table,
                                               const VpcRecord& vpc) {
    std::vector<network::TableRoute> routes;
    bool has_default = false;
    for (const auto& route : table.routes) {
        if (route.gateway_id == "local")
            continue;  // the main table through the priority-900 rule
        Cidr destination = cidr_of(route.destination);
        has_default = has_default || destination.prefix == 0;
        network::TableRoute kernel{destination, network::TableRouteKind::Unicast, "", std::nullopt};
        if (route_state(state, table, route) == "blackhole") {
            kernel.kind = network::TableRouteKind::Blackhole;
        } else {
            kernel.link = gateway_router_link(vpc.vpc_id);
            kernel.via = gateway_host_address(vpc.link_index);
        }
        routes.push_back(std::move(kernel));
    }
    if (!has_default)
        routes.push_back({Cidr{}, network::TableRouteKind::Unreachable, "", std::nullopt});
    return routes;
}

Result<void> build_inside(const VpcState& state, const VpcRecord& vpc) {
    TRY(network::write_sysctl("/proc/sys/net/ipv4/ip_forward", "1"));
    auto socket = TRY(network::RouteSocket::open());
    std::vector<network::PolicyRule> rules;
    rules.push_back({kLocalRulePriority, "", cidr_of(vpc.cidr), 254});
    uint32_t position = 0;
    for (const auto& subnet : state.subnets) {
        if (subnet.vpc_id != vpc.vpc_id)
            continue;
        std::string bridge = subnet_bridge_name(subnet.subnet_id);
        if (socket.link_index(bridge) == 0) {
            Cidr cidr = cidr_of(subnet.cidr);
            TRY(socket.add_bridge(bridge));
            TRY(socket.add_address(bridge, cidr.gateway(), cidr.prefix));
        }
        TRY(socket.set_up(bridge));
        const RouteTableRecord* table = const_cast<VpcState&>(state).table_of_subnet(subnet);
        if (table)
            rules.push_back({kSubnetRulePriority + position++, bridge, std::nullopt,
                             static_cast<uint32_t>(table->table)});
    }
    TRY(network::replace_rules(kLocalRulePriority, kLastRulePriority, rules));
    for (const auto& table : state.route_tables)
        if (table.vpc_id == vpc.vpc_id)
            TRY(network::replace_table_routes(static_cast<uint32_t>(table.table),
                                              kernel_routes(state, table, vpc)));
    auto nft = TRY(network::Nftables::open());
    TRY(nft.run(router_nat_ruleset(state, vpc.vpc_id), "the VPC router's NAT rules"));
    return ok();
}

// The gateway link: made when an internet gateway is attached, removed when not.
Result<void> build_gateway_link(const VpcState& state, const VpcRecord& vpc) {
    auto socket = TRY(network::RouteSocket::open());
    std::string host = gateway_host_link(vpc.vpc_id);
    std::string router = gateway_router_link(vpc.vpc_id);
    std::string netns = vpc_netns_name(vpc.vpc_id);
    if (!vpc_has_gateway(state, vpc.vpc_id))
        return socket.delete_link(host);
    if (socket.link_index(host) == 0) {
        TRY(socket.add_veth(host, router, ::getpid()));
        auto moved = network::move_link_to_netns(router, netns, router);
        if (!moved) {
            (void)socket.delete_link(host);
            return moved.error();
        }
        TRY(socket.add_address(host, gateway_host_address(vpc.link_index), 30));
        TRY(network::in_named_netns(netns, [&]() -> Result<void> {
            auto inside = TRY(network::RouteSocket::open());
            TRY(inside.add_address(router, gateway_router_address(vpc.link_index), 30));
            return inside.set_up(router);
        }));
    }
    TRY(socket.set_up(host));
    return ok();
}

// The host's routes to the VPC's public addresses, by the gateway link.
Result<void> build_host_routes(const VpcState& state, const VpcRecord& vpc) {
    if (!vpc_has_gateway(state, vpc.vpc_id))
        return ok();
    std::vector<network::TableRoute> routes;
    auto add = [&](const std::string& ip) {
        auto address = network::parse_ipv4(ip);
        if (address)
            routes.push_back({Cidr{*address, 32}, network::TableRouteKind::Unicast,
                              gateway_host_link(vpc.vpc_id),
                              gateway_router_address(vpc.link_index)});
    };
    for (const auto& address : state.addresses)
        if (address.vpc_id == vpc.vpc_id && !address.private_ip.empty())
            add(address.public_ip);
    for (const auto& nat : state.nat_gateways)
        if (nat.vpc_id == vpc.vpc_id && nat.state == "available")
            add(nat.public_ip);
    return network::replace_link_host_routes(gateway_host_link(vpc.vpc_id), routes);
}

}  // namespace

std::string gateway_host_link(std::string_view vpc_id) {
    return detail::short_name("tbg", vpc_id);
}

std::string gateway_router_link(std::string_view vpc_id) {
    return detail::short_name("tbr", vpc_id);
}

Ipv4 gateway_host_address(int index) {
    return {kGatewayLinkRange.address.value + static_cast<uint32_t>(index) * 4 + 1};
}

Ipv4 gateway_router_address(int index) {
    return {kGatewayLinkRange.address.value + static_cast<uint32_t>(index) * 4 + 2};
}

std::string route_state(const VpcState& state, const RouteTableRecord& table,
                        const RouteRecord& route) {
    if (route.gateway_id == "local")
        return "active";
    if (!route.gateway_id.empty())
        return gateway_attached(state, table.vpc_id, route.gateway_id) ? "active" : "blackhole";
    if (!route.nat_gateway_id.empty()) {
        const NatGatewayRecord* nat = live_nat(state, route.nat_gateway_id);
        return nat && vpc_has_gateway(state, nat->vpc_id) ? "active" : "blackhole";
    }
    return "blackhole";
}

std::string router_nat_ruleset(const VpcState& state, std::string_view vpc_id) {
    std::string out_link = gateway_router_link(vpc_id);
    std::string prerouting, postrouting;
    for (const auto& address : state.addresses) {
        if (address.vpc_id != vpc_id || address.private_ip.empty())
            continue;
        prerouting +=
            fmt::format("    ip daddr {} dnat to {}\n", address.public_ip, address.private_ip);
        postrouting += fmt::format("    oifname \"{}\" ip saddr {} snat to {}\n", out_link,
                                   address.private_ip, address.public_ip);
    }
    // A NAT gateway: what leaves by the gateway link from a subnet whose table
    // routes to it takes the NAT gateway's public address (outbound only: no dnat).
    auto& mutable_state = const_cast<VpcState&>(state);
    for (const auto& subnet : state.subnets) {
        if (subnet.vpc_id != vpc_id)
            continue;
        const RouteTableRecord* table = mutable_state.table_of_subnet(subnet);
        if (!table)
            continue;
        for (const auto& route : table->routes) {
            const NatGatewayRecord* nat =
                route.nat_gateway_id.empty() ? nullptr : live_nat(state, route.nat_gateway_id);
            if (nat && route_state(state, *table, route) == "active") {
                postrouting += fmt::format("    oifname \"{}\" ip saddr {} snat to {}\n", out_link,
                                           subnet.cidr, nat->public_ip);
                break;
            }
        }
    }
    return fmt::format(
        "add table ip {0}\n"
        "delete table ip {0}\n"
        "table ip {0} {{\n"
        "  chain prerouting {{\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        "{1}"
        "  }}\n"
        "  chain postrouting {{\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        "{2}"
        "  }}\n"
        // An internet gateway passes only traffic for public addresses (dnat'd
        // above) and replies: a host that routes a private range at the
        // gateway link reaches nothing, as on AWS.
        "  chain forward {{\n"
        "    type filter hook forward priority filter; policy accept;\n"
        "    iifname \"{3}\" ct status dnat accept\n"
        "    iifname \"{3}\" ct state established,related accept\n"
        "    iifname \"{3}\" drop\n"
        "  }}\n"
        "}}\n",
        kRouterNftTable, prerouting, postrouting, out_link);
}

Result<void> build_vpc_router(const VpcState& state, std::string_view vpc_id) {
    const VpcRecord* vpc = const_cast<VpcState&>(state).vpc(vpc_id);
    if (!vpc)
        return Error::message(fmt::format("no VPC {} in the record", vpc_id));
    std::string netns = vpc_netns_name(vpc_id);
    bool fresh = !network::netns_exists(netns);
    TRY(network::create_netns(netns));
    network::NetnsGuard guard(fresh ? netns : "");
    TRY(build_gateway_link(state, *vpc));
    TRY(network::in_named_netns(netns, [&] { return build_inside(state, *vpc); }));
    TRY(build_host_routes(state, *vpc));
    guard.release();
    return ok();
}

Result<void> remove_vpc_router(std::string_view vpc_id) {
    auto socket = TRY(network::RouteSocket::open());
    TRY(socket.delete_link(gateway_host_link(vpc_id)));
    return network::delete_netns(vpc_netns_name(vpc_id));
}

Result<void> remove_subnet_bridge(std::string_view vpc_id, std::string_view subnet_id) {
    std::string netns = vpc_netns_name(vpc_id);
    if (!network::netns_exists(netns))
        return ok();
    return network::in_named_netns(netns, [&]() -> Result<void> {
        auto socket = TRY(network::RouteSocket::open());
        return socket.delete_link(subnet_bridge_name(subnet_id));
    });
}

Result<void> flush_route_table(std::string_view vpc_id, int table) {
    std::string netns = vpc_netns_name(vpc_id);
    if (!network::netns_exists(netns))
        return ok();
    return network::in_named_netns(
        netns, [&] { return network::replace_table_routes(static_cast<uint32_t>(table), {}); });
}

}  // namespace twinbox::cloud
