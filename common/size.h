// Parses sizes as QEMU and Docker users write them: "512", "512M", "2G",
// "1.5GiB" are accepted; a bare number means MiB, as for QEMU's -m.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace twinbox {

Result<uint64_t> parse_size(std::string_view text, uint64_t default_unit = 1ull << 20);

}  // namespace twinbox
