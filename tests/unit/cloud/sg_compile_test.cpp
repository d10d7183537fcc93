// The rule compiler (cloud/sg_compile.h): one rule -> its nft match, table
// driven; a whole VPC -> the chains and sets it must hold.
#include "cloud/sg_compile.h"

#include <gtest/gtest.h>

namespace twinbox::cloud {
namespace {

SecurityGroupRule rule(std::string protocol, int from, int to, std::string cidr,
                       std::string group = "") {
    return {"sgr-00000000000000001", std::move(protocol), from, to,
            std::move(cidr),         std::move(group),    ""};
}

TEST(SgCompile, RuleMatches) {
    struct Case {
        SecurityGroupRule rule;
        const char* field;
        const char* want;
    };
    const Case cases[] = {
        {rule("tcp", 22, 22, "0.0.0.0/0"), "saddr", "tcp dport 22"},
        {rule("tcp", 80, 80, "10.0.0.0/16"), "saddr", "ip saddr 10.0.0.0/16 tcp dport 80"},
        {rule("udp", 1000, 2000, "10.0.1.0/24"), "saddr",
         "ip saddr 10.0.1.0/24 udp dport 1000-2000"},
        {rule("tcp", 0, 65535, "10.0.0.5/32"), "saddr", "ip saddr 10.0.0.5/32 meta l4proto tcp"},
        {rule("icmp", -1, -1, "0.0.0.0/0"), "saddr", "meta l4proto icmp"},
        {rule("icmp", 8, -1, "0.0.0.0/0"), "saddr", "icmp type 8"},
        {rule("icmp", 3, 4, "0.0.0.0/0"), "saddr", "icmp type 3 icmp code 4"},
        {rule("-1", -1, -1, "0.0.0.0/0"), "daddr", ""},
        {rule("-1", -1, -1, "", "sg-0123456789abcdef0"), "saddr", "ip saddr @sg_0123456789abcdef0"},
        {rule("tcp", 5432, 5432, "", "sg-0123456789abcdef0"), "saddr",
         "ip saddr @sg_0123456789abcdef0 tcp dport 5432"},
        {rule("47", -1, -1, "192.168.0.0/16"), "daddr", "ip daddr 192.168.0.0/16 meta l4proto 47"},
    };
    for (const auto& c : cases) EXPECT_EQ(rule_match(c.rule, c.field), c.want);
}

TEST(SgCompile, WholeVpc) {
    SecurityGroup web{"sg-0000000000000000a", "web", "web", "vpc-00000000000000001", {}, {}, {}};
    web.ingress = {rule("tcp", 22, 22, "0.0.0.0/0"), rule("tcp", 80, 80, "10.0.0.0/16"),
                   rule("-1", -1, -1, "", "sg-0000000000000000a")};
    web.egress = {rule("-1", -1, -1, "0.0.0.0/0")};
    SecurityGroup other{"sg-0000000000000000b", "x", "x", "vpc-00000000000000002", {}, {}, {}};
    other.ingress = {rule("tcp", 9999, 9999, "0.0.0.0/0")};
    std::vector<SgMember> members = {
        {"i-0aaaaaaaaaaaaaaaa",
         "tbi0aaaaaaaaaaa",
         "10.0.1.5",
         "subnet-0ccccccccccccccc1",
         {"sg-0000000000000000a"}},
        {"i-0bbbbbbbbbbbbbbbb",
         "tbi0bbbbbbbbbbb",
         "10.0.1.6",
         "subnet-0ccccccccccccccc1",
         {"sg-0000000000000000a"}},
        {"i-0dddddddddddddddd", "tbi0ddddddddddd", "", "", {"sg-0000000000000000a"}},  // no ip yet
    };
    NetworkAcl acl{"acl-00000000000000001", "vpc-00000000000000001", false, {}, {}};
    acl.entries = {{200, false, "-1", true, "0.0.0.0/0", -1, -1},
                   {100, false, "tcp", false, "10.9.0.0/16", 80, 80}};
    acl.subnet_ids = {"subnet-0ccccccccccccccc1"};
    std::string text = compile_firewall("vpc-00000000000000001", {web, other}, members, {acl});

    auto has = [&](const std::string& part) {
        EXPECT_NE(text.find(part), std::string::npos) << "missing: " << part << "\n" << text;
    };
    // Atomic rebuild: the old tables go in the same transaction.
    EXPECT_EQ(text.find("add table ip twinbox_sg\ndelete table ip twinbox_sg\n"), 0u);
    has("set sg_0000000000000000a {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.1.5, 10.0.1.6 }");
    has("chain in_tbi0aaaaaaaaaaa {\n\t\ttcp dport 22 accept\n\t\tip saddr 10.0.0.0/16 tcp dport "
        "80 accept\n\t\tip saddr @sg_0000000000000000a accept\n\t\tdrop\n\t}");
    has("chain out_tbi0bbbbbbbbbbb {\n\t\tip daddr 169.254.169.254 return\n\t\treturn\n\t\tdrop\n\t}");
    has("chain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tct "
        "state established,related accept\n\t\tip saddr 10.0.1.5 jump out_tbi0aaaaaaaaaaa");
    has("ip daddr 10.0.1.6 jump in_tbi0bbbbbbbbbbb");
    has("iifname \"tbi0aaaaaaaaaaa\" ether type ip ip saddr != 10.0.1.5 drop");
    // Another VPC's group is not compiled; an instance with no address has no chain.
    EXPECT_EQ(text.find("9999"), std::string::npos);
    EXPECT_EQ(text.find("tbi0ddddddddddd"), std::string::npos);
    // NACL: lowest number first, then the "*" deny; only traffic crossing the bridge.
    has("chain in_tbs0ccccccccccc {\n\t\tip saddr 10.9.0.0/16 tcp dport 80 drop comment \"rule "
        "100\"\n\t\tip saddr 0.0.0.0/0 accept comment \"rule 200\"\n\t\tdrop comment \"rule *\"");
    has("iifname \"tbs0ccccccccccc\" oifname != \"tbs0ccccccccccc\" jump out_tbs0ccccccccccc");
}

TEST(SgCompile, NoMembersStillValidTables) {
    std::string text = compile_firewall("vpc-00000000000000001", {}, {}, {});
    EXPECT_NE(text.find("table ip twinbox_sg {"), std::string::npos);
    EXPECT_NE(text.find("chain forward"), std::string::npos);
}

}  // namespace
}  // namespace twinbox::cloud
