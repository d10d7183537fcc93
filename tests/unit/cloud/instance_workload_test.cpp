// What an instance type becomes for the instance's workload.
#include "cloud/instance_workload.h"

#include <gtest/gtest.h>

namespace twinbox::cloud {

TEST(InstanceWorkload, ContainerGetsCpuQuotaAndMemoryLimit) {
    LaunchPlan plan{"i-0000000000000000a", "img", workload::Isolation::container,
                    find_instance_type("t3.nano"), "bridge"};
    auto flags = launch_flags(plan);
    EXPECT_TRUE(flags.detach);
    EXPECT_EQ(flags.name, "i-0000000000000000a");
    EXPECT_EQ(flags.network, "bridge");
    EXPECT_EQ(flags.hostname, "i-0000000000000000a");
    ASSERT_TRUE(flags.cpus);
    EXPECT_DOUBLE_EQ(*flags.cpus, 2.0);                   // cpu.max 200000 100000
    EXPECT_EQ(flags.memory, std::to_string(512u << 20));  // memory.max
}

TEST(InstanceWorkload, VmGetsVcpusAndMemory) {
    LaunchPlan plan{"i-0000000000000000a", "img", workload::Isolation::vm,
                    find_instance_type("t3.micro"), "bridge"};
    auto flags = launch_flags(plan);
    ASSERT_TRUE(flags.cpus);
    EXPECT_DOUBLE_EQ(*flags.cpus, 2.0);
    EXPECT_EQ(flags.memory, "1024m");
}

}  // namespace twinbox::cloud
