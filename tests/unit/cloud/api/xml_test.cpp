// cloud/api/xml.h: the AWS CLI's JSON shapes written as EC2's XML.
#include "cloud/api/xml.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "cloud/api/actions.h"
#include "cloud/vpc_verbs.h"

namespace twinbox::cloud::api {
namespace {

pugi::xml_document parse(const std::string& text) {
    pugi::xml_document document;
    EXPECT_TRUE(document.load_string(text.c_str())) << text;
    return document;
}

TEST(ApiXml, ReservationsUseTheModelsNames) {
    nlohmann::json result = {{"Reservations",
                              {{{"ReservationId", "r-1"},
                                {"OwnerId", "000000000000"},
                                {"Instances",
                                 {{{"InstanceId", "i-1"},
                                   {"PublicIpAddress", "203.0.113.5"},
                                   {"PublicDnsName", ""},
                                   {"State", {{"Code", 16}, {"Name", "running"}}},
                                   {"Tags", {{{"Key", "Name"}, {"Value", "web"}}}},
                                   {"EbsOptimized", false}}}}}}}};
    auto document = parse(response_xml("DescribeInstances", result, "req-1"));
    auto root = document.child("DescribeInstancesResponse");
    ASSERT_TRUE(root);
    EXPECT_STREQ(root.attribute("xmlns").value(), kEc2Namespace);
    EXPECT_STREQ(root.child_value("requestId"), "req-1");
    auto instance = root.child("reservationSet").child("item").child("instancesSet").child("item");
    EXPECT_STREQ(instance.child_value("instanceId"), "i-1");
    EXPECT_STREQ(instance.child_value("ipAddress"), "203.0.113.5");
    EXPECT_TRUE(instance.child("dnsName"));
    EXPECT_STREQ(instance.child("instanceState").child_value("code"), "16");
    EXPECT_STREQ(instance.child("instanceState").child_value("name"), "running");
    EXPECT_STREQ(instance.child("tagSet").child("item").child_value("key"), "Name");
    EXPECT_STREQ(instance.child_value("ebsOptimized"), "false");
    EXPECT_STREQ(root.child("reservationSet").child("item").child_value("ownerId"), "000000000000");
}

TEST(ApiXml, ShapesDifferByParent) {
    // Image.OwnerId is imageOwnerId, Image.State imageState; KeyPairs is keySet.
    auto images = parse(response_xml(
        "DescribeImages", {{"Images", {{{"OwnerId", "0"}, {"State", "available"}}}}}, "r"));
    auto image = images.child("DescribeImagesResponse").child("imagesSet").child("item");
    EXPECT_STREQ(image.child_value("imageOwnerId"), "0");
    EXPECT_STREQ(image.child_value("imageState"), "available");
    auto keys = parse(response_xml("DescribeKeyPairs", {{"KeyPairs", {{{"KeyName", "k"}}}}}, "r"));
    EXPECT_STREQ(
        keys.child("DescribeKeyPairsResponse").child("keySet").child("item").child_value("keyName"),
        "k");
}

TEST(ApiXml, ActionsWithoutOutputReturnTrue) {
    auto document = parse(response_xml("DeleteKeyPair", nlohmann::json(), "r"));
    EXPECT_STREQ(document.child("DeleteKeyPairResponse").child_value("return"), "true");
}

TEST(ApiXml, UnknownMembersKeepLowerCamelNames) {
    auto document = parse(response_xml("DescribeInstances", {{"TwinboxThing", "x"}}, "r"));
    EXPECT_STREQ(document.child("DescribeInstancesResponse").child_value("twinboxThing"), "x");
}

TEST(ApiXml, ErrorDocument) {
    auto document = parse(error_xml("InvalidInstanceID.NotFound", "no <such> & \x01", "r-9"));
    auto response = document.child("Response");
    auto error = response.child("Errors").child("Error");
    EXPECT_STREQ(error.child_value("Code"), "InvalidInstanceID.NotFound");
    EXPECT_STREQ(error.child_value("Message"), "no <such> & ");
    EXPECT_STREQ(response.child_value("RequestID"), "r-9");
}

// Every action the API serves (the action table and the VPC verbs' table)
// has its XML names in the generated table, and nothing else is claimed.
TEST(ApiXml, KnowsTheServedActions) {
    for (const auto& action : actions()) EXPECT_TRUE(has_xml_shape(action.name)) << action.name;
    for (const auto& verb : vpc_verb_table())
        EXPECT_TRUE(has_xml_shape(verb.operation)) << verb.operation;
    EXPECT_FALSE(has_xml_shape("CreateVolume"));
}

}  // namespace
}  // namespace twinbox::cloud::api
