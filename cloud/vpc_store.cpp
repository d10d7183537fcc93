// The VPC document (see vpc_store.h), read strictly field by field.
#include "cloud/vpc_store.h"

#include <algorithm>

#include "common/json_reader.h"

namespace twinbox::cloud {

namespace {

constexpr std::string_view kDocument = "vpcs";
using json_reader::Node;
using json_reader::read_member;
using json_reader::read_required;

template <typename T>
T* find_by(std::vector<T>& list, std::string_view id, std::string T::*field) {
    auto it =
        std::find_if(list.begin(), list.end(), [&](const T& item) { return item.*field == id; });
    return it == list.end() ? nullptr : &*it;
}

}  // namespace

// Readers found by json_reader's vector<T> overload through argument-dependent lookup.
Result<void> read(const Node& node, VpcRecord& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_required(node, "VpcId", out.vpc_id));
    TRY(read_required(node, "CidrBlock", out.cidr));
    TRY(read_member(node, "IsDefault", out.is_default));
    TRY(read_required(node, "LinkIndex", out.link_index));
    return ok();
}

Result<void> read(const Node& node, SubnetRecord& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_required(node, "SubnetId", out.subnet_id));
    TRY(read_required(node, "VpcId", out.vpc_id));
    TRY(read_required(node, "CidrBlock", out.cidr));
    TRY(read_member(node, "MapPublicIpOnLaunch", out.map_public_ip_on_launch));
    TRY(read_member(node, "DefaultForAz", out.default_for_az));
    return ok();
}

Result<void> read(const Node& node, RouteRecord& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_required(node, "DestinationCidrBlock", out.destination));
    TRY(read_member(node, "GatewayId", out.gateway_id));
    TRY(read_member(node, "NatGatewayId", out.nat_gateway_id));
    TRY(read_member(node, "InstanceId", out.instance_id));
    TRY(read_member(node, "Origin", out.origin));
    return ok();
}

Result<void> read(const Node& node, RouteAssociation& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_required(node, "RouteTableAssociationId", out.association_id));
    TRY(read_member(node, "SubnetId", out.subnet_id));
    TRY(read_member(node, "Main", out.main));
    return ok();
}

Result<void> read(const Node& node, RouteTableRecord& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_required(node, "RouteTableId", out.route_table_id));
    TRY(read_required(node, "VpcId", out.vpc_id));
    TRY(read_required(node, "Table", out.table));
    TRY(read_member(node, "Routes", out.routes));
    TRY(read_member(node, "Associations", out.associations));
    return ok();
}

Result<void> read(const Node& node, InternetGatewayRecord& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_required(node, "InternetGatewayId", out.internet_gateway_id));
    TRY(read_member(node, "VpcId", out.vpc_id));
    return ok();
}

Result<void> read(const Node& node, AddressRecord& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_member(node, "AllocationId", out.allocation_id));
    TRY(read_required(node, "PublicIp", out.public_ip));
    TRY(read_member(node, "AssociationId", out.association_id));
    TRY(read_member(node, "InstanceId", out.instance_id));
    TRY(read_member(node, "PrivateIpAddress", out.private_ip));
    TRY(read_member(node, "NatGatewayId", out.nat_gateway_id));
    TRY(read_member(node, "VpcId", out.vpc_id));
    TRY(read_member(node, "AutoAssigned", out.auto_assigned));
    return ok();
}

Result<void> read(const Node& node, NatGatewayRecord& out) {
    TRY(json_reader::expect_object(node));
    TRY(read_required(node, "NatGatewayId", out.nat_gateway_id));
    TRY(read_required(node, "VpcId", out.vpc_id));
    TRY(read_required(node, "SubnetId", out.subnet_id));
    TRY(read_required(node, "AllocationId", out.allocation_id));
    TRY(read_member(node, "PrivateIp", out.private_ip));
    TRY(read_member(node, "PublicIp", out.public_ip));
    TRY(read_member(node, "CreateTime", out.create_time));
    TRY(read_member(node, "State", out.state));
    return ok();
}

Result<VpcState> parse_vpc_state(const nlohmann::json& document, std::string_view file) {
    VpcState state;
    if (document.is_null())
        return state;
    Node root(document, "", file);
    auto checked = [&]() -> Result<void> {
        TRY(json_reader::expect_object(root));
        TRY(read_member(root, "Vpcs", state.vpcs));
        TRY(read_member(root, "Subnets", state.subnets));
        TRY(read_member(root, "RouteTables", state.route_tables));
        TRY(read_member(root, "InternetGateways", state.internet_gateways));
        TRY(read_member(root, "Addresses", state.addresses));
        TRY(read_member(root, "NatGateways", state.nat_gateways));
        return ok();
    }();
    if (!checked)
        return damaged(std::string(file), checked.error().to_string());
    return state;
}

