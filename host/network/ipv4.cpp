// IPv4 and CIDR parsing and arithmetic (see ipv4.h).
#include "host/network/ipv4.h"

#include <fmt/format.h>

namespace twinbox::network {

namespace {

// A decimal number 0..max with 1-3 digits; false on anything else.
bool parse_small_number(std::string_view text, int max, int* out) {
    if (text.empty() || text.size() > 3)
        return false;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    if (value > max)
        return false;
    *out = value;
    return true;
}

}  // namespace

std::string Ipv4::to_string() const {
    return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                       value & 0xff);
}

std::string Cidr::to_string() const {
    return fmt::format("{}/{}", address.to_string(), prefix);
}

Result<Ipv4> parse_ipv4(std::string_view text) {
    uint32_t value = 0;
    size_t start = 0;
    for (int part = 0; part < 4; ++part) {
        size_t end = part < 3 ? text.find('.', start) : text.size();
        int number = 0;
        if (end == std::string_view::npos ||
            !parse_small_number(text.substr(start, end - start), 255, &number))
            return Error::message(fmt::format("'{}' is not an IPv4 address like 10.88.0.2", text));
        value = value << 8 | static_cast<uint32_t>(number);
        start = end + 1;
    }
    return Ipv4{value};
}

Result<Cidr> parse_cidr(std::string_view text) {
    size_t slash = text.find('/');
    int prefix = 0;
    if (slash == std::string_view::npos || !parse_small_number(text.substr(slash + 1), 32, &prefix))
        return Error::message(
            fmt::format("'{}' is not a subnet in CIDR form like 10.88.0.0/16", text));
    auto address = parse_ipv4(text.substr(0, slash));
    if (!address)
        return Error::message(
            fmt::format("'{}' is not a subnet in CIDR form like 10.88.0.0/16", text));
    Cidr cidr{*address, prefix};
    if ((address->value & cidr.mask()) != address->value) {
        Cidr network{{address->value & cidr.mask()}, prefix};
        return Error::message(fmt::format("subnet {} has host bits set; did you mean {}?", text,
                                          network.to_string()));
    }
    return cidr;
}

bool overlaps(const Cidr& a, const Cidr& b) {
    return a.contains(b.address) || b.contains(a.address);
}

Result<void> check_usable_subnet(const Cidr& subnet) {
    if (subnet.prefix < 8 || subnet.prefix > 30)
        return Error::message(fmt::format(
            "subnet {} must have a prefix from /8 to /30 (room for a gateway and members)",
            subnet.to_string()));
    uint32_t first = subnet.address.value >> 24;
    if (first == 0 || first == 127 || first >= 224)
        return Error::message(fmt::format(
            "subnet {} is not a unicast range a network can use (0/8, 127/8 and 224/3 are not)",
            subnet.to_string()));
    return ok();
}

}  // namespace twinbox::network
