// The instance type table, its describe shape, the VM and container mapping,
// and the capacity check.
#include "cloud/instance_types.h"

#include <gtest/gtest.h>

#include <set>

#include "cloud/aws_error.h"

namespace twinbox::cloud {

TEST(CloudInstanceTypes, TableHasEc2Sizes) {
    EXPECT_GE(instance_types().size(), 10u);
    std::set<std::string_view> names;
    for (const auto& type : instance_types())
        EXPECT_TRUE(names.insert(type.name).second) << type.name;
    auto* nano = find_instance_type("t3.nano");
    ASSERT_NE(nano, nullptr);
    EXPECT_EQ(nano->vcpus, 2u);
    EXPECT_EQ(nano->memory_mib, 512u);
    EXPECT_EQ(find_instance_type("t2.micro")->vcpus, 1u);
    EXPECT_EQ(find_instance_type("r5.large")->memory_mib, 16384u);
    EXPECT_EQ(find_instance_type("t9.huge"), nullptr);
}

TEST(CloudInstanceTypes, DescribeShape) {
    auto json = describe_instance_type(*find_instance_type("t3.micro"));
    EXPECT_EQ(json["InstanceType"], "t3.micro");
    EXPECT_EQ(json["VCpuInfo"]["DefaultVCpus"], 2);
    EXPECT_EQ(json["MemoryInfo"]["SizeInMiB"], 1024);
    EXPECT_EQ(json["SupportedVirtualizationTypes"][0], "hvm");
}

TEST(CloudInstanceTypes, VmAndContainerMapping) {
    const auto& small = *find_instance_type("t3.small");
    EXPECT_EQ(vm_shape(small).cpus, 2u);
    EXPECT_EQ(vm_shape(small).memory_mib, 2048u);
    auto limits = container_limits(small);
    EXPECT_EQ(limits.cpu_quota_us, 200000u);
    EXPECT_EQ(limits.cpu_period_us, 100000u);
    EXPECT_EQ(limits.memory_bytes, 2048ull << 20);
}

TEST(CloudInstanceTypes, CapacityCheck) {
    HostCapacity host{2, 3000};
    EXPECT_TRUE(check_capacity("t3.small", host));
    auto too_much_memory = check_capacity("t3.medium", host);
    ASSERT_FALSE(too_much_memory);
    EXPECT_EQ(aws_error_code(too_much_memory.error()), "InsufficientInstanceCapacity");
    EXPECT_NE(too_much_memory.error().context().find("4096 MiB"), std::string::npos);
    auto too_many_cpus = check_capacity("c5.xlarge", HostCapacity{2, 100000});
    ASSERT_FALSE(too_many_cpus);
    EXPECT_EQ(aws_error_code(too_many_cpus.error()), "InsufficientInstanceCapacity");
    EXPECT_NE(too_many_cpus.error().context().find("4 vCPUs"), std::string::npos);
    EXPECT_EQ(aws_error_code(check_capacity("t9.huge", host).error()), "InvalidParameterValue");
}

TEST(CloudInstanceTypes, MemAvailable) {
    EXPECT_EQ(
        mem_available_mib("MemTotal: 8000000 kB\nMemFree: 100 kB\nMemAvailable: 2097152 kB\n"),
        2048u);
    EXPECT_FALSE(mem_available_mib("MemTotal: 1 kB\n"));
    auto host = host_capacity();
    ASSERT_TRUE(host) << host.error().to_string();
    EXPECT_GE(host->cpus, 1u);
    EXPECT_GT(host->available_memory_mib, 0u);
}

}  // namespace twinbox::cloud
