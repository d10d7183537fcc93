// From linux.resources to cgroup files (config-linux.md "Control groups";
// Documentation/admin-guide/cgroup-v1/*.rst and cgroup-v2.rst).
//
// This is pure computation, so the unit tests can check every mapping
// without touching /sys/fs/cgroup.
#include <fmt/core.h>

#include <cmath>

#include "container/cgroups/cgroup.h"

namespace twinbox::container {

std::pair<int64_t, uint64_t> cpus_to_quota(double cpus) {
    // Docker: period 100 ms, quota = cpus * period. 1.5 CPUs may run 150 ms
    // of CPU time in every 100 ms window (two threads, 75 ms each).
    constexpr uint64_t kPeriod = 100000;
    return {static_cast<int64_t>(std::llround(cpus * kPeriod)), kPeriod};
}

uint64_t shares_to_weight(uint64_t shares) {
    // Maps [2, 262144] linearly onto [1, 10000] (runc's ConvertCPUSharesToCgroupV2Value).
    if (shares == 0)
        return 0;
    if (shares < 2)
        shares = 2;
    return 1 + ((shares - 2) * 9999) / 262142;
}

namespace {

std::string limit_or_max(int64_t value) {
    return value < 0 ? "max" : std::to_string(value);
}

Result<void> memory_writes(CgroupVersion version, const oci::MemoryResources& memory,
                           std::vector<CgroupWrite>& writes) {
    if (memory.limit && memory.swap && *memory.swap >= 0 && *memory.limit >= 0 &&
        *memory.swap < *memory.limit)
        return Error::message(fmt::format(
            "memory+swap limit {} is below the memory limit {} - --memory-swap counts memory plus swap, so it must be at least --memory",
            *memory.swap, *memory.limit));
    if (version == CgroupVersion::V1) {
        // memory.limit_in_bytes first: memsw.limit_in_bytes may never be
        // below it (cgroup-v1/memory.rst 2.5), and starts out unlimited.
        if (memory.limit)
            writes.push_back({"memory", "memory.limit_in_bytes", std::to_string(*memory.limit)});
        if (memory.swap)
            writes.push_back(
                {"memory", "memory.memsw.limit_in_bytes", std::to_string(*memory.swap), true});
        if (memory.reservation)
            writes.push_back(
                {"memory", "memory.soft_limit_in_bytes", std::to_string(*memory.reservation)});
        if (memory.swappiness)
            writes.push_back({"memory", "memory.swappiness", std::to_string(*memory.swappiness)});
        if (memory.disable_oom_killer && *memory.disable_oom_killer)
            writes.push_back({"memory", "memory.oom_control", "1"});
        return ok();
    }
    if (memory.limit)
        writes.push_back({"memory", "memory.max", limit_or_max(*memory.limit)});
    if (memory.swap) {
        // v2 counts swap alone; the spec (like v1) counts memory + swap.
        std::string swap = "max";
        if (*memory.swap >= 0 && memory.limit && *memory.limit >= 0)
            swap = std::to_string(*memory.swap - *memory.limit);
        writes.push_back({"memory", "memory.swap.max", swap, true});
    }
    if (memory.reservation)
        writes.push_back({"memory", "memory.low", std::to_string(*memory.reservation)});
    return ok();
}

void cpu_writes(CgroupVersion version, const oci::CpuResources& cpu,
                std::vector<CgroupWrite>& writes) {
    if (version == CgroupVersion::V1) {
        if (cpu.shares)
            writes.push_back({"cpu", "cpu.shares", std::to_string(*cpu.shares)});
        // The period before the quota: a quota is checked against the current period.
        if (cpu.period)
            writes.push_back({"cpu", "cpu.cfs_period_us", std::to_string(*cpu.period)});
        if (cpu.quota)
            writes.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(*cpu.quota)});
    } else {
        if (cpu.shares)
            writes.push_back({"cpu", "cpu.weight", std::to_string(shares_to_weight(*cpu.shares))});
        if (cpu.quota || cpu.period) {
            std::string quota = cpu.quota ? limit_or_max(*cpu.quota) : "max";
            writes.push_back(
                {"cpu", "cpu.max", fmt::format("{} {}", quota, cpu.period.value_or(100000))});
        }
    }
    if (!cpu.cpus.empty())
        writes.push_back({"cpuset", "cpuset.cpus", cpu.cpus});
    if (!cpu.mems.empty())
        writes.push_back({"cpuset", "cpuset.mems", cpu.mems});
}

