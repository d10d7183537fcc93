// -p parsing (host/network/port_spec.h).
#include "host/network/port_spec.h"

#include <gtest/gtest.h>

namespace twinbox::network {
namespace {

TEST(PortSpec, ParsesEveryForm) {
    auto plain = parse_port_spec("8080:80");
    ASSERT_TRUE(plain.has_value());
    EXPECT_EQ(plain->host_ip.value, 0u);
    EXPECT_EQ(plain->host_port, 8080);
    EXPECT_EQ(plain->container_port, 80);
    EXPECT_EQ(plain->protocol, Protocol::tcp);
    EXPECT_EQ(plain->to_string(), "0.0.0.0:8080->80/tcp");

    auto full = parse_port_spec("127.0.0.1:5353:53/udp");
    ASSERT_TRUE(full.has_value());
    EXPECT_EQ(full->host_ip.to_string(), "127.0.0.1");
    EXPECT_EQ(full->host_port, 5353);
    EXPECT_EQ(full->container_port, 53);
    EXPECT_EQ(full->protocol, Protocol::udp);
    EXPECT_EQ(parse_port_spec(full->to_spec()).value(), *full);

    EXPECT_EQ(parse_port_spec("1:65535/tcp")->container_port, 65535);
}

TEST(PortSpec, RejectsBadInput) {
    for (const char* text : {"", "80", "8080:", ":80", "0:80", "8080:0", "65536:80", "8080:80/sctp",
                             "8080:80/", "a:80", "8080:b", "1.2.3:8080:80", "1.2.3.4:8080", "-1:80",
                             "8080:80:90:100", "999999:80", "1.2.3.4::80"})
        EXPECT_FALSE(parse_port_spec(text).has_value()) << text;
    auto error = parse_port_spec("8080:80/sctp");
    EXPECT_NE(error.error().to_string().find("not tcp or udp"), std::string::npos);
}

TEST(PortSpec, ConflictsNeedSamePortProtocolAndAddress) {
    auto any = *parse_port_spec("8080:80");
    EXPECT_TRUE(any.conflicts_with(*parse_port_spec("8080:81")));
    EXPECT_TRUE(any.conflicts_with(*parse_port_spec("127.0.0.1:8080:81")));
    EXPECT_FALSE(any.conflicts_with(*parse_port_spec("8080:80/udp")));
    EXPECT_FALSE(any.conflicts_with(*parse_port_spec("8081:80")));
    EXPECT_FALSE(
        parse_port_spec("127.0.0.1:8080:80")->conflicts_with(*parse_port_spec("10.0.0.1:8080:80")));
}

TEST(PortSpec, OneHostPortCannotBePublishedTwice) {
    EXPECT_TRUE(parse_port_specs({"8080:80", "8080:80/udp", "9090:90"}).has_value());
    EXPECT_FALSE(parse_port_specs({"8080:80", "127.0.0.1:8080:81"}).has_value());
}

}  // namespace
}  // namespace twinbox::network
