// The stack's state file, its lock, and the worker pool (cloud/stack/state.h, scheduler.h).
#include "cloud/stack/state.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "cloud/stack/scheduler.h"
#include "common/file.h"
#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"

namespace twinbox::cloud::stack {
namespace {

TEST(StackState, PathNextToTheStackFile) {
    EXPECT_EQ(state_path_for("dir/web.tf.json"), "dir/web.tfstate.json");
    EXPECT_EQ(state_path_for("web.json"), "web.json.tfstate.json");
}

TEST(StackState, RoundTripsAndStartsEmpty) {
    test::TemporaryDirectory tmp;
    std::string path = tmp.path() + "/s.tfstate.json";
    auto empty = read_state(path);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->resources.empty());
    StackState state;
    state.cloud_dir = "/c";
    state.put({"aws_instance.web[1]",
               "aws_instance",
               "web",
               1,
               {{"ami", "a"}},
               {{"id", "i-1"}},
               {"aws_key_pair.lab"}});
    state.outputs = {{"ip", "10.0.0.1"}};
    ASSERT_TRUE(write_state(path, state));
    auto back = read_state(path);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->serial, 1);
    ASSERT_EQ(back->resources.size(), 1u);
    EXPECT_EQ(back->resources[0].index, 1);
    EXPECT_EQ(back->resources[0].depends_on, std::vector<std::string>{"aws_key_pair.lab"});
    EXPECT_EQ(back->outputs["ip"], "10.0.0.1");
}

TEST(StackState, DamagedFileIsNamedWithItsPathAndKept) {
    test::TemporaryDirectory tmp;
    std::string path = tmp.path() + "/s.tfstate.json";
    const char* bad[] = {
        "{",
        "[]",
        R"({"version": 2, "serial": 0, "cloud_dir": "", "resources": [], "outputs": {}})",
        R"({"version": 1, "serial": 0, "cloud_dir": "", "resources": [{"address": "aws_instance.a"}], "outputs": {}})",
        R"({"version": 1, "serial": 0, "cloud_dir": "", "resources": [{"address": "aws_instance.b", "type": "aws_instance", "name": "a", "arguments": {}, "attributes": {"id": "i"}, "depends_on": []}], "outputs": {}})",
        R"({"version": 1, "serial": 0, "cloud_dir": "", "resources": [{"address": "aws_instance.a", "type": "aws_instance", "name": "a", "arguments": {}, "attributes": {}, "depends_on": []}], "outputs": {}})",
    };
    for (const char* text : bad) {
        std::ofstream(path) << text;
        auto state = read_state(path);
        ASSERT_FALSE(state) << text;
        EXPECT_EQ(state.error().kind(), Error::Kind::Damaged) << state.error().to_string();
        EXPECT_NE(state.error().to_string().find(path), std::string::npos);
        EXPECT_EQ(*read_text_file(path, "t"), text) << "never rewritten";
    }
}

// Whether another process can take the lock now (the child's exit status).
bool lock_free_elsewhere(const std::string& path) {
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(StateLock::acquire(path) ? 0 : 1);
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(StackState, SecondLockIsRefusedAndNotKeptByForkedChildren) {
    test::TemporaryDirectory tmp;
    std::string path = tmp.path() + "/s.tfstate.json";
    pid_t keeper = -1;
    {
        auto first = StateLock::acquire(path);
        ASSERT_TRUE(first) << first.error().to_string();
        EXPECT_FALSE(lock_free_elsewhere(path));
        // As run-instances forks an instance's supervisor during an apply:
        // the child keeps the descriptor but must not keep the lock.
        keeper = ::fork();
        if (keeper == 0) {
            ::pause();
            ::_exit(0);
        }
    }
    EXPECT_TRUE(lock_free_elsewhere(path));
    ::kill(keeper, SIGKILL);
    ::waitpid(keeper, nullptr, 0);
}

TEST(StackScheduler, RunsInDependencyOrderAndInParallel) {
    // 0 and 1 independent, 2 needs both, 3 needs 2.
    std::vector<std::vector<size_t>> needs = {{}, {}, {0, 1}, {2}};
    std::mutex mutex;
    std::vector<size_t> order;
    std::atomic<int> running{0}, most{0};
    auto result = run_tasks(needs, [&](size_t i) -> Result<void> {
        int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        --running;
        std::lock_guard lock(mutex);
        order.push_back(i);
        return ok();
    });
    ASSERT_TRUE(result);
    ASSERT_EQ(order.size(), 4u);
    EXPECT_EQ(order[2], 2u);
    EXPECT_EQ(order[3], 3u);
    EXPECT_EQ(most.load(), 2) << "0 and 1 ran at the same time";
}

TEST(StackScheduler, StopsStartingTasksAfterAFailure) {
    std::atomic<int> ran{0};
    auto result = run_tasks({{}, {0}, {1}}, [&](size_t i) -> Result<void> {
        ++ran;
        if (i == 0)
            return Error::message("boom");
        return ok();
    });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().to_string(), "boom");
    EXPECT_EQ(ran.load(), 1);
    EXPECT_FALSE(run_tasks({{1}, {0}}, [](size_t) { return ok(); })) << "a cycle";
}

}  // namespace
}  // namespace twinbox::cloud::stack
