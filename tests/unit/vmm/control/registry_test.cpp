// The VM registry (vmm/control/registry.h): names, atomic registration,
// removal when the VM ends, and stale entries of a killed twinbox.
#include "vmm/control/registry.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "vmm/control/proc_stat.h"

namespace twinbox {
namespace {

class VmRegistryTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-vm-registry-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = std::string(pattern) + "/vms";
    }
    void TearDown() override {
        std::filesystem::remove_all(std::filesystem::path(m_root).parent_path());
    }
    VmRecord record(const std::string& name) const {
        VmRecord record;
        record.name = name;
        record.pid = ::getpid();
        record.pid_start_time = live_process_start(::getpid());
        record.boot = "flat";
        record.guest = "/guest/tick-real.bin";
        record.cpus = 2;
        record.memory = 64 << 20;
        return record;
    }
    // A PID that certainly belongs to no live process: a child that exited and was reaped.
    static pid_t dead_pid() {
        pid_t child = ::fork();
        if (child == 0)
            ::_exit(0);
        ::waitpid(child, nullptr, 0);
        return child;
    }
    std::string m_root;
};

TEST(VmNames, FollowTheContainerRules) {
    for (const char* name : {"a", "demo", "vm-1", "my_vm.2", "0abc"})
        EXPECT_TRUE(validate_vm_name(name)) << name;
    for (const char* name : {"", "-x", ".hidden", "a/b", "..", "sp ace", "new\nline"})
        EXPECT_FALSE(validate_vm_name(name)) << name;
    EXPECT_TRUE(validate_vm_name(std::string(64, 'a')));
    EXPECT_FALSE(validate_vm_name(std::string(65, 'a')));
    std::string random = random_vm_name();
    EXPECT_EQ(random.size(), 12u);
    EXPECT_TRUE(validate_vm_name(random));
}

TEST_F(VmRegistryTest, RegistersListsAndRemovesWhenTheVmEnds) {
    VmRegistry registry(m_root);
    {
        auto registration = registry.add(record("demo"));
        ASSERT_TRUE(registration) << registration.error().to_string();
        EXPECT_EQ(registration->socket_path(), m_root + "/demo/control.sock");
        EXPECT_TRUE(std::filesystem::exists(m_root + "/demo/state.json"));
        auto listed = registry.list();
        ASSERT_EQ(listed.size(), 1u);
        EXPECT_EQ(listed[0].name, "demo");
        EXPECT_EQ(listed[0].pid, ::getpid());
        EXPECT_EQ(listed[0].cpus, 2u);
        EXPECT_EQ(listed[0].memory, 64u << 20);
        EXPECT_EQ(listed[0].guest, "/guest/tick-real.bin");
        auto found = registry.find("demo");
        ASSERT_TRUE(found);
        EXPECT_EQ(found->pid_start_time, record("demo").pid_start_time);
        // The name is taken while the VM lives.
        auto again = registry.add(record("demo"));
        ASSERT_FALSE(again);
        EXPECT_NE(again.error().to_string().find("already running"), std::string::npos);
    }
    EXPECT_FALSE(std::filesystem::exists(m_root + "/demo"));
    EXPECT_TRUE(registry.list().empty());
}

TEST_F(VmRegistryTest, UnknownNamesAreOneClearError) {
    VmRegistry registry(m_root);
    for (const char* name : {"nothere", "../etc", ""}) {
        auto found = registry.find(name);
        ASSERT_FALSE(found);
        EXPECT_NE(found.error().to_string().find("no such VM"), std::string::npos) << name;
    }
}

