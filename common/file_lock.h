// FileLock: an flock(2) lock on a file, held while the object lives (RAII).
//
// One class for every lock twinbox takes between its own processes: the
// network store, the image store (shared while adding blobs, exclusive to
// prune) and container names. flock locks belong to the open file
// description, not the process (flock(2) NOTES): a forked child shares the
// lock through its copy of the descriptor. Hence two ways to let go:
// release() unlocks for every holder of a copy (the container's first
// process keeps one until its execve, O_CLOEXEC), while hand_over() closes
// only this process's copy, so that a forked supervisor keeps the lock.
#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox {

class FileLock {
public:
    enum class Mode { Shared, Exclusive };

    // Opens (creating, mode 0600) and locks `path`, waiting for other holders.
    static Result<FileLock> acquire(const std::string& path, Mode mode = Mode::Exclusive);

    FileLock() = default;  // holds nothing
    FileLock(FileLock&&) noexcept = default;
    FileLock& operator=(FileLock&& other) noexcept;
    ~FileLock() { release(); }

    bool held() const { return static_cast<bool>(m_fd); }
    int fd() const { return m_fd.get(); }  // -1 when nothing is held
    // Unlocks (LOCK_UN) for this process and every process sharing the descriptor.
    void release();
    // Closes this process's copy only; the lock stays with the other holders.
    void hand_over() { m_fd.reset(); }

private:
    explicit FileLock(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

}  // namespace twinbox
