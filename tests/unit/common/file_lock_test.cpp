// FileLock (common/file_lock.h), the one flock(2) class: exclusive and
// shared modes, and the two ways to let go of a lock a forked process shares.
#include "common/file_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace twinbox {
namespace {

class FileLockTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-file-lock-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_path = m_dir + "/lock";
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    // Whether another open file description could take the lock right now.
    bool free_for_others(int operation = LOCK_EX) const {
        int fd = ::open(m_path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return true;
        bool got = ::flock(fd, operation | LOCK_NB) == 0;
        ::close(fd);
        return got;
    }
    std::string m_dir, m_path;
};

TEST_F(FileLockTest, ExclusiveExcludesAndSharedShares) {
    {
        auto lock = FileLock::acquire(m_path);
        ASSERT_TRUE(lock) << lock.error().to_string();
        EXPECT_TRUE(lock->held());
        EXPECT_FALSE(free_for_others(LOCK_SH));
    }
    EXPECT_TRUE(free_for_others());  // the destructor let go
    auto shared = FileLock::acquire(m_path, FileLock::Mode::Shared);
    ASSERT_TRUE(shared);
    EXPECT_TRUE(free_for_others(LOCK_SH));
    EXPECT_FALSE(free_for_others(LOCK_EX));
    FileLock moved = std::move(*shared);
    EXPECT_FALSE(free_for_others(LOCK_EX));
    moved.release();
    EXPECT_FALSE(moved.held());
    EXPECT_TRUE(free_for_others());
}

TEST_F(FileLockTest, MissingDirectoryIsOneClearError) {
    auto lock = FileLock::acquire(m_dir + "/no/such/dir/lock");
    ASSERT_FALSE(lock);
    EXPECT_EQ(lock.error().code(), ENOENT);
    EXPECT_NE(lock.error().to_string().find("no/such/dir/lock"), std::string::npos);
}

// hand_over() leaves the lock to a forked process (the -d supervisor);
// release() takes it from every holder of the shared descriptor.
TEST_F(FileLockTest, HandOverKeepsAForkedHoldersLockAndReleaseDropsIt) {
    for (bool hand_over : {true, false}) {
        auto lock = FileLock::acquire(m_path);
        ASSERT_TRUE(lock);
        int pipe_fds[2];
        ASSERT_EQ(::pipe(pipe_fds), 0);
        pid_t child = ::fork();
        if (child == 0) {
            char byte;
            ::close(pipe_fds[1]);
            (void)!::read(pipe_fds[0], &byte, 1);  // holds its copy until told
            ::_exit(0);
        }
        ::close(pipe_fds[0]);
        if (hand_over)
            lock->hand_over();
        else
            lock->release();
        EXPECT_EQ(free_for_others(), !hand_over) << (hand_over ? "hand_over" : "release");
        ::close(pipe_fds[1]);
        ::waitpid(child, nullptr, 0);
        EXPECT_TRUE(free_for_others());
    }
}

}  // namespace
}  // namespace twinbox
