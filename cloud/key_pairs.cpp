// Key pairs in the state store (see key_pairs.h).
#include "cloud/key_pairs.h"

#include <fmt/core.h>

#include <algorithm>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/json_fields.h"

namespace twinbox::cloud {
namespace {

constexpr std::string_view kDocument = "key_pairs";

// EC2: "Constraints: Up to 255 ASCII characters".
Result<void> check_name(const std::string& name) {
    if (name.empty())
        return aws_error("MissingParameter", "The request must contain the parameter KeyName");
    if (name.size() > 255)
        return aws_error("InvalidParameterValue",
                         "Value for parameter KeyName is longer than 255 characters");
    for (unsigned char c : name)
        if (c < 0x20 || c > 0x7e)
            return aws_error("InvalidParameterValue",
                             "Value for parameter KeyName must be printable ASCII characters");
    return ok();
}

Result<KeyPairInfo> from_json(const nlohmann::json& entry, const std::string& path) {
    KeyPairInfo key;
    key.key_pair_id = TRY(string_field(entry, "KeyPairId", path));
    key.key_name = TRY(string_field(entry, "KeyName", path));
    auto type = parse_key_type(TRY(string_field(entry, "KeyType", path)));
    if (!type)
        return Error::message(path + "/KeyType: expected \"rsa\" or \"ed25519\"");
    key.key_type = *type;
    key.fingerprint = TRY(string_field(entry, "KeyFingerprint", path));
    key.public_key = TRY(string_field(entry, "PublicKey", path));
    key.create_time = TRY(string_field(entry, "CreateTime", path));
    return key;
}

// Every key pair in `document`; a bad entry makes the whole file damaged.
Result<std::vector<KeyPairInfo>> load(const StateStore& store, const nlohmann::json& document) {
    return load_entries<KeyPairInfo>(document, "KeyPairs", store.path_of(kDocument), from_json);
}

// Adds `key` unless its name is taken; the store is left as it was on error.
Result<void> add(const StateStore& store, const KeyPairInfo& key) {
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        auto keys = TRY(load(store, document));
        for (const auto& existing : keys)
            if (existing.key_name == key.key_name)
                return aws_error("InvalidKeyPair.Duplicate",
                                 fmt::format("The keypair '{}' already exists.", key.key_name));
        nlohmann::json entry = to_json(key, /*include_public_key=*/true);
        entry.erase("Tags");
        document["KeyPairs"].push_back(std::move(entry));
        return ok();
    });
}

Result<KeyPairInfo> new_info(const std::string& name, KeyType type, std::string fingerprint,
                             std::string public_key) {
    return KeyPairInfo{
        TRY(new_id("key")), name, type, std::move(fingerprint), std::move(public_key),
        aws_timestamp_now()};
}

}  // namespace

nlohmann::json to_json(const KeyPairInfo& key, bool include_public_key) {
    nlohmann::json entry = {
        {"KeyPairId", key.key_pair_id},    {"KeyFingerprint", key.fingerprint},
        {"KeyName", key.key_name},         {"KeyType", key_type_name(key.key_type)},
        {"Tags", nlohmann::json::array()}, {"CreateTime", key.create_time},
    };
    if (include_public_key)
        entry["PublicKey"] = key.public_key;
    return entry;
}

Result<CreatedKeyPair> create_key_pair(const StateStore& store, const std::string& name,
                                       KeyType type) {
    TRY(check_name(name));
    GeneratedKey key = TRY(generate_key(type));
    KeyPairInfo info = TRY(new_info(name, type, key.fingerprint, key.public_key));
    TRY(add(store, info));
    return CreatedKeyPair{std::move(info), std::move(key.private_key)};
}

Result<KeyPairInfo> import_key_pair(const StateStore& store, const std::string& name,
                                    std::string_view public_key) {
    TRY(check_name(name));
    PublicKey parsed = TRY(parse_public_key(public_key));
    KeyPairInfo info = TRY(new_info(name, parsed.type, parsed.fingerprint, parsed.public_key));
    TRY(add(store, info));
    return info;
}

Result<std::vector<KeyPairInfo>> describe_key_pairs(const StateStore& store,
                                                    const std::vector<std::string>& names,
                                                    const std::vector<std::string>& ids) {
    auto keys = TRY(load(store, TRY(store.read(kDocument))));
    if (names.empty() && ids.empty())
        return keys;
    auto has = [](const std::vector<std::string>& list, const std::string& value) {
        return std::find(list.begin(), list.end(), value) != list.end();
    };
    for (const auto& name : names)
        if (std::none_of(keys.begin(), keys.end(),
                         [&](const auto& key) { return key.key_name == name; }))
            return aws_error("InvalidKeyPair.NotFound",
                             fmt::format("The key pair '{}' does not exist", name));
    for (const auto& id : ids)
        if (std::none_of(keys.begin(), keys.end(),
                         [&](const auto& key) { return key.key_pair_id == id; }))
            return aws_error("InvalidKeyPair.NotFound",
                             fmt::format("The key pair ID '{}' does not exist", id));
    std::erase_if(keys, [&](const auto& key) {
        return !has(names, key.key_name) && !has(ids, key.key_pair_id);
    });
    return keys;
}

Result<void> delete_key_pair(const StateStore& store, const std::string& name) {
    TRY(check_name(name));
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        TRY(load(store, document));  // refuse to rewrite a damaged file
        auto& entries = document["KeyPairs"];
        if (!entries.is_array())
            entries = nlohmann::json::array();
        std::erase_if(*entries.get_ptr<nlohmann::json::array_t*>(),
                      [&](const nlohmann::json& entry) { return entry["KeyName"] == name; });
        return ok();
    });
}

Result<KeyType> key_type_parameter(std::string_view type, std::string_view format) {
    auto parsed = parse_key_type(type);
    if (!parsed)
        return aws_error("InvalidParameterValue",
                         fmt::format("Value ({}) for parameter keyType is invalid.", type));
    if (format != "pem")
        return aws_error("InvalidParameterValue",
                         fmt::format("Value ({}) for parameter keyFormat is invalid.", format));
    return *parsed;
}

}  // namespace twinbox::cloud
