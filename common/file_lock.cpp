#include "common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

namespace twinbox {

Result<FileLock> FileLock::acquire(const std::string& path, Mode mode) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return Error::from_errno("open", path).with_hint("is TWINBOX_ROOT writable? are you root?");
    while (::flock(fd.get(), mode == Mode::Exclusive ? LOCK_EX : LOCK_SH) < 0)
        if (errno != EINTR)
            return Error::from_errno("flock", path);
    return FileLock(std::move(fd));
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        release();
        m_fd = std::move(other.m_fd);
    }
    return *this;
}

void FileLock::release() {
    if (m_fd)
        ::flock(m_fd.get(), LOCK_UN);
    m_fd.reset();
}

}  // namespace twinbox
