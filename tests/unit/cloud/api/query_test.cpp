// cloud/api/query.h: the EC2 Query parameters as the AWS CLI and boto3 send
// them (fixtures/clients.jsonl), and hostile input.
#include "cloud/api/query.h"

#include <gtest/gtest.h>

#include "cloud/aws_error.h"

namespace twinbox::cloud::api {
namespace {

Query parse(std::string_view form) {
    auto pairs = parse_form(form);
    EXPECT_TRUE(pairs) << pairs.error().to_string();
    auto query = Query::from_pairs(*pairs);
    EXPECT_TRUE(query) << query.error().to_string();
    return *query;
}

std::string code_of(std::string_view form) {
    auto pairs = parse_form(form);
    if (!pairs)
        return aws_error_code(pairs.error());
    auto query = Query::from_pairs(*pairs);
    return query ? "" : aws_error_code(query.error());
}

TEST(ApiQuery, DecodesFormEncoding) {
    EXPECT_EQ(form_decode("0.0.0.0%2F0"), "0.0.0.0/0");
    EXPECT_EQ(form_decode("a+b%20c"), "a b c");
    EXPECT_EQ(form_decode("%7e%7E"), "~~");
    EXPECT_FALSE(form_decode("%"));
    EXPECT_FALSE(form_decode("%4"));
    EXPECT_FALSE(form_decode("%zz"));
}

// The AWS CLI's describe-instances --instance-ids i-1 --filters Name=instance-state-name,Values=running.
TEST(ApiQuery, DescribeInstancesFromTheCli) {
    auto query = parse(
        "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1."
        "Value.1=running&InstanceId.1=i-1");
    EXPECT_EQ(query.value("Action"), "DescribeInstances");
    EXPECT_EQ(*query.strings("InstanceId"), std::vector<std::string>{"i-1"});
    auto filters = *query.filters();
    ASSERT_EQ(filters.size(), 1u);
    EXPECT_EQ(filters[0].name, "instance-state-name");
    EXPECT_EQ(filters[0].values, std::vector<std::string>{"running"});
}

TEST(ApiQuery, RunInstancesFromTheCli) {
    auto query = parse(
        "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&InstanceType=t3.micro&KeyName=k&"
        "UserData=ZWNobyBoaQ%3D%3D&TagSpecification.1.ResourceType=instance&TagSpecification.1."
        "Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web&MetadataOptions.HttpTokens=required&"
        "MinCount=2&MaxCount=2&ClientToken=240bbfc0-6fa2-4d21-aa00-a09b7542e326");
    EXPECT_EQ(query.value("MetadataOptions.HttpTokens"), "required");
    EXPECT_EQ(query.value("TagSpecification.1.Tag.1.Key"), "Name");
    EXPECT_EQ(**query.integer("MinCount", 1, 1000), 2);
    EXPECT_EQ(*decode_base64(*query.value("UserData"), "UserData"), "echo hi");
    EXPECT_EQ(aws_error_code(query.integer("ImageId", 1, 2).error()), "InvalidParameterValue");
}

TEST(ApiQuery, IpPermissionsNest) {
    auto query = parse(
        "Action=AuthorizeSecurityGroupIngress&GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&"
        "IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp="
        "0.0.0.0%2F0&IpPermissions.1.IpRanges.2.CidrIp=10.0.0.0%2F8");
    const QueryNode* ranges = query.node("IpPermissions.1.IpRanges");
    ASSERT_NE(ranges, nullptr);
    auto items = *list_items(*ranges, "IpRanges");
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(child_value(*items[0], "CidrIp"), "0.0.0.0/0");
    EXPECT_EQ(child_value(*items[1], "CidrIp"), "10.0.0.0/8");
}

TEST(ApiQuery, ListsComeInIndexOrder) {
    auto query = parse("InstanceId.10=c&InstanceId.2=b&InstanceId.1=a");
    EXPECT_EQ(*query.strings("InstanceId"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ApiQuery, RefusesMalformedInput) {
    EXPECT_EQ(code_of("Action=%zz"), "InvalidParameterValue");
    EXPECT_EQ(code_of("A=1&A=2"), "InvalidParameterValue");
    EXPECT_EQ(code_of("A=1&A.1=2"), "InvalidParameterValue");
    EXPECT_EQ(code_of("A..B=1"), "InvalidParameterValue");
    EXPECT_EQ(code_of(".=1"), "InvalidParameterValue");
    EXPECT_EQ(code_of(std::string(300, 'N') + "=1"), "InvalidParameterValue");
    EXPECT_EQ(code_of("A=" + std::string(kMaxValueLength + 1, 'v')), "InvalidParameterValue");
    EXPECT_EQ(code_of("a.b.c.d.e.f.g.h.i=1"), "InvalidParameterValue");
    std::string many;
    for (size_t i = 0; i <= kMaxParameters; ++i) many += "P" + std::to_string(i) + "=1&";
    EXPECT_EQ(code_of(many), "InvalidParameterValue");
    for (std::string bad : {"InstanceId.0=x", "InstanceId.01=x", "InstanceId.1001=x",
                            "InstanceId.x=y", "InstanceId.-1=y", "InstanceId=x"}) {
        auto query = parse(bad);
        auto ids = query.strings("InstanceId");
        ASSERT_FALSE(ids) << bad;
        EXPECT_EQ(aws_error_code(ids.error()), "InvalidParameterValue") << bad;
    }
    EXPECT_EQ(aws_error_code(parse("Filter.1.Value.1=x").filters().error()), "MissingParameter");
    EXPECT_EQ(aws_error_code(parse("").required("KeyName").error()), "MissingParameter");
    EXPECT_EQ(aws_error_code(parse("B=yes").boolean("B").error()), "InvalidParameterValue");
    EXPECT_EQ(aws_error_code(decode_base64("abc", "UserData").error()), "InvalidParameterValue");
    EXPECT_EQ(aws_error_code(decode_base64("ab!?", "UserData").error()), "InvalidParameterValue");
}

TEST(ApiQuery, Base64RoundTrips) {
    for (const std::string& text :
         std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff", 2)})
        EXPECT_EQ(*decode_base64(encode_base64(text), "X"), text);
}

}  // namespace
}  // namespace twinbox::cloud::api
