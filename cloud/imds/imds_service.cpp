#include "cloud/imds/imds_service.h"

#include <fmt/core.h>
#include <sys/random.h>

#include <cerrno>
#include <charconv>

#include "cloud/imds/imds_metadata.h"
#include "cloud/ssh_wire.h"

namespace twinbox::cloud {

namespace {

constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kMetadataPrefix = "/latest/meta-data";
constexpr std::string_view kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";

ImdsResponse answer(int status, std::string body) {
    return {status, std::move(body), {}};
}

// Bodies of EC2's error answers are short HTML pages; plain words do here.
ImdsResponse not_found() {
    return answer(404, "Not Found\n");
}

ImdsResponse method_not_allowed(std::string_view allow) {
    ImdsResponse response = answer(405, "Method Not Allowed\n");
    response.headers.emplace_back("Allow", std::string(allow));
    return response;
}

// The TTL header as a number of seconds within EC2's bounds, or nullopt.
std::optional<long> parse_ttl(const std::optional<std::string>& text) {
    if (!text || text->empty() || text->size() > 8)
        return std::nullopt;
    long value = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size() || value < kImdsMinTokenTtl ||
        value > kImdsMaxTokenTtl)
        return std::nullopt;
    return value;
}

Result<std::string> random_token() {
    // 36 bytes: 288 bits, base64 without padding (48 characters).
    uint8_t bytes[36];
    size_t filled = 0;
    while (filled < sizeof bytes) {
        ssize_t got = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error::from_errno("getrandom", "making a metadata token");
        filled += static_cast<size_t>(got);
    }
    return base64_encode(bytes, sizeof bytes);
}

}  // namespace

Result<std::string> ImdsTokens::issue(const std::string& instance_id, const std::string& source,
                                      std::chrono::seconds ttl) {
    auto token = TRY(random_token());
    std::lock_guard lock(m_mutex);
    auto now = m_clock();
    drop_expired(now);
    // Bounded per instance: its oldest token gives way.
    size_t held = 0;
    auto oldest = m_grants.end();
    for (auto it = m_grants.begin(); it != m_grants.end(); ++it) {
        if (it->second.instance_id != instance_id)
            continue;
        ++held;
        if (oldest == m_grants.end() || it->second.issued < oldest->second.issued)
            oldest = it;
    }
    if (held >= kMaxPerInstance)
        m_grants.erase(oldest);
    m_grants[token] = Grant{instance_id, source, now + ttl, now};
    return token;
}

bool ImdsTokens::valid(const std::string& token, const std::string& instance_id,
                       const std::string& source) {
    std::lock_guard lock(m_mutex);
    auto it = m_grants.find(token);
    if (it == m_grants.end())
        return false;
    if (m_clock() >= it->second.expires) {
        m_grants.erase(it);
        return false;
    }
    return it->second.instance_id == instance_id && it->second.source == source;
}

size_t ImdsTokens::size() {
    std::lock_guard lock(m_mutex);
    drop_expired(m_clock());
    return m_grants.size();
}

void ImdsTokens::drop_expired(std::chrono::steady_clock::time_point now) {
    for (auto it = m_grants.begin(); it != m_grants.end();)
        it = now >= it->second.expires ? m_grants.erase(it) : std::next(it);
}

ImdsResponse ImdsService::issue_token(const ImdsRequest& request, const InstanceRecord& instance) {
    // EC2 refuses token requests that passed through a proxy, so that an
    // open proxy on the instance cannot hand its token to others.
    if (request.forwarded)
        return answer(403, "Forbidden\n");
    auto ttl = parse_ttl(request.token_ttl);
    if (!ttl)
        return answer(400, fmt::format("Bad Request: {} must be {}..{}\n", kTtlHeader,
                                       kImdsMinTokenTtl, kImdsMaxTokenTtl));
    auto token = m_tokens.issue(instance.instance_id, request.source, std::chrono::seconds(*ttl));
    if (!token)
        return answer(500, "Internal Server Error\n");
    ImdsResponse response = answer(200, *token);
    response.headers.emplace_back(std::string(kTtlHeader), std::to_string(*ttl));
    return response;
}

ImdsResponse ImdsService::handle(const ImdsRequest& request,
                                 const std::vector<InstanceRecord>& instances,
                                 const KeyLookup& keys) {
    const InstanceRecord* instance = find_by_private_ip(instances, request.source);
    if (instance == nullptr)
        return not_found();
    if (request.path == kTokenPath)
        return request.method == "PUT" ? issue_token(request, *instance)
                                       : method_not_allowed("PUT");
    if (request.method != "GET" && request.method != "HEAD")
        return method_not_allowed("GET, HEAD");
    if (request.token) {
        if (!m_tokens.valid(*request.token, instance->instance_id, request.source))
            return answer(401, "Unauthorized\n");
    } else if (instance->http_tokens == "required") {
        return answer(401, "Unauthorized\n");
    }

    std::string_view path = request.path;
    if (path == "/")
        return answer(200, "latest");
    if (path == "/latest" || path == "/latest/")
        return answer(200, instance->user_data.empty() ? "meta-data" : "meta-data\nuser-data");
    if (path == "/latest/user-data") {
        auto data = decoded_user_data(*instance);
        return data ? answer(200, std::move(*data)) : not_found();
    }
    if (path.substr(0, kMetadataPrefix.size()) != kMetadataPrefix)
        return not_found();
    path.remove_prefix(kMetadataPrefix.size());
    if (!path.empty() && path.front() != '/')
        return not_found();  // "/latest/meta-dataX"
    if (!path.empty())
        path.remove_prefix(1);
    auto value = metadata_answer(*instance, path, keys);
    return value ? answer(200, std::move(*value)) : not_found();
}

}  // namespace twinbox::cloud
