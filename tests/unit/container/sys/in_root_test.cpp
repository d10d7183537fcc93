// The in-root resolver (container/sys/in_root.h) on a temporary tree: a root
// directory and, beside it, an "outside" directory standing for the host.
// Whatever the path or the links in the root, nothing may appear outside.
#include "container/sys/in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "container/sys/syscalls.h"

namespace twinbox::container {
namespace {

namespace fs = std::filesystem;

class InRoot : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-in-root-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_base = pattern;
        fs::create_directories(root());
        fs::create_directories(outside());
        std::ofstream(outside() + "/victim") << "secret";
        auto opened = open_root(root());
        ASSERT_TRUE(opened) << opened.error().to_string();
        m_root = std::move(opened.value());
    }
    void TearDown() override {
        // rm, not fs::remove_all: PathsLongerThanPathMax leaves a tree deeper than PATH_MAX.
        EXPECT_EQ(std::system(("rm -rf " + m_base).c_str()), 0);
    }

    std::string root() const { return m_base + "/root"; }
    std::string outside() const { return m_base + "/outside"; }
    void link(const std::string& target, const std::string& name) {
        fs::create_symlink(target, root() + "/" + name);
    }
    // The outside directory holds only the victim, unchanged.
    void expect_outside_untouched() {
        EXPECT_EQ(std::distance(fs::directory_iterator(outside()), {}), 1);
        std::ifstream in(outside() + "/victim");
        EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "secret");
    }
    // The path (relative to the root) of what `fd` names, as the kernel sees it.
    std::string where(const UniqueFd& fd) const {
        std::string path = fs::read_symlink(fd_path(fd.get())).string();
        return path.starts_with(root()) ? path.substr(root().size()) : "OUTSIDE:" + path;
    }

    std::string m_base;
    UniqueFd m_root;
};

TEST_F(InRoot, DotDotStopsAtTheRoot) {
    auto made =
        make_directories_in_root(m_root.get(), "../../../outside/x", 0755, Symlinks::in_root);
    ASSERT_TRUE(made) << made.error().to_string();
    EXPECT_EQ(where(made.value()), "/outside/x");
    auto opened = open_in_root(m_root.get(), "/outside/x/../../../..", Symlinks::in_root);
    ASSERT_TRUE(opened);
    EXPECT_EQ(where(opened.value()), "");
    expect_outside_untouched();
}

TEST_F(InRoot, AbsoluteSymlinkStartsAgainAtTheRoot) {
    link(outside(), "escape");
    EXPECT_FALSE(open_in_root(m_root.get(), "escape/victim", Symlinks::in_root));
    auto file = make_file_in_root(m_root.get(), "/escape/victim", 0644, Symlinks::in_root);
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_EQ(where(file.value()), outside() + "/victim");
    auto directory = make_directories_in_root(m_root.get(), "escape/new", 0755, Symlinks::in_root);
    ASSERT_TRUE(directory);
    EXPECT_EQ(where(directory.value()), outside() + "/new");
    expect_outside_untouched();
}

TEST_F(InRoot, RelativeSymlinkUpwardsIsClamped) {
    link("../../../../..", "up");
    auto file = make_file_in_root(m_root.get(), "up/f", 0600, Symlinks::in_root);
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_EQ(where(file.value()), "/f");
    struct stat status {};
    ASSERT_EQ(::stat((root() + "/f").c_str(), &status), 0);
    EXPECT_TRUE(S_ISREG(status.st_mode));
    EXPECT_EQ(status.st_mode & 0777, 0600u);
    expect_outside_untouched();
}

TEST_F(InRoot, ParentGivesTheDirectoryAndTheName) {
    link(outside(), "escape");
    auto parent = parent_in_root(m_root.get(), "escape/sub/x", 0755, Symlinks::in_root);
    ASSERT_TRUE(parent) << parent.error().to_string();
    EXPECT_EQ(where(parent.value().directory), outside() + "/sub");
    EXPECT_EQ(parent.value().name, "x");
    EXPECT_FALSE(parent_in_root(m_root.get(), "/", 0755, Symlinks::in_root));
    EXPECT_FALSE(parent_in_root(m_root.get(), "a/..", 0755, Symlinks::in_root));
    expect_outside_untouched();
}

