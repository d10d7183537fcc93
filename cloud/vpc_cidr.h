// The address rules of EC2's VPCs, in AWS's error codes (VPC User Guide,
// "VPC CIDR blocks" and "Subnet CIDR blocks"):
//   - a VPC's block is /16 to /28 (InvalidVpc.Range),
//   - a subnet's block lies inside its VPC's and is /16 to /28 too
//     (InvalidSubnet.Range), and overlaps no other subnet of the VPC
//     (InvalidSubnet.Conflict),
//   - in each subnet five addresses are AWS's: the network address, .1 (the
//     VPC router), .2 (the DNS resolver), .3 (reserved for future use) and
//     the broadcast address; instances never get them.
// Pure functions: unit-tested without root (tests/unit/cloud/vpc_cidr_test.cpp).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/network/ipv4.h"

namespace twinbox::cloud {

using network::Cidr;
using network::Ipv4;

inline constexpr int kMinVpcPrefix = 16;  // the largest block: 65,536 addresses
inline constexpr int kMaxVpcPrefix = 28;  // the smallest: 16 addresses, 11 usable

// "10.0.0.0/16" for create-vpc: InvalidParameterValue when it is not a CIDR,
// InvalidVpc.Range when its size is outside /16../28.
Result<Cidr> parse_vpc_cidr(std::string_view text);

// "10.0.1.0/24" for create-subnet in a VPC of block `vpc`, next to `siblings`.
Result<Cidr> parse_subnet_cidr(std::string_view text, const Cidr& vpc,
                               const std::vector<Cidr>& siblings);

// Whether `address` is one of the five AWS keeps in `subnet`.
bool is_reserved_address(const Cidr& subnet, Ipv4 address);
// The router's address in a subnet (network + 1), where the subnet bridge sits.
inline Ipv4 router_address(const Cidr& subnet) {
    return subnet.gateway();
}

// The lowest address of `subnet` that is neither reserved nor in `used`;
// InsufficientFreeAddressesInSubnet when none is left.
Result<Ipv4> first_free_address(const Cidr& subnet, const std::vector<Ipv4>& used);

// A requested private address (--private-ip-address): inside the subnet
// (InvalidParameterValue), not reserved (InvalidParameterValue), not taken
// (InvalidIPAddress.InUse).
Result<Ipv4> check_private_address(std::string_view text, const Cidr& subnet,
                                   const std::vector<Ipv4>& used);

// A route's destination (--destination-cidr-block): any CIDR, host bits zero
// (InvalidParameterValue).
Result<Cidr> parse_route_destination(std::string_view text);

}  // namespace twinbox::cloud
