// The AWS CLI's JSON for VPCs, subnets, route tables, internet gateways,
// addresses and NAT gateways (EC2 API reference: Vpc, Subnet, RouteTable,
// InternetGateway, Address, NatGateway data types).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "cloud/instance_json.h"
#include "cloud/vpc_cidr.h"
#include "cloud/vpc_router.h"
#include "cloud/vpcs.h"

namespace twinbox::cloud {

using nlohmann::json;

json vpc_json(const VpcRecord& vpc) {
    return {{"CidrBlock", vpc.cidr},
            {"DhcpOptionsId", "default"},
            {"State", "available"},
            {"VpcId", vpc.vpc_id},
            {"OwnerId", kOwnerId},
            {"InstanceTenancy", "default"},
            {"CidrBlockAssociationSet",
             json::array({{{"AssociationId", "vpc-cidr-assoc-" + vpc.vpc_id.substr(4)},
                           {"CidrBlock", vpc.cidr},
                           {"CidrBlockState", {{"State", "associated"}}}}})},
            {"IsDefault", vpc.is_default}};
}

json subnet_json(const VpcState& state, const SubnetRecord& subnet) {
    auto cidr = network::parse_cidr(subnet.cidr);
    (void)state;  // TODO(vpc): minus the addresses of the subnet's instances
    uint64_t available = cidr ? cidr->size() - 5 : 0;
    return {{"AvailabilityZone", kAvailabilityZone},
            {"AvailabilityZoneId", "local-1-az1"},
            {"AvailableIpAddressCount", available},
            {"CidrBlock", subnet.cidr},
            {"DefaultForAz", subnet.default_for_az},
            {"MapPublicIpOnLaunch", subnet.map_public_ip_on_launch},
            {"State", "available"},
            {"SubnetId", subnet.subnet_id},
            {"VpcId", subnet.vpc_id},
            {"OwnerId", kOwnerId},
            {"AssignIpv6AddressOnCreation", false},
            {"Ipv6CidrBlockAssociationSet", json::array()},
            {"SubnetArn",
             fmt::format("arn:aws:ec2:{}:{}:subnet/{}", kRegion, kOwnerId, subnet.subnet_id)}};
}

json route_table_json(const VpcState& state, const RouteTableRecord& table) {
    json associations = json::array(), routes = json::array();
    for (const auto& association : table.associations) {
        json entry = {{"Main", association.main},
                      {"RouteTableAssociationId", association.association_id},
                      {"RouteTableId", table.route_table_id},
                      {"AssociationState", {{"State", "associated"}}}};
        if (!association.subnet_id.empty())
            entry["SubnetId"] = association.subnet_id;
        associations.push_back(std::move(entry));
    }
    for (const auto& route : table.routes) {
        json entry = {{"DestinationCidrBlock", route.destination},
                      {"Origin", route.origin},
                      {"State", route_state(state, table, route)}};
        if (!route.gateway_id.empty())
            entry["GatewayId"] = route.gateway_id;
        if (!route.nat_gateway_id.empty())
            entry["NatGatewayId"] = route.nat_gateway_id;
        if (!route.instance_id.empty())
            entry["InstanceId"] = route.instance_id;
        routes.push_back(std::move(entry));
    }
    return {{"Associations", std::move(associations)},
            {"PropagatingVgws", json::array()},
            {"RouteTableId", table.route_table_id},
            {"Routes", std::move(routes)},
            {"Tags", json::array()},
            {"VpcId", table.vpc_id},
            {"OwnerId", kOwnerId}};
}

json internet_gateway_json(const InternetGatewayRecord& igw) {
    json attachments = json::array();
    if (!igw.vpc_id.empty())
        attachments.push_back({{"State", "available"}, {"VpcId", igw.vpc_id}});
    return {{"Attachments", std::move(attachments)},
            {"InternetGatewayId", igw.internet_gateway_id},
            {"OwnerId", kOwnerId},
            {"Tags", json::array()}};
}

json address_json(const AddressRecord& address) {
    json out = {{"PublicIp", address.public_ip},
                {"AllocationId", address.allocation_id},
                {"Domain", "vpc"},
                {"PublicIpv4Pool", "amazon"},
                {"NetworkBorderGroup", kRegion}};
    if (!address.association_id.empty())
        out["AssociationId"] = address.association_id;
    if (!address.instance_id.empty())
        out["InstanceId"] = address.instance_id;
    if (!address.private_ip.empty())
        out["PrivateIpAddress"] = address.private_ip;
    return out;
}

json nat_gateway_json(const NatGatewayRecord& nat) {
    return {{"CreateTime", nat.create_time},
            {"NatGatewayAddresses", json::array({{{"AllocationId", nat.allocation_id},
                                                  {"PrivateIp", nat.private_ip},
                                                  {"PublicIp", nat.public_ip}}})},
            {"NatGatewayId", nat.nat_gateway_id},
            {"State", nat.state},
            {"SubnetId", nat.subnet_id},
            {"VpcId", nat.vpc_id},
            {"ConnectivityType", "public"}};
}

namespace {

// "vpc-id" -> "VpcId", "map-public-ip-on-launch" -> "MapPublicIpOnLaunch".
std::string camel_case(std::string_view name) {
    std::string out;
    bool upper = true;
    for (char c : name) {
        if (c == '-') {
            upper = true;
            continue;
        }
        out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    return out;
}

std::string text_of(const json& value) {
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_boolean())
        return value.get<bool>() ? "true" : "false";
    return value.dump();
}

bool field_matches(const json& object, const std::string& key, const Filter& filter) {
    auto it = object.find(key);
    return it != object.end() && filter_matches(filter, text_of(*it));
}

bool matches(const json& item, const Filter& filter) {
    size_t dot = filter.name.find('.');
    if (dot == std::string::npos)
        return field_matches(item, camel_case(filter.name), filter);
    // "association.subnet-id": the SubnetId of any element of Associations.
    std::string list = camel_case(filter.name.substr(0, dot)) + "s";
    std::string key = camel_case(filter.name.substr(dot + 1));
    if (list == "RouteTableAssociations")
        list = "Associations";
    auto it = item.find(list);
    if (it == item.end() || !it->is_array())
        return false;
    return std::any_of(it->begin(), it->end(),
                       [&](const json& element) { return field_matches(element, key, filter); });
}

}  // namespace

bool passes_filters(const json& item, const std::vector<Filter>& filters) {
    return std::all_of(filters.begin(), filters.end(),
                       [&](const Filter& filter) { return matches(item, filter); });
}

}  // namespace twinbox::cloud
