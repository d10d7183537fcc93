// The metadata service without sockets: routing, IMDSv1 and v2, token TTL
// bounds, X-Forwarded-For, tokens bound to one instance and address and
// expiring (a fake clock), user data, and callers that are no instance.
#include "cloud/imds/imds_service.h"

#include <gtest/gtest.h>

#include "cloud/imds/imds_metadata.h"

namespace twinbox::cloud {
namespace {

using namespace std::chrono_literals;

InstanceRecord instance(std::string id, std::string ip) {
    InstanceRecord record;
    record.instance_id = std::move(id);
    record.reservation_id = "r-0123456789abcdef0";
    record.image_id = "ami-0123456789abcdef0";
    record.instance_type = "t3.micro";
    record.key_name = "lab";
    record.isolation = "container";
    record.state = InstanceState::running;
    record.private_ip = std::move(ip);
    record.user_data = "IyEvYmluL3NoCmVjaG8gaGkK";  // "#!/bin/sh\necho hi\n"
    record.launch_index = 2;
    return record;
}

class ImdsServiceTest : public ::testing::Test {
protected:
    std::chrono::steady_clock::time_point m_now{std::chrono::hours(1)};
    ImdsService m_service{[this] { return m_now; }};
    std::vector<InstanceRecord> m_instances = {instance("i-0000000000000000a", "10.88.0.5"),
                                               instance("i-0000000000000000b", "10.88.0.6")};
    ImdsService::KeyLookup m_keys = [](const std::string& name) -> std::optional<std::string> {
        if (name == "lab")
            return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey";
        return std::nullopt;
    };

