// EC2's VPC verbs over the VPC record (cloud/vpc_store.h) and its router
// (cloud/vpc_router.h): the library the CLI (cli/ec2_vpcs.cpp ...) and the
// Query API both call. Every function takes plain inputs and returns the
// AWS CLI's JSON for its verb ({"Vpc": {...}}, {"Subnets": [...]}), or an
// AWS error (cloud/aws_error.h).
//
// Each change checks everything first, then changes the kernel, then writes
// the record; a kernel failure rebuilds the router from the record as it was
// (or removes it when the change made it), so nothing is left half-made.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cloud/filters.h"
#include "cloud/state_store.h"
#include "cloud/vpc_store.h"
#include "common/result.h"

namespace twinbox::cloud {

inline constexpr const char* kDefaultVpcCidr = "172.31.0.0/16";
inline constexpr const char* kDefaultSubnetCidr = "172.31.0.0/20";

// The default VPC (172.31.0.0/16, its default subnet 172.31.0.0/20 with
// MapPublicIpOnLaunch, an internet gateway and a main table routing
// 0.0.0.0/0 to it), made the first time a verb needs it; its id.
Result<std::string> ensure_default_vpc(const StateStore& store);

// VPCs.
Result<nlohmann::json> create_vpc(const StateStore& store, std::string_view cidr);
Result<nlohmann::json> describe_vpcs(const StateStore& store, const std::vector<std::string>& ids,
                                     const std::vector<Filter>& filters);
Result<void> delete_vpc(const StateStore& store, std::string_view vpc_id);

// Subnets.
Result<nlohmann::json> create_subnet(const StateStore& store, std::string_view vpc_id,
                                     std::string_view cidr);
Result<nlohmann::json> describe_subnets(const StateStore& store,
                                        const std::vector<std::string>& ids,
                                        const std::vector<Filter>& filters);
Result<void> delete_subnet(const StateStore& store, std::string_view subnet_id);
Result<void> modify_subnet_map_public_ip(const StateStore& store, std::string_view subnet_id,
                                         bool map_public_ip_on_launch);

// Route tables. A route's target is exactly one of gateway_id (igw-...),
// nat_gateway_id (nat-...).
struct RouteInput {
    std::string route_table_id, destination, gateway_id, nat_gateway_id, instance_id;
};
Result<nlohmann::json> create_route_table(const StateStore& store, std::string_view vpc_id);
Result<nlohmann::json> describe_route_tables(const StateStore& store,
                                             const std::vector<std::string>& ids,
                                             const std::vector<Filter>& filters);
Result<void> delete_route_table(const StateStore& store, std::string_view route_table_id);
Result<nlohmann::json> create_route(const StateStore& store, const RouteInput& input);
Result<void> replace_route(const StateStore& store, const RouteInput& input);
Result<void> delete_route(const StateStore& store, std::string_view route_table_id,
                          std::string_view destination);
Result<nlohmann::json> associate_route_table(const StateStore& store,
                                             std::string_view route_table_id,
                                             std::string_view subnet_id);
Result<void> disassociate_route_table(const StateStore& store, std::string_view association_id);

// Internet gateways.
Result<nlohmann::json> create_internet_gateway(const StateStore& store);
Result<void> attach_internet_gateway(const StateStore& store, std::string_view igw_id,
                                     std::string_view vpc_id);
Result<void> detach_internet_gateway(const StateStore& store, std::string_view igw_id,
                                     std::string_view vpc_id);
Result<nlohmann::json> describe_internet_gateways(const StateStore& store,
                                                  const std::vector<std::string>& ids,
                                                  const std::vector<Filter>& filters);
Result<void> delete_internet_gateway(const StateStore& store, std::string_view igw_id);

// Elastic IPs.
Result<nlohmann::json> allocate_address(const StateStore& store);
Result<nlohmann::json> associate_address(const StateStore& store, std::string_view allocation_id,
                                         std::string_view instance_id);
Result<void> disassociate_address(const StateStore& store, std::string_view association_id);
Result<void> release_address(const StateStore& store, std::string_view allocation_id);
Result<nlohmann::json> describe_addresses(const StateStore& store,
                                          const std::vector<std::string>& allocation_ids,
                                          const std::vector<Filter>& filters);

// NAT gateways.
Result<nlohmann::json> create_nat_gateway(const StateStore& store, std::string_view subnet_id,
                                          std::string_view allocation_id);
Result<nlohmann::json> describe_nat_gateways(const StateStore& store,
                                             const std::vector<std::string>& ids,
                                             const std::vector<Filter>& filters);
Result<nlohmann::json> delete_nat_gateway(const StateStore& store, std::string_view nat_id);

// JSON shapes (cloud/vpc_json.cpp).
nlohmann::json vpc_json(const VpcRecord& vpc);
nlohmann::json subnet_json(const VpcState& state, const SubnetRecord& subnet);
nlohmann::json route_table_json(const VpcState& state, const RouteTableRecord& table);
nlohmann::json internet_gateway_json(const InternetGatewayRecord& igw);
nlohmann::json address_json(const AddressRecord& address);
nlohmann::json nat_gateway_json(const NatGatewayRecord& nat);
// Whether `item` (one of the above) passes every filter: "vpc-id" matches
// VpcId, "association.subnet-id" the SubnetId of any of Associations[], ...
bool passes_filters(const nlohmann::json& item, const std::vector<Filter>& filters);

// The change pattern of every verb: `change` edits a copy of the record and
// names the VPCs whose routers must follow; they are rebuilt, and the record
// written only when all succeeded (else the routers are put back).
using VpcChange = std::function<Result<std::vector<std::string>>(VpcState&)>;
Result<void> change_vpcs(const StateStore& store, const VpcChange& change);

}  // namespace twinbox::cloud
