// AWS Signature Version 4, the verifying side (AWS General Reference,
// "Signature Version 4 signing process": create a canonical request, create
// a string to sign, derive the signing key, calculate the signature). The
// server recomputes the client's signature from the request as received and
// compares it in constant time; the secret never travels.
//
// Only the Authorization-header form is accepted (what the AWS CLI and
// boto3 send for EC2: "AWS4-HMAC-SHA256 Credential=AKID/20261207/local-1/ec2/
// aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=HEX");
// pre-signed URLs (X-Amz-Signature in the query) are refused.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cloud/api/query.h"
#include "common/result.h"

namespace twinbox::cloud::api {

inline constexpr std::string_view kSigningAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::chrono::minutes kMaxClockSkew{15};

// What the signature covers, as received.
struct HttpRequest {
    std::string method;  // "POST"
    std::string path;    // decoded, "/"
    QueryPairs query;    // the query string's pairs, decoded
    QueryPairs headers;  // names in any case
    std::string body;
};

struct Authorization {
    std::string access_key_id, date, region, service;  // the credential scope
    std::vector<std::string> signed_headers;           // lower case, as given
    std::string signature;                             // 64 lower-case hex
};

// The Authorization header's fields; AuthFailure (IncompleteSignature for a
// missing part) when it is not a SigV4 header.
Result<Authorization> parse_authorization(std::string_view header);

// RFC 3986 percent-encoding with SigV4's unreserved set (A-Z a-z 0-9 - _ . ~),
// upper-case hex; '/' kept when `keep_slash` (the path).
std::string uri_encode(std::string_view text, bool keep_slash);
std::string hex(const uint8_t* data, size_t size);
std::string sha256_hex(std::string_view data);

// The canonical request (Task 1) for `signed_headers`; the payload hash is
// X-Amz-Content-Sha256 when given, else SHA-256 of the body.
std::string canonical_request(const HttpRequest& request,
                              const std::vector<std::string>& signed_headers);
// Task 2.
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical);
// Task 3: HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
std::array<uint8_t, 32> signing_key(std::string_view secret, std::string_view date,
                                    std::string_view region, std::string_view service);
// Task 4: hex(HMAC(key, string to sign)).
std::string signature(const std::array<uint8_t, 32>& key, std::string_view string_to_sign);

// "20261207T224740Z" -> a time point; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text);

// The secret of an access key id, or nullopt when the key is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

// Verifies requests and remembers the signatures it accepted while they
// could still be replayed (within the skew window), up to kReplayCacheSize;
// when full the oldest are forgotten first.
class Verifier {
public:
    static constexpr size_t kReplayCacheSize = 16384;
    Verifier(SecretLookup lookup, std::string region, std::string service)
        : m_lookup(std::move(lookup)), m_region(std::move(region)), m_service(std::move(service)) {}

    // The access key id of a correctly signed, fresh, first-seen request.
    // Errors carry AWS's codes: MissingAuthenticationToken, IncompleteSignature,
    // AuthFailure, SignatureDoesNotMatch, RequestExpired.
    Result<std::string> verify(const HttpRequest& request,
                               std::chrono::system_clock::time_point now);

private:
    bool remember(const std::string& signature, std::chrono::system_clock::time_point now);

    SecretLookup m_lookup;
    std::string m_region, m_service;
    std::mutex m_mutex;
    std::unordered_set<std::string> m_seen;
    std::deque<std::pair<std::chrono::system_clock::time_point, std::string>> m_order;
};

}  // namespace twinbox::cloud::api
