// The root file system steps (container/mounts) against the recording fake:
// which mounts, in which order, with which flags - no root needed.
#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "container/mounts/mount_options.h"
#include "container/mounts/rootfs.h"
#include "tests/unit/container/recording_syscalls.h"

namespace twinbox::container {
namespace {

using ::testing::ElementsAre;
using testing::RecordingSyscalls;

std::string hex(unsigned long flags) {
    return fmt::format("{:#x}", flags);
}

TEST(MountOptions, FlagsDataAndPropagation) {
    auto options =
        parse_mount_options({"nosuid", "noexec", "ro", "mode=755", "size=65536k", "rslave"});
    EXPECT_EQ(options.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_RDONLY));
    EXPECT_EQ(options.data, "mode=755,size=65536k");
    EXPECT_EQ(options.propagation, static_cast<unsigned long>(MS_SLAVE));
    EXPECT_TRUE(options.recursive);
    EXPECT_FALSE(options.bind);
}

TEST(MountOptions, LaterOptionsWinAndBindIsSeparate) {
    auto options = parse_mount_options({"ro", "rw", "rbind", "suid", "nosuid"});
    EXPECT_FALSE(options.readonly());
    EXPECT_EQ(options.flags, static_cast<unsigned long>(MS_NOSUID));
    EXPECT_TRUE(options.bind);
    EXPECT_TRUE(options.recursive);
    EXPECT_EQ(options.data, "");
}

TEST(RootfsPlan, PrivatePropagationFirst) {
    RecordingSyscalls sys;
    ASSERT_TRUE(make_mounts_private("", sys));
    EXPECT_THAT(sys.calls,
                ElementsAre(fmt::format("mount(, /, , {}, )", hex(MS_REC | MS_PRIVATE))));
    EXPECT_FALSE(make_mounts_private("sideways", sys));
}

TEST(RootfsPlan, PlainDirectoryIsBoundOntoItself) {
    RecordingSyscalls sys;
    ASSERT_TRUE(mount_root("/r", {}, sys));
    EXPECT_THAT(sys.calls,
                ElementsAre(fmt::format("mount(/r, /r, , {}, )", hex(MS_BIND | MS_REC))));
}

TEST(RootfsPlan, OverlayListsLowerDirsTopFirst) {
    RecordingSyscalls sys;
    RootfsLayers layers{{"/layers/top", "/layers/base"}, "/c/upper", "/c/work"};
    ASSERT_TRUE(mount_root("/c/merged", layers, sys));
    EXPECT_THAT(
        sys.calls,
        ElementsAre(
            "mount(overlay, /c/merged, overlay, 0x0, lowerdir=/layers/top:/layers/base,upperdir=/c/upper,workdir=/c/work)"));
}

TEST(RootfsPlan, SpecMountsInOrderWithTheirFlags) {
    RecordingSyscalls sys;
    std::vector<oci::Mount> mounts = {
        {"/proc", "proc", "proc", {}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755"}},
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
    };
    ASSERT_TRUE(mount_spec_mounts("/r", mounts, {}, sys));
    EXPECT_THAT(sys.matching("mount"),
                ElementsAre("mount(proc, /r/proc, proc, 0x0, )",
                            fmt::format("mount(tmpfs, /r/dev, tmpfs, {}, mode=755)",
                                        hex(MS_NOSUID | MS_STRICTATIME)),
                            fmt::format("mount(sysfs, /r/sys, sysfs, {}, )",
                                        hex(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY))));
    EXPECT_EQ(sys.matching("mkdir -p(/r/proc").size(), 1u);
}

TEST(RootfsPlan, ReadOnlyBindNeedsASecondRemountCall) {
    RecordingSyscalls sys;
    sys.files["/host/data"] = Syscalls::FileKind::Directory;
    ASSERT_TRUE(
        mount_spec_mounts("/r", {{"/data", "bind", "/host/data", {"rbind", "ro"}}}, {}, sys));
    EXPECT_THAT(
        sys.matching("mount"),
        ElementsAre(
            fmt::format("mount(/host/data, /r/data, , {}, )", hex(MS_BIND | MS_REC)),
            fmt::format("mount(, /r/data, , {}, )", hex(MS_BIND | MS_REMOUNT | MS_RDONLY))));
}

TEST(RootfsPlan, BindOfAFileCreatesAFileMountPoint) {
    RecordingSyscalls sys;
    sys.files["/etc/resolv.conf"] = Syscalls::FileKind::Other;
    ASSERT_TRUE(mount_spec_mounts(
        "/r", {{"/etc/resolv.conf", "bind", "/etc/resolv.conf", {"bind"}}}, {}, sys));
    EXPECT_EQ(sys.matching("touch(/r/etc/resolv.conf").size(), 1u);
}

TEST(RootfsPlan, MissingBindSourceIsAClearError) {
    RecordingSyscalls sys;
    auto result = mount_spec_mounts("/r", {{"/data", "bind", "/nonexistent", {"rbind"}}}, {}, sys);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().to_string().find("/nonexistent does not exist"), std::string::npos);
}

TEST(RootfsPlan, DestinationsCannotEscapeTheRoot) {
    RecordingSyscalls sys;
    EXPECT_FALSE(mount_spec_mounts("/r", {{"/../etc", "tmpfs", "tmpfs", {}}}, {}, sys));
    EXPECT_FALSE(mount_spec_mounts("/r", {{"relative", "tmpfs", "tmpfs", {}}}, {}, sys));
    EXPECT_TRUE(sys.matching("mount").empty());
}

TEST(RootfsPlan, CgroupV1IsATmpfsWithEachControllerBound) {
    RecordingSyscalls sys;
    CgroupMountSource cgroups;
    cgroups.v1_controllers = {{"memory", "/sys/fs/cgroup/memory/twinbox/c1"}};
    ASSERT_TRUE(
        mount_spec_mounts("/r", {{"/sys/fs/cgroup", "cgroup", "cgroup", {"ro"}}}, cgroups, sys));
    auto mounts = sys.matching("mount");
    ASSERT_EQ(mounts.size(), 4u);
    EXPECT_TRUE(mounts[0].starts_with("mount(tmpfs, /r/sys/fs/cgroup, tmpfs"));
    EXPECT_TRUE(
        mounts[1].starts_with("mount(/sys/fs/cgroup/memory/twinbox/c1, /r/sys/fs/cgroup/memory, "));
}

TEST(RootfsPlan, PivotRootThenDetachTheOldRoot) {
    RecordingSyscalls sys;
    ASSERT_TRUE(pivot_into("/r", sys));
    EXPECT_THAT(sys.calls, ElementsAre("chdir(/r)", "pivot_root(., .)",
                                       fmt::format("mount(, ., , {}, )", hex(MS_SLAVE | MS_REC)),
                                       fmt::format("umount(., {})", hex(MNT_DETACH)), "chdir(/)"));
}

TEST(RootfsPlan, RamfsRootFallsBackToMoveAndChroot) {
    RecordingSyscalls sys;
    sys.failures["pivot_root"] = EINVAL;
    ASSERT_TRUE(pivot_into("/r", sys));
    EXPECT_THAT(sys.calls, ElementsAre("chdir(/r)", "pivot_root(., .)",
                                       fmt::format("mount(/r, /, , {}, )", hex(MS_MOVE)),
                                       "chroot(.)", "chdir(/)"));
}

TEST(RootfsPlan, OtherPivotErrorsAreReported) {
    RecordingSyscalls sys;
    sys.failures["pivot_root"] = EPERM;
    EXPECT_FALSE(pivot_into("/r", sys));
}

TEST(RootfsPlan, DevGetsTheDefaultNodesAndLinks) {
    RecordingSyscalls sys;
    ASSERT_TRUE(populate_dev("/r", {}, false, sys));
    auto nodes = sys.matching("mknod");
    ASSERT_EQ(nodes.size(), 6u);
    EXPECT_EQ(nodes[0], "mknod(/r/dev/null, 20666, 0x103)");  // S_IFCHR|0666, makedev(1, 3)
    auto links = sys.matching("symlink");
    EXPECT_THAT(
        links,
        ElementsAre("symlink(/proc/self/fd, /r/dev/fd)", "symlink(/proc/self/fd/0, /r/dev/stdin)",
                    "symlink(/proc/self/fd/1, /r/dev/stdout)",
                    "symlink(/proc/self/fd/2, /r/dev/stderr)", "symlink(pts/ptmx, /r/dev/ptmx)"));
}

// docs/security.md D5: mknod(2) applies the caller's umask, so /dev/null came out
// 0644 (unwritable for a non-root workload): every node is chmod'ed to
// exactly 0666 and owned by root.
TEST(RootfsPlan, DefaultDevicesGetExactly0666WhateverTheUmask) {
    RecordingSyscalls sys;
    ASSERT_TRUE(populate_dev("/r", {}, false, sys));
    EXPECT_THAT(sys.matching("chmod"),
                ElementsAre("chmod(/r/dev/null, 666)", "chmod(/r/dev/zero, 666)",
                            "chmod(/r/dev/full, 666)", "chmod(/r/dev/random, 666)",
                            "chmod(/r/dev/urandom, 666)", "chmod(/r/dev/tty, 666)"));
    EXPECT_EQ(sys.matching("chown(/r/dev/null, 0, 0)").size(), 1u);
}

// docs/container.md: linux.devices fileMode, uid and gid were ignored.
TEST(RootfsPlan, SpecDevicesGetTheirModeAndOwner) {
    RecordingSyscalls sys;
    oci::Device fuse{"/dev/fuse", 'c', 10, 229, 0620, 1000, 5};
    ASSERT_TRUE(populate_dev("/r", {fuse}, false, sys));
    EXPECT_EQ(sys.matching("mknod(/r/dev/fuse, 20620, 0xae5)").size(), 1u);
    EXPECT_EQ(sys.matching("chmod(/r/dev/fuse, 620)").size(), 1u);
    EXPECT_EQ(sys.matching("chown(/r/dev/fuse, 1000, 5)").size(), 1u);
}

TEST(RootfsPlan, UserNamespacesBindDevicesInsteadOfMknod) {
    RecordingSyscalls sys;
    ASSERT_TRUE(populate_dev("/r", {}, true, sys));
    EXPECT_TRUE(sys.matching("mknod").empty());
    EXPECT_EQ(sys.matching("mount(/dev/null, /r/dev/null").size(), 1u);
}

TEST(RootfsPlan, MaskedAndReadOnlyPaths) {
    RecordingSyscalls sys;
    sys.files["/proc/kcore"] = Syscalls::FileKind::Other;
    sys.files["/sys/firmware"] = Syscalls::FileKind::Directory;
    sys.files["/proc/sys"] = Syscalls::FileKind::Directory;
    oci::Linux linux;
    linux.masked_paths = {"/proc/kcore", "/sys/firmware", "/proc/missing"};
    linux.readonly_paths = {"/proc/sys"};
    ASSERT_TRUE(restrict_paths(linux, true, sys));
    EXPECT_THAT(
        sys.calls,
        ElementsAre(fmt::format("mount(/proc/sys, /proc/sys, , {}, )", hex(MS_BIND | MS_REC)),
                    fmt::format("mount(, /proc/sys, , {}, )",
                                hex(MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                    MS_NOEXEC | MS_REC)),
                    fmt::format("mount(/dev/null, /proc/kcore, , {}, )", hex(MS_BIND)),
                    fmt::format("mount(tmpfs, /sys/firmware, tmpfs, {}, )", hex(MS_RDONLY)),
                    fmt::format("mount(, /, , {}, )", hex(MS_BIND | MS_REMOUNT | MS_RDONLY))));
}

// pivot_root(2) refuses a shared root: shared waits (as slave) until after
// the pivot, unbindable (which mount_root could not bind) as private.
TEST(RootfsPlan, SharedAndUnbindablePropagationAfterThePivot) {
    struct Case {
        const char* propagation;
        unsigned long before, after;
    };
    for (const Case& c : {Case{"shared", MS_REC | MS_SLAVE, MS_SHARED},
                          Case{"rshared", MS_REC | MS_SLAVE, MS_REC | MS_SHARED},
                          Case{"unbindable", MS_REC | MS_PRIVATE, MS_UNBINDABLE},
                          Case{"rslave", MS_REC | MS_SLAVE, 0}, Case{"", MS_REC | MS_PRIVATE, 0}}) {
        RecordingSyscalls sys;
        ASSERT_TRUE(make_mounts_private(c.propagation, sys));
        oci::Linux linux;
        linux.rootfs_propagation = c.propagation;
        ASSERT_TRUE(restrict_paths(linux, false, sys));
        std::vector<std::string> expected = {fmt::format("mount(, /, , {}, )", hex(c.before))};
        if (c.after != 0)
            expected.push_back(fmt::format("mount(, /, , {}, )", hex(c.after)));
        EXPECT_EQ(sys.calls, expected) << c.propagation;
    }
}

TEST(RootfsPlan, UserMountsCannotCoverWhatTheRuntimeMounts) {
    for (const char* destination : {"/", "/proc", "/proc/sys", "/sys", "/dev", "//proc/", "/./sys",
                                    "/dev/pts", "/sys/fs/cgroup"}) {
        auto checked = check_user_destination("-v H:x", destination);
        ASSERT_FALSE(checked) << destination;
        EXPECT_NE(checked.error().to_string().find("cannot mount over"), std::string::npos);
    }
    EXPECT_NE(
        check_user_destination("-v H:/proc", "/proc")
            .error()
            .to_string()
            .find("-v H:/proc: cannot mount over /proc, which the container runtime provides"),
        std::string::npos);
    for (const char* destination : {"/data", "/processes", "/dev/custom", "/sysroot"})
        EXPECT_TRUE(check_user_destination("-v", destination)) << destination;
    EXPECT_FALSE(check_user_destination("-v", "relative"));
}

}  // namespace
}  // namespace twinbox::container
