// Route tables, routes and associations (see vpcs.h).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/vpc_cidr.h"
#include "cloud/vpc_lookup.h"
#include "cloud/vpc_router.h"
#include "cloud/vpcs.h"

namespace twinbox::cloud {

namespace {

using Vpcs = std::vector<std::string>;

// The route's target, checked: it exists and belongs to the table's VPC.
Result<RouteRecord> make_route(VpcState& state, const RouteTableRecord& table,
                               const RouteInput& input) {
    network::Cidr destination = TRY(parse_route_destination(input.destination));
    RouteRecord route;
    route.destination = destination.to_string();
    int targets =
        !input.gateway_id.empty() + !input.nat_gateway_id.empty() + !input.instance_id.empty();
    if (targets != 1)
        return aws_error("InvalidParameterCombination",
                         "The request must contain exactly one of gatewayId, natGatewayId, "
                         "instanceId");
    if (!input.instance_id.empty())
        return aws_error("InvalidParameterValue",
                         "Routes to instances are not supported by twinbox (use a NAT gateway "
                         "or an internet gateway).");
    auto other_network = [&](std::string_view target) {
        return aws_error("InvalidParameterValue",
                         fmt::format("route table {} and network gateway {} belong to different "
                                     "networks",
                                     table.route_table_id, target));
    };
    if (!input.gateway_id.empty()) {
        InternetGatewayRecord* igw = TRY(find_internet_gateway(state, input.gateway_id));
        if (igw->vpc_id != table.vpc_id)
            return other_network(input.gateway_id);
        route.gateway_id = input.gateway_id;
    } else {
        NatGatewayRecord* nat = TRY(find_nat_gateway(state, input.nat_gateway_id));
        if (nat->vpc_id != table.vpc_id)
            return other_network(input.nat_gateway_id);
        route.nat_gateway_id = input.nat_gateway_id;
    }
    return route;
}

std::vector<RouteRecord>::iterator find_route(RouteTableRecord& table,
                                              std::string_view destination) {
    auto parsed = network::parse_cidr(destination);
    std::string canonical = parsed ? parsed->to_string() : std::string(destination);
    return std::find_if(table.routes.begin(), table.routes.end(),
                        [&](const RouteRecord& route) { return route.destination == canonical; });
}

Error route_not_found(std::string_view table, std::string_view destination) {
    return aws_error("InvalidRoute.NotFound",
                     fmt::format("no route with destination-cidr-block {} in route table {}",
                                 destination, table));
}

}  // namespace

Result<RouteTableRecord*> find_route_table(VpcState& state, std::string_view id) {
    RouteTableRecord* table = state.route_table(id);
    if (!table)
        return aws_error("InvalidRouteTableID.NotFound",
                         fmt::format("The routeTable ID '{}' does not exist", id));
    return table;
}

Result<nlohmann::json> create_route_table(const StateStore& store, std::string_view vpc_id) {
    nlohmann::json out;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        TRY(find_vpc(state, vpc_id));
        std::string id = TRY(add_route_table(state, std::string(vpc_id), false));
        const RouteTableRecord& table = *state.route_table(id);
        out = {{"RouteTable", route_table_json(state, table)}};
        return Vpcs{table.vpc_id};
    }));
    return out;
}

Result<nlohmann::json> describe_route_tables(const StateStore& store,
                                             const std::vector<std::string>& ids,
                                             const std::vector<Filter>& filters) {
    TRY(ensure_default_vpc(store));
    VpcState state = TRY(read_vpc_state(store));
    for (const auto& id : ids) TRY(find_route_table(state, id));
    nlohmann::json list = nlohmann::json::array();
    for (const auto& table : state.route_tables) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), table.route_table_id) == ids.end())
            continue;
        nlohmann::json item = route_table_json(state, table);
        if (passes_filters(item, filters))
            list.push_back(std::move(item));
    }
    return nlohmann::json{{"RouteTables", std::move(list)}};
}

