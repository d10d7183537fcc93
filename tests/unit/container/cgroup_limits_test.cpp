// From linux.resources to cgroup files, for v1 and v2 (pure computation).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

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
    resources.block_io = oci::BlockIoResources{500};
    auto v1 = *cgroup_writes(CgroupVersion::V1, resources);
    EXPECT_THAT(render(v1), ::testing::ElementsAre("pids/pids.max=64", "blkio/blkio.weight=500"));
    EXPECT_TRUE(v1[1].optional);  // this machine's blkio has no weight file
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

// Issue 15: runc's default "c *:* m" and "b *:* m" were missing.
TEST(CgroupLimits, DeviceRulesV1LetAnyNodeBeCreatedButNotOpened) {
    oci::Resources resources;
    resources.devices = {{.allow = false, .type = "a", .major = {}, .minor = {}, .access = "rwm"}};
    auto lines = render(*cgroup_writes(CgroupVersion::V1, resources));
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=c *:* m"));
    EXPECT_THAT(lines, ::testing::Contains("devices/devices.allow=b *:* m"));
}

// Issue 15: linux.devices nodes were never allowed, so mknod failed with EPERM.
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

TEST(CgroupLimits, NoResourcesNoWrites) {
    EXPECT_TRUE(cgroup_writes(CgroupVersion::V1, {})->empty());
}

}  // namespace
}  // namespace twinbox::container
