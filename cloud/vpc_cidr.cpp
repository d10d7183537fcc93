#include "cloud/vpc_cidr.h"

#include <fmt/format.h>

#include <algorithm>

#include "cloud/aws_error.h"

namespace twinbox::cloud {

namespace {

Result<Cidr> parse_block(std::string_view text) {
    auto cidr = network::parse_cidr(text);
    if (!cidr)
        return aws_error("InvalidParameterValue",
                         fmt::format("Value ({}) for parameter cidrBlock is invalid. This is not "
                                     "a valid CIDR block.",
                                     text));
    return *cidr;
}

}  // namespace

Result<Cidr> parse_vpc_cidr(std::string_view text) {
    Cidr cidr = TRY(parse_block(text));
    if (cidr.prefix < kMinVpcPrefix || cidr.prefix > kMaxVpcPrefix)
        return aws_error("InvalidVpc.Range", fmt::format("The CIDR '{}' is invalid.", text));
    return cidr;
}

Result<Cidr> parse_subnet_cidr(std::string_view text, const Cidr& vpc,
                               const std::vector<Cidr>& siblings) {
    Cidr cidr = TRY(parse_block(text));
    if (cidr.prefix < kMinVpcPrefix || cidr.prefix > kMaxVpcPrefix || cidr.prefix < vpc.prefix ||
        !vpc.contains(cidr.address))
        return aws_error("InvalidSubnet.Range", fmt::format("The CIDR '{}' is invalid.", text));
    for (const Cidr& other : siblings)
        if (network::overlaps(cidr, other))
            return aws_error("InvalidSubnet.Conflict",
                             fmt::format("The CIDR '{}' conflicts with another subnet", text));
    return cidr;
}

bool is_reserved_address(const Cidr& subnet, Ipv4 address) {
    uint32_t offset = address.value - subnet.address.value;
    return offset <= 3 || address == subnet.broadcast();
}

Result<Ipv4> first_free_address(const Cidr& subnet, const std::vector<Ipv4>& used) {
    for (uint64_t offset = 4; offset + 1 < subnet.size(); ++offset) {
        Ipv4 candidate{subnet.address.value + static_cast<uint32_t>(offset)};
        if (std::find(used.begin(), used.end(), candidate) == used.end())
            return candidate;
    }
    return aws_error("InsufficientFreeAddressesInSubnet",
                     fmt::format("There are not enough free addresses in subnet {} to satisfy "
                                 "the requested number of instances.",
                                 subnet.to_string()));
}

Result<Ipv4> check_private_address(std::string_view text, const Cidr& subnet,
                                   const std::vector<Ipv4>& used) {
    auto address = network::parse_ipv4(text);
    if (!address)
        return aws_error("InvalidParameterValue",
                         fmt::format("Invalid value '{}' for IP address.", text));
    if (!subnet.contains(*address))
        return aws_error(
            "InvalidParameterValue",
            fmt::format("Address {} does not fall within the subnet's address range", text));
    if (is_reserved_address(subnet, *address))
        return aws_error("InvalidParameterValue",
                         fmt::format("Address {} is in subnet's reserved address range", text));
    if (std::find(used.begin(), used.end(), *address) != used.end())
        return aws_error("InvalidIPAddress.InUse", fmt::format("Address {} is in use.", text));
    return *address;
}

Result<Cidr> parse_route_destination(std::string_view text) {
    auto cidr = network::parse_cidr(text);
    if (!cidr)
        return aws_error("InvalidParameterValue",
                         fmt::format("Value ({}) for parameter destinationCidrBlock is invalid. "
                                     "This is not a valid CIDR block.",
                                     text));
    return *cidr;
}

}  // namespace twinbox::cloud
