// One RunRequest from the flags, whatever the isolation (workload/run_request.h).
#include "workload/run_request.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/default_path.h"
#include "tests/unit/workload/workload_fixture.h"

namespace twinbox::workload {
namespace {

using testing::FakeImage;

struct FlagCase {
    const char* what;
    container::RunFlags flags;
};

std::vector<FlagCase> flag_cases() {
    std::vector<FlagCase> cases;
    auto add = [&](const char* what, auto&& set) {
        container::RunFlags flags;
        set(flags);
        cases.push_back({what, flags});
    };
    add("nothing", [](auto&) {});
    add("a command", [](auto& f) { f.command = {"echo", "hi"}; });
    add("-e", [](auto& f) { f.env = {"A=1", "B=2", "A=3"}; });
    add("-e PATH", [](auto& f) { f.env = {"PATH=/mine"}; });
    add("-u name", [](auto& f) { f.user = "alice"; });
    add("-u uid", [](auto& f) { f.user = "1000"; });
    add("-u name:group", [](auto& f) { f.user = "alice:staff"; });
    add("-w", [](auto& f) { f.workdir = "/tmp"; });
    add("-m --cpus", [](auto& f) {
        f.memory = "512m";
        f.cpus = 1.5;
    });
    add("-v", [](auto& f) { f.volumes = {"/tmp:/data:ro"}; });
    add("-it --rm -d --name", [](auto& f) {
        f.interactive = f.tty = f.detach = f.remove = true;
        f.name = "box";
    });
    add("--network -p", [](auto& f) {
        f.network = "bridge";
        f.publish = {"8080:80"};
    });
    return cases;
}

// The same flags give the same request under both isolations: only the
// isolation itself differs.
TEST(RunRequest, SameFlagsSameRequestForBothIsolations) {
    FakeImage image;
    for (const auto& [what, flags] : flag_cases()) {
        SCOPED_TRACE(what);
        auto container = build_run_request(flags, Isolation::container, &image.image);
        auto vm = build_run_request(flags, Isolation::vm, &image.image);
        ASSERT_TRUE(container) << container.error().to_string();
        ASSERT_TRUE(vm) << vm.error().to_string();
        EXPECT_EQ(container->command, vm->command);
        EXPECT_EQ(container->env, vm->env);
        EXPECT_EQ(container->user, vm->user);
        EXPECT_EQ(container->ids, vm->ids);
        EXPECT_EQ(container->workdir, vm->workdir);
        EXPECT_EQ(container->limits.memory_bytes, vm->limits.memory_bytes);
        EXPECT_EQ(container->limits.cpus, vm->limits.cpus);
        EXPECT_EQ(container->volumes.size(), vm->volumes.size());
        EXPECT_EQ(container->network, vm->network);
        EXPECT_EQ(container->publish, vm->publish);
        EXPECT_EQ(container->name, vm->name);
        EXPECT_EQ(container->detach, vm->detach);
        EXPECT_EQ(container->isolation, Isolation::container);
        EXPECT_EQ(vm->isolation, Isolation::vm);
    }
}

struct Expected {
    const char* what;
    container::RunFlags flags;
    std::vector<std::string> command, env;
    uint32_t uid, gid;
    std::string workdir;
};

TEST(RunRequest, ResolvesTheRulesOnce) {
    FakeImage image;
    ::setenv("TWINBOX_TEST_PASSED", "from-host", 1);
    ::unsetenv("TWINBOX_TEST_UNSET");
    auto flags = [](auto&& set) {
        container::RunFlags f;
        set(f);
        return f;
    };
    const Expected cases[] = {
        {"image defaults",
         {},
         {"/entry", "default-cmd"},
         {"PATH=/image/bin", "FROM_IMAGE=1"},
         0,
         0,
         "/srv"},
        {"CMD replaced, ENTRYPOINT kept",
         flags([](auto& f) { f.command = {"x"}; }),
         {"/entry", "x"},
         {"PATH=/image/bin", "FROM_IMAGE=1"},
         0,
         0,
         "/srv"},
        {"-e over the image, -e KEY from our environment, an unset KEY dropped",
         flags([](auto& f) {
             f.env = {"FROM_IMAGE=2", "TWINBOX_TEST_PASSED", "TWINBOX_TEST_UNSET", "PATH=/p"};
         }),
         {"/entry", "default-cmd"},
         {"PATH=/p", "FROM_IMAGE=2", "TWINBOX_TEST_PASSED=from-host"},
         0,
         0,
         "/srv"},
        {"-t adds TERM",
         flags([](auto& f) { f.tty = true; }),
         {"/entry", "default-cmd"},
         {"PATH=/image/bin", "TERM=xterm", "FROM_IMAGE=1"},
         0,
         0,
         "/srv"},
        {"-u NAME from the topmost passwd",
         flags([](auto& f) { f.user = "alice"; }),
         {"/entry", "default-cmd"},
         {"PATH=/image/bin", "FROM_IMAGE=1"},
         1000,
         1001,
         "/srv"},
        {"-u UID not in passwd: group 0",
         flags([](auto& f) { f.user = "4242"; }),
         {"/entry", "default-cmd"},
         {"PATH=/image/bin", "FROM_IMAGE=1"},
         4242,
         0,
         "/srv"},
        {"-u NAME:GROUP",
         flags([](auto& f) { f.user = "alice:staff"; }),
         {"/entry", "default-cmd"},
         {"PATH=/image/bin", "FROM_IMAGE=1"},
         1000,
         50,
         "/srv"},
        {"-w over WorkingDir",
         flags([](auto& f) { f.workdir = "/tmp"; }),
         {"/entry", "default-cmd"},
         {"PATH=/image/bin", "FROM_IMAGE=1"},
         0,
         0,
         "/tmp"},
    };
    for (const auto& expected : cases) {
        SCOPED_TRACE(expected.what);
        for (auto isolation : {Isolation::container, Isolation::vm}) {
            auto request = build_run_request(expected.flags, isolation, &image.image);
            ASSERT_TRUE(request) << request.error().to_string();
            EXPECT_EQ(request->command, expected.command);
            EXPECT_EQ(request->env, expected.env);
            EXPECT_EQ(request->ids.uid, expected.uid);
            EXPECT_EQ(request->ids.gid, expected.gid);
            EXPECT_EQ(request->workdir, expected.workdir);
        }
    }
}

TEST(RunRequest, RefusesTheSameFlagsForBothIsolations) {
    FakeImage image;
    auto flags = [](auto&& set) {
        container::RunFlags f;
        set(f);
        return f;
    };
    const std::pair<const char*, container::RunFlags> refused[] = {
        {"-e =X", flags([](auto& f) { f.env = {"=X"}; })},
        {"-e ''", flags([](auto& f) { f.env = {""}; })},
        {"-w relative", flags([](auto& f) { f.workdir = "tmp"; })},
        {"-u unknown name", flags([](auto& f) { f.user = "nobody-here"; })},
        {"-u unknown group", flags([](auto& f) { f.user = "alice:nogroup"; })},
        {"-m nonsense", flags([](auto& f) { f.memory = "lots"; })},
        {"-v relative", flags([](auto& f) { f.volumes = {"tmp:/data"}; })},
        {"-v bad mode", flags([](auto& f) { f.volumes = {"/tmp:/data:rx"}; })},
    };
    for (const auto& [what, given] : refused) {
        SCOPED_TRACE(what);
        EXPECT_FALSE(build_run_request(given, Isolation::container, &image.image));
        EXPECT_FALSE(build_run_request(given, Isolation::vm, &image.image));
    }
}

TEST(RunRequest, WithoutAnImageTheRootsPasswdAndTheDefaultPath) {
    FakeImage image;
    container::RunFlags flags;
    flags.rootfs = image.root() + "/lower";
    flags.user = "bob";
    auto request = build_run_request(flags, Isolation::container, nullptr);
    ASSERT_TRUE(request) << request.error().to_string();
    EXPECT_EQ(request->command, std::vector<std::string>{"sh"});
    EXPECT_EQ(request->env, std::vector<std::string>{kDefaultPathEnv});
    EXPECT_EQ(request->ids, (image::UserIds{7, 7}));
    EXPECT_EQ(request->workdir, "");
}

TEST(RunRequest, Isolation) {
    EXPECT_EQ(*parse_isolation("vm"), Isolation::vm);
    EXPECT_EQ(*parse_isolation("container"), Isolation::container);
    EXPECT_FALSE(parse_isolation("jail"));
    EXPECT_STREQ(isolation_name(Isolation::vm), "vm");
}

}  // namespace
}  // namespace twinbox::workload
