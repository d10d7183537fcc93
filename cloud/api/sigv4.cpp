#include "cloud/api/sigv4.h"

#include <fmt/core.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

#include "cloud/aws_error.h"

namespace twinbox::cloud::api {

namespace {

using Clock = std::chrono::system_clock;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Canonical header value: trimmed, inner runs of spaces made one.
std::string canonical_value(std::string_view value) {
    std::string out;
    bool space = false;
    for (char c : trim(value)) {
        if (c == ' ' || c == '\t') {
            space = true;
            continue;
        }
        if (space)
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::optional<std::string> header(const HttpRequest& request, std::string_view name) {
    for (const auto& [key, value] : request.headers)
        if (lower(key) == name)
            return value;
    return std::nullopt;
}

std::array<uint8_t, 32> hmac(std::string_view key, std::string_view data) {
    std::array<uint8_t, 32> out{};
    unsigned size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
    return out;
}

std::string_view view(const std::array<uint8_t, 32>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Error auth_failure(std::string message) {
    return aws_error("AuthFailure", message);
}

}  // namespace

std::string hex(const uint8_t* data, size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (size_t i = 0; i < size; ++i) {
        out += kDigits[data[i] >> 4];
        out += kDigits[data[i] & 15];
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    return hex(digest, sizeof digest);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slash && c == '/'))
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

Result<Authorization> parse_authorization(std::string_view text) {
    text = trim(text);
    if (!text.starts_with(kSigningAlgorithm) || text.size() == kSigningAlgorithm.size() ||
        text[kSigningAlgorithm.size()] != ' ')
        return auth_failure(
            "The Authorization header is not AWS Signature Version 4 (AWS4-HMAC-SHA256)");
    text.remove_prefix(kSigningAlgorithm.size());
    Authorization auth;
    std::string credential, signed_headers;
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view part = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? "" : text.substr(comma + 1);
        size_t equals = part.find('=');
        if (equals == std::string_view::npos)
            return aws_error("IncompleteSignature",
                             fmt::format("Authorization header: '{}' is not KEY=VALUE", part));
        std::string_view key = part.substr(0, equals), value = part.substr(equals + 1);
        if (key == "Credential")
            credential = value;
        else if (key == "SignedHeaders")
            signed_headers = value;
        else if (key == "Signature")
            auth.signature = value;
    }
    if (credential.empty() || signed_headers.empty() || auth.signature.empty())
        return aws_error("IncompleteSignature",
                         "The Authorization header needs Credential, SignedHeaders and Signature");
    // AKID/DATE/REGION/SERVICE/aws4_request
    std::vector<std::string> scope;
    size_t start = 0;
    for (;;) {
        size_t slash = credential.find('/', start);
        scope.push_back(
            credential.substr(start, slash == std::string::npos ? slash : slash - start));
        if (slash == std::string::npos || scope.size() > 5)
            break;
        start = slash + 1;
    }
    if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty())
        return aws_error("IncompleteSignature",
                         "Credential must be ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request");
    auth.access_key_id = scope[0];
    auth.date = scope[1];
    auth.region = scope[2];
    auth.service = scope[3];
    start = 0;
    for (;;) {
        size_t semicolon = signed_headers.find(';', start);
        auth.signed_headers.push_back(lower(signed_headers.substr(
            start, semicolon == std::string::npos ? semicolon : semicolon - start)));
        if (semicolon == std::string::npos || auth.signed_headers.size() > 64)
            break;
        start = semicolon + 1;
    }
    return auth;
}

std::string canonical_request(const HttpRequest& request,
                              const std::vector<std::string>& signed_headers) {
    std::vector<std::pair<std::string, std::string>> query;
    for (const auto& [name, value] : request.query)
        query.emplace_back(uri_encode(name, false), uri_encode(value, false));
    std::sort(query.begin(), query.end());
    std::string query_text;
    for (const auto& [name, value] : query)
        query_text += (query_text.empty() ? "" : "&") + name + "=" + value;

    std::string headers_text;
    for (const auto& name : signed_headers) {
        // Repeated headers are joined with commas (Task 1, step 6).
        std::string joined;
        bool first = true;
        for (const auto& [key, value] : request.headers)
            if (lower(key) == name) {
                joined += (first ? "" : ",") + canonical_value(value);
                first = false;
            }
        headers_text += name + ":" + joined + "\n";
    }
    std::string names;
    for (const auto& name : signed_headers) names += (names.empty() ? "" : ";") + name;
    auto payload = header(request, "x-amz-content-sha256");
    std::string path = request.path.empty() ? "/" : uri_encode(request.path, true);
    return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, path, query_text, headers_text,
                       names, payload ? *payload : sha256_hex(request.body));
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical) {
    return fmt::format("{}\n{}\n{}\n{}", kSigningAlgorithm, amz_date, scope, sha256_hex(canonical));
}

std::array<uint8_t, 32> signing_key(std::string_view secret, std::string_view date,
                                    std::string_view region, std::string_view service) {
    std::string first = "AWS4" + std::string(secret);
    auto date_key = hmac(first, date);
    OPENSSL_cleanse(first.data(), first.size());
    auto region_key = hmac(view(date_key), region);
    auto service_key = hmac(view(region_key), service);
    return hmac(view(service_key), "aws4_request");
}

std::string signature(const std::array<uint8_t, 32>& key, std::string_view text) {
    auto mac = hmac(view(key), text);
    return hex(mac.data(), mac.size());
}

std::optional<Clock::time_point> parse_amz_date(std::string_view text) {
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z')
        return std::nullopt;
    for (size_t i = 0; i < 15; ++i)
        if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i])))
            return std::nullopt;
    auto number = [&](size_t at, size_t size) {
        return std::stoi(std::string(text.substr(at, size)));
    };
    std::tm tm{};
    tm.tm_year = number(0, 4) - 1900;
    tm.tm_mon = number(4, 2) - 1;
    tm.tm_mday = number(6, 2);
    tm.tm_hour = number(9, 2);
    tm.tm_min = number(11, 2);
    tm.tm_sec = number(13, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return std::nullopt;
    return Clock::from_time_t(timegm(&tm));
}

