// CIDR parsing and overlap detection (host/network/ipv4.h).
#include "host/network/ipv4.h"

#include <gtest/gtest.h>

namespace twinbox::network {
namespace {

TEST(Ipv4, ParsesDottedQuads) {
    auto ip = parse_ipv4("10.88.0.2");
    ASSERT_TRUE(ip.has_value());
    EXPECT_EQ(ip->value, 0x0a580002u);
    EXPECT_EQ(ip->to_string(), "10.88.0.2");
    EXPECT_EQ(parse_ipv4("255.255.255.255")->value, 0xffffffffu);
    EXPECT_EQ(parse_ipv4("0.0.0.0")->value, 0u);
}

TEST(Ipv4, RejectsMalformedAddresses) {
    for (const char* text :
         {"", "10", "10.0.0", "10.0.0.0.1", "256.0.0.1", "10.0.0.-1", "10..0.1", "10.0.0.1 ",
          " 10.0.0.1", "a.b.c.d", "1000.0.0.1", "10.0.0.1/24", "0x0a.0.0.1"})
        EXPECT_FALSE(parse_ipv4(text).has_value()) << text;
}

TEST(Cidr, ParsesAndComputesRanges) {
    auto cidr = parse_cidr("10.88.0.0/16");
    ASSERT_TRUE(cidr.has_value());
    EXPECT_EQ(cidr->prefix, 16);
    EXPECT_EQ(cidr->mask(), 0xffff0000u);
    EXPECT_EQ(cidr->gateway().to_string(), "10.88.0.1");
    EXPECT_EQ(cidr->broadcast().to_string(), "10.88.255.255");
    EXPECT_EQ(cidr->size(), 65536u);
    EXPECT_TRUE(cidr->contains(*parse_ipv4("10.88.200.3")));
    EXPECT_FALSE(cidr->contains(*parse_ipv4("10.89.0.1")));
    EXPECT_EQ(cidr->to_string(), "10.88.0.0/16");
    EXPECT_EQ(parse_cidr("0.0.0.0/0")->mask(), 0u);
    EXPECT_EQ(parse_cidr("10.0.0.7/32")->mask(), 0xffffffffu);
}

TEST(Cidr, RejectsBadTextAndHostBits) {
    for (const char* text : {"", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
                             "10.0.0.0/2a", "10.0.0/24", "/24", "10.0.0.0/24/1", "300.0.0.0/8"})
        EXPECT_FALSE(parse_cidr(text).has_value()) << text;
    auto host_bits = parse_cidr("10.0.0.1/24");
    ASSERT_FALSE(host_bits.has_value());
    EXPECT_NE(host_bits.error().to_string().find("did you mean 10.0.0.0/24"), std::string::npos);
}

TEST(Cidr, OverlapIsContainmentEitherWay) {
    auto a = *parse_cidr("10.88.0.0/16");
    EXPECT_TRUE(overlaps(a, *parse_cidr("10.88.5.0/24")));
    EXPECT_TRUE(overlaps(*parse_cidr("10.88.5.0/24"), a));
    EXPECT_TRUE(overlaps(a, *parse_cidr("10.0.0.0/8")));
    EXPECT_TRUE(overlaps(a, a));
    EXPECT_FALSE(overlaps(a, *parse_cidr("10.89.0.0/16")));
    EXPECT_FALSE(overlaps(*parse_cidr("192.168.1.0/25"), *parse_cidr("192.168.1.128/25")));
}

TEST(Cidr, UsableSubnets) {
    EXPECT_TRUE(check_usable_subnet(*parse_cidr("10.0.0.0/8")).has_value());
    EXPECT_TRUE(check_usable_subnet(*parse_cidr("192.168.7.0/30")).has_value());
    for (const char* text : {"10.0.0.0/31", "10.0.0.1/32", "0.0.0.0/0", "127.0.0.0/8",
                             "224.0.0.0/8", "0.0.0.0/8", "8.0.0.0/7"})
        EXPECT_FALSE(check_usable_subnet(*parse_cidr(text)).has_value()) << text;
}

}  // namespace
}  // namespace twinbox::network
