// Reading whole files (kernels, initrds, modules) with errors that say which
// file and which flag, and a limit so a huge or endless file (a FIFO,
// /dev/zero) cannot exhaust host memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox {

// Reads `path` completely. `what` names it in errors ("kernel", "--initrd").
Result<std::vector<uint8_t>> read_whole_file(const std::string& path, std::string_view what,
                                             uint64_t max_size);

// Reads a text file (state, configuration) of at most `max_size` bytes; the
// error of a missing file has code() ENOENT.
Result<std::string> read_text_file(const std::string& path, std::string_view what,
                                   uint64_t max_size = 16u << 20);

// Writes `bytes` to `path`, replacing it; a new file gets `mode` (less the umask).
Result<void> write_whole_file(const std::string& path, const void* bytes, size_t size,
                              mode_t mode = 0644);

// Replaces `path` so that a reader sees the old file or the new one, never
// half of one: writes PATH.tmp.PID, optionally fsync(2)s it (`durable`, for
// content-addressed stores), then rename(2)s it over `path`. The temporary
// file is removed when anything fails.
Result<void> write_file_atomically(const std::string& path, std::string_view bytes,
                                   bool durable = false, mode_t mode = 0644);

}  // namespace twinbox
