// From linux.resources to cgroup files, for v1 and v2 (pure computation).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "container/cgroups/cgroup.h"

namespace twinbox::container {
namespace {

std::vector<std::string> render(const std::vector<CgroupWrite>& writes) {
    std::vector<std::string> lines;
    for (const auto& write : writes)
        lines.push_back(write.controller + "/" + write.file + "=" + write.value);
    return lines;
}

oci::Resources memory(int64_t limit, std::optional<int64_t> swap = std::nullopt) {
    oci::Resources resources;
    resources.memory = oci::MemoryResources{};
    resources.memory->limit = limit;
    resources.memory->swap = swap;
    return resources;
}

TEST(CgroupLimits, MemoryV1SetsTheLimitBeforeMemsw) {
    auto writes = cgroup_writes(CgroupVersion::V1, memory(1 << 20, 2 << 20));
    ASSERT_TRUE(writes);
    EXPECT_THAT(render(*writes),
                ::testing::ElementsAre("memory/memory.limit_in_bytes=1048576",
                                       "memory/memory.memsw.limit_in_bytes=2097152"));
}

TEST(CgroupLimits, MemoryV2CountsSwapAlone) {
    auto writes = cgroup_writes(CgroupVersion::V2, memory(1 << 20, 3 << 20));
    ASSERT_TRUE(writes);
    EXPECT_THAT(render(*writes), ::testing::ElementsAre("memory/memory.max=1048576",
                                                        "memory/memory.swap.max=2097152"));
    auto unlimited = cgroup_writes(CgroupVersion::V2, memory(-1, -1));
    EXPECT_THAT(render(*unlimited),
                ::testing::ElementsAre("memory/memory.max=max", "memory/memory.swap.max=max"));
}

TEST(CgroupLimits, SwapBelowMemoryIsRejected) {
    auto writes = cgroup_writes(CgroupVersion::V1, memory(4 << 20, 1 << 20));
    ASSERT_FALSE(writes);
    EXPECT_NE(writes.error().to_string().find("--memory-swap"), std::string::npos);
}

TEST(CgroupLimits, CpuQuotaAndShares) {
    oci::Resources resources;
    resources.cpu = oci::CpuResources{};
    resources.cpu->shares = 512;
    resources.cpu->quota = 150000;
    resources.cpu->period = 100000;
    EXPECT_THAT(render(*cgroup_writes(CgroupVersion::V1, resources)),
                ::testing::ElementsAre("cpu/cpu.shares=512", "cpu/cpu.cfs_period_us=100000",
                                       "cpu/cpu.cfs_quota_us=150000"));
    EXPECT_THAT(render(*cgroup_writes(CgroupVersion::V2, resources)),
                ::testing::ElementsAre("cpu/cpu.weight=20", "cpu/cpu.max=150000 100000"));
}

TEST(CgroupLimits, DockerCpusArithmetic) {
    EXPECT_EQ(cpus_to_quota(1.5), (std::pair<int64_t, uint64_t>{150000, 100000}));
    EXPECT_EQ(cpus_to_quota(0.01), (std::pair<int64_t, uint64_t>{1000, 100000}));
}

TEST(CgroupLimits, SharesToWeightMatchesRunc) {
    EXPECT_EQ(shares_to_weight(2), 1u);
    EXPECT_EQ(shares_to_weight(1024), 39u);
    EXPECT_EQ(shares_to_weight(262144), 10000u);
}

TEST(CgroupLimits, PidsAndBlockIoWeight) {
    oci::Resources resources;
    resources.pids = oci::PidsResources{64};
    resources.block_io.emplace();
    resources.block_io->weight = 500;
    auto v1 = *cgroup_writes(CgroupVersion::V1, resources);
    EXPECT_THAT(render(v1), ::testing::ElementsAre("pids/pids.max=64", "blkio/blkio.weight=500"));
    // Never "optional": a host without the file refuses it (see CgroupOnDisk below).
    EXPECT_FALSE(v1[1].optional);
    resources.pids->limit = 0;
    EXPECT_EQ(render(*cgroup_writes(CgroupVersion::V2, resources))[0], "pids/pids.max=max");
}

TEST(CgroupLimits, DeviceRulesV1AllowTheDefaultDevicesAfterTheSpecs) {
    oci::Resources resources;
    resources.devices = {{.allow = false, .type = "a", .major = {}, .minor = {}, .access = "rwm"}};
    auto lines = render(*cgroup_writes(CgroupVersion::V1, resources));
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines[0], "devices/devices.deny=a *:* rwm");
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=c 1:3 rwm"));
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=c 136:* rwm"));
}

// docs/container.md: runc's default "c *:* m" and "b *:* m" were missing.
TEST(CgroupLimits, DeviceRulesV1LetAnyNodeBeCreatedButNotOpened) {
    oci::Resources resources;
    resources.devices = {{.allow = false, .type = "a", .major = {}, .minor = {}, .access = "rwm"}};
    auto lines = render(*cgroup_writes(CgroupVersion::V1, resources));
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=c *:* m"));
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=b *:* m"));
}

// docs/container.md: linux.devices nodes were never allowed, so mknod failed with EPERM.
TEST(CgroupLimits, SpecDevicesAreAddedToTheAllowList) {
    oci::Linux linux;
    linux.resources = oci::Resources{};
    linux.resources->devices = {
        {.allow = false, .type = "a", .major = {}, .minor = {}, .access = "rwm"}};
    linux.devices = {{"/dev/fuse", 'c', 10, 229, {}, {}, {}},
                     {"/dev/loop9", 'b', 7, 9, {}, {}, {}},
                     {"/dev/pipe", 'p', 0, 0, {}, {}, {}}};
    auto lines = render(*cgroup_writes(CgroupVersion::V1, resources_with_devices(linux)));
    EXPECT_EQ(lines[0], "devices/devices.deny=a *:* rwm");
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=c 10:229 rwm"));
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=b 7:9 rwm"));
    EXPECT_EQ(std::count_if(
                  lines.begin(), lines.end(),
                  [](const std::string& line) { return line.find("0:0") != std::string::npos; }),
              0);
}

TEST(CgroupLimits, UnifiedFilesNeedV2) {
    oci::Resources resources;
    resources.unified["memory.high"] = "1000000";
    EXPECT_FALSE(cgroup_writes(CgroupVersion::V1, resources));
    EXPECT_THAT(render(*cgroup_writes(CgroupVersion::V2, resources)),
                ::testing::ElementsAre("unified/memory.high=1000000"));
}

TEST(CgroupLimits, WholeBlockIo) {
    oci::Resources resources;
    resources.block_io = oci::BlockIoResources{};
    resources.block_io->leaf_weight = 300;
    resources.block_io->weight_device = {
        {.major = 8, .minor = 0, .weight = 500, .leaf_weight = {}}};
    resources.block_io->throttle_read_bps = {{.major = 8, .minor = 0, .rate = 1048576}};
    resources.block_io->throttle_write_iops = {{.major = 8, .minor = 16, .rate = 100}};
    EXPECT_THAT(
        render(*cgroup_writes(CgroupVersion::V1, resources)),
        ::testing::ElementsAre("blkio/blkio.leaf_weight=300", "blkio/blkio.weight_device=8:0 500",
                               "blkio/blkio.throttle.read_bps_device=8:0 1048576",
                               "blkio/blkio.throttle.write_iops_device=8:16 100"));
    EXPECT_THAT(render(*cgroup_writes(CgroupVersion::V2, resources)),
                ::testing::ElementsAre("io/io.bfq.weight=8:0 500", "io/io.max=8:0 rbps=1048576",
                                       "io/io.max=8:16 wiops=100"));
}

TEST(CgroupLimits, HugepagesAndNetwork) {
    oci::Resources resources;
    resources.hugepage_limits = {{"2MB", 4194304}};
    resources.network = oci::NetworkResources{.class_id = 0x100001, .priorities = {{"eth0", 5}}};
    EXPECT_THAT(render(*cgroup_writes(CgroupVersion::V1, resources)),
                ::testing::ElementsAre("hugetlb/hugetlb.2MB.limit_in_bytes=4194304",
                                       "net_cls/net_cls.classid=1048577",
                                       "net_prio/net_prio.ifpriomap=eth0 5"));
    auto v2 = cgroup_writes(CgroupVersion::V2, resources);
    ASSERT_FALSE(v2);
    EXPECT_NE(v2.error().to_string().find("net_cls"), std::string::npos);
    resources.network.reset();
    EXPECT_THAT(render(*cgroup_writes(CgroupVersion::V2, resources)),
                ::testing::ElementsAre("hugetlb/hugetlb.2MB.max=4194304"));
}

TEST(CgroupLimits, NoResourcesNoWrites) {
    EXPECT_TRUE(cgroup_writes(CgroupVersion::V1, {})->empty());
}

// Cgroup::create against a directory tree laid out like v1 cgroupfs, so the
// file system side runs without root: refusals and cpuset inheritance.
class CgroupOnDisk : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-cgroup-test.XXXXXX";
        m_root = ::mkdtemp(pattern);
        for (const char* controller : {"blkio", "cpuset", "pids"})
            std::filesystem::create_directories(m_root + "/" + controller);
        m_layout.mount_root = m_root;
        m_layout.v1_controllers = {"blkio", "cpuset", "pids"};
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }
    void write(const std::string& path, const std::string& text) {
        std::ofstream(m_root + "/" + path) << text;
    }
    std::string read(const std::string& path) {
        std::stringstream text;
        text << std::ifstream(m_root + "/" + path).rdbuf();
        return text.str();
    }
    std::string m_root;
    CgroupLayout m_layout;
};

