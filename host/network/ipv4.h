// IPv4 addresses and CIDR prefixes (RFC 4632), the arithmetic IPAM and the
// overlap checks need. Addresses are host-order uint32_t; text is the usual
// dotted quad ("10.88.0.2") and "ADDRESS/PREFIX" ("10.88.0.0/16").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::network {

struct Ipv4 {
    uint32_t value = 0;  // host byte order
    auto operator<=>(const Ipv4&) const = default;
    std::string to_string() const;
};

// A network prefix. `address` has no host bits set (parse_cidr checks it).
struct Cidr {
    Ipv4 address;
    int prefix = 0;  // 0..32
    auto operator<=>(const Cidr&) const = default;

    uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
    // Addresses in the prefix, network and broadcast included.
    uint64_t size() const { return uint64_t{1} << (32 - prefix); }
    bool contains(Ipv4 ip) const { return (ip.value & mask()) == address.value; }
    Ipv4 broadcast() const { return {address.value | ~mask()}; }
    // The first usable address: the bridge's (gateway's) address by convention.
    Ipv4 gateway() const { return {address.value + 1}; }
    std::string to_string() const;
};

// "10.0.0.1": four decimal parts 0..255, no leading '+', no extra characters.
Result<Ipv4> parse_ipv4(std::string_view text);
// "10.0.0.0/24". Host bits must be zero (10.0.0.1/24 is an error that names 10.0.0.0/24).
Result<Cidr> parse_cidr(std::string_view text);
// Two prefixes overlap when one contains the other's first address.
bool overlaps(const Cidr& a, const Cidr& b);
// A subnet a network can use: /8../30 (room for a gateway and a guest).
Result<void> check_usable_subnet(const Cidr& subnet);

}  // namespace twinbox::network
