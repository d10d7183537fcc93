// cloud/api/service.h: whole requests, signed as the AWS CLI signs them,
// against a private state store; no sockets.
#include "cloud/api/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <pugixml.hpp>

#include "cloud/api/credentials.h"

namespace twinbox::cloud::api {
namespace {

using Clock = std::chrono::system_clock;

class ApiServiceTest : public testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() /
                ("twinbox-api-test-" + std::to_string(::getpid()));
        auto store = StateStore::open(m_dir.string());
        ASSERT_TRUE(store);
        m_key = *create_access_key(*store);
        m_service = std::make_unique<ApiService>(m_dir.string());
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    HttpRequest signed_post(const std::string& body, Clock::time_point when,
                            const std::string& secret = "") {
        std::time_t time = Clock::to_time_t(when);
        std::tm tm{};
        gmtime_r(&time, &tm);
        char amz_date[17];
        std::strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
        std::string date(amz_date, 8);
        HttpRequest request{"POST",
                            "/",
                            {},
                            {{"Host", "127.0.0.1:4566"},
                             {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                             {"X-Amz-Date", amz_date}},
                            body};
        std::string scope = date + "/local-1/ec2/aws4_request";
        std::vector<std::string> names = {"content-type", "host", "x-amz-date"};
        std::string sig = signature(
            signing_key(secret.empty() ? m_key.secret_access_key : secret, date, "local-1", "ec2"),
            string_to_sign(amz_date, scope, canonical_request(request, names)));
        request.headers.emplace_back(
            "Authorization", "AWS4-HMAC-SHA256 Credential=" + m_key.access_key_id + "/" + scope +
                                 ", SignedHeaders=content-type;host;x-amz-date, "
                                 "Signature=" +
                                 sig);
        return request;
    }

    ApiResponse call(const std::string& body) {
        auto now = Clock::now();
        return m_service->handle(signed_post(body, now), now);
    }

    static std::string error_code(const ApiResponse& response) {
        pugi::xml_document document;
        document.load_string(response.body.c_str());
        return document.child("Response").child("Errors").child("Error").child_value("Code");
    }

    std::filesystem::path m_dir;
    AccessKey m_key;
    std::unique_ptr<ApiService> m_service;
};

TEST_F(ApiServiceTest, KeyPairsAndInstanceTypes) {
    auto created = call("Action=CreateKeyPair&Version=2016-11-15&KeyName=demo");
    ASSERT_EQ(created.status, 200) << created.body;
    pugi::xml_document document;
    document.load_string(created.body.c_str());
    auto root = document.child("CreateKeyPairResponse");
    EXPECT_STREQ(root.child_value("keyName"), "demo");
    EXPECT_TRUE(std::string(root.child_value("keyMaterial")).starts_with("-----BEGIN"));

    auto listed = call("Action=DescribeKeyPairs&Version=2016-11-15&KeyName.1=demo");
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_NE(listed.body.find("<keySet><item>"), std::string::npos);

    // Another body: the same one signed in the same second would be a replay.
    auto duplicate = call("Action=CreateKeyPair&Version=2016-11-15&KeyName=demo&KeyType=rsa");
    EXPECT_EQ(duplicate.status, 400);
    EXPECT_EQ(error_code(duplicate), "InvalidKeyPair.Duplicate");

    auto types = call("Action=DescribeInstanceTypes&Version=2016-11-15&InstanceType.1=t3.micro");
    ASSERT_EQ(types.status, 200) << types.body;
    EXPECT_NE(types.body.find("<instanceType>t3.micro</instanceType>"), std::string::npos);
    auto unknown = call("Action=DescribeInstanceTypes&Version=2016-11-15&InstanceType.1=z9.huge");
    EXPECT_EQ(error_code(unknown), "InvalidInstanceType");
}

TEST_F(ApiServiceTest, RefusesBadRequests) {
    EXPECT_EQ(error_code(call("Action=LaunchRockets")), "InvalidAction");
    EXPECT_EQ(error_code(call("Version=2016-11-15")), "MissingAction");
    EXPECT_EQ(error_code(call("Action=CreateKeyPair")), "MissingParameter");
    EXPECT_EQ(error_code(call("Action=DescribeInstances&InstanceId.x=1")), "InvalidParameterValue");
    EXPECT_EQ(error_code(call("Action=DescribeInstances&Filter.1.Name=bogus")),
              "InvalidParameterValue");
    EXPECT_EQ(error_code(call("Action=RunInstances&ImageId=ami-1&MinCount=0&MaxCount=1")),
              "InvalidParameterValue");
    EXPECT_EQ(error_code(call("Action=%zz")), "InvalidParameterValue");
    auto now = Clock::now();
    auto wrong = m_service->handle(signed_post("Action=DescribeKeyPairs", now, "x"), now);
    EXPECT_EQ(wrong.status, 403);
    EXPECT_EQ(error_code(wrong), "SignatureDoesNotMatch");
    auto old = m_service->handle(
        signed_post("Action=DescribeKeyPairs", now - std::chrono::minutes(20)), now);
    EXPECT_EQ(old.status, 400);
    EXPECT_EQ(error_code(old), "RequestExpired");
    HttpRequest unsigned_request{"POST", "/", {}, {{"Host", "h"}}, "Action=DescribeKeyPairs"};
    auto missing = m_service->handle(unsigned_request, now);
    EXPECT_EQ(missing.status, 401);
    EXPECT_EQ(error_code(missing), "MissingAuthenticationToken");
    auto request = signed_post("Action=DescribeKeyPairs&Version=2016-11-15", now);
    EXPECT_EQ(m_service->handle(request, now).status, 200);
    auto replay = m_service->handle(request, now);
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(error_code(replay), "AuthFailure");
}

}  // namespace
}  // namespace twinbox::cloud::api
