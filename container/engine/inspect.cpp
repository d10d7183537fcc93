// Building and rendering `twinbox inspect` (see inspect.h).
#include "container/engine/inspect.h"

#include <fmt/core.h>

#include <algorithm>

#include "common/file.h"
#include "container/cgroups/cgroup.h"
#include "container/engine/introspect.h"
#include "container/engine/network_attach.h"

namespace twinbox::container {

namespace {

nlohmann::json live_namespaces(pid_t pid) {
    nlohmann::json out = nlohmann::json::object();
    auto namespaces = read_namespaces(pid);
    if (!namespaces)
        return {{"Error", namespaces.error().to_string()}};
    for (const auto& ns : *namespaces)
        out[ns.type] = {{"Inode", ns.inode},
                        {"HostInode", ns.host_inode},
                        {"Isolated", !ns.shared_with_host()}};
    return out;
}

nlohmann::json live_mounts(pid_t pid) {
    auto mounts = read_mounts(pid);
    if (!mounts)
        return {{"Error", mounts.error().to_string()}};
    nlohmann::json out = nlohmann::json::array();
    for (const auto& mount : *mounts)
        out.push_back({{"Destination", mount.mount_point},
                       {"Type", mount.fs_type},
                       {"Source", mount.source},
                       {"Options", mount.options}});
    return out;
}

nlohmann::json live_processes(pid_t pid) {
    auto processes = read_process_tree(pid);
    if (!processes)
        return {{"Error", processes.error().to_string()}};
    nlohmann::json out = nlohmann::json::array();
    for (const auto& process : *processes)
        out.push_back({{"HostPid", process.host_pid},
                       {"Pid", process.container_pid},
                       {"ParentHostPid", process.parent_host_pid},
                       {"Depth", process.depth},
                       {"Command", process.command}});
    return out;
}

nlohmann::json cgroup_section(const ContainerState& state, bool running) {
    nlohmann::json out = {{"Path", state.cgroup_path}};
    auto layout = detect_cgroup_layout();
    if (!layout)
        return out;
    out["Version"] = layout->version == CgroupVersion::V2 ? "v2" : "v1";
    nlohmann::json directories = nlohmann::json::object();
    auto cgroup = Cgroup::open(*layout, state.cgroup_path);
    for (const auto& [controller, directory] : cgroup.directories())
        directories[controller] = directory;
    out["Directories"] = directories;
    if (!running)
        return out;
    auto stats = cgroup.stats();
    out["MemoryUsage"] = stats.memory_usage;
    out["MemoryLimit"] = stats.memory_limit ? nlohmann::json(*stats.memory_limit) : nullptr;
    out["PidsCurrent"] = stats.pids_current;
    out["PidsLimit"] = stats.pids_limit ? nlohmann::json(*stats.pids_limit) : nullptr;
    out["CpuUsageNs"] = stats.cpu_usage_ns;
    out["OomKills"] = stats.oom_kills;
    return out;
}

std::string bytes_text(const nlohmann::json& value) {
    if (!value.is_number())
        return "unlimited";
    double bytes = value.get<double>();
    if (bytes >= (1ull << 30))
        return fmt::format("{:.1f} GiB", bytes / (1ull << 30));
    if (bytes >= (1ull << 20))
        return fmt::format("{:.1f} MiB", bytes / (1ull << 20));
    return fmt::format("{:.0f} KiB", bytes / 1024);
}

}  // namespace

nlohmann::json inspect_container(const StateStore& store, const ContainerView& container) {
    const auto& state = container.state;
    bool live = container.status == Status::Running || container.status == Status::Paused;
    nlohmann::json entry = {
        {"Id", state.id},
        {"Name", state.name},
        {"Created", state.created},
        {"Path", state.command.empty() ? "" : state.command.front()},
        {"Args", state.command},
        {"State",
         {{"Status", status_name(container.status)},
          {"Running", container.status == Status::Running},
          {"Paused", container.status == Status::Paused},
          {"OOMKilled", state.oom_killed},
          {"Pid", container.status == Status::Stopped ? 0 : state.pid},
          {"ExitCode", state.exit_code.value_or(0)},
          {"StartedAt", state.started},
          {"FinishedAt", state.finished}}},
        {"Rootfs", state.rootfs},
        {"CgroupPath", state.cgroup_path},
        {"Cgroup", cgroup_section(state, live)},
        {"StorageDir", state.storage_dir},
        {"LogPath", store.log_path(state.id)},
    };
    if (live) {
        entry["Namespaces"] = live_namespaces(state.pid);
        entry["Mounts"] = live_mounts(state.pid);
        entry["Processes"] = live_processes(state.pid);
    }
    entry["NetworkSettings"] = container_network_settings(state.id);  // network_attach.h
    auto config =
        read_whole_file(store.directory(state.id) + "/config.json", "config.json", 16 << 20);
    if (config)
        entry["Config"] = nlohmann::json::parse(config->begin(), config->end(), nullptr, false);
    return entry;
}

std::string render_inspection(const nlohmann::json& document) {
    // Rendering never throws, whatever the document holds: a missing or oddly
    // typed field prints as "null" or is left out.
    auto at = [](const nlohmann::json& object, const char* key) {
        if (!object.is_object())
            return nlohmann::json();
        auto it = object.find(key);
        return it == object.end() ? nlohmann::json() : *it;
    };
    auto text = [](const nlohmann::json& value) {
        return value.is_string() ? value.get<std::string>() : value.dump();
    };
    std::string out =
        fmt::format("Container {} ({})\n", text(at(document, "Name")), text(at(document, "Id")));
    auto state = at(document, "State");
    out += fmt::format("  status      {}, host PID {}\n", text(at(state, "Status")),
                       text(at(state, "Pid")));
    out += fmt::format("  command     {}\n", text(at(document, "Args")));

    auto namespaces = at(document, "Namespaces");
    if (namespaces.is_object()) {
        out += "\nNamespaces (the container's inode : the host's; a different number = its own)\n";
        for (const auto& [type, ns] : namespaces.items())
            out += fmt::format("  {:<7} {:>11} : {:<11} {}\n", type, text(at(ns, "Inode")),
                               text(at(ns, "HostInode")),
                               at(ns, "Isolated") == true ? "isolated" : "shared with the host");
    }
    auto cgroup = at(document, "Cgroup");
    out += fmt::format("\nCgroup {} ({})\n", text(at(cgroup, "Path")), text(at(cgroup, "Version")));
    if (at(cgroup, "MemoryUsage").is_number()) {
        out += fmt::format("  memory      {} of {}\n", bytes_text(at(cgroup, "MemoryUsage")),
                           bytes_text(at(cgroup, "MemoryLimit")));
        auto pids_limit = at(cgroup, "PidsLimit");
        out += fmt::format("  pids        {} of {}\n", text(at(cgroup, "PidsCurrent")),
                           pids_limit.is_number() ? text(pids_limit) : "unlimited");
        auto cpu = at(cgroup, "CpuUsageNs");
        out += fmt::format("  cpu time    {:.3f} s\n",
                           cpu.is_number() ? cpu.get<double>() / 1e9 : 0.0);
    }
    auto processes = at(document, "Processes");
    if (processes.is_array()) {
        out += "\nProcesses (host PID, PID inside, command)\n";
        for (const auto& process : processes) {
            auto depth = at(process, "Depth");
            int indent = depth.is_number_integer() ? std::clamp(depth.get<int>(), 0, 64) : 0;
            out += fmt::format("  {:>7} {:>5}  {}{}\n", text(at(process, "HostPid")),
                               text(at(process, "Pid")), std::string(2 * indent, ' '),
                               text(at(process, "Command")));
        }
    }
    auto mounts = at(document, "Mounts");
    if (mounts.is_array()) {
        out += "\nMounts (as the container sees them)\n";
        for (const auto& mount : mounts)
            out += fmt::format("  {:<22} {:<9} {}\n", text(at(mount, "Destination")),
                               text(at(mount, "Type")), text(at(mount, "Options")));
    }
    return out;
}

}  // namespace twinbox::container