Result<void> delete_route_table(const StateStore& store, std::string_view route_table_id) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        RouteTableRecord* table = TRY(find_route_table(state, route_table_id));
        if (!table->associations.empty())
            return aws_error("DependencyViolation",
                             fmt::format("The routeTable '{}' has dependencies and cannot be "
                                         "deleted.",
                                         route_table_id));
        std::string vpc_id = table->vpc_id;
        std::erase_if(state.route_tables, [&](const RouteTableRecord& t) {
            return t.route_table_id == route_table_id;
        });
        return Vpcs{vpc_id};
    });
}

Result<nlohmann::json> create_route(const StateStore& store, const RouteInput& input) {
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        RouteTableRecord* table = TRY(find_route_table(state, input.route_table_id));
        RouteRecord route = TRY(make_route(state, *table, input));
        if (find_route(*table, route.destination) != table->routes.end())
            return aws_error(
                "RouteAlreadyExists",
                fmt::format("The route identified by {} already exists.", route.destination));
        table->routes.push_back(route);
        return Vpcs{table->vpc_id};
    }));
    return nlohmann::json{{"Return", true}};
}

Result<void> replace_route(const StateStore& store, const RouteInput& input) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        RouteTableRecord* table = TRY(find_route_table(state, input.route_table_id));
        RouteRecord route = TRY(make_route(state, *table, input));
        auto found = find_route(*table, route.destination);
        if (found == table->routes.end())
            return route_not_found(input.route_table_id, input.destination);
        if (found->gateway_id == "local")
            return aws_error("InvalidParameterValue", "cannot replace the local route");
        *found = route;
        return Vpcs{table->vpc_id};
    });
}

Result<void> delete_route(const StateStore& store, std::string_view route_table_id,
                          std::string_view destination) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        RouteTableRecord* table = TRY(find_route_table(state, route_table_id));
        auto found = find_route(*table, destination);
        if (found == table->routes.end())
            return route_not_found(route_table_id, destination);
        if (found->gateway_id == "local")
            return aws_error("InvalidParameterValue",
                             fmt::format("cannot remove local route {} in route table {}",
                                         destination, route_table_id));
        table->routes.erase(found);
        return Vpcs{table->vpc_id};
    });
}

Result<nlohmann::json> associate_route_table(const StateStore& store,
                                             std::string_view route_table_id,
                                             std::string_view subnet_id) {
    nlohmann::json out;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        RouteTableRecord* table = TRY(find_route_table(state, route_table_id));
        SubnetRecord* subnet = TRY(find_subnet(state, subnet_id));
        if (subnet->vpc_id != table->vpc_id)
            return aws_error("InvalidParameterValue",
                             fmt::format("route table {} and subnet {} belong to different "
                                         "networks",
                                         route_table_id, subnet_id));
        for (const auto& other : state.route_tables)
            for (const auto& association : other.associations)
                if (association.subnet_id == subnet_id)
                    return aws_error("Resource.AlreadyAssociated",
                                     fmt::format("the specified association for route table {} "
                                                 "conflicts with an existing association",
                                                 route_table_id));
        RouteAssociation association{TRY(new_id("rtbassoc")), std::string(subnet_id), false};
        table->associations.push_back(association);
        out = {{"AssociationId", association.association_id},
               {"AssociationState", {{"State", "associated"}}}};
        return Vpcs{table->vpc_id};
    }));
    return out;
}

Result<void> disassociate_route_table(const StateStore& store, std::string_view association_id) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        for (auto& table : state.route_tables)
            for (auto it = table.associations.begin(); it != table.associations.end(); ++it) {
                if (it->association_id != association_id)
                    continue;
                if (it->main)
                    return aws_error("InvalidParameterValue",
                                     "cannot disassociate the main route table association " +
                                         std::string(association_id));
                table.associations.erase(it);
                return Vpcs{table.vpc_id};
            }
        return aws_error("InvalidAssociationID.NotFound",
                         fmt::format("The association ID '{}' does not exist", association_id));
    });
}

}  // namespace twinbox::cloud
