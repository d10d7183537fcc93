// The on-disk container state (container/runtime/state): ids, atomic
// reservation, round trips, status observed from the process.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "container/runtime/state.h"

namespace twinbox::container {
namespace {

class StateStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-state-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }
    std::string m_root;
};

TEST(ContainerIds, RuncRules) {
    for (const char* id : {"a", "web-1", "my_container.2", "0abc"})
        EXPECT_TRUE(validate_container_id(id)) << id;
    for (const char* id : {"", "-lead", ".hidden", "a/b", "../x", "sp ace", "tab\t", "uni\xc3\xa9"})
        EXPECT_FALSE(validate_container_id(id)) << id;
    EXPECT_FALSE(validate_container_id(std::string(129, 'a')));
}

TEST_F(StateStoreTest, ReserveIsExclusive) {
    StateStore store(m_root + "/containers");
    ASSERT_TRUE(store.reserve("c1"));
    auto again = store.reserve("c1");
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().to_string().find("already exists"), std::string::npos);
    EXPECT_FALSE(store.reserve("bad/id"));
}

TEST_F(StateStoreTest, SaveLoadRoundTrip) {
    StateStore store(m_root);
    ASSERT_TRUE(store.reserve("c1"));
    ContainerState state;
    state.id = "c1";
    state.pid = 1234;
    state.pid_start_time = 99;
    state.bundle = "/b";
    state.rootfs = "/b/rootfs";
    state.created = rfc3339_now();
    state.annotations = {{"k", "v"}};
    state.cgroup_path = "/twinbox/c1";
    state.name = "web";
    state.command = {"sh", "-c", "true"};
    state.exit_code = 137;
    state.oom_killed = true;
    ASSERT_TRUE(store.save(state));
    auto loaded = store.load("c1");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->pid, 1234);
    EXPECT_EQ(loaded->pid_start_time, 99u);
    EXPECT_EQ(loaded->annotations.at("k"), "v");
    EXPECT_EQ(loaded->command, state.command);
    EXPECT_EQ(loaded->exit_code, 137);
    EXPECT_TRUE(loaded->oom_killed);
    EXPECT_EQ(store.list(), std::vector<std::string>{"c1"});
}

TEST_F(StateStoreTest, DamagedOrMissingStateIsAClearError) {
    StateStore store(m_root);
    EXPECT_NE(store.load("nope").error().to_string().find("does not exist"), std::string::npos);
    ASSERT_TRUE(store.reserve("c2"));
    std::FILE* file = std::fopen((store.directory("c2") + "/state.json").c_str(), "w");
    std::fputs("{not json", file);
    std::fclose(file);
    EXPECT_NE(store.load("c2").error().to_string().find("damaged"), std::string::npos);
}

// Docker passes one --root to every runtime: runc's state.json sits beside
// ours and must not show up as a container of ours (docs/container.md).
TEST_F(StateStoreTest, AnotherRuntimesStateIsNotOurs) {
    StateStore store(m_root);
    ASSERT_TRUE(store.reserve("runc1"));
    std::FILE* file = std::fopen((store.directory("runc1") + "/state.json").c_str(), "w");
    std::fputs(R"({"id": "runc1", "init_process_pid": 42, "created": "x"})", file);
    std::fclose(file);
    auto loaded = store.load("runc1");
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().to_string().find("another runtime"), std::string::npos);
}

// docs/security.md: a state naming another id made `rm` act on nothing and say success.
TEST_F(StateStoreTest, StateNamingAnotherIdIsDamaged) {
    StateStore store(m_root);
    ASSERT_TRUE(store.reserve("c4"));
    ContainerState other;
    other.id = "someoneelse";
    ASSERT_TRUE(store.reserve("someoneelse"));
    ASSERT_TRUE(store.save(other));
    std::filesystem::rename(store.directory("someoneelse") + "/state.json",
                            store.directory("c4") + "/state.json");
    auto loaded = store.load("c4");
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().to_string().find("state of container c4 is damaged"),
              std::string::npos);
    EXPECT_NE(loaded.error().to_string().find("rm -f c4"), std::string::npos);
    EXPECT_TRUE(store.is_damaged("c4"));
}

