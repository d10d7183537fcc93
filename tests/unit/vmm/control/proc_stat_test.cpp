// /proc/PID/stat parsing (vmm/control/proc_stat.h): command names with
// spaces and parentheses, truncated and garbage input, and this process.
#include "vmm/control/proc_stat.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace twinbox {
namespace {

// Fields 1-22 of a real stat line; the name holds ") (" to mislead a naive parser.
constexpr const char* kLine =
    "4242 (vcpu ) (0) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 987654 123456789 1000 18446744073709551615\n";

TEST(ProcStat, CountsFieldsFromTheLastParenthesis) {
    auto stat = parse_proc_stat(kLine);
    ASSERT_TRUE(stat);
    EXPECT_EQ(stat->state, 'S');
    EXPECT_EQ(stat->user_ticks, 250u);
    EXPECT_EQ(stat->system_ticks, 75u);
    EXPECT_EQ(stat->start_ticks, 987654u);
}

TEST(ProcStat, RejectsTruncatedAndGarbageInput) {
    EXPECT_FALSE(parse_proc_stat(""));
    EXPECT_FALSE(parse_proc_stat("4242 (vcpu"));
    EXPECT_FALSE(parse_proc_stat("4242 (vcpu) S 1 2 3"));
    std::string bad = kLine;
    bad.replace(bad.find("250"), 3, "2x0");
    EXPECT_FALSE(parse_proc_stat(bad));
    std::string negative = kLine;
    negative.replace(negative.find("987654"), 6, "-98765");
    EXPECT_FALSE(parse_proc_stat(negative));
}

TEST(ProcStat, ReadsThisProcessAndThread) {
    EXPECT_NE(live_process_start(::getpid()), 0u);
    EXPECT_EQ(live_process_start(0), 0u);
    EXPECT_EQ(live_process_start(-5), 0u);
    auto seconds = thread_cpu_seconds(::gettid());
    ASSERT_TRUE(seconds);
    EXPECT_GE(*seconds, 0.0);
    EXPECT_FALSE(thread_cpu_seconds(999999999));
}

// The control thread's filter forbids open: it reads the vCPUs' stat files
// through fds they opened before their own filter, again and again.
TEST(ProcStat, ReadsAThreadThroughAnOpenFd) {
    int fd = ::open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto first = thread_cpu_seconds_from(fd);
    ASSERT_TRUE(first);
    auto second = thread_cpu_seconds_from(fd);
    ASSERT_TRUE(second);
    EXPECT_GE(*second, *first);
    ::close(fd);
    EXPECT_FALSE(thread_cpu_seconds_from(-1));
}

}  // namespace
}  // namespace twinbox