Result<std::string> Verifier::verify(const HttpRequest& request, Clock::time_point now) {
    auto header_text = header(request, "authorization");
    if (!header_text) {
        for (const auto& [name, value] : request.query)
            if (name == "X-Amz-Signature" || name == "X-Amz-Credential")
                return auth_failure(
                    "Pre-signed query authentication is not supported; sign the Authorization "
                    "header");
        return aws_error("MissingAuthenticationToken",
                         "The request must contain a valid AWS access key id and a Signature "
                         "Version 4 Authorization header (twinbox cloud credentials)");
    }
    auto auth = TRY(parse_authorization(*header_text));
    auto amz_date = header(request, "x-amz-date");
    if (!amz_date)
        return aws_error("IncompleteSignature", "The request must contain an X-Amz-Date header");
    auto when = parse_amz_date(*amz_date);
    if (!when)
        return aws_error("IncompleteSignature",
                         fmt::format("X-Amz-Date '{}' is not YYYYMMDDTHHMMSSZ", *amz_date));
    if (*when < now - kMaxClockSkew || *when > now + kMaxClockSkew)
        return aws_error("RequestExpired",
                         fmt::format("Request has expired: X-Amz-Date {} is more than {} minutes "
                                     "from the server's time",
                                     *amz_date, kMaxClockSkew.count()));
    auto secret = m_lookup(auth.access_key_id);
    if (!secret)
        return auth_failure(
            "AWS was not able to validate the provided access credentials (unknown access key "
            "id; see twinbox cloud credentials)");
    if (auth.date != amz_date->substr(0, 8))
        return aws_error("SignatureDoesNotMatch",
                         "The credential's date does not match X-Amz-Date");
    if (auth.region != m_region)
        return aws_error("SignatureDoesNotMatch",
                         fmt::format("Credential should be scoped to a valid region, not '{}' "
                                     "(use --region {})",
                                     auth.region, m_region));
    if (auth.service != m_service)
        return aws_error("SignatureDoesNotMatch",
                         fmt::format("Credential should be scoped to the service '{}', not '{}'",
                                     m_service, auth.service));
    auto signs = [&](std::string_view name) {
        return std::find(auth.signed_headers.begin(), auth.signed_headers.end(), name) !=
               auth.signed_headers.end();
    };
    if (!signs("host") || !signs("x-amz-date"))
        return aws_error("SignatureDoesNotMatch", "SignedHeaders must include host and x-amz-date");

    std::string scope = fmt::format("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
    std::string expected = signature(
        signing_key(*secret, auth.date, auth.region, auth.service),
        string_to_sign(*amz_date, scope, canonical_request(request, auth.signed_headers)));
    if (auth.signature.size() != expected.size() ||
        CRYPTO_memcmp(auth.signature.data(), expected.data(), expected.size()) != 0)
        return aws_error("SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you "
                         "provided. Check your AWS Secret Access Key and signing method.");
    if (!remember(expected, now))
        return auth_failure(
            "This signature was already used: a replayed request is refused (sign each request "
            "anew)");
    return auth.access_key_id;
}

bool Verifier::remember(const std::string& signature, Clock::time_point now) {
    std::lock_guard lock(m_mutex);
    // A signature stays replayable for twice the skew window around its date.
    while (!m_order.empty() && (m_order.front().first < now - 2 * kMaxClockSkew ||
                                m_order.size() >= kReplayCacheSize)) {
        m_seen.erase(m_order.front().second);
        m_order.pop_front();
    }
    if (!m_seen.insert(signature).second)
        return false;
    m_order.emplace_back(now, signature);
    return true;
}

}  // namespace twinbox::cloud::api
