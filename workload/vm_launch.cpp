// A detached VM's launch record; see vm_launch.h.
#include "workload/vm_launch.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/json_reader.h"

namespace twinbox::workload {

namespace {

using json_reader::Node;
using json_reader::read_member;

Result<void> read_volumes(const Node& root, std::vector<VmWorkload::Volume>& volumes) {
    auto list = root.member("volumes");
    if (!list)
        return ok();
    if (!list->json().is_array())
        return Error::message(fmt::format("{}: must be an array", list->path()));
    for (size_t index = 0; index < list->json().size(); ++index) {
        VmWorkload::Volume volume;
        TRY(read_member(list->element(index), "disk", volume.disk));
        TRY(read_member(list->element(index), "mount_point", volume.mount_point));
        volumes.push_back(std::move(volume));
    }
    return ok();
}

}  // namespace

Result<void> save_vm_launch(const std::string& path, const VmLaunch& launch) {
    const VmWorkload& workload = launch.workload;
    nlohmann::json volumes = nlohmann::json::array();
    for (const auto& volume : workload.volumes)
        volumes.push_back({{"disk", volume.disk}, {"mount_point", volume.mount_point}});
    nlohmann::json json = {{"name", workload.name},
                           {"root_disk", workload.root_disk},
                           {"command", workload.command},
                           {"env", workload.env},
                           {"workdir", workload.workdir},
                           {"uid", workload.uid},
                           {"gid", workload.gid},
                           {"hostname", workload.hostname},
                           {"tty", workload.tty},
                           {"memory", workload.memory},
                           {"cpus", workload.cpus},
                           {"volumes", volumes},
                           {"writable_disk", workload.writable_disk},
                           {"extra_command_line", workload.extra_command_line},
                           {"console_log", workload.console_log},
                           {"kernel", workload.kernel},
                           {"network", launch.network},
                           {"publish", launch.publish}};
    // 0600: the environment may hold secrets.
    return write_file_atomically(path, json.dump(2) + "\n", false, 0600);
}

Result<VmLaunch> load_vm_launch(const std::string& path) {
    auto json = TRY(json_reader::parse_file(path, 16 << 20));
    Node root(json, "", "launch.json");
    VmLaunch launch;
    VmWorkload& workload = launch.workload;
    TRY(read_member(root, "name", workload.name));
    TRY(read_member(root, "root_disk", workload.root_disk));
    TRY(read_member(root, "command", workload.command));
    TRY(read_member(root, "env", workload.env));
    TRY(read_member(root, "workdir", workload.workdir));
    TRY(read_member(root, "uid", workload.uid));
    TRY(read_member(root, "gid", workload.gid));
    TRY(read_member(root, "hostname", workload.hostname));
    TRY(read_member(root, "tty", workload.tty));
    TRY(read_member(root, "memory", workload.memory));
    TRY(read_member(root, "cpus", workload.cpus));
    TRY(read_volumes(root, workload.volumes));
    TRY(read_member(root, "writable_disk", workload.writable_disk));
    TRY(read_member(root, "extra_command_line", workload.extra_command_line));
    TRY(read_member(root, "console_log", workload.console_log));
    TRY(read_member(root, "kernel", workload.kernel));
    TRY(read_member(root, "network", launch.network));
    TRY(read_member(root, "publish", launch.publish));
    if (workload.command.empty())
        return Error::message(fmt::format("{}: no command", path));
    return launch;
}

}  // namespace twinbox::workload
