// The VPC address rules (cloud/vpc_cidr.h), the VPC record's strict reading
// (cloud/vpc_store.h) and the router's NAT rules and route states
// (cloud/vpc_router.h): the logic of issue 20 that needs no root.
#include "cloud/vpc_cidr.h"

#include <gtest/gtest.h>

#include "cloud/aws_error.h"
#include "cloud/vpc_graph.h"
#include "cloud/vpc_router.h"
#include "cloud/vpc_store.h"

namespace twinbox::cloud {
namespace {

std::string code_of(const Error& error) {
    return aws_error_code(error);
}

TEST(VpcCidr, VpcBlocksAreSlash16ToSlash28) {
    EXPECT_TRUE(parse_vpc_cidr("10.0.0.0/16"));
    EXPECT_TRUE(parse_vpc_cidr("10.0.0.0/28"));
    auto big = parse_vpc_cidr("10.0.0.0/15");
    ASSERT_FALSE(big);
    EXPECT_EQ(code_of(big.error()), "InvalidVpc.Range");
    auto small = parse_vpc_cidr("10.0.0.0/29");
    ASSERT_FALSE(small);
    EXPECT_EQ(code_of(small.error()), "InvalidVpc.Range");
    for (const char* bad : {"10.0.0.1/16", "10.0.0.0", "10.0.0.0/", "300.0.0.0/16", ""}) {
        auto parsed = parse_vpc_cidr(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(code_of(parsed.error()), "InvalidParameterValue") << bad;
    }
}

TEST(VpcCidr, SubnetsLieInsideTheVpcAndDoNotOverlap) {
    Cidr vpc = *parse_vpc_cidr("10.0.0.0/16");
    std::vector<Cidr> siblings = {*network::parse_cidr("10.0.1.0/24")};
    EXPECT_TRUE(parse_subnet_cidr("10.0.2.0/24", vpc, siblings));
    EXPECT_TRUE(parse_subnet_cidr("10.0.0.0/16", vpc, {}));
    auto outside = parse_subnet_cidr("10.1.0.0/24", vpc, siblings);
    ASSERT_FALSE(outside);
    EXPECT_EQ(code_of(outside.error()), "InvalidSubnet.Range");
    auto larger = parse_subnet_cidr("10.0.0.0/15", vpc, {});
    ASSERT_FALSE(larger);
    EXPECT_EQ(code_of(larger.error()), "InvalidSubnet.Range");
    auto tiny = parse_subnet_cidr("10.0.3.0/29", vpc, {});
    ASSERT_FALSE(tiny);
    EXPECT_EQ(code_of(tiny.error()), "InvalidSubnet.Range");
    for (const char* overlapping : {"10.0.1.0/24", "10.0.1.128/25", "10.0.0.0/23"}) {
        auto conflict = parse_subnet_cidr(overlapping, vpc, siblings);
        ASSERT_FALSE(conflict) << overlapping;
        EXPECT_EQ(code_of(conflict.error()), "InvalidSubnet.Conflict") << overlapping;
    }
}

TEST(VpcCidr, FiveAddressesOfEachSubnetAreReserved) {
    Cidr subnet = *network::parse_cidr("10.0.1.0/24");
    for (const char* reserved : {"10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.255"})
        EXPECT_TRUE(is_reserved_address(subnet, *network::parse_ipv4(reserved))) << reserved;
    EXPECT_FALSE(is_reserved_address(subnet, *network::parse_ipv4("10.0.1.4")));
    EXPECT_FALSE(is_reserved_address(subnet, *network::parse_ipv4("10.0.1.254")));
    EXPECT_EQ(router_address(subnet).to_string(), "10.0.1.1");
}

TEST(VpcCidr, FreeAddressesSkipTheReservedAndTheUsed) {
    Cidr subnet = *network::parse_cidr("10.0.0.0/28");  // 16 addresses, 11 usable
    std::vector<Ipv4> used;
    for (int i = 0; i < 11; ++i) {
        auto next = first_free_address(subnet, used);
        ASSERT_TRUE(next) << i;
        EXPECT_EQ(next->value, subnet.address.value + 4 + static_cast<uint32_t>(i));
        used.push_back(*next);
    }
    auto full = first_free_address(subnet, used);
    ASSERT_FALSE(full);
    EXPECT_EQ(code_of(full.error()), "InsufficientFreeAddressesInSubnet");
}

TEST(VpcCidr, RequestedPrivateAddressesAreChecked) {
    Cidr subnet = *network::parse_cidr("10.0.1.0/24");
    std::vector<Ipv4> used = {*network::parse_ipv4("10.0.1.10")};
    EXPECT_TRUE(check_private_address("10.0.1.11", subnet, used));
    EXPECT_EQ(code_of(check_private_address("10.0.1.10", subnet, used).error()),
              "InvalidIPAddress.InUse");
    EXPECT_EQ(code_of(check_private_address("10.0.1.2", subnet, used).error()),
              "InvalidParameterValue");
    EXPECT_EQ(code_of(check_private_address("10.0.2.5", subnet, used).error()),
              "InvalidParameterValue");
    EXPECT_EQ(code_of(check_private_address("10.0.1", subnet, used).error()),
              "InvalidParameterValue");
}

VpcState sample_state() {
    VpcState state;
    state.vpcs.push_back({"vpc-0123456789abcdef0", "10.0.0.0/16", false, 3});
    state.subnets.push_back(
        {"subnet-0aaaaaaaaaaaaaaaa", "vpc-0123456789abcdef0", "10.0.1.0/24", true, false});
    state.subnets.push_back(
        {"subnet-0bbbbbbbbbbbbbbbb", "vpc-0123456789abcdef0", "10.0.2.0/24", false, false});
    RouteTableRecord main{"rtb-0main00000000000", "vpc-0123456789abcdef0", 100, {}, {}};
    main.routes.push_back({"10.0.0.0/16", "local", "", "", "CreateRouteTable"});
    main.routes.push_back({"0.0.0.0/0", "igw-0123456789abcdef0", "", "", "CreateRoute"});
    main.associations.push_back({"rtbassoc-0000000000000000a", "", true});
    RouteTableRecord priv{"rtb-0priv00000000000", "vpc-0123456789abcdef0", 101, {}, {}};
    priv.routes.push_back({"10.0.0.0/16", "local", "", "", "CreateRouteTable"});
    priv.routes.push_back({"0.0.0.0/0", "", "nat-0123456789abcdef0", "", "CreateRoute"});
    priv.associations.push_back({"rtbassoc-0000000000000000b", "subnet-0bbbbbbbbbbbbbbbb", false});
    state.route_tables = {main, priv};
    state.internet_gateways.push_back({"igw-0123456789abcdef0", "vpc-0123456789abcdef0"});
    AddressRecord eip;
    eip.allocation_id = "eipalloc-0123456789abcdef0";
    eip.public_ip = "198.18.0.7";
    eip.association_id = "eipassoc-0123456789abcdef0";
    eip.instance_id = "i-0123456789abcdef0";
    eip.private_ip = "10.0.1.4";
    eip.vpc_id = "vpc-0123456789abcdef0";
    state.addresses.push_back(eip);
    NatGatewayRecord nat;
    nat.nat_gateway_id = "nat-0123456789abcdef0";
    nat.vpc_id = "vpc-0123456789abcdef0";
    nat.subnet_id = "subnet-0aaaaaaaaaaaaaaaa";
    nat.allocation_id = "eipalloc-0fffffffffffffff0";
    nat.public_ip = "198.18.0.8";
    state.nat_gateways.push_back(nat);
    return state;
}

TEST(VpcRouter, NatRulesMapPublicAddressesAndMasqueradePrivateSubnets) {
    VpcState state = sample_state();
    std::string rules = router_nat_ruleset(state, "vpc-0123456789abcdef0");
    EXPECT_NE(rules.find("ip daddr 198.18.0.7 dnat to 10.0.1.4"), std::string::npos) << rules;
    EXPECT_NE(rules.find("oifname \"tbr0123456789ab\" ip saddr 10.0.1.4 snat to 198.18.0.7"),
              std::string::npos)
        << rules;
    // The private subnet, routed to the NAT gateway, leaves as the NAT's address...
    EXPECT_NE(rules.find("ip saddr 10.0.2.0/24 snat to 198.18.0.8"), std::string::npos) << rules;
    // ...and nothing comes in to it: no dnat for the NAT gateway's address.
    EXPECT_EQ(rules.find("dnat to 198.18.0.8"), std::string::npos) << rules;
    EXPECT_EQ(rules.find("ip daddr 198.18.0.8"), std::string::npos) << rules;
    // The gateway passes in only what was dnat'd (and replies).
    EXPECT_NE(rules.find("iifname \"tbr0123456789ab\" ct status dnat accept"), std::string::npos);
    EXPECT_NE(rules.find("iifname \"tbr0123456789ab\" drop"), std::string::npos);
    // The public subnet is not masqueraded.
    EXPECT_EQ(rules.find("10.0.1.0/24"), std::string::npos) << rules;
}

TEST(VpcRouter, RoutesToGoneTargetsAreBlackholes) {
    VpcState state = sample_state();
    const RouteTableRecord& main = state.route_tables[0];
    const RouteTableRecord& priv = state.route_tables[1];
    EXPECT_EQ(route_state(state, main, main.routes[0]), "active");
    EXPECT_EQ(route_state(state, main, main.routes[1]), "active");
    EXPECT_EQ(route_state(state, priv, priv.routes[1]), "active");
    state.internet_gateways[0].vpc_id.clear();  // detached
    EXPECT_EQ(route_state(state, main, main.routes[1]), "blackhole");
    EXPECT_EQ(route_state(state, priv, priv.routes[1]), "blackhole");
    state.internet_gateways[0].vpc_id = "vpc-0123456789abcdef0";
    state.nat_gateways[0].state = "deleted";
    EXPECT_EQ(route_state(state, priv, priv.routes[1]), "blackhole");
    EXPECT_EQ(router_nat_ruleset(state, "vpc-0123456789abcdef0").find("10.0.2.0/24"),
              std::string::npos);
}

TEST(VpcRouter, GatewayLinksAreDisjointSlash30sInTheBenchmarkRange) {
    EXPECT_EQ(gateway_host_address(0).to_string(), "198.19.0.1");
    EXPECT_EQ(gateway_router_address(0).to_string(), "198.19.0.2");
    EXPECT_EQ(gateway_host_address(1).to_string(), "198.19.0.5");
    EXPECT_EQ(gateway_host_link("vpc-0123456789abcdef0"), "tbg0123456789ab");
    EXPECT_EQ(gateway_router_link("vpc-0123456789abcdef0"), "tbr0123456789ab");
    EXPECT_EQ(kPublicRange.to_string(), "198.18.0.0/16");
}

TEST(VpcStore, RoundTripsAndRejectsDamage) {
    VpcState state = sample_state();
    auto again = parse_vpc_state(vpc_state_json(state), "vpcs.json");
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(vpc_state_json(*again), vpc_state_json(state));
    EXPECT_EQ(again->table_of_subnet(again->subnets[1])->route_table_id, "rtb-0priv00000000000");
    EXPECT_EQ(again->table_of_subnet(again->subnets[0])->route_table_id, "rtb-0main00000000000");

    nlohmann::json damaged = vpc_state_json(state);
    damaged["Subnets"][1]["CidrBlock"] = 7;
    auto bad = parse_vpc_state(damaged, "vpcs.json");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().to_string().find("Subnets[1].CidrBlock"), std::string::npos)
        << bad.error().to_string();
    damaged = vpc_state_json(state);
    damaged["RouteTables"][0].erase("Table");
    EXPECT_FALSE(parse_vpc_state(damaged, "vpcs.json"));
    EXPECT_FALSE(parse_vpc_state(nlohmann::json::array(), "vpcs.json"));
}

TEST(VpcGraph, SaysWhichSubnetIsPublicAndWhy) {
    VpcState state = sample_state();
    std::string graph = render_vpc_graph(state, {}, "vpc-0123456789abcdef0");
    EXPECT_NE(graph.find("subnet subnet-0aaaaaaaaaaaaaaaa 10.0.1.0/24  bridge tbs0aaaaaaaaaaa  "
                         "[public: 0.0.0.0/0 -> igw-0123456789abcdef0]"),
              std::string::npos)
        << graph;
    EXPECT_NE(graph.find("[private: out (only) through nat-0123456789abcdef0]"), std::string::npos)
        << graph;
    EXPECT_NE(graph.find("Elastic IP 198.18.0.7 <-> 10.0.1.4"), std::string::npos) << graph;
    state.internet_gateways[0].vpc_id.clear();
    graph = render_vpc_graph(state, {}, "vpc-0123456789abcdef0");
    EXPECT_NE(graph.find("no internet gateway"), std::string::npos) << graph;
    EXPECT_NE(graph.find("is a blackhole"), std::string::npos) << graph;
}

}  // namespace
}  // namespace twinbox::cloud
