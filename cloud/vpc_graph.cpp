#include "cloud/vpc_graph.h"

#include <fmt/format.h>

#include "cloud/vpc_names.h"
#include "cloud/vpc_router.h"

namespace twinbox::cloud {

namespace {

std::string target_of(const RouteRecord& route) {
    if (!route.gateway_id.empty())
        return route.gateway_id;
    if (!route.nat_gateway_id.empty())
        return route.nat_gateway_id;
    return route.instance_id;
}

// "public: 0.0.0.0/0 -> igw-..." / "private: out through nat-..." / "private: no way out".
std::string kind_of(const VpcState& state, const RouteTableRecord& table) {
    for (const auto& route : table.routes) {
        if (route.destination != "0.0.0.0/0")
            continue;
        if (route_state(state, table, route) != "active")
            return fmt::format("private: its default route to {} is a blackhole", target_of(route));
        if (!route.gateway_id.empty())
            return fmt::format("public: 0.0.0.0/0 -> {}", route.gateway_id);
        return fmt::format("private: out (only) through {}", route.nat_gateway_id);
    }
    return "private: no default route, no way out";
}

}  // namespace

std::string render_vpc_graph(VpcState& state, const std::vector<InstanceRecord>& instances,
                             std::string_view vpc_id) {
    const VpcRecord* vpc = state.vpc(vpc_id);
    if (!vpc)
        return fmt::format("no VPC {}\n", vpc_id);
    std::string out = fmt::format("VPC {} {}{}  router: netns {}\n", vpc->vpc_id, vpc->cidr,
                                  vpc->is_default ? " (default)" : "", vpc_netns_name(vpc_id));
    bool attached = false;
    for (const auto& igw : state.internet_gateways)
        if (igw.vpc_id == vpc_id) {
            attached = true;
            out += fmt::format("|-- internet gateway {}: host {} {} <=veth=> router {} {}\n",
                               igw.internet_gateway_id, gateway_host_link(vpc_id),
                               gateway_host_address(vpc->link_index).to_string(),
                               gateway_router_link(vpc_id),
                               gateway_router_address(vpc->link_index).to_string());
        }
    if (!attached)
        out += "|-- no internet gateway: nothing goes in or out\n";
    for (const auto& subnet : state.subnets) {
        if (subnet.vpc_id != vpc_id)
            continue;
        const RouteTableRecord* table = state.table_of_subnet(subnet);
        out += fmt::format("|-- subnet {} {}  bridge {}  [{}]\n", subnet.subnet_id, subnet.cidr,
                           subnet_bridge_name(subnet.subnet_id),
                           table ? kind_of(state, *table) : "no route table");
        if (table) {
            bool main = table == state.main_table(vpc_id);
            out += fmt::format("|     route table {}{}\n", table->route_table_id,
                               main ? " (main)" : "");
            for (const auto& route : table->routes)
                out += fmt::format("|       {:<18} -> {:<22} {}\n", route.destination,
                                   target_of(route), route_state(state, *table, route));
        }
        for (const auto& nat : state.nat_gateways)
            if (nat.subnet_id == subnet.subnet_id && nat.state == "available")
                out += fmt::format("|     NAT gateway {} {} -> public {}\n", nat.nat_gateway_id,
                                   nat.private_ip, nat.public_ip);
        for (const auto& instance : instances) {
            if (instance.subnet_id != subnet.subnet_id ||
                instance.state == InstanceState::terminated)
                continue;
            out += fmt::format(
                "|     instance {} {} {}{}\n", instance.instance_id,
                instance.private_ip.empty() ? "-" : instance.private_ip,
                instance_state_name(instance.state),
                instance.public_ip.empty()
                    ? ""
                    : fmt::format("  public {} (reachable from the host)", instance.public_ip));
        }
    }
    for (const auto& address : state.addresses)
        if (address.vpc_id == vpc_id && !address.private_ip.empty())
            out += fmt::format("|-- {} {} <-> {} (1:1 NAT in the router)\n",
                               address.auto_assigned ? "public IPv4" : "Elastic IP",
                               address.public_ip, address.private_ip);
    return out;
}

}  // namespace twinbox::cloud
