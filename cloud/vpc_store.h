// The VPC document of the state store ("vpcs.json"): VPCs, subnets, route
// tables, internet gateways, Elastic IPs and NAT gateways, in one document so
// that one change (create-subnet, delete-vpc) checks and edits them together
// under the store's lock. Read strictly (common/json_reader.h): a damaged
// file names its JSON path and is never rewritten.
//
// The kernel side of a VPC (cloud/vpc_router.h) is rebuilt from this record,
// so the record is the truth and the router its picture.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cloud/state_store.h"
#include "common/result.h"

namespace twinbox::cloud {

struct VpcRecord {
    std::string vpc_id;
    std::string cidr;  // "10.0.0.0/16"
    bool is_default = false;
    // The /30 of the internet gateway link (host .1, router .2) in
    // kGatewayLinkRange, by index: fixed for the VPC's lifetime.
    int link_index = 0;
};

struct SubnetRecord {
    std::string subnet_id, vpc_id, cidr;
    bool map_public_ip_on_launch = false;
    bool default_for_az = false;
};

struct RouteRecord {
    std::string destination;  // "0.0.0.0/0"
    std::string gateway_id;   // "local" or igw-...
    std::string nat_gateway_id;
    std::string instance_id;
    std::string origin = "CreateRoute";  // CreateRouteTable for the local route
};

struct RouteAssociation {
    std::string association_id;  // rtbassoc-...
    std::string subnet_id;       // "" for the main association
    bool main = false;
};

struct RouteTableRecord {
    std::string route_table_id, vpc_id;
    int table = 0;  // the kernel routing table in the router (100 + n)
    std::vector<RouteRecord> routes;
    std::vector<RouteAssociation> associations;
};

struct InternetGatewayRecord {
    std::string internet_gateway_id;
    std::string vpc_id;  // "" while detached
};

struct AddressRecord {
    std::string allocation_id, public_ip;
    std::string association_id, instance_id, private_ip;  // "" while not associated
    std::string vpc_id;                                   // the associated instance's VPC
    std::string nat_gateway_id;                           // when a NAT gateway holds it
    // An instance's auto-assigned public IPv4 (--associate-public-ip-address,
    // MapPublicIpOnLaunch): no allocation id, not listed by describe-addresses,
    // released with the instance.
    bool auto_assigned = false;
};

struct NatGatewayRecord {
    std::string nat_gateway_id, vpc_id, subnet_id, allocation_id;
    std::string private_ip, public_ip, create_time;
    std::string state = "available";  // available | deleted
};

struct VpcState {
    std::vector<VpcRecord> vpcs;
    std::vector<SubnetRecord> subnets;
    std::vector<RouteTableRecord> route_tables;
    std::vector<InternetGatewayRecord> internet_gateways;
    std::vector<AddressRecord> addresses;
    std::vector<NatGatewayRecord> nat_gateways;

    VpcRecord* vpc(std::string_view id);
    SubnetRecord* subnet(std::string_view id);
    RouteTableRecord* route_table(std::string_view id);
    InternetGatewayRecord* internet_gateway(std::string_view id);
    AddressRecord* address(std::string_view allocation_id);
    NatGatewayRecord* nat_gateway(std::string_view id);
    // The table a subnet uses: its explicit association, else its VPC's main table.
    RouteTableRecord* table_of_subnet(const SubnetRecord& subnet);
    RouteTableRecord* main_table(std::string_view vpc_id);
};

Result<VpcState> read_vpc_state(const StateStore& store);
// Reads, lets `change` edit, writes back (nothing written when it fails).
Result<void> update_vpc_state(const StateStore& store,
                              const std::function<Result<void>(VpcState&)>& change);

// Parsing and printing of the document (for tests).
Result<VpcState> parse_vpc_state(const nlohmann::json& document, std::string_view file);
nlohmann::json vpc_state_json(const VpcState& state);

}  // namespace twinbox::cloud
