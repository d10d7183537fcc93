// The instance verbs' arguments: the AWS CLI's shorthand for
// --tag-specifications, --filters, --count and --metadata-options, the user
// data limit, and filter matching.
#include "cloud/instance_args.h"

#include <gtest/gtest.h>

#include "cloud/aws_error.h"

namespace twinbox::cloud {

namespace {

std::string code_of(const Error& error) {
    return aws_error_code(error);
}

InstanceRecord web() {
    InstanceRecord record;
    record.instance_id = "i-0123456789abcdef0";
    record.reservation_id = "r-0123456789abcdef0";
    record.image_id = "ami-0123456789abcdef0";
    record.instance_type = "t3.nano";
    record.key_name = "lab";
    record.state = InstanceState::running;
    record.private_ip = "172.17.0.2";
    record.tags = {{"Name", "web"}, {"env", "dev"}};
    return record;
}

}  // namespace

TEST(InstanceArgs, TagSpecificationsShorthand) {
    auto tags = parse_tag_specifications(
        {"ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=env,Value=dev}]"});
    ASSERT_TRUE(tags) << tags.error().to_string();
    ASSERT_EQ(tags->size(), 2u);
    EXPECT_EQ((*tags)[0], Tag("Name", "web"));
    EXPECT_EQ((*tags)[1], Tag("env", "dev"));
}

TEST(InstanceArgs, TagSpecificationsJson) {
    auto tags = parse_tag_specifications(
        {R"([{"ResourceType":"instance","Tags":[{"Key":"Name","Value":"db"}]}])"});
    ASSERT_TRUE(tags) << tags.error().to_string();
    ASSERT_EQ(tags->size(), 1u);
    EXPECT_EQ((*tags)[0], Tag("Name", "db"));
}

TEST(InstanceArgs, TagSpecificationsRefused) {
    for (const char* bad : {"ResourceType=volume,Tags=[{Key=a,Value=b}]",  // not an instance
                            "Tags=[{Key=a,Value=b}]",                      // no ResourceType
                            "ResourceType=instance,Tags=[{Value=b}]",      // no Key
                            "ResourceType=instance,Tags=[{Key=aws:x,Value=b}]",
                            "ResourceType=instance,Tags=[{Key=a,Value=1},{Key=a,Value=2}]",
                            "ResourceType=instance,Colour=blue", "garbage"}) {
        auto tags = parse_tag_specifications({bad});
        ASSERT_FALSE(tags) << bad;
        EXPECT_EQ(code_of(tags.error()), "InvalidParameterValue") << bad;
    }
}

TEST(InstanceArgs, FiltersShorthand) {
    auto filters = parse_instance_filters(
        {"Name=instance-state-name,Values=running,stopped", "Name=tag:Name,Values=web"});
    ASSERT_TRUE(filters) << filters.error().to_string();
    ASSERT_EQ(filters->size(), 2u);
    EXPECT_EQ((*filters)[0].name, "instance-state-name");
    EXPECT_EQ((*filters)[0].values, (std::vector<std::string>{"running", "stopped"}));
    EXPECT_EQ((*filters)[1].name, "tag:Name");
    EXPECT_EQ((*filters)[1].values, (std::vector<std::string>{"web"}));
}

TEST(InstanceArgs, FiltersRefused) {
    for (const char* bad : {"Name=colour,Values=blue", "Name=instance-id", "Values=x", "junk"}) {
        auto filters = parse_instance_filters({bad});
        ASSERT_FALSE(filters) << bad;
        EXPECT_EQ(code_of(filters.error()), "InvalidParameterValue") << bad;
    }
}

TEST(InstanceArgs, FiltersMatchAndWithinOrAcross) {
    auto record = web();
    auto match = [&](std::vector<std::string> specs) {
        return matches_filters(record, *parse_instance_filters(specs));
    };
    EXPECT_TRUE(match({}));
    EXPECT_TRUE(match({"Name=instance-state-name,Values=stopped,running"}));
    EXPECT_FALSE(match({"Name=instance-state-name,Values=stopped"}));
    EXPECT_TRUE(match({"Name=tag:Name,Values=web", "Name=instance-type,Values=t3.*"}));
    EXPECT_FALSE(match({"Name=tag:Name,Values=web", "Name=instance-type,Values=m5.*"}));
    EXPECT_FALSE(match({"Name=tag:Name,Values=db"}));
    EXPECT_TRUE(match({"Name=tag-key,Values=env"}));
    EXPECT_TRUE(match({"Name=instance-id,Values=i-0123456789abcdef0"}));
    EXPECT_TRUE(match({"Name=instance-state-code,Values=16"}));
    EXPECT_TRUE(match({"Name=private-ip-address,Values=172.17.0.?"}));
    EXPECT_TRUE(match({"Name=key-name,Values=lab"}));
}

TEST(InstanceArgs, Wildcards) {
    EXPECT_TRUE(wildcard_match("*", ""));
    EXPECT_TRUE(wildcard_match("w*b", "web"));
    EXPECT_TRUE(wildcard_match("w?b", "web"));
    EXPECT_FALSE(wildcard_match("w?b", "webb"));
    EXPECT_TRUE(wildcard_match("*b*b", "abcbxb"));
    EXPECT_FALSE(wildcard_match("web", "we"));
}

TEST(InstanceArgs, Count) {
    auto one = parse_count("3");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->min, 3u);
    EXPECT_EQ(one->max, 3u);
    auto range = parse_count("1:4");
    ASSERT_TRUE(range);
    EXPECT_EQ(range->min, 1u);
    EXPECT_EQ(range->max, 4u);
    for (const char* bad : {"0", "0:2", "3:2", "", "x", "-1", "1:", "2 "}) {
        auto count = parse_count(bad);
        ASSERT_FALSE(count) << bad;
        EXPECT_EQ(code_of(count.error()), "InvalidParameterValue") << bad;
    }
}

TEST(InstanceArgs, MetadataOptions) {
    EXPECT_EQ(*parse_metadata_options("HttpTokens=required"), "required");
    EXPECT_EQ(*parse_metadata_options("HttpTokens=optional,HttpEndpoint=enabled"), "optional");
    EXPECT_EQ(*parse_metadata_options("HttpPutResponseHopLimit=2"), "optional");
    EXPECT_FALSE(parse_metadata_options("HttpTokens=maybe"));
    EXPECT_FALSE(parse_metadata_options("HttpEndpoint=disabled"));
    EXPECT_FALSE(parse_metadata_options("Colour=blue"));
}

TEST(InstanceArgs, UserDataUpTo16KiBBase64) {
    auto small = encode_user_data("#!/bin/sh\necho hi\n");
    ASSERT_TRUE(small);
    EXPECT_EQ(*small, "IyEvYmluL3NoCmVjaG8gaGkK");
    EXPECT_TRUE(encode_user_data(std::string(16384, 'x')));
    auto big = encode_user_data(std::string(16385, 'x'));
    ASSERT_FALSE(big);
    EXPECT_EQ(code_of(big.error()), "InvalidParameterValue");
}

TEST(InstanceArgs, InstanceIdShape) {
    EXPECT_TRUE(check_instance_id("i-0123456789abcdef0"));
    EXPECT_TRUE(check_instance_id("i-01234567"));
    for (const char* bad :
         {"i-xyz", "0123456789abcdef0", "i-0123456789ABCDEF0", "", "ami-01234567"}) {
        auto checked = check_instance_id(bad);
        ASSERT_FALSE(checked) << bad;
        EXPECT_EQ(code_of(checked.error()), "InvalidInstanceID.Malformed") << bad;
    }
}

}  // namespace twinbox::cloud