TEST_F(VmRegistryTest, EntryOfASigkilledProcessIsCleanedByTheNextListing) {
    VmRegistry registry(m_root);
    pid_t child = ::fork();
    if (child == 0) {
        VmRecord mine = record("killed");
        mine.pid = ::getpid();
        mine.pid_start_time = live_process_start(::getpid());
        auto registration = registry.add(mine);
        ::raise(SIGKILL);  // no destructor runs, as for a SIGKILLed twinbox
        ::_exit(1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_TRUE(std::filesystem::exists(m_root + "/killed/state.json"));
    EXPECT_TRUE(registry.list().empty());
    EXPECT_FALSE(std::filesystem::exists(m_root + "/killed"));
}

TEST_F(VmRegistryTest, ListingRemovesDeadAndReusedPids) {
    VmRegistry registry(m_root);
    auto write_entry = [&](const std::string& name, pid_t pid, uint64_t start) {
        std::filesystem::create_directories(m_root + "/" + name);
        VmRecord stale = record(name);
        nlohmann::json object = {{"name", name},     {"pid", pid},       {"pidStartTime", start},
                                 {"boot", "flat"},   {"guest", "x.bin"}, {"cpus", 1},
                                 {"memory", 1 << 20}};
        std::ofstream(m_root + "/" + name + "/state.json") << object.dump();
        std::ofstream(m_root + "/" + name + "/control.sock") << "";
    };
    write_entry("dead", dead_pid(), 12345);
    // Our own PID with another start time: the PID was reused by another process.
    write_entry("reused", ::getpid(), live_process_start(::getpid()) + 1);
    write_entry("garbage", ::getpid(), 0);
    std::ofstream(m_root + "/garbage/state.json") << "{not json";
    auto live = registry.add(record("live"));
    ASSERT_TRUE(live);

    auto listed = registry.scan();
    ASSERT_EQ(listed.records.size(), 1u);
    EXPECT_EQ(listed.records[0].name, "live");
    for (const char* name : {"dead", "reused"})
        EXPECT_FALSE(std::filesystem::exists(m_root + "/" + name)) << name;
    // A state.json that does not parse is named as damaged and left alone
    // (it is renamed into place whole, so it is not a half-written one).
    ASSERT_EQ(listed.damaged.size(), 1u);
    EXPECT_EQ(listed.damaged[0].kind(), Error::Kind::Damaged);
    EXPECT_NE(listed.damaged[0].to_string().find("garbage/state.json is damaged"),
              std::string::npos)
        << listed.damaged[0].to_string();
    EXPECT_TRUE(std::filesystem::exists(m_root + "/garbage/state.json"));
    auto garbage = registry.find("garbage");
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().kind(), Error::Kind::Damaged);
    EXPECT_FALSE(registry.add(record("garbage")));
    EXPECT_TRUE(std::filesystem::exists(m_root + "/garbage/state.json"));

    // find() of a stale name cleans it too and says so.
    write_entry("dead2", dead_pid(), 1);
    auto found = registry.find("dead2");
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().to_string().find("is gone"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(m_root + "/dead2"));

    // A stale entry does not block the name.
    write_entry("again", dead_pid(), 1);
    auto taken = registry.add(record("again"));
    ASSERT_TRUE(taken) << taken.error().to_string();
    EXPECT_EQ(registry.list().size(), 2u);
}

// Each member is read strictly: a wrong type is damage, named with its path,
// where the old reader took a default or dropped the entry as stale.
TEST_F(VmRegistryTest, DamagedEntriesNameTheFileAndTheMember) {
    VmRegistry registry(m_root);
    const std::pair<const char*, const char*> cases[] = {
        {"array", "[]"},
        {"noname", R"({"pid": 1, "pidStartTime": 1})"},
        {"badpid", R"({"name": "badpid", "pid": "one", "pidStartTime": 1})"},
        {"badcpus", R"({"name": "badcpus", "pid": 1, "pidStartTime": 1, "cpus": -2})"},
        {"other", R"({"name": "someone", "pid": 1, "pidStartTime": 1})"},
        {"truncated", R"({"name": "trunc)"},
    };
    for (const auto& [name, text] : cases) {
        std::filesystem::create_directories(m_root + "/" + name);
        std::ofstream(m_root + "/" + name + "/state.json") << text;
    }
    auto listed = registry.scan();
    EXPECT_TRUE(listed.records.empty());
    ASSERT_EQ(listed.damaged.size(), std::size(cases));
    std::string all;
    for (const auto& error : listed.damaged) {
        EXPECT_EQ(error.kind(), Error::Kind::Damaged);
        EXPECT_EQ(error.to_string().find('\n'), std::string::npos);
        all += error.to_string() + "\n";
    }
    for (const char* expected :
         {"must be an object", "name: required", "pid: must be an integer",
          "cpus: must be an integer", "names VM \"someone\"", "not valid JSON"})
        EXPECT_NE(all.find(expected), std::string::npos) << expected << " in\n" << all;
    for (const auto& [name, text] : cases)
        EXPECT_TRUE(std::filesystem::exists(m_root + "/" + name + "/state.json")) << name;
}

TEST_F(VmRegistryTest, DirectoryWithoutStateIsNoVm) {
    // add() renames an entry into place whole, so a directory without
    // state.json was left by a twinbox that died while it registered.
    VmRegistry registry(m_root);
    std::filesystem::create_directories(m_root + "/half");
    auto found = registry.find("half");
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().to_string().find("is gone"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(m_root + "/half"));
    std::filesystem::create_directories(m_root + "/other");
    EXPECT_TRUE(registry.list().empty());
    EXPECT_FALSE(std::filesystem::exists(m_root + "/other"));
}

TEST_F(VmRegistryTest, StagingDirectoriesOfLiveProcessesStayAndAbandonedOnesGo) {
    VmRegistry registry(m_root);
    std::string live = m_root + "/.adding-" + std::to_string(::getpid()) + "-abc";
    std::string dead = m_root + "/.adding-" + std::to_string(dead_pid()) + "-abc";
    std::string old = m_root + "/.adding-" + std::to_string(::getpid()) + "-old";
    std::string garbage = m_root + "/.adding-x";
    for (const auto& path : {live, dead, old, garbage}) std::filesystem::create_directories(path);
    struct utimbuf long_ago {
        ::time(nullptr) - 3600, ::time(nullptr) - 3600
    };
    ASSERT_EQ(::utime(old.c_str(), &long_ago), 0);
    EXPECT_TRUE(registry.list().empty());        // never listed as VMs
    EXPECT_TRUE(std::filesystem::exists(live));  // maybe still registering
    EXPECT_FALSE(std::filesystem::exists(dead));
    EXPECT_FALSE(std::filesystem::exists(old));  // its PID may have been reused
    EXPECT_FALSE(std::filesystem::exists(garbage));
}

TEST_F(VmRegistryTest, AFailedRegistrationLeavesNoStagingDirectory) {
    VmRegistry registry(m_root);
    auto first = registry.add(record("taken"));
    ASSERT_TRUE(first);
    EXPECT_FALSE(registry.add(record("taken")));
    size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(m_root))
        ++entries;
    EXPECT_EQ(entries, 1u);  // "taken" only
}

TEST_F(VmRegistryTest, SocketPathsThatDoNotFitAreRefused) {
    VmRegistry registry(m_root + "/" + std::string(100, 'd'));
    auto registration = registry.add(record("demo"));
    ASSERT_FALSE(registration);
    EXPECT_NE(registration.error().to_string().find("too long"), std::string::npos);
}

}  // namespace
}  // namespace twinbox