    ImdsResponse get(std::string path, std::string source = "10.88.0.5",
                     std::optional<std::string> token = std::nullopt) {
        ImdsRequest request;
        request.method = "GET";
        request.path = std::move(path);
        request.source = std::move(source);
        request.token = std::move(token);
        return m_service.handle(request, m_instances, m_keys);
    }
    ImdsResponse put_token(std::optional<std::string> ttl, std::string source = "10.88.0.5",
                           bool forwarded = false) {
        return m_service.handle({"PUT", "/latest/api/token", std::move(source), std::nullopt,
                                 std::move(ttl), forwarded},
                                m_instances, m_keys);
    }
};

TEST_F(ImdsServiceTest, ServesTheCallersOwnMetadata) {
    EXPECT_EQ(get("/latest/meta-data/instance-id").body, "i-0000000000000000a");
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.6").body, "i-0000000000000000b");
    EXPECT_EQ(get("/latest/meta-data/ami-id").body, "ami-0123456789abcdef0");
    EXPECT_EQ(get("/latest/meta-data/instance-type").body, "t3.micro");
    EXPECT_EQ(get("/latest/meta-data/local-ipv4").body, "10.88.0.5");
    EXPECT_EQ(get("/latest/meta-data/hostname").body, "ip-10-88-0-5.ec2.internal");
    EXPECT_EQ(get("/latest/meta-data/local-hostname").body, "ip-10-88-0-5.ec2.internal");
    EXPECT_EQ(get("/latest/meta-data/reservation-id").body, "r-0123456789abcdef0");
    EXPECT_EQ(get("/latest/meta-data/ami-launch-index").body, "2");
    EXPECT_EQ(get("/latest/meta-data/placement/availability-zone").body, "local-1a");
    EXPECT_EQ(get("/latest/meta-data/instance-id").status, 200);
}

TEST_F(ImdsServiceTest, ListsDirectoriesAsEc2) {
    auto index = get("/latest/meta-data/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body,
              "ami-id\nami-launch-index\nhostname\ninstance-id\ninstance-type\n"
              "local-hostname\nlocal-ipv4\nplacement/\npublic-keys/\nreservation-id");
    EXPECT_EQ(get("/latest/meta-data").body, index.body);
    EXPECT_EQ(get("/latest/meta-data/placement/").body, "availability-zone\nregion");
    EXPECT_EQ(get("/latest/meta-data/public-keys/").body, "0=lab");
    EXPECT_EQ(get("/latest/meta-data/public-keys/0/").body, "openssh-key");
    EXPECT_EQ(get("/latest/meta-data/public-keys/0/openssh-key").body,
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey lab\n");
    EXPECT_EQ(get("/latest/").body, "meta-data\nuser-data");
}

TEST_F(ImdsServiceTest, NoKeyPairNoPublicKeys) {
    m_instances[0].key_name.clear();
    EXPECT_EQ(get("/latest/meta-data/public-keys/").status, 404);
    EXPECT_EQ(get("/latest/meta-data/public-keys/0/openssh-key").status, 404);
    EXPECT_EQ(get("/latest/meta-data/").body.find("public-keys"), std::string::npos);
    // A key pair deleted since launch: listed, but its key is gone.
    m_instances[0].key_name = "deleted";
    EXPECT_EQ(get("/latest/meta-data/public-keys/").body, "0=deleted");
    EXPECT_EQ(get("/latest/meta-data/public-keys/0/openssh-key").status, 404);
}

TEST_F(ImdsServiceTest, PublicIpv4IsAbsentWithoutAPublicAddress) {
    EXPECT_EQ(get("/latest/meta-data/public-ipv4").status, 404);
}

TEST_F(ImdsServiceTest, UnknownPathsAre404) {
    for (const char* path :
         {"/latest/meta-data/nope", "/latest/meta-dataX", "/latest/meta-data/instance-id-x",
          "/latest/dynamic/instance-identity/document", "/other",
          "/latest/meta-data/public-keys/1/openssh-key", "/latest/meta-data/../user-data"})
        EXPECT_EQ(get(path).status, 404) << path;
}

TEST_F(ImdsServiceTest, UserDataIsDecoded) {
    auto data = get("/latest/user-data");
    EXPECT_EQ(data.status, 200);
    EXPECT_EQ(data.body, "#!/bin/sh\necho hi\n");
    m_instances[0].user_data = "not base64!";
    EXPECT_EQ(get("/latest/user-data").status, 404);
    m_instances[0].user_data.clear();
    EXPECT_EQ(get("/latest/user-data").status, 404);
    EXPECT_EQ(get("/latest/").body, "meta-data");
}

TEST_F(ImdsServiceTest, ACallerThatIsNoInstanceGets404ForEverything) {
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.1").status, 404);
    EXPECT_EQ(get("/latest/meta-data/", "169.254.169.254").status, 404);
    EXPECT_EQ(put_token("60", "10.88.0.1").status, 404);
    // A terminated instance's address is nobody's.
    m_instances[0].state = InstanceState::terminated;
    EXPECT_EQ(get("/latest/meta-data/instance-id").status, 404);
}

TEST_F(ImdsServiceTest, OtherMethodsAre405) {
    for (const char* method : {"POST", "DELETE", "PUT", "PATCH", "OPTIONS"}) {
        ImdsRequest request;
        request.method = method;
        request.path = "/latest/meta-data/instance-id";
        request.source = "10.88.0.5";
        auto reply = m_service.handle(request, m_instances, m_keys);
        EXPECT_EQ(reply.status, 405) << method;
    }
    auto token_get = get("/latest/api/token");
    EXPECT_EQ(token_get.status, 405);
    ASSERT_EQ(token_get.headers.size(), 1u);
    EXPECT_EQ(token_get.headers[0].second, "PUT");
}

TEST_F(ImdsServiceTest, TokenTtlMustBeWithinEc2Bounds) {
    for (std::optional<std::string> ttl :
         {std::optional<std::string>(), std::optional<std::string>(""),
          std::optional<std::string>("0"), std::optional<std::string>("21601"),
          std::optional<std::string>("-5"), std::optional<std::string>("60s"),
          std::optional<std::string>(" 60"), std::optional<std::string>("99999999999999999999")})
        EXPECT_EQ(put_token(ttl).status, 400) << ttl.value_or("(none)");
    for (const char* ttl : {"1", "21600", "300"}) {
        auto reply = put_token(std::string(ttl));
        EXPECT_EQ(reply.status, 200) << ttl;
        EXPECT_EQ(reply.body.size(), 48u);
        ASSERT_EQ(reply.headers.size(), 1u);
        EXPECT_EQ(reply.headers[0].first, "X-aws-ec2-metadata-token-ttl-seconds");
        EXPECT_EQ(reply.headers[0].second, ttl);
    }
}

TEST_F(ImdsServiceTest, ForwardedTokenRequestsAreRefused) {
    EXPECT_EQ(put_token("60", "10.88.0.5", true).status, 403);
}

TEST_F(ImdsServiceTest, TokensAreRandomBoundToTheirInstanceAndExpire) {
    auto token = put_token("60").body;
    EXPECT_NE(token, put_token("60").body);
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.5", token).status, 200);
    // Another instance cannot use it.
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.6", token).status, 401);
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.5", "made-up").status, 401);
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.5", "").status, 401);
    m_now += 59s;
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.5", token).status, 200);
    m_now += 1s;
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.5", token).status, 401);
}

TEST_F(ImdsServiceTest, ATokenDoesNotOutliveItsInstanceAtThatAddress) {
    auto token = put_token("600").body;
    // The address now belongs to a new instance: the old token is not its.
    m_instances[0].instance_id = "i-0000000000000000c";
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.5", token).status, 401);
}

TEST_F(ImdsServiceTest, HttpTokensRequiredRefusesV1) {
    m_instances[0].http_tokens = "required";
    EXPECT_EQ(get("/latest/meta-data/instance-id").status, 401);
    EXPECT_EQ(get("/latest/user-data").status, 401);
    auto token = put_token("60").body;
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.5", token).body, "i-0000000000000000a");
    // The other instance (optional) still reads without a token.
    EXPECT_EQ(get("/latest/meta-data/instance-id", "10.88.0.6").status, 200);
}

TEST(ImdsTokens, AnInstanceCannotHoardTokens) {
    auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
    ImdsTokens tokens([&now] { return now; });
    auto first = tokens.issue("i-a", "10.0.0.2", 100s);
    ASSERT_TRUE(first);
    for (size_t i = 0; i < 10 * ImdsTokens::kMaxPerInstance; ++i) {
        now += 1ms;
        ASSERT_TRUE(tokens.issue("i-a", "10.0.0.2", 100s));
    }
    EXPECT_EQ(tokens.size(), ImdsTokens::kMaxPerInstance);
    EXPECT_FALSE(tokens.valid(*first, "i-a", "10.0.0.2"));  // the oldest went first
    now += 101s;
    EXPECT_EQ(tokens.size(), 0u);
}

TEST(ImdsMetadata, HostnameFollowsThePrivateAddress) {
    EXPECT_EQ(instance_hostname("172.31.5.20"), "ip-172-31-5-20.ec2.internal");
}

}  // namespace
}  // namespace twinbox::cloud
