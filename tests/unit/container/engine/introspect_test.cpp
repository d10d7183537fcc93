// Looking inside processes from /proc (container/engine/introspect and inspect).
#include "container/engine/introspect.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/engine/inspect.h"

namespace twinbox::container {
namespace {

TEST(Introspect, NamespaceLinksParse) {
    EXPECT_EQ(*parse_namespace_link("net:[4026531840]"), 4026531840u);
    EXPECT_EQ(*parse_namespace_link("pid_for_children:[1]"), 1u);
    for (const char* bad : {"", "net", "net:[]", "net:[12", "net:[1x]", "net:4026531840"})
        EXPECT_FALSE(parse_namespace_link(bad)) << bad;
}

TEST(Introspect, MountinfoFieldsAndEscapes) {
    // proc(5)'s example line, with optional fields, plus a path with a space (\040).
    auto mounts = parse_mountinfo(
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
        "40 36 0:42 / /my\\040dir ro,nosuid shared:7 unbindable - tmpfs tmp\\134fs rw\n"
        "41 36 0:43 / /proc rw - proc proc rw\n");
    ASSERT_TRUE(mounts) << mounts.error().to_string();
    ASSERT_EQ(mounts->size(), 3u);
    EXPECT_EQ((*mounts)[0].mount_point, "/mnt2");
    EXPECT_EQ((*mounts)[0].fs_type, "ext3");
    EXPECT_EQ((*mounts)[0].source, "/dev/root");
    EXPECT_EQ((*mounts)[0].options, "rw,noatime");
    EXPECT_EQ((*mounts)[1].mount_point, "/my dir");
    EXPECT_EQ((*mounts)[1].source, "tmp\\fs");
    EXPECT_EQ((*mounts)[2].fs_type, "proc");
}

TEST(Introspect, MalformedMountinfoIsAnErrorWithTheLine) {
    for (const char* bad : {"36 35 98:0 /mnt1 /mnt2 rw\n", "1 2 3 4 5 6 - ext3\n", "- a b\n"}) {
        auto mounts = parse_mountinfo(bad);
        ASSERT_FALSE(mounts) << bad;
        EXPECT_NE(mounts.error().to_string().find("line 1"), std::string::npos);
    }
    EXPECT_TRUE(parse_mountinfo("")->empty());
}

TEST(Introspect, OwnNamespacesAreSharedWithOurself) {
    auto namespaces = read_namespaces(getpid(), getpid());
    ASSERT_TRUE(namespaces) << namespaces.error().to_string();
    ASSERT_GE(namespaces->size(), 6u);  // cgroup ipc mnt net pid user uts on any kernel >= 4.6
    for (const auto& ns : *namespaces) {
        EXPECT_TRUE(ns.shared_with_host()) << ns.type;
        EXPECT_GT(ns.inode, 0u);
    }
}

TEST(Introspect, ProcessTreeFindsAForkedChild) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    auto tree = read_process_tree(getpid());
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    ASSERT_TRUE(tree) << tree.error().to_string();
    ASSERT_GE(tree->size(), 2u);
    EXPECT_EQ((*tree)[0].host_pid, getpid());
    EXPECT_EQ((*tree)[0].depth, 0);
    bool found = false;
    for (const auto& process : *tree)
        if (process.host_pid == child) {
            found = true;
            EXPECT_EQ(process.parent_host_pid, getpid());
            EXPECT_EQ(process.depth, 1);
        }
    EXPECT_TRUE(found);
}

TEST(Introspect, ProcessTreeOfAMissingPidIsAnError) {
    EXPECT_FALSE(read_process_tree(0x3fffffff));
}

TEST(Inspect, RendersAKnownDocument) {
    nlohmann::json document = {
        {"Id", "abc123"},
        {"Name", "web"},
        {"Args", {"sh", "-c", "sleep 1"}},
        {"State", {{"Status", "running"}, {"Pid", 4242}}},
        {"Namespaces",
         {{"net", {{"Inode", 4026532301u}, {"HostInode", 4026531840u}, {"Isolated", true}}},
          {"user", {{"Inode", 4026531837u}, {"HostInode", 4026531837u}, {"Isolated", false}}}}},
        {"Cgroup",
         {{"Path", "/twinbox/abc123"},
          {"Version", "v1"},
          {"MemoryUsage", 2u << 20},
          {"MemoryLimit", 64u << 20},
          {"PidsCurrent", 2},
          {"PidsLimit", nullptr},
          {"CpuUsageNs", 1500000000u}}},
        {"Processes",
         {{{"HostPid", 4242}, {"Pid", 1}, {"Depth", 0}, {"Command", "sh -c sleep 1"}},
          {{"HostPid", 4250}, {"Pid", 7}, {"Depth", 1}, {"Command", "sleep 1"}}}},
        {"Mounts", {{{"Destination", "/"}, {"Type", "overlay"}, {"Options", "rw,relatime"}}}},
    };
    std::string page = render_inspection(document);
    EXPECT_NE(page.find("Container web (abc123)"), std::string::npos) << page;
    EXPECT_NE(page.find("host PID 4242"), std::string::npos) << page;
    EXPECT_NE(page.find("net      4026532301 : 4026531840  isolated"), std::string::npos) << page;
    EXPECT_NE(page.find("shared with the host"), std::string::npos) << page;
    EXPECT_NE(page.find("memory      2.0 MiB of 64.0 MiB"), std::string::npos) << page;
    EXPECT_NE(page.find("pids        2 of unlimited"), std::string::npos) << page;
    EXPECT_NE(page.find("cpu time    1.500 s"), std::string::npos) << page;
    EXPECT_NE(page.find("   4250     7    sleep 1"), std::string::npos) << page;
    EXPECT_NE(page.find("overlay"), std::string::npos) << page;
}

TEST(Inspect, RenderingAPartialDocumentDoesNotThrow) {
    EXPECT_NO_THROW(render_inspection(nlohmann::json::object()));
    EXPECT_NO_THROW(render_inspection({{"Namespaces", 3}, {"Processes", "x"}, {"Cgroup", {}}}));
}

}  // namespace
}  // namespace twinbox::container
