// Reading fields of a state document with errors that name the JSON path
// ("/key_pairs/2/KeyName: expected a string"), so a damaged file says where.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::cloud {

// obj[key] as a string; `path` is obj's JSON pointer ("/key_pairs/2").
Result<std::string> string_field(const nlohmann::json& obj, std::string_view key,
                                 std::string_view path);

// doc[key] as an array ([] when absent).
Result<nlohmann::json> array_field(const nlohmann::json& doc, std::string_view key);

}  // namespace twinbox::cloud
