// Resource ids in EC2's format: a prefix, a dash and 17 lower-case hex digits
// ("i-0123456789abcdef0", "key-0a1b2c3d4e5f60718"), drawn from getrandom(2)
// so that ids are unguessable and never repeat in practice (68 random bits).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::cloud {

inline constexpr size_t kIdHexDigits = 17;

// A new id with `prefix` ("i", "ami", "key", "vpc"...).
Result<std::string> new_id(std::string_view prefix);

// Whether `id` is `prefix` + "-" + 17 lower-case hex digits.
bool is_id(std::string_view id, std::string_view prefix);

}  // namespace twinbox::cloud
