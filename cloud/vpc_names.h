// The kernel objects of a VPC, named from their EC2 ids so that every part of
// twinbox (the VPC router, security groups, network ACLs, `cloud graph`, the
// tests that look for leftovers) finds them the same way:
//
//   VPC vpc-0123456789abcdef0      network namespace "twinbox-vpc-0123456789abcdef0"
//                                  (/run/netns, as `ip netns` names them): its router
//   subnet subnet-0a1b2c3d4e5f6a7b8  bridge "tbs0a1b2c3d4e5f" inside that namespace,
//                                  the subnet's gateway (first address + 1) on it
//   instance i-0fedcba9876543210   "tbi0fedcba98765": its port on the subnet bridge
//                                  (the router end of a container's veth, or a VM's tap
//                                  moved into the namespace), where security groups act
//
// Linux interface names hold at most 15 characters (IFNAMSIZ - 1), so a
// port or bridge takes 12 of the id's 17 hex digits: 48 random bits, unique
// among the handful of instances one machine runs.
#pragma once

#include <string>
#include <string_view>

namespace twinbox::cloud {

// "vpc-..." -> "twinbox-vpc-...".
inline std::string vpc_netns_name(std::string_view vpc_id) {
    return "twinbox-" + std::string(vpc_id);
}

namespace detail {
inline std::string short_name(std::string_view prefix, std::string_view id) {
    size_t dash = id.find('-');
    std::string_view hex = dash == std::string_view::npos ? id : id.substr(dash + 1);
    return std::string(prefix) + std::string(hex.substr(0, 12));
}
}  // namespace detail

// "subnet-..." -> "tbs" + 12 hex digits.
inline std::string subnet_bridge_name(std::string_view subnet_id) {
    return detail::short_name("tbs", subnet_id);
}

// "i-..." -> "tbi" + 12 hex digits.
inline std::string instance_port_name(std::string_view instance_id) {
    return detail::short_name("tbi", instance_id);
}

}  // namespace twinbox::cloud