// Every damaged state names the file and what is wrong in one line, is of
// kind Damaged (what `ps` and `rm -f` act on, not the text), and is kept.
TEST_F(StateStoreTest, DamagedStatesAreNamedAndKept) {
    StateStore store(m_root);
    const std::pair<const char*, const char*> cases[] = {
        {"[1]", "not a JSON object"},
        {R"({"pidStartTime": 1})", "id: required"},
        {R"({"id": "c6", "pidStartTime": 1, "pid": "12"})", "pid: must be an integer"},
        {R"({"id": "c6", "pidStartTime": -1})", "pidStartTime: must be an integer"},
        {R"({"id": "c6", "pidStartTime": 1, "command": "sh"})", "command: must be an array"},
        {R"({"id": "c6", "pidStartTime": 1, "exitCode": "0"})", "exitCode: must be an integer"},
        {R"({"id": "c6", "pidStartTime": 1, "autoRemove": 1})", "autoRemove: must be true"},
        {R"({"id": "c6", "pidStart)", "not valid JSON"},
    };
    ASSERT_TRUE(store.reserve("c6"));
    std::string path = store.directory("c6") + "/state.json";
    for (const auto& [text, expected] : cases) {
        std::ofstream(path, std::ios::trunc) << text;
        auto loaded = store.load("c6");
        ASSERT_FALSE(loaded) << text;
        std::string message = loaded.error().to_string();
        EXPECT_EQ(loaded.error().kind(), Error::Kind::Damaged) << message;
        EXPECT_NE(message.find("state of container c6 is damaged"), std::string::npos) << message;
        EXPECT_NE(message.find(expected), std::string::npos) << text << " gave " << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        EXPECT_TRUE(store.is_damaged("c6"));
        EXPECT_TRUE(std::filesystem::exists(path));
    }
    // Older states lack newer members: absent is not damage.
    std::ofstream(path, std::ios::trunc) << R"({"id": "c6", "pidStartTime": 7, "pid": 1})";
    auto old = store.load("c6");
    ASSERT_TRUE(old) << old.error().to_string();
    EXPECT_EQ(old->pid_start_time, 7u);
    EXPECT_FALSE(old->exit_code);
    EXPECT_FALSE(store.is_damaged("c6"));
}

// docs/security.md D2: save() wrote what load() then refused to read (1 MiB cap),
// and `run` hung. Whatever save() accepts, load() reads; more is refused at save.
TEST_F(StateStoreTest, WhatSaveAcceptsLoadReads) {
    StateStore store(m_root);
    ASSERT_TRUE(store.reserve("c5"));
    ContainerState state;
    state.id = "c5";
    state.command = std::vector<std::string>(20, std::string(60000, 'a'));  // 1.2 MB
    ASSERT_TRUE(store.save(state));
    auto loaded = store.load("c5");
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    EXPECT_EQ(loaded->command.size(), 20u);
    state.command.assign(100, std::string(60000, '\x01'));  // 36 MB once escaped
    auto saved = store.save(state);
    ASSERT_FALSE(saved);
    EXPECT_NE(saved.error().to_string().find("MiB allowed"), std::string::npos);
}

// docs/security.md: config.json and state.json hold -e values; nobody else may read them.
TEST_F(StateStoreTest, StateIsPrivateToRoot) {
    StateStore store(m_root + "/containers");
    mode_t old = ::umask(0);
    ASSERT_TRUE(store.reserve("c6"));
    ContainerState state;
    state.id = "c6";
    ASSERT_TRUE(store.save(state));
    ::umask(old);
    struct stat status {};
    ASSERT_EQ(::stat(store.root().c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0700u);
    ASSERT_EQ(::stat(store.directory("c6").c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0700u);
    ASSERT_EQ(::stat((store.directory("c6") + "/state.json").c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0600u);
}

TEST_F(StateStoreTest, StatusFollowsTheProcess) {
    StateStore store(m_root);
    ContainerState state;
    state.id = "c3";
    ASSERT_TRUE(store.reserve("c3"));
    // Our own process: alive, no exec.fifo -> running.
    state.pid = ::getpid();
    state.pid_start_time = process_start_time(state.pid);
    ASSERT_NE(state.pid_start_time, 0u);
    EXPECT_EQ(store.status(state), Status::Running);
    // With exec.fifo present -> created.
    std::FILE* fifo = std::fopen(store.fifo_path("c3").c_str(), "w");
    std::fclose(fifo);
    EXPECT_EQ(store.status(state), Status::Created);
    // A reused PID (different start time) -> stopped.
    state.pid_start_time += 1;
    EXPECT_EQ(store.status(state), Status::Stopped);
    ASSERT_TRUE(store.remove("c3"));
    EXPECT_FALSE(store.exists("c3"));
}

TEST(StateJson, HasTheSpecFields) {
    ContainerState state;
    state.id = "c1";
    state.pid = 42;
    state.bundle = "/b";
    std::string json = state_json(state, Status::Running);
    for (const char* field :
         {"\"ociVersion\"", "\"id\": \"c1\"", "\"status\": \"running\"", "\"pid\": 42",
          "\"bundle\": \"/b\"", "\"annotations\"", "\"created\"", "\"rootfs\""})
        EXPECT_NE(json.find(field), std::string::npos) << field;
    EXPECT_NE(state_json(state, Status::Stopped).find("\"pid\": 0"), std::string::npos);
}

}  // namespace
}  // namespace twinbox::container
