// The instance metadata service's logic, without sockets: one request in,
// one response out, as EC2's IMDS answers them (EC2 User Guide, "Instance
// metadata and user data": "Use IMDSv2", "Instance metadata categories").
//
//   PUT /latest/api/token        X-aws-ec2-metadata-token-ttl-seconds: 1..21600
//                                -> a session token bound to the calling instance
//   GET /latest/meta-data/...    the caller's own metadata (imds_metadata.h)
//   GET /latest/user-data        its user data, decoded
//
// The caller is the instance whose private address is the request's source
// address; any other source (the host itself, a container that is no
// instance) gets 404 for everything, so nothing is told about instances to
// those who are none. IMDSv1 (no token) is served unless the instance was
// launched with HttpTokens=required; a token that is unknown, expired or
// issued to another instance is refused with 401, as EC2 does.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cloud/instance_store.h"

namespace twinbox::cloud {

// EC2's limits on a token's life: 1 second to 6 hours.
inline constexpr long kImdsMinTokenTtl = 1;
inline constexpr long kImdsMaxTokenTtl = 21600;

struct ImdsRequest {
    std::string method;                    // "GET", "PUT", ...
    std::string path;                      // "/latest/meta-data/instance-id"
    std::string source;                    // the peer's IPv4 address
    std::optional<std::string> token;      // X-aws-ec2-metadata-token
    std::optional<std::string> token_ttl;  // X-aws-ec2-metadata-token-ttl-seconds
    bool forwarded = false;                // carries X-Forwarded-For
};

struct ImdsResponse {
    int status = 200;
    std::string body;  // text/plain
    std::vector<std::pair<std::string, std::string>> headers;
};

// Session tokens: random (getrandom(2)), each bound to the instance and the
// address it was issued to, until it expires. The clock is injected so that
// tests can move time. Bounded: a guest that asks for tokens in a loop only
// replaces its own oldest ones (kMaxPerInstance).
class ImdsTokens {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    static constexpr size_t kMaxPerInstance = 64;

    explicit ImdsTokens(Clock clock) : m_clock(std::move(clock)) {}

    Result<std::string> issue(const std::string& instance_id, const std::string& source,
                              std::chrono::seconds ttl);
    bool valid(const std::string& token, const std::string& instance_id, const std::string& source);
    size_t size();

private:
    struct Grant {
        std::string instance_id, source;
        std::chrono::steady_clock::time_point expires, issued;
    };
    void drop_expired(std::chrono::steady_clock::time_point now);

    Clock m_clock;
    std::mutex m_mutex;
    std::map<std::string, Grant> m_grants;
};

class ImdsService {
public:
    // The public key (one OpenSSH line) of key pair `name`, nullopt when gone.
    using KeyLookup = std::function<std::optional<std::string>(const std::string& name)>;

    explicit ImdsService(ImdsTokens::Clock clock = std::chrono::steady_clock::now)
        : m_tokens(std::move(clock)) {}

    // `instances`: the cloud's instances as they are now (re-read per request
    // by the server, so an instance launched a moment ago is known).
    ImdsResponse handle(const ImdsRequest& request, const std::vector<InstanceRecord>& instances,
                        const KeyLookup& keys);

private:
    ImdsResponse issue_token(const ImdsRequest& request, const InstanceRecord& instance);

    ImdsTokens m_tokens;
};

}  // namespace twinbox::cloud
