// Text files, atomic writes and flock (see files.h).
#include "host/network/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "common/file.h"

namespace twinbox::network {

Result<std::string> read_text(const std::string& path) {
    return read_text_file(path, "file");
}

Result<void> write_text_atomically(const std::string& path, const std::string& text) {
    return write_file_atomically(path, text);
}

Result<void> make_directories(const std::string& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error)
        return Error::from_errno("mkdir", path, error.value())
            .with_hint("is TWINBOX_ROOT writable? are you root?");
    return ok();
}

}  // namespace twinbox::network
