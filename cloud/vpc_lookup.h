// Finding a VPC resource by id with EC2's NotFound errors; shared by the
// files behind cloud/vpcs.h.
#pragma once

#include <string_view>

#include "cloud/vpc_store.h"
#include "common/result.h"

namespace twinbox::cloud {

Result<VpcRecord*> find_vpc(VpcState& state, std::string_view vpc_id);
Result<SubnetRecord*> find_subnet(VpcState& state, std::string_view subnet_id);
Result<RouteTableRecord*> find_route_table(VpcState& state, std::string_view id);
Result<InternetGatewayRecord*> find_internet_gateway(VpcState& state, std::string_view id);
Result<AddressRecord*> find_address(VpcState& state, std::string_view allocation_id);
Result<NatGatewayRecord*> find_nat_gateway(VpcState& state, std::string_view id);

// A new route table of `vpc_id` with the local route (the VPC's main one
// when `main`); its id.
Result<std::string> add_route_table(VpcState& state, const std::string& vpc_id, bool main);

}  // namespace twinbox::cloud