TEST_F(InRoot, RefusedSymlinksAreELOOP) {
    fs::create_directories(root() + "/real");
    link("real", "alias");
    auto opened = open_in_root(m_root.get(), "alias", Symlinks::refuse);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), ELOOP);
    auto made = make_directories_in_root(m_root.get(), "alias/x", 0755, Symlinks::refuse);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code(), ELOOP);
    EXPECT_FALSE(fs::exists(root() + "/real/x"));
    EXPECT_TRUE(open_in_root(m_root.get(), "real", Symlinks::refuse));
}

TEST_F(InRoot, SymlinkLoopEndsWithELOOP) {
    link("b", "a");
    link("a", "b");
    link("self/x", "self");
    for (const char* path : {"a", "self/y"}) {
        auto opened = open_in_root(m_root.get(), path, Symlinks::in_root);
        ASSERT_FALSE(opened) << path;
        EXPECT_EQ(opened.error().code(), ELOOP) << path;
        auto made = make_directories_in_root(m_root.get(), path, 0755, Symlinks::in_root);
        ASSERT_FALSE(made) << path;
        EXPECT_EQ(made.error().code(), ELOOP) << path;
    }
}

TEST_F(InRoot, DanglingSymlinkIsCreatedInsideTheRoot) {
    link("/nowhere/target", "dangling");
    auto opened = open_in_root(m_root.get(), "dangling", Symlinks::in_root);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), ENOENT);
    auto file = make_file_in_root(m_root.get(), "dangling", 0644, Symlinks::in_root);
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_EQ(where(file.value()), "/nowhere/target");
    EXPECT_TRUE(fs::is_symlink(root() + "/dangling"));
}

TEST_F(InRoot, FileInTheMiddleIsENOTDIR) {
    std::ofstream(root() + "/file") << "x";
    auto check = [](Result<UniqueFd> result) {
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().code(), ENOTDIR) << result.error().to_string();
    };
    check(open_in_root(m_root.get(), "file/x", Symlinks::in_root));
    check(make_directories_in_root(m_root.get(), "file/x", 0755, Symlinks::in_root));
    check(make_directories_in_root(m_root.get(), "file", 0755, Symlinks::in_root));
    // An existing file is what make_file_in_root wants: kept as it is.
    auto file = make_file_in_root(m_root.get(), "file", 0644, Symlinks::in_root);
    ASSERT_TRUE(file);
    EXPECT_EQ(fs::file_size(root() + "/file"), 1u);
}

TEST_F(InRoot, PathsLongerThanPathMax) {
    std::string path;
    while (path.size() <= PATH_MAX) path += "/a-long-directory-name-for-the-test";
    auto made = make_directories_in_root(m_root.get(), path, 0755, Symlinks::in_root);
    ASSERT_TRUE(made) << made.error().to_string();
    auto opened = open_in_root(m_root.get(), path + "/..", Symlinks::in_root);
    ASSERT_TRUE(opened) << opened.error().to_string();
    struct stat a {
    }, b{};
    ASSERT_EQ(::fstat(made.value().get(), &a), 0);
    ASSERT_EQ(::fstat(opened.value().get(), &b), 0);
    EXPECT_EQ(a.st_ino == b.st_ino, false);  // ".." is the parent, a different directory
}

TEST_F(InRoot, ReopenGivesRealAccess) {
    std::ofstream(root() + "/data") << "hello";
    auto opened = open_in_root(m_root.get(), "data", Symlinks::refuse);
    ASSERT_TRUE(opened);
    auto readable = reopen(opened.value().get(), O_RDONLY);
    ASSERT_TRUE(readable);
    char buffer[8] = {};
    EXPECT_EQ(::read(readable.value().get(), buffer, sizeof(buffer)), 5);
    EXPECT_STREQ(buffer, "hello");
}

// The real Syscalls::prepare_target: mount points of an image whose /escape
// is a link to a host directory land beneath the root.
TEST_F(InRoot, MountTargetsThroughImageLinksStayInTheRoot) {
    link(outside(), "escape");
    LinuxSyscalls sys;
    auto directory = sys.prepare_target(root(), "/escape/x", Syscalls::TargetKind::Directory);
    ASSERT_TRUE(directory) << directory.error().to_string();
    EXPECT_EQ(fs::read_symlink(*directory).string(), root() + outside() + "/x");
    auto file = sys.prepare_target(root(), "/escape/victim", Syscalls::TargetKind::File);
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_EQ(fs::read_symlink(*file).string(), root() + outside() + "/victim");
    EXPECT_TRUE(fs::is_regular_file(root() + outside() + "/victim"));
    expect_outside_untouched();
}

}  // namespace
}  // namespace twinbox::container
