// `twinbox cloud graph`: a VPC drawn in the terminal - its router, internet
// gateway, subnets (public or private, and why), each subnet's route table
// with the routes' states, NAT gateways, instances and public addresses -
// so that a student sees which way a packet can go. Pure text from the
// records, unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cloud/instance_store.h"
#include "cloud/vpc_store.h"

namespace twinbox::cloud {

std::string render_vpc_graph(VpcState& state, const std::vector<InstanceRecord>& instances,
                             std::string_view vpc_id);

}  // namespace twinbox::cloud
