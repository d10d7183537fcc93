// Security groups and network ACLs in the state store: validation with
// AWS's codes, limits, and nothing changed by a refused request.
#include "cloud/security_groups.h"

#include <gtest/gtest.h>

#include "cloud/aws_error.h"
#include "cloud/network_acls.h"
#include "cloud/vpc_store.h"
#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"

namespace twinbox::cloud {
namespace {

constexpr const char* kVpc = "vpc-00000000000000001";
constexpr const char* kOtherVpc = "vpc-00000000000000002";

IpPermission tcp(long long from, long long to, std::string cidr) {
    return {"tcp", from, to, true, {{std::move(cidr), ""}}, {}};
}

template <typename T>
std::string code_of(const Result<T>& result) {
    return result ? "ok" : aws_error_code(result.error());
}

struct SgStore : ::testing::Test {
    test::TemporaryDirectory tmp;
    StateStore store = *StateStore::open(tmp.path() + "/cloud");
    // The two VPCs as records only (no router namespace: a group's checks
    // read the VPC document; nothing here applies rules to a kernel).
    void SetUp() override {
        ASSERT_TRUE(update_vpc_state(store, [](VpcState& state) -> Result<void> {
            state.vpcs.push_back({kVpc, "10.0.0.0/16", false, 1});
            state.vpcs.push_back({kOtherVpc, "10.1.0.0/16", false, 2});
            return ok();
        }));
    }
};

TEST(SgPermissions, Validation) {
    struct Case {
        IpPermission permission;
        const char* code;
    };
    const Case cases[] = {
        {tcp(22, 22, "0.0.0.0/0"), "ok"},
        {tcp(70000, 70000, "0.0.0.0/0"), "InvalidParameterValue"},
        {tcp(-5, 22, "0.0.0.0/0"), "InvalidParameterValue"},
        {tcp(90, 80, "0.0.0.0/0"), "InvalidParameterValue"},
        {tcp(22, 22, "10.0.0.0/33"), "InvalidParameterValue"},
        {tcp(22, 22, "10.0.0.300/8"), "InvalidParameterValue"},
        {tcp(22, 22, "not-a-cidr"), "InvalidParameterValue"},
        {{"tcp", -1, -1, false, {{"0.0.0.0/0", ""}}, {}}, "InvalidParameterValue"},
        {{"bogus", -1, -1, false, {{"0.0.0.0/0", ""}}, {}}, "InvalidParameterValue"},
        {{"256", -1, -1, false, {{"0.0.0.0/0", ""}}, {}}, "InvalidParameterValue"},
        {{"-1", -1, -1, false, {{"0.0.0.0/0", ""}}, {}}, "ok"},
        {{"icmp", 8, -1, true, {{"0.0.0.0/0", ""}}, {}}, "ok"},
        {{"icmp", 300, -1, true, {{"0.0.0.0/0", ""}}, {}}, "InvalidParameterValue"},
        {{"tcp", 22, 22, true, {}, {{"sg-123", ""}}}, "InvalidGroupId.Malformed"},
        {{"tcp", 22, 22, true, {}, {}}, "MissingParameter"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(code_of(expand_permission(c.permission)), c.code)
            << c.permission.protocol << " " << c.permission.from_port;
    auto rules = *expand_permission({"6", 80, 81, true, {{"10.0.0.0/16", "web"}}, {}});
    EXPECT_EQ(rules[0].protocol, "tcp");
    EXPECT_EQ(rules[0].description, "web");
}

TEST(SgPermissions, ParsesTheAwsCliJson) {
    auto parsed = parse_ip_permissions(
        R"([{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]},
            {"IpProtocol":"-1","UserIdGroupPairs":[{"GroupId":"sg-0123456789abcdef0"}]}])");
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    ASSERT_EQ(parsed->size(), 2u);
    EXPECT_EQ((*parsed)[0].to_port, 22);
    EXPECT_EQ((*parsed)[1].group_ids[0].first, "sg-0123456789abcdef0");
    for (const char* bad : {"", "{", "[1]", R"([{"FromPort":22}])", R"({"IpProtocol":5})",
                            R"([{"IpProtocol":"tcp","FromPort":"22"}])"})
        EXPECT_EQ(code_of(parse_ip_permissions(bad)), "InvalidParameterValue") << bad;
    EXPECT_EQ(code_of(permission_from_flags("tcp", "22-x", "0.0.0.0/0", "")),
              "InvalidParameterValue");
    EXPECT_EQ(permission_from_flags("tcp", "8000-8080", "0.0.0.0/0", "")->to_port, 8080);
}

TEST_F(SgStore, GroupLifecycleAndErrors) {
    auto web = create_security_group(store, "web", "web servers", kVpc);
    ASSERT_TRUE(web) << web.error().to_string();
    EXPECT_EQ(web->group_id.size(), 3 + 17u);
    EXPECT_EQ(code_of(create_security_group(store, "web", "again", kVpc)),
              "InvalidGroup.Duplicate");
    EXPECT_EQ(code_of(create_security_group(store, "web", "other vpc", kOtherVpc)), "ok");
    auto groups = *describe_security_groups(store, {}, {}, {});
    // web + web of the other VPC + the two VPCs' default groups.
    EXPECT_EQ(groups.size(), 4u);
    std::string default_id = *create_default_security_group(store, kVpc);
    EXPECT_EQ(*create_default_security_group(store, kVpc), default_id);  // idempotent
    EXPECT_EQ(code_of(delete_security_group(store, default_id)), "CannotDelete");
    EXPECT_EQ(code_of(delete_security_group(store, "sg-0000000000000dead")),
              "InvalidGroup.NotFound");

    auto added = authorize_security_group(store, web->group_id, Direction::ingress,
                                          {tcp(22, 22, "0.0.0.0/0")});
    ASSERT_TRUE(added) << added.error().to_string();
    EXPECT_EQ(code_of(authorize_security_group(store, web->group_id, Direction::ingress,
                                               {tcp(22, 22, "0.0.0.0/0")})),
              "InvalidPermission.Duplicate");
    EXPECT_EQ(code_of(revoke_security_group(store, web->group_id, Direction::ingress,
                                            {tcp(23, 23, "0.0.0.0/0")})),
              "InvalidPermission.NotFound");
    // A peer group of another VPC.
    auto foreign = *describe_security_groups(store, {}, {},
                                             {{"vpc-id", {kOtherVpc}}, {"group-name", {"web"}}});
    ASSERT_EQ(foreign.size(), 1u);
    IpPermission peer{"tcp", 80, 80, true, {}, {{foreign[0].group_id, ""}}};
    EXPECT_EQ(code_of(authorize_security_group(store, web->group_id, Direction::ingress, {peer})),
              "InvalidGroup.NotFound");
    // A source group of its own VPC is referenced: the peer cannot be deleted.
    IpPermission from_default{"-1", -1, -1, false, {}, {{default_id, ""}}};
    EXPECT_TRUE(authorize_security_group(store, web->group_id, Direction::ingress, {from_default}));

    EXPECT_EQ(code_of(resolve_instance_groups(store, kVpc, {foreign[0].group_id})),
              "InvalidParameter");
    EXPECT_EQ(*resolve_instance_groups(store, kVpc, {}), std::vector<std::string>{default_id});
    EXPECT_TRUE(*vpc_has_security_groups(store, kVpc));
    EXPECT_TRUE(delete_security_group(store, web->group_id));
    EXPECT_FALSE(*vpc_has_security_groups(store, kVpc));
    EXPECT_TRUE(delete_security_groups_of_vpc(store, kVpc));
    EXPECT_TRUE(describe_security_groups(store, {}, {}, {{"vpc-id", {kVpc}}})->empty());
}

TEST_F(SgStore, RuleLimitLeavesTheGroupAsItWas) {
    auto group = *create_security_group(store, "many", "many rules", kVpc);
    std::vector<IpPermission> sixty;
    for (int port = 1; port <= 59; ++port) sixty.push_back(tcp(port, port, "10.0.0.0/8"));
    // 59 + the default egress rule is not ingress: 59 ingress rules.
    ASSERT_TRUE(authorize_security_group(store, group.group_id, Direction::ingress, sixty));
    ASSERT_TRUE(authorize_security_group(store, group.group_id, Direction::ingress,
                                         {tcp(60, 60, "10.0.0.0/8")}));
    // Two more in one request: the 61st fails and neither is kept.
    EXPECT_EQ(code_of(authorize_security_group(
                  store, group.group_id, Direction::ingress,
                  {tcp(1000, 1000, "10.0.0.0/8"), tcp(1001, 1001, "10.0.0.0/8")})),
              "RulesPerSecurityGroupLimitExceeded");
    auto after = *describe_security_groups(store, {group.group_id}, {}, {});
    EXPECT_EQ(after[0].ingress.size(), 60u);
}

TEST_F(SgStore, NetworkAcls) {
    std::string default_acl = *ensure_default_network_acl(store, kVpc);
    auto acl = *create_network_acl(store, kVpc);
    NetworkAclEntry deny{100, false, "tcp", false, "10.0.0.0/16"};
    EXPECT_TRUE(create_network_acl_entry(store, acl.acl_id, deny, "From=80,To=80"));
    EXPECT_EQ(code_of(create_network_acl_entry(store, acl.acl_id, deny, "From=80,To=80")),
              "NetworkAclEntryAlreadyExists");
    EXPECT_EQ(code_of(create_network_acl_entry(store, acl.acl_id, {101, false, "tcp", false, "x"},
                                               "From=80,To=80")),
              "InvalidParameterValue");
    EXPECT_EQ(code_of(create_network_acl_entry(store, acl.acl_id,
                                               {0, false, "-1", true, "0.0.0.0/0"}, "")),
              "InvalidParameterValue");
    EXPECT_EQ(code_of(create_network_acl_entry(
                  store, acl.acl_id, {102, false, "tcp", true, "0.0.0.0/0"}, "From=1,To=70000")),
              "InvalidParameterValue");
    std::string subnet = "subnet-0123456789abcdef0";
    auto association =
        replace_network_acl_association(store, network_acl_association_id(subnet), acl.acl_id);
    ASSERT_TRUE(association) << association.error().to_string();
    auto acls = *read_network_acls(store);
    EXPECT_EQ(acl_of_subnet(acls, kVpc, subnet)->acl_id, acl.acl_id);
    EXPECT_EQ(acl_of_subnet(acls, kVpc, "subnet-0000000000000000f")->acl_id, default_acl);
    EXPECT_EQ(code_of(delete_network_acl(store, acl.acl_id)), "DependencyViolation");
    EXPECT_EQ(code_of(delete_network_acl_entry(store, acl.acl_id, 7, false)),
              "InvalidNetworkAclEntry.NotFound");
    ASSERT_TRUE(replace_network_acl_association(store, *association, default_acl));
    EXPECT_TRUE(delete_network_acl(store, acl.acl_id));
    EXPECT_EQ(code_of(delete_network_acl(store, default_acl)), "InvalidParameterValue");
}

}  // namespace
}  // namespace twinbox::cloud