// blockIO (cgroup-v1/blkio-controller.rst; cgroup-v2.rst "IO"). Every
// value is written: a host without the file refuses it (Cgroup::apply).
void block_io_writes(CgroupVersion version, const oci::BlockIoResources& io,
                     std::vector<CgroupWrite>& writes) {
    bool v1 = version == CgroupVersion::V1;
    std::string controller = v1 ? "blkio" : "io";
    if (io.weight)
        writes.push_back(
            {controller, v1 ? "blkio.weight" : "io.bfq.weight", std::to_string(*io.weight)});
    if (io.leaf_weight && v1)
        writes.push_back({controller, "blkio.leaf_weight", std::to_string(*io.leaf_weight)});
    for (const auto& device : io.weight_device) {
        if (device.weight)
            writes.push_back({controller, v1 ? "blkio.weight_device" : "io.bfq.weight",
                              fmt::format("{}:{} {}", device.major, device.minor, *device.weight)});
        if (device.leaf_weight && v1)
            writes.push_back(
                {controller, "blkio.leaf_weight_device",
                 fmt::format("{}:{} {}", device.major, device.minor, *device.leaf_weight)});
    }
    struct Throttle {
        const std::vector<oci::BlockIoThrottle>& devices;
        const char* v1_file;
        const char* v2_key;
    };
    const Throttle throttles[] = {
        {io.throttle_read_bps, "blkio.throttle.read_bps_device", "rbps"},
        {io.throttle_write_bps, "blkio.throttle.write_bps_device", "wbps"},
        {io.throttle_read_iops, "blkio.throttle.read_iops_device", "riops"},
        {io.throttle_write_iops, "blkio.throttle.write_iops_device", "wiops"},
    };
    for (const auto& throttle : throttles)
        for (const auto& device : throttle.devices)
            writes.push_back(
                v1 ? CgroupWrite{controller, throttle.v1_file,
                                 fmt::format("{}:{} {}", device.major, device.minor, device.rate)}
                   : CgroupWrite{controller, "io.max",
                                 fmt::format("{}:{} {}={}", device.major, device.minor,
                                             throttle.v2_key, device.rate)});
}

// network: v1 only (cgroup-v1/net_cls.rst, net_prio.rst); v2 has no such
// controllers (runc's fs2 manager has none either), so refuse it there.
Result<void> network_writes(CgroupVersion version, const oci::NetworkResources& network,
                            std::vector<CgroupWrite>& writes) {
    if (version == CgroupVersion::V2)
        return Error::message(
            "linux.resources.network needs the cgroup v1 net_cls/net_prio controllers, and this host uses cgroup v2");
    if (network.class_id)
        writes.push_back({"net_cls", "net_cls.classid", std::to_string(*network.class_id)});
    for (const auto& [name, priority] : network.priorities)
        writes.push_back({"net_prio", "net_prio.ifpriomap", fmt::format("{} {}", name, priority)});
    return ok();
}

std::string device_rule(const oci::DeviceRule& rule) {
    auto number = [](const std::optional<int64_t>& value) {
        return value && *value >= 0 ? std::to_string(*value) : std::string("*");
    };
    return fmt::format("{} {}:{} {}", rule.type, number(rule.major), number(rule.minor),
                       rule.access);
}

}  // namespace

oci::Resources resources_with_devices(const oci::Linux& linux) {
    oci::Resources resources = linux.resources.value_or(oci::Resources{});
    // config-linux.md "Devices": the runtime creates each linux.devices
    // node, so the container must be allowed to make and use it (runc adds
    // them to the allow list the same way). A FIFO ('p') is no device.
    if (resources.devices.empty())
        return resources;
    for (const auto& device : linux.devices)
        if (device.type != 'p')
            resources.devices.push_back({.allow = true,
                                         .type = device.type == 'b' ? "b" : "c",
                                         .major = device.major,
                                         .minor = device.minor,
                                         .access = "rwm"});
    return resources;
}

Result<std::vector<CgroupWrite>> cgroup_writes(CgroupVersion version,
                                               const oci::Resources& resources) {
    std::vector<CgroupWrite> writes;
    if (resources.memory)
        TRY(memory_writes(version, *resources.memory, writes));
    if (resources.cpu)
        cpu_writes(version, *resources.cpu, writes);
    if (resources.pids)
        writes.push_back(
            {"pids", "pids.max",
             resources.pids->limit > 0 ? std::to_string(resources.pids->limit) : "max"});
    if (resources.block_io)
        block_io_writes(version, *resources.block_io, writes);
    for (const auto& limit : resources.hugepage_limits)
        writes.push_back({"hugetlb",
                          fmt::format("hugetlb.{}.{}", limit.page_size,
                                      version == CgroupVersion::V1 ? "limit_in_bytes" : "max"),
                          std::to_string(limit.limit)});
    if (resources.network)
        TRY(network_writes(version, *resources.network, writes));
    // The device allow-list exists as files only in v1 (v2 needs an eBPF
    // program, which twinbox does not load yet; see docs/container.md).
    if (version == CgroupVersion::V1 && !resources.devices.empty()) {
        for (const auto& rule : resources.devices)
            writes.push_back(
                {"devices", rule.allow ? "devices.allow" : "devices.deny", device_rule(rule)});
        // Whatever the spec says, the devices the runtime itself creates in
        // /dev stay usable (runc's AllowedDevices; config-linux.md "Default
        // Devices"), and any node may be created, though not opened ("m":
        // mknod(2) only, as runc allows, so that images that make nodes work).
        for (const char* rule :
             {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
              "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"})
            writes.push_back({"devices", "devices.allow", rule});
    }
    if (version == CgroupVersion::V2)
        for (const auto& [file, value] : resources.unified)
            writes.push_back({"unified", file, value});
    else if (!resources.unified.empty())
        return Error::message("linux.resources.unified needs cgroup v2, and this host uses v1");
    return writes;
}

}  // namespace twinbox::container
