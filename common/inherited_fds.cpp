#include "common/inherited_fds.h"

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <vector>

namespace twinbox {

namespace {

bool kept(const std::vector<int>& keep, int fd) {
    return std::binary_search(keep.begin(), keep.end(), fd);
}

// Linux before 5.9: walk /proc/self/fd (the directory's own descriptor is
// skipped, and closed by closedir).
void close_one_by_one(const std::vector<int>& keep) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        return;
    std::vector<int> open;
    while (dirent* entry = ::readdir(dir)) {
        int fd = std::atoi(entry->d_name);
        if (fd > 2 && fd != ::dirfd(dir) && !kept(keep, fd))
            open.push_back(fd);
    }
    ::closedir(dir);
    for (int fd : open) ::close(fd);
}

}  // namespace

void close_inherited_fds(std::initializer_list<int> keep_list) {
    std::vector<int> keep(keep_list);
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    for (int fd : keep) {
        if (fd < static_cast<int>(first))
            continue;
        if (static_cast<unsigned>(fd) > first &&
            ::syscall(SYS_close_range, first, static_cast<unsigned>(fd) - 1, 0U) < 0) {
            close_one_by_one(keep);
            return;
        }
        first = static_cast<unsigned>(fd) + 1;
    }
    if (::syscall(SYS_close_range, first, UINT_MAX, 0U) < 0)
        close_one_by_one(keep);
}

}  // namespace twinbox