TEST_F(CgroupOnDisk, RefusesWhatTheHostCannotApply) {
    // This machine's blkio has no weight files and there is no v1 hugetlb.
    oci::Resources weight;
    weight.block_io.emplace();
    weight.block_io->weight = 500;
    auto created = Cgroup::create(m_layout, "/c1", weight);
    ASSERT_FALSE(created);
    EXPECT_EQ(
        created.error().to_string().find(
            "cannot set blkio.weight to 500: this host's blkio cgroup has no blkio.weight file"),
        0u)
        << created.error().to_string();
    oci::Resources hugepages;
    hugepages.hugepage_limits = {{"2MB", 4194304}};
    created = Cgroup::create(m_layout, "/c2", hugepages);
    ASSERT_FALSE(created);
    EXPECT_NE(created.error().to_string().find("no v1 hugetlb controller"), std::string::npos);
}

TEST_F(CgroupOnDisk, NewCpusetCgroupsInheritCpusAndMems) {
    write("cpuset/cpuset.cpus", "0-1\n");
    write("cpuset/cpuset.mems", "0\n");
    // cgroupfs makes these files, empty, with each directory.
    for (const char* dir : {"cpuset/docker", "cpuset/docker/c1"}) {
        std::filesystem::create_directories(m_root + "/" + dir);
        write(std::string(dir) + "/cpuset.cpus", "");
        write(std::string(dir) + "/cpuset.mems", "");
    }
    oci::Resources resources;
    auto created = Cgroup::create(m_layout, "/docker/c1", resources);
    ASSERT_TRUE(created) << created.error().to_string();
    EXPECT_EQ(read("cpuset/docker/cpuset.cpus"), "0-1\n");
    EXPECT_EQ(read("cpuset/docker/c1/cpuset.mems"), "0\n");
    created->keep();
}

}  // namespace
}  // namespace twinbox::container
