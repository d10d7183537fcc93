// The API's access keys (`twinbox cloud credentials`): an access key id in
// AWS's format ("AKIA" + 16 characters of A-Z and 2-7) and a 40-character
// secret, drawn from getrandom(2), kept in the state store's "credentials"
// document (0600 in the 0700 cloud directory, cloud/state_store.h) because
// the server needs the secret itself to recompute signatures (SigV4 is a
// shared-secret HMAC).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cloud/state_store.h"

namespace twinbox::cloud::api {

struct AccessKey {
    std::string access_key_id, secret_access_key, create_date;
};

// A new key, recorded.
Result<AccessKey> create_access_key(const StateStore& store);
// The secret of `access_key_id`, nullopt when unknown.
Result<std::optional<std::string>> find_secret(const StateStore& store,
                                               std::string_view access_key_id);

// `profile` written (replacing a section of that name) into the AWS CLI's
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials)
// and its region into the config file (AWS_CONFIG_FILE, else ~/.aws/config).
// Returns the two paths, for the user.
Result<std::pair<std::string, std::string>> write_aws_profile(const AccessKey& key,
                                                              std::string_view profile,
                                                              std::string_view region);

// The INI text `text` with section `section` replaced by (or added as) `body`.
std::string replace_ini_section(std::string_view text, std::string_view section,
                                std::string_view body);

}  // namespace twinbox::cloud::api
