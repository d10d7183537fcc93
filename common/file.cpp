#include "common/file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unique_fd.h"

namespace twinbox {

Result<std::vector<uint8_t>> read_whole_file(const std::string& path, std::string_view what,
                                             uint64_t max_size) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return Error::from_errno("open", fmt::format("{} {}", what, path))
            .with_hint("check the path and its permissions");
    struct stat status {};
    if (::fstat(fd.get(), &status) < 0)
        return Error::from_errno("fstat", fmt::format("{} {}", what, path));
    if (S_ISDIR(status.st_mode))
        return Error::message(fmt::format("{} {} is a directory, not a file", what, path));
    std::vector<uint8_t> data;
    if (S_ISREG(status.st_mode)) {
        if (static_cast<uint64_t>(status.st_size) > max_size)
            return Error::message(
                fmt::format("{} {} is {} bytes, more than the {} bytes twinbox accepts", what, path,
                            status.st_size, max_size));
        data.reserve(static_cast<size_t>(status.st_size));
    }
    uint8_t buffer[65536];
    for (;;) {
        ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error::from_errno("read", fmt::format("{} {}", what, path));
        if (got == 0)
            break;
        if (data.size() + static_cast<size_t>(got) > max_size)
            return Error::message(fmt::format("{} {} is larger than the {} bytes twinbox accepts",
                                              what, path, max_size));
        data.insert(data.end(), buffer, buffer + got);
    }
    return data;
}

Result<std::string> read_text_file(const std::string& path, std::string_view what,
                                   uint64_t max_size) {
    auto bytes = TRY(read_whole_file(path, what, max_size));
    return std::string(bytes.begin(), bytes.end());
}

Result<void> write_file_atomically(const std::string& path, std::string_view bytes, bool durable,
                                   mode_t mode) {
    std::string temporary = fmt::format("{}.tmp.{}", path, ::getpid());
    auto written = write_whole_file(temporary, bytes.data(), bytes.size(), mode);
    if (written && durable) {
        UniqueFd fd(::open(temporary.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd || ::fsync(fd.get()) < 0)
            written = Error::from_errno("fsync", temporary);
    }
    if (written && ::rename(temporary.c_str(), path.c_str()) < 0)
        written = Error::from_errno("rename", path);
    if (!written)
        ::unlink(temporary.c_str());
    return written;
}

Result<void> write_whole_file(const std::string& path, const void* bytes, size_t size,
                              mode_t mode) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd)
        return Error::from_errno("open", path);
    const auto* cursor = static_cast<const uint8_t*>(bytes);
    while (size > 0) {
        ssize_t written = ::write(fd.get(), cursor, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            return Error::from_errno("write", path);
        cursor += written;
        size -= static_cast<size_t>(written);
    }
    return ok();
}

}  // namespace twinbox
