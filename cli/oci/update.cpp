// twinbox-oci update: new resource limits for a running container (runc
// update). The limits come from --resources FILE ("-" = stdin, the
// LinuxResources JSON that containerd's shim sends) or from runc's flags;
// only what is given changes.
#include <fmt/core.h>
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "cli/oci/oci_cli.h"
#include "common/file.h"
#include "common/size.h"
#include "container/cgroups/cgroup.h"

namespace twinbox::oci_cli {

namespace {

struct UpdateFlags {
    std::string resources_file;
    std::string memory, memory_reservation, memory_swap;
    std::optional<uint64_t> cpu_shares, cpu_period;
    std::optional<int64_t> cpu_quota, pids_limit;
    std::optional<uint16_t> blkio_weight;
    std::string cpuset_cpus, cpuset_mems;
};

Result<std::optional<int64_t>> size_flag(const std::string& text, const char* flag) {
    if (text.empty())
        return std::optional<int64_t>{};
    if (text == "-1")
        return std::optional<int64_t>{-1};
    auto bytes = TRY(parse_size(text, 1).with_context(flag));
    return std::optional<int64_t>{static_cast<int64_t>(bytes)};
}

Result<oci::Resources> read_resources_file(const std::string& file) {
    std::string text;
    if (file == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        auto bytes = TRY(read_whole_file(file, "--resources", 1 << 20));
        text.assign(bytes.begin(), bytes.end());
    }
    return oci::parse_resources(text);
}

// runc applies the flags on top of the file's resources.
Result<oci::Resources> resources_from(const UpdateFlags& flags) {
    oci::Resources resources;
    if (!flags.resources_file.empty())
        resources = TRY(read_resources_file(flags.resources_file));
    auto limit = TRY(size_flag(flags.memory, "--memory"));
    auto reservation = TRY(size_flag(flags.memory_reservation, "--memory-reservation"));
    auto swap = TRY(size_flag(flags.memory_swap, "--memory-swap"));
    if (limit || reservation || swap) {
        auto& memory = resources.memory.emplace(resources.memory.value_or(oci::MemoryResources{}));
        if (limit)
            memory.limit = limit;
        if (reservation)
            memory.reservation = reservation;
        if (swap)
            memory.swap = swap;
    }
    if (flags.cpu_shares || flags.cpu_period || flags.cpu_quota || !flags.cpuset_cpus.empty() ||
        !flags.cpuset_mems.empty()) {
        auto& cpu = resources.cpu.emplace(resources.cpu.value_or(oci::CpuResources{}));
        if (flags.cpu_shares)
            cpu.shares = flags.cpu_shares;
        if (flags.cpu_period)
            cpu.period = flags.cpu_period;
        if (flags.cpu_quota)
            cpu.quota = flags.cpu_quota;
        if (!flags.cpuset_cpus.empty())
            cpu.cpus = flags.cpuset_cpus;
        if (!flags.cpuset_mems.empty())
            cpu.mems = flags.cpuset_mems;
    }
    if (flags.pids_limit)
        resources.pids = oci::PidsResources{.limit = *flags.pids_limit};
    if (flags.blkio_weight && *flags.blkio_weight != 0) {
        resources.block_io.emplace();
        resources.block_io->weight = flags.blkio_weight;
    }
    return resources;
}

Result<void> update(const std::string& id, const UpdateFlags& flags) {
    auto resources = TRY(resources_from(flags));
    auto store = state_store();
    auto state = TRY(store.load(id));
    if (store.status(state) == container::Status::Stopped)
        return Error::message(fmt::format("container {} is not running", id));
    auto layout = TRY(container::detect_cgroup_layout());
    return container::Cgroup::open(layout, state.cgroup_path)
        .update(resources)
        .with_context(fmt::format("updating container {}", id));
}

}  // namespace

void register_update(CLI::App& app, int& exit_code) {
    auto id = std::make_shared<std::string>();
    auto flags = std::make_shared<UpdateFlags>();
    CLI::App* command = app.add_subcommand("update", "Update a container's resource limits");
    command->add_option("-r,--resources", flags->resources_file,
                        "LinuxResources JSON file to apply (- for stdin)");
    command->add_option("--memory", flags->memory, "memory limit (bytes, or 64m...)");
    command->add_option("--memory-reservation", flags->memory_reservation, "soft memory limit");
    command->add_option("--memory-swap", flags->memory_swap, "memory plus swap limit");
    command->add_option("--cpu-share", flags->cpu_shares, "CPU shares (relative weight)");
    command->add_option("--cpu-period", flags->cpu_period, "CFS period in microseconds");
    command->add_option("--cpu-quota", flags->cpu_quota, "CFS quota in microseconds");
    command->add_option("--cpuset-cpus", flags->cpuset_cpus, "CPUs to run on (0-3, 0,1)");
    command->add_option("--cpuset-mems", flags->cpuset_mems, "memory nodes (0-3, 0,1)");
    command->add_option("--pids-limit", flags->pids_limit, "maximum number of processes");
    command->add_option("--blkio-weight", flags->blkio_weight, "block IO weight (10 to 1000)");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([id, flags, &exit_code] {
        auto done = update(*id, *flags);
        exit_code = done ? 0 : fail(done.error());
    });
}

}  // namespace twinbox::oci_cli
