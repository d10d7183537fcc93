// nftables rule text for twinbox's table (host/network/nft_rules.h),
// and the other text the network module writes (ip=, hosts, resolv.conf).
#include "host/network/nft_rules.h"

#include <gtest/gtest.h>

#include "host/network/endpoint.h"

namespace twinbox::network {
namespace {

TEST(NftRules, BaseRulesetIsOneTableOfOurOwn) {
    std::string text = nft::base_ruleset();
    EXPECT_NE(text.find("add table ip twinbox\n"), std::string::npos);
    EXPECT_NE(
        text.find(
            "add chain ip twinbox prerouting { type nat hook prerouting priority dstnat; policy accept; }"),
        std::string::npos);
    EXPECT_NE(text.find("add chain ip twinbox output { type nat hook output priority -100;"),
              std::string::npos);
    EXPECT_NE(text.find("hook postrouting priority srcnat"), std::string::npos);
    // Every command names table ip twinbox: nothing else is touched.
    size_t lines = 0, ours = 0;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end - start);
        ++lines;
        ours += line.find(" ip twinbox") != std::string::npos;
        start = end + 1;
    }
    EXPECT_EQ(lines, ours);
}

TEST(NftRules, NetworkRulesMasqueradeTheSubnet) {
    std::string text = nft::network_rules("web", *parse_cidr("10.89.3.0/24"), "tb-web");
    EXPECT_EQ(
        text,
        "add rule ip twinbox postrouting ip saddr 10.89.3.0/24 ip daddr != 10.89.3.0/24 masquerade comment \"twinbox net web\"\n"
        "add rule ip twinbox postrouting oifname \"tb-web\" ip saddr 10.89.3.0/24 ct status dnat masquerade comment \"twinbox net web\"\n"
        "add rule ip twinbox postrouting oifname \"tb-web\" ip saddr 127.0.0.0/8 masquerade comment \"twinbox net web\"\n");
}

TEST(NftRules, PortRulesDnatFromOutsideAndFromTheHost) {
    std::vector<PortMapping> ports = {*parse_port_spec("8080:80"),
                                      *parse_port_spec("127.0.0.1:5353:53/udp")};
    std::string text = nft::port_rules("abc", *parse_ipv4("10.88.0.5"), ports);
    EXPECT_EQ(
        text,
        "add rule ip twinbox prerouting fib daddr type local tcp dport 8080 dnat to 10.88.0.5:80 comment \"twinbox endpoint abc\"\n"
        "add rule ip twinbox output fib daddr type local tcp dport 8080 dnat to 10.88.0.5:80 comment \"twinbox endpoint abc\"\n"
        "add rule ip twinbox prerouting ip daddr 127.0.0.1 udp dport 5353 dnat to 10.88.0.5:53 comment \"twinbox endpoint abc\"\n"
        "add rule ip twinbox output ip daddr 127.0.0.1 udp dport 5353 dnat to 10.88.0.5:53 comment \"twinbox endpoint abc\"\n");
    EXPECT_EQ(nft::port_rules("abc", *parse_ipv4("10.88.0.5"), {}), "");
}

// The shape of `nft -j -a list table ip twinbox` (libnftables-json(5)).
constexpr const char* kListing = R"({"nftables": [
  {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
  {"table": {"family": "ip", "name": "twinbox", "handle": 1}},
  {"chain": {"family": "ip", "table": "twinbox", "name": "prerouting", "handle": 1}},
  {"rule": {"family": "ip", "table": "twinbox", "chain": "prerouting", "handle": 7,
            "comment": "twinbox endpoint abc", "expr": []}},
  {"rule": {"family": "ip", "table": "twinbox", "chain": "output", "handle": 8,
            "comment": "twinbox endpoint abc", "expr": []}},
  {"rule": {"family": "ip", "table": "twinbox", "chain": "output", "handle": 9,
            "comment": "twinbox endpoint abcd", "expr": []}},
  {"rule": {"family": "ip", "table": "twinbox", "chain": "postrouting", "handle": 4,
            "comment": "twinbox net web", "expr": []}}
]})";

TEST(NftRules, DeletesOnlyTheRulesWithTheComment) {
    auto commands = nft::delete_commands(kListing, nft::endpoint_comment("abc"));
    ASSERT_TRUE(commands.has_value());
    EXPECT_EQ(*commands,
              "delete rule ip twinbox prerouting handle 7\n"
              "delete rule ip twinbox output handle 8\n");
    EXPECT_EQ(*nft::delete_commands(kListing, nft::network_comment("web")),
              "delete rule ip twinbox postrouting handle 4\n");
    EXPECT_EQ(*nft::delete_commands(kListing, nft::network_comment("other")), "");
    EXPECT_FALSE(nft::delete_commands("not json", "x").has_value());
    // A listing of another shape is an error naming the field, not "no rules".
    auto bad =
        nft::delete_commands(R"({"nftables": [{"rule": {"comment": "x", "handle": 4}}]})", "x");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().to_string().find("nftables[0].rule.chain: required"), std::string::npos)
        << bad.error().to_string();
    auto wrong = nft::table_is_empty(R"({"nftables": {}})");
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().to_string().find("nftables: must be an array"), std::string::npos);
}

TEST(NftRules, EmptyTableDetection) {
    EXPECT_FALSE(*nft::table_is_empty(kListing));
    EXPECT_TRUE(*nft::table_is_empty(
        R"({"nftables": [{"table": {"family": "ip", "name": "twinbox", "handle": 1}}]})"));
}

Endpoint endpoint_at(const char* address, const char* subnet) {
    Endpoint endpoint;
    endpoint.network.name = "twinbox0";
    endpoint.network.subnet = *parse_cidr(subnet);
    endpoint.lease.address = *parse_ipv4(address);
    return endpoint;
}

TEST(EndpointText, KernelIpArgument) {
    EXPECT_EQ(kernel_ip_argument(endpoint_at("10.88.0.7", "10.88.0.0/16")),
              "ip=10.88.0.7::10.88.0.1:255.255.0.0::eth0:off");
}

TEST(EndpointText, HostsAndResolvConf) {
    std::string hosts = hosts_file("web", endpoint_at("10.88.0.7", "10.88.0.0/16"));
    EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos);
    EXPECT_NE(hosts.find("10.88.0.7\tweb\n"), std::string::npos);
    EXPECT_EQ(container_resolv_conf("# generated\nnameserver 127.0.0.53\nnameserver 1.1.1.1\n"
                                    "search example.org\nnameserver ::1\n"),
              "# generated\nnameserver 1.1.1.1\nsearch example.org\n");
}

TEST(EndpointText, VethNames) {
    EXPECT_EQ(veth_name("0123456789abcdef"), "tb0123456789ab");
    EXPECT_LE(veth_name("0123456789abcdef").size(), 15u);
    EXPECT_EQ(resolve_network_name("bridge"), "twinbox0");
    EXPECT_EQ(resolve_network_name("web"), "web");
}

}  // namespace
}  // namespace twinbox::network