nlohmann::json vpc_state_json(const VpcState& state) {
    using nlohmann::json;
    json vpcs = json::array(), subnets = json::array(), tables = json::array(),
         igws = json::array(), addresses = json::array(), nats = json::array();
    for (const auto& v : state.vpcs)
        vpcs.push_back({{"VpcId", v.vpc_id},
                        {"CidrBlock", v.cidr},
                        {"IsDefault", v.is_default},
                        {"LinkIndex", v.link_index}});
    for (const auto& s : state.subnets)
        subnets.push_back({{"SubnetId", s.subnet_id},
                           {"VpcId", s.vpc_id},
                           {"CidrBlock", s.cidr},
                           {"MapPublicIpOnLaunch", s.map_public_ip_on_launch},
                           {"DefaultForAz", s.default_for_az}});
    for (const auto& t : state.route_tables) {
        json routes = json::array(), associations = json::array();
        for (const auto& r : t.routes)
            routes.push_back({{"DestinationCidrBlock", r.destination},
                              {"GatewayId", r.gateway_id},
                              {"NatGatewayId", r.nat_gateway_id},
                              {"InstanceId", r.instance_id},
                              {"Origin", r.origin}});
        for (const auto& a : t.associations)
            associations.push_back({{"RouteTableAssociationId", a.association_id},
                                    {"SubnetId", a.subnet_id},
                                    {"Main", a.main}});
        tables.push_back({{"RouteTableId", t.route_table_id},
                          {"VpcId", t.vpc_id},
                          {"Table", t.table},
                          {"Routes", std::move(routes)},
                          {"Associations", std::move(associations)}});
    }
    for (const auto& g : state.internet_gateways)
        igws.push_back({{"InternetGatewayId", g.internet_gateway_id}, {"VpcId", g.vpc_id}});
    for (const auto& a : state.addresses)
        addresses.push_back({{"AllocationId", a.allocation_id},
                             {"PublicIp", a.public_ip},
                             {"AssociationId", a.association_id},
                             {"InstanceId", a.instance_id},
                             {"PrivateIpAddress", a.private_ip},
                             {"VpcId", a.vpc_id},
                             {"NatGatewayId", a.nat_gateway_id},
                             {"AutoAssigned", a.auto_assigned}});
    for (const auto& n : state.nat_gateways)
        nats.push_back({{"NatGatewayId", n.nat_gateway_id},
                        {"VpcId", n.vpc_id},
                        {"SubnetId", n.subnet_id},
                        {"AllocationId", n.allocation_id},
                        {"PrivateIp", n.private_ip},
                        {"PublicIp", n.public_ip},
                        {"CreateTime", n.create_time},
                        {"State", n.state}});
    return {{"Vpcs", std::move(vpcs)},           {"Subnets", std::move(subnets)},
            {"RouteTables", std::move(tables)},  {"InternetGateways", std::move(igws)},
            {"Addresses", std::move(addresses)}, {"NatGateways", std::move(nats)}};
}

Result<VpcState> read_vpc_state(const StateStore& store) {
    return parse_vpc_state(TRY(store.read(kDocument)), store.path_of(kDocument));
}

Result<void> update_vpc_state(const StateStore& store,
                              const std::function<Result<void>(VpcState&)>& change) {
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        VpcState state = TRY(parse_vpc_state(document, store.path_of(kDocument)));
        TRY(change(state));
        document = vpc_state_json(state);
        return ok();
    });
}

VpcRecord* VpcState::vpc(std::string_view id) {
    return find_by(vpcs, id, &VpcRecord::vpc_id);
}
SubnetRecord* VpcState::subnet(std::string_view id) {
    return find_by(subnets, id, &SubnetRecord::subnet_id);
}
RouteTableRecord* VpcState::route_table(std::string_view id) {
    return find_by(route_tables, id, &RouteTableRecord::route_table_id);
}
InternetGatewayRecord* VpcState::internet_gateway(std::string_view id) {
    return find_by(internet_gateways, id, &InternetGatewayRecord::internet_gateway_id);
}
AddressRecord* VpcState::address(std::string_view allocation_id) {
    return find_by(addresses, allocation_id, &AddressRecord::allocation_id);
}
NatGatewayRecord* VpcState::nat_gateway(std::string_view id) {
    return find_by(nat_gateways, id, &NatGatewayRecord::nat_gateway_id);
}

RouteTableRecord* VpcState::main_table(std::string_view vpc_id) {
    for (auto& table : route_tables)
        if (table.vpc_id == vpc_id)
            for (const auto& association : table.associations)
                if (association.main)
                    return &table;
    return nullptr;
}

RouteTableRecord* VpcState::table_of_subnet(const SubnetRecord& subnet) {
    for (auto& table : route_tables)
        for (const auto& association : table.associations)
            if (association.subnet_id == subnet.subnet_id)
                return &table;
    return main_table(subnet.vpc_id);
}

}  // namespace twinbox::cloud
