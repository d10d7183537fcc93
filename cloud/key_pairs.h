// EC2 key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs and
// DeleteKeyPair over the state store ("key_pairs.json"). Errors carry EC2's
// codes (cloud/aws_error.h): InvalidKeyPair.Duplicate, InvalidKeyPair.NotFound,
// InvalidKey.Format, InvalidParameterValue.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cloud/key_material.h"
#include "cloud/state_store.h"

namespace twinbox::cloud {

struct KeyPairInfo {
    std::string key_pair_id;  // "key-" + 17 hex
    std::string key_name;
    KeyType key_type = KeyType::Rsa;
    std::string fingerprint;
    std::string public_key;   // one OpenSSH line: what reaches an instance's authorized_keys
    std::string create_time;  // ISO 8601 UTC with milliseconds, "2026-12-07T16:40:00.000Z"
};

// KeyPairs[] entry of DescribeKeyPairs (PublicKey only when asked, as EC2's
// --include-public-key).
nlohmann::json to_json(const KeyPairInfo& key, bool include_public_key = false);

struct CreatedKeyPair {
    KeyPairInfo info;
    std::string key_material;  // the private key; not stored anywhere
};

// CreateKeyPair's KeyType ("rsa" or "ed25519") and KeyFormat ("pem", the
// only one offered): InvalidParameterValue for anything else.
Result<KeyType> key_type_parameter(std::string_view type, std::string_view format);

Result<CreatedKeyPair> create_key_pair(const StateStore& store, const std::string& name,
                                       KeyType type);
// `public_key`: the bytes of an OpenSSH public key line.
Result<KeyPairInfo> import_key_pair(const StateStore& store, const std::string& name,
                                    std::string_view public_key);
// All key pairs, or those named (each must exist: InvalidKeyPair.NotFound).
Result<std::vector<KeyPairInfo>> describe_key_pairs(const StateStore& store,
                                                    const std::vector<std::string>& names = {},
                                                    const std::vector<std::string>& ids = {});
// Deleting a name that does not exist succeeds, as on EC2.
Result<void> delete_key_pair(const StateStore& store, const std::string& name);

}  // namespace twinbox::cloud
