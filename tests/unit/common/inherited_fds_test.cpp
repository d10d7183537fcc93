// close_inherited_fds (common/inherited_fds.h): everything from 3 up goes
// except what is kept; stdio stays. Run in a forked child so the test
// process's own descriptors (gtest's, the build's) are left alone.
#include "common/inherited_fds.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace twinbox {
namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) >= 0;
}

TEST(CloseInheritedFds, ClosesAllButStdioAndTheKeptOnes) {
    int first = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: fork keeps it either way
    int second = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int third = ::open("/dev/null", O_RDONLY);
    int high = ::fcntl(first, F_DUPFD, 200);
    ASSERT_GE(high, 200);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close_inherited_fds({second, high});
        bool right = is_open(0) && is_open(1) && is_open(2) && !is_open(first) && is_open(second) &&
                     !is_open(third) && is_open(high);
        ::_exit(right ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pid_t none = ::fork();
    ASSERT_GE(none, 0);
    if (none == 0) {
        close_inherited_fds();
        ::_exit(!is_open(first) && !is_open(high) && is_open(2) ? 0 : 1);
    }
    ASSERT_EQ(::waitpid(none, &status, 0), none);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int fd : {first, second, third, high}) ::close(fd);
}

}  // namespace
}  // namespace twinbox
