// Text files, atomic writes and flock (see files.h).
#include "container/network/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace twinbox::network {

Result<std::string> read_text(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return Error::from_errno("open", path);
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error::from_errno("read", path);
        if (got == 0)
            return text;
        text.append(buffer, static_cast<size_t>(got));
        if (text.size() > (16u << 20))
            return Error::message(fmt::format("{} is larger than 16 MiB", path));
    }
}

Result<void> write_text_atomically(const std::string& path, const std::string& text) {
    std::string temporary = fmt::format("{}.tmp{}", path, ::getpid());
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return Error::from_errno("open", temporary);
    size_t done = 0;
    while (done < text.size()) {
        ssize_t wrote = ::write(fd.get(), text.data() + done, text.size() - done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote < 0) {
            int err = errno;
            ::unlink(temporary.c_str());
            return Error::from_errno("write", temporary, err);
        }
        done += static_cast<size_t>(wrote);
    }
    fd.reset();
    if (::rename(temporary.c_str(), path.c_str()) < 0) {
        int err = errno;
        ::unlink(temporary.c_str());
        return Error::from_errno("rename", path, err);
    }
    return ok();
}

Result<void> make_directories(const std::string& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error)
        return Error::from_errno("mkdir", path, error.value())
            .with_hint("is TWINBOX_ROOT writable? are you root?");
    return ok();
}

Result<FileLock> FileLock::acquire(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return Error::from_errno("open", path).with_hint("is TWINBOX_ROOT writable? are you root?");
    while (::flock(fd.get(), LOCK_EX) < 0)
        if (errno != EINTR)
            return Error::from_errno("flock", path);
    return FileLock(std::move(fd));
}

}  // namespace twinbox::network
