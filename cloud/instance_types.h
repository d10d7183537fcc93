// Instance types: a fixed table of EC2 types that fit a laptop, what each
// means for a VM (--cpus/--memory) and for a container (cgroup cpu.max and
// memory.max), and the capacity check run before an instance starts.
// Sizes are EC2's own (https://aws.amazon.com/ec2/instance-types/).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::cloud {

struct InstanceType {
    std::string_view name;  // "t3.micro"
    unsigned vcpus;         // VCpuInfo.DefaultVCpus
    uint64_t memory_mib;    // MemoryInfo.SizeInMiB
    bool burstable;         // BurstablePerformanceSupported (t2/t3)
};

std::span<const InstanceType> instance_types();
const InstanceType* find_instance_type(std::string_view name);

// One InstanceTypes[] entry as describe-instance-types returns it.
nlohmann::json describe_instance_type(const InstanceType& type);

// DescribeInstanceTypes: all types, or those named (InvalidInstanceType
// naming every unknown one in one message, as EC2).
Result<nlohmann::json> describe_instance_types(const std::vector<std::string>& names);

// What a VM gets: `twinbox vm run --cpus N --memory M`.
struct VmShape {
    unsigned cpus;
    uint64_t memory_mib;
};
VmShape vm_shape(const InstanceType& type);

// What a container gets: cpu.max "quota period" and memory.max in bytes
// (cgroup v2, Documentation/admin-guide/cgroup-v2.rst).
struct ContainerLimits {
    uint64_t cpu_quota_us;
    uint64_t cpu_period_us;
    uint64_t memory_bytes;
};
ContainerLimits container_limits(const InstanceType& type);

// What the host can give: online CPUs and MemAvailable from /proc/meminfo.
struct HostCapacity {
    unsigned cpus;
    uint64_t available_memory_mib;
};
Result<HostCapacity> host_capacity();
// MemAvailable from a /proc/meminfo text, in MiB.
std::optional<uint64_t> mem_available_mib(std::string_view meminfo);

// Refuses (InsufficientInstanceCapacity, one line) a type larger than the
// host; refuses an unknown name with InvalidParameterValue.
Result<const InstanceType*> check_capacity(std::string_view type_name, const HostCapacity& host);

}  // namespace twinbox::cloud
