// cloud/api/sigv4.h against AWS's published Signature Version 4 examples
// (the "get-vanilla" case of the SigV4 test suite and the signing-key
// derivation example of the General Reference, "Deriving the signing key")
// and against requests the real AWS CLI 2.9 and boto3 signed
// (fixtures/clients.jsonl, captured by a loopback listener with AWS's
// documentation key AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY).
#include "cloud/api/sigv4.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cloud/aws_error.h"

namespace twinbox::cloud::api {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCaptureSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

TEST(ApiSigV4, DerivesThePublishedSigningKey) {
    auto key =
        signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
    EXPECT_EQ(hex(key.data(), key.size()),
              "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(ApiSigV4, GetVanilla) {
    HttpRequest request{"GET",
                        "/",
                        {},
                        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
                        ""};
    std::string canonical = canonical_request(request, {"host", "x-amz-date"});
    EXPECT_EQ(canonical,
              "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-"
              "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    std::string to_sign =
        string_to_sign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical);
    EXPECT_EQ(to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    auto key =
        signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service");
    EXPECT_EQ(signature(key, to_sign),
              "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(ApiSigV4, CanonicalQueryIsSortedAndEncoded) {
    HttpRequest request{"GET", "/", {{"b", "x y"}, {"a", "1/2"}, {"a", "0"}}, {{"Host", "h"}}, ""};
    std::string canonical = canonical_request(request, {"host"});
    EXPECT_NE(canonical.find("\na=0&a=1%2F2&b=x%20y\n"), std::string::npos) << canonical;
    EXPECT_EQ(uri_encode("a-_.~/ +", true), "a-_.~/%20%2B");
}

struct Capture {
    HttpRequest request;
    std::chrono::system_clock::time_point date;
};

std::vector<Capture> captures() {
    std::ifstream file(TWINBOX_SOURCE_DIR "/tests/unit/cloud/api/fixtures/clients.jsonl");
    std::vector<Capture> out;
    std::string line;
    while (std::getline(file, line)) {
        auto json = nlohmann::json::parse(line);
        Capture capture;
        capture.request.method = json["method"];
        capture.request.path = json["path"];
        capture.request.body = json["body"];
        for (auto& [name, value] : json["headers"].items())
            capture.request.headers.emplace_back(name, value.get<std::string>());
        capture.date = *parse_amz_date(json["headers"]["X-Amz-Date"].get<std::string>());
        out.push_back(std::move(capture));
    }
    return out;
}

Verifier capture_verifier() {
    return Verifier(
        [](std::string_view key) -> std::optional<std::string> {
            if (key == "AKIAIOSFODNN7EXAMPLE")
                return kCaptureSecret;
            return std::nullopt;
        },
        "local-1", "ec2");
}

std::string code(const Result<std::string>& result) {
    return result ? "" : aws_error_code(result.error());
}

TEST(ApiSigV4, VerifiesWhatTheRealClientsSigned) {
    auto all = captures();
    ASSERT_GE(all.size(), 7u);
    Verifier verifier = capture_verifier();
    for (const auto& capture : all) {
        auto key = verifier.verify(capture.request, capture.date + 1min);
        EXPECT_TRUE(key) << capture.request.body << ": " << key.error().to_string();
    }
}

TEST(ApiSigV4, RefusesWithAwsCodes) {
    auto capture = captures().front();
    Verifier verifier = capture_verifier();
    // A second use of the same signature is a replay.
    EXPECT_EQ(code(verifier.verify(capture.request, capture.date)), "");
    EXPECT_EQ(code(verifier.verify(capture.request, capture.date)), "AuthFailure");
    // 20 minutes off, either way.
    EXPECT_EQ(code(capture_verifier().verify(capture.request, capture.date + 20min)),
              "RequestExpired");
    EXPECT_EQ(code(capture_verifier().verify(capture.request, capture.date - 20min)),
              "RequestExpired");
    // A changed body, a wrong secret, an unknown key, no header.
    auto tampered = capture.request;
    tampered.body += "&InstanceId.2=i-2";
    EXPECT_EQ(code(capture_verifier().verify(tampered, capture.date)), "SignatureDoesNotMatch");
    Verifier wrong([](std::string_view) -> std::optional<std::string> { return "x"; }, "local-1",
                   "ec2");
    EXPECT_EQ(code(wrong.verify(capture.request, capture.date)), "SignatureDoesNotMatch");
    Verifier none([](std::string_view) -> std::optional<std::string> { return std::nullopt; },
                  "local-1", "ec2");
    EXPECT_EQ(code(none.verify(capture.request, capture.date)), "AuthFailure");
    auto unsigned_request = capture.request;
    std::erase_if(unsigned_request.headers,
                  [](const auto& header) { return header.first == "Authorization"; });
    EXPECT_EQ(code(capture_verifier().verify(unsigned_request, capture.date)),
              "MissingAuthenticationToken");
    // Another region.
    Verifier elsewhere(
        [](std::string_view) -> std::optional<std::string> { return kCaptureSecret; }, "us-east-1",
        "ec2");
    EXPECT_EQ(code(elsewhere.verify(capture.request, capture.date)), "SignatureDoesNotMatch");
}

TEST(ApiSigV4, RefusesMalformedAuthorization) {
    for (std::string header :
         {"", "AWS4-HMAC-SHA256", "Basic abc", "AWS4-HMAC-SHA256 Credential=a/b/c",
          "AWS4-HMAC-SHA256 Credential=A/1/r/s/aws4_request, SignedHeaders=host",
          "AWS4-HMAC-SHA256 Credential=/1/r/s/aws4_request, SignedHeaders=host, Signature=0",
          "AWS4-HMAC-SHA256 garbage"})
        EXPECT_FALSE(parse_authorization(header)) << header;
    auto auth = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AKID/20261207/local-1/ec2/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=abc");
    ASSERT_TRUE(auth);
    EXPECT_EQ(auth->access_key_id, "AKID");
    EXPECT_EQ(auth->region, "local-1");
    EXPECT_EQ(auth->signed_headers.size(), 3u);
}

TEST(ApiSigV4, ParsesAmzDate) {
    EXPECT_TRUE(parse_amz_date("20261207T224740Z"));
    for (auto bad : {"", "20261207T224740", "2026120XT224740Z", "20261307T224740Z",
                     "20261207T254740Z", "20261207 224740Z"})
        EXPECT_FALSE(parse_amz_date(bad)) << bad;
}

TEST(ApiSigV4, ReplayCacheIsBounded) {
    Verifier verifier = capture_verifier();
    auto capture = captures().front();
    EXPECT_TRUE(verifier.verify(capture.request, capture.date));
    EXPECT_FALSE(verifier.verify(capture.request, capture.date));
    // kReplayCacheSize other signatures push the first out: memory stays
    // bounded, at the price of a replay after that many requests.
    std::string amz_date = "20261207T224740Z";
    for (size_t i = 0; i < Verifier::kReplayCacheSize; ++i) {
        HttpRequest request{"POST",
                            "/",
                            {},
                            {{"Host", "h"}, {"X-Amz-Date", amz_date}},
                            "Action=A&N=" + std::to_string(i)};
        std::string scope = "20261207/local-1/ec2/aws4_request";
        std::string sig = signature(
            signing_key(kCaptureSecret, "20261207", "local-1", "ec2"),
            string_to_sign(amz_date, scope, canonical_request(request, {"host", "x-amz-date"})));
        request.headers.emplace_back("Authorization",
                                     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/" + scope +
                                         ", SignedHeaders=host;x-amz-date, Signature=" + sig);
        ASSERT_TRUE(verifier.verify(request, capture.date)) << i;
    }
    EXPECT_TRUE(verifier.verify(capture.request, capture.date));
}

}  // namespace
}  // namespace twinbox::cloud::api
