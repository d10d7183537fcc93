#include "cloud/api/credentials.h"

#include <fmt/core.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>

#include "cloud/instance_json.h"
#include "common/file.h"

namespace twinbox::cloud::api {

namespace {

constexpr std::string_view kDocument = "credentials";

Result<std::string> random_text(size_t size, std::string_view alphabet) {
    std::string out;
    while (out.size() < size) {
        std::array<uint8_t, 64> bytes{};
        ssize_t got = ::getrandom(bytes.data(), bytes.size(), 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("getrandom", "making an access key");
        }
        // Rejection sampling keeps every character equally likely.
        size_t limit = 256 - 256 % alphabet.size();
        for (ssize_t i = 0; i < got && out.size() < size; ++i)
            if (bytes[i] < limit)
                out += alphabet[bytes[i] % alphabet.size()];
    }
    return out;
}

Result<void> write_private(const std::string& path, const std::string& text) {
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    TRY(write_file_atomically(path, text, true, 0600));
    // An existing file keeps its mode through rename only if it was ours; make sure.
    if (::chmod(path.c_str(), 0600) != 0)
        return Error::from_errno("chmod", path);
    return ok();
}

std::string aws_file(const char* variable, std::string_view name) {
    if (const char* set = std::getenv(variable); set && *set)
        return set;
    const char* home = std::getenv("HOME");
    return fmt::format("{}/.aws/{}", home && *home ? home : "/root", name);
}

std::string read_or_empty(const std::string& path) {
    auto text = read_text_file(path, "AWS CLI configuration");
    return text ? *text : "";
}

}  // namespace

Result<AccessKey> create_access_key(const StateStore& store) {
    AccessKey key;
    key.access_key_id = "AKIA" + TRY(random_text(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
    key.secret_access_key =
        TRY(random_text(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
    key.create_date = ec2_timestamp(Clock::now());
    TRY(store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        if (!document.is_object())
            document = nlohmann::json::object();
        auto& keys = document["AccessKeys"];
        if (!keys.is_array())
            keys = nlohmann::json::array();
        keys.push_back({{"AccessKeyId", key.access_key_id},
                        {"SecretAccessKey", key.secret_access_key},
                        {"CreateDate", key.create_date}});
        return ok();
    }));
    return key;
}

Result<std::optional<std::string>> find_secret(const StateStore& store,
                                               std::string_view access_key_id) {
    auto document = TRY(store.read(kDocument));
    if (!document.is_object() || !document.contains("AccessKeys"))
        return std::optional<std::string>();
    const auto& keys = document["AccessKeys"];
    if (!keys.is_array())
        return damaged(store.path_of(kDocument), "/AccessKeys: expected an array");
    for (const auto& key : keys) {
        if (!key.is_object() || !key.contains("AccessKeyId") || !key["AccessKeyId"].is_string() ||
            !key.contains("SecretAccessKey") || !key["SecretAccessKey"].is_string())
            return damaged(store.path_of(kDocument),
                           "/AccessKeys: each key needs AccessKeyId and SecretAccessKey strings");
        if (key["AccessKeyId"].get<std::string>() == access_key_id)
            return std::optional<std::string>(key["SecretAccessKey"].get<std::string>());
    }
    return std::optional<std::string>();
}

std::string replace_ini_section(std::string_view text, std::string_view section,
                                std::string_view body) {
    std::string out;
    std::string header = fmt::format("[{}]", section);
    bool skipping = false, replaced = false;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        std::string_view line = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        start = end == std::string_view::npos ? text.size() : end + 1;
        std::string_view trimmed = line;
        while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\r'))
            trimmed.remove_suffix(1);
        if (!trimmed.empty() && trimmed.front() == '[') {
            skipping = trimmed == header;
            if (skipping && !replaced) {
                out += header + "\n" + std::string(body);
                replaced = true;
            }
            if (skipping)
                continue;
        }
        if (!skipping)
            out += std::string(line) + "\n";
    }
    if (!replaced)
        out +=
            (out.empty() || out.ends_with("\n\n") ? "" : "\n") + header + "\n" + std::string(body);
    return out;
}

Result<std::pair<std::string, std::string>> write_aws_profile(const AccessKey& key,
                                                              std::string_view profile,
                                                              std::string_view region) {
    std::string credentials = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    std::string config = aws_file("AWS_CONFIG_FILE", "config");
    TRY(write_private(credentials,
                      replace_ini_section(read_or_empty(credentials), profile,
                                          fmt::format("aws_access_key_id = {}\n"
                                                      "aws_secret_access_key = {}\n",
                                                      key.access_key_id, key.secret_access_key))));
    // The config file names profiles "profile NAME", except "default".
    std::string section =
        profile == "default" ? std::string("default") : fmt::format("profile {}", profile);
    TRY(write_private(config, replace_ini_section(read_or_empty(config), section,
                                                  fmt::format("region = {}\n", region))));
    return std::pair{credentials, config};
}

}  // namespace twinbox::cloud::api
