// Small file helpers for the network state: whole text files, atomic
// replacement (write a temporary file, then rename(2) over the old one, so a
// reader never sees half a file) and an exclusive flock(2) lock held by an
// RAII object.
#pragma once

#include <string>

#include "common/file_lock.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::network {

// The file's text; an Error with code() ENOENT when it does not exist.
Result<std::string> read_text(const std::string& path);
Result<void> write_text_atomically(const std::string& path, const std::string& text);
// mkdir -p.
Result<void> make_directories(const std::string& path);

// The network store's lock is twinbox's one flock class (common/file_lock.h).
using twinbox::FileLock;

}  // namespace twinbox::network
