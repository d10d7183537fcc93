// The instance type table and the capacity check (see instance_types.h).
#include "cloud/instance_types.h"

#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <sstream>

#include "cloud/aws_error.h"
#include "common/file.h"

namespace twinbox::cloud {
namespace {

// Small types only: a student's laptop is the region.
constexpr std::array kTypes{
    InstanceType{"t2.nano", 1, 512, true},     InstanceType{"t2.micro", 1, 1024, true},
    InstanceType{"t2.small", 1, 2048, true},   InstanceType{"t3.nano", 2, 512, true},
    InstanceType{"t3.micro", 2, 1024, true},   InstanceType{"t3.small", 2, 2048, true},
    InstanceType{"t3.medium", 2, 4096, true},  InstanceType{"t3.large", 2, 8192, true},
    InstanceType{"m5.large", 2, 8192, false},  InstanceType{"c5.large", 2, 4096, false},
    InstanceType{"r5.large", 2, 16384, false}, InstanceType{"c5.xlarge", 4, 8192, false},
};

// cgroup v2's default cpu.max period.
constexpr uint64_t kCpuPeriodUs = 100000;

}  // namespace

std::span<const InstanceType> instance_types() {
    return kTypes;
}

const InstanceType* find_instance_type(std::string_view name) {
    for (const auto& type : kTypes)
        if (type.name == name)
            return &type;
    return nullptr;
}

nlohmann::json describe_instance_type(const InstanceType& type) {
    return {
        {"InstanceType", type.name},
        {"CurrentGeneration", true},
        {"FreeTierEligible", type.name == "t2.micro" || type.name == "t3.micro"},
        {"SupportedUsageClasses", {"on-demand"}},
        {"SupportedRootDeviceTypes", {"ebs"}},
        {"SupportedVirtualizationTypes", {"hvm"}},
        {"BareMetal", false},
        {"Hypervisor", "kvm"},
        {"ProcessorInfo", {{"SupportedArchitectures", {"x86_64"}}}},
        {"VCpuInfo",
         {{"DefaultVCpus", type.vcpus},
          {"DefaultCores", type.vcpus},
          {"DefaultThreadsPerCore", 1}}},
        {"MemoryInfo", {{"SizeInMiB", type.memory_mib}}},
        {"InstanceStorageSupported", false},
        {"BurstablePerformanceSupported", type.burstable},
    };
}

VmShape vm_shape(const InstanceType& type) {
    return {type.vcpus, type.memory_mib};
}

ContainerLimits container_limits(const InstanceType& type) {
    return {type.vcpus * kCpuPeriodUs, kCpuPeriodUs, type.memory_mib << 20};
}

std::optional<uint64_t> mem_available_mib(std::string_view meminfo) {
    std::istringstream lines{std::string(meminfo)};
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (lines >> key >> kib >> unit)
        if (key == "MemAvailable:")
            return kib / 1024;
    return std::nullopt;
}

Result<HostCapacity> host_capacity() {
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        return Error::from_errno("sysconf(_SC_NPROCESSORS_ONLN)", "counting host CPUs");
    auto meminfo = TRY(read_text_file("/proc/meminfo", "/proc/meminfo", 1 << 20));
    auto available = mem_available_mib(meminfo);
    if (!available)
        return Error::message("/proc/meminfo has no MemAvailable line");
    return HostCapacity{static_cast<unsigned>(cpus), *available};
}

Result<const InstanceType*> check_capacity(std::string_view type_name, const HostCapacity& host) {
    const InstanceType* type = find_instance_type(type_name);
    if (!type)
        return aws_error("InvalidParameterValue",
                         fmt::format("Invalid value '{}' for InstanceType.", type_name));
    auto insufficient = [&](std::string need, std::string have) {
        return aws_error(
            "InsufficientInstanceCapacity",
            fmt::format(
                "There is not enough capacity to fulfill your request: {} needs {}, this host has {}.",
                type->name, need, have));
    };
    if (type->vcpus > host.cpus)
        return insufficient(fmt::format("{} vCPUs", type->vcpus),
                            fmt::format("{} CPUs", host.cpus));
    if (type->memory_mib > host.available_memory_mib)
        return insufficient(fmt::format("{} MiB", type->memory_mib),
                            fmt::format("{} MiB available", host.available_memory_mib));
    return type;
}

// EC2 names every unknown type in one message.
Result<nlohmann::json> describe_instance_types(const std::vector<std::string>& names) {
    nlohmann::json list = nlohmann::json::array();
    if (names.empty()) {
        for (const auto& type : instance_types()) list.push_back(describe_instance_type(type));
        return list;
    }
    std::string unknown;
    for (const auto& name : names) {
        if (const auto* type = find_instance_type(name))
            list.push_back(describe_instance_type(*type));
        else
            unknown += (unknown.empty() ? "" : ", ") + name;
    }
    if (!unknown.empty())
        return aws_error(
            "InvalidInstanceType",
            fmt::format("The following supplied instance types do not exist: [{}]", unknown));
    return list;
}

}  // namespace twinbox::cloud
