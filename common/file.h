// Reading whole files (kernels, initrds, modules) with errors that say which
// file and which flag, and a limit so a huge or endless file (a FIFO,
// /dev/zero) cannot exhaust host memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox {

// Reads `path` completely. `what` names it in errors ("kernel", "--initrd").
Result<std::vector<uint8_t>> read_whole_file(const std::string& path, std::string_view what,
                                             uint64_t max_size);

// Writes `bytes` to `path`, replacing it.
Result<void> write_whole_file(const std::string& path, const void* bytes, size_t size);

}  // namespace twinbox
