// to_json: Spec -> config.json text (what `twinbox-oci spec` writes, and what
// the benchmark and the tests hand to other runtimes).
//
// Keys come out in the order the spec documents them (config.md, then
// config-linux.md), which is also the order `runc spec` uses, so the two
// files can be compared side by side. Optional values are written only when
// set, and empty lists are left out, so parse_spec(to_json(spec)) gives back
// the same Spec.
#include <nlohmann/json.hpp>

#include "container/oci/spec.h"

namespace twinbox::oci {

namespace {

// ordered_json keeps keys in insertion order instead of sorting them.
using Json = nlohmann::ordered_json;

template <typename T>
void put_if(Json& object, const char* key, const std::optional<T>& value) {
    if (value)
        object[key] = *value;
}

void put_if(Json& object, const char* key, const std::string& value) {
    if (!value.empty())
        object[key] = value;
}

void put_if(Json& object, const char* key, const std::vector<std::string>& values) {
    if (!values.empty())
        object[key] = values;
}

void put_if(Json& object, const char* key, const std::map<std::string, std::string>& values) {
    if (!values.empty())
        object[key] = values;
}

// Writes each element with `convert` when the list is not empty.
template <typename T, typename Convert>
void put_list(Json& object, const char* key, const std::vector<T>& values, Convert convert) {
    if (values.empty())
        return;
    Json array = Json::array();
    for (const auto& value : values) array.push_back(convert(value));
    object[key] = std::move(array);
}

Json user_json(const User& user) {
    Json out = {{"uid", user.uid}, {"gid", user.gid}};
    put_if(out, "umask", user.umask);
    if (!user.additional_gids.empty())
        out["additionalGids"] = user.additional_gids;
    return out;
}

Json capabilities_json(const Capabilities& capabilities) {
    Json out = Json::object();
    put_if(out, "bounding", capabilities.bounding);
    put_if(out, "effective", capabilities.effective);
    put_if(out, "inheritable", capabilities.inheritable);
    put_if(out, "permitted", capabilities.permitted);
    put_if(out, "ambient", capabilities.ambient);
    return out;
}

Json process_json(const Process& process) {
    Json out = {{"terminal", process.terminal}};
    if (process.console_size)
        out["consoleSize"] = {{"height", process.console_size->height},
                              {"width", process.console_size->width}};
    out["user"] = user_json(process.user);
    out["args"] = process.args;
    put_if(out, "env", process.env);
    out["cwd"] = process.cwd;
    if (process.capabilities)
        out["capabilities"] = capabilities_json(*process.capabilities);
    put_list(out, "rlimits", process.rlimits, [](const Rlimit& rlimit) {
        return Json{{"type", rlimit.type}, {"hard", rlimit.hard}, {"soft", rlimit.soft}};
    });
    out["noNewPrivileges"] = process.no_new_privileges;
    put_if(out, "oomScoreAdj", process.oom_score_adj);
    put_if(out, "apparmorProfile", process.apparmor_profile);
    put_if(out, "selinuxLabel", process.selinux_label);
    return out;
}

Json mount_json(const Mount& mount) {
    Json out = {{"destination", mount.destination}};
    put_if(out, "type", mount.type);
    put_if(out, "source", mount.source);
    put_if(out, "options", mount.options);
    return out;
}

Json hook_json(const Hook& hook) {
    Json out = {{"path", hook.path}};
    put_if(out, "args", hook.args);
    put_if(out, "env", hook.env);
    put_if(out, "timeout", hook.timeout);
    return out;
}

Json hooks_json(const Hooks& hooks) {
    Json out = Json::object();
    put_list(out, "prestart", hooks.prestart, hook_json);
    put_list(out, "createRuntime", hooks.create_runtime, hook_json);
    put_list(out, "createContainer", hooks.create_container, hook_json);
    put_list(out, "startContainer", hooks.start_container, hook_json);
    put_list(out, "poststart", hooks.poststart, hook_json);
    put_list(out, "poststop", hooks.poststop, hook_json);
    return out;
}

Json id_mapping_json(const IdMapping& mapping) {
    return {
        {"containerID", mapping.container_id}, {"hostID", mapping.host_id}, {"size", mapping.size}};
}

Json device_json(const Device& device) {
    Json out = {{"path", device.path}, {"type", std::string(1, device.type)}};
    if (device.type != 'p' || device.major != 0 || device.minor != 0) {
        out["major"] = device.major;
        out["minor"] = device.minor;
    }
    put_if(out, "fileMode", device.file_mode);
    put_if(out, "uid", device.uid);
    put_if(out, "gid", device.gid);
    return out;
}

Json memory_json(const MemoryResources& memory) {
    Json out = Json::object();
    put_if(out, "limit", memory.limit);
    put_if(out, "reservation", memory.reservation);
    put_if(out, "swap", memory.swap);
    put_if(out, "kernel", memory.kernel);
    put_if(out, "swappiness", memory.swappiness);
    put_if(out, "disableOOMKiller", memory.disable_oom_killer);
    return out;
}

Json cpu_json(const CpuResources& cpu) {
    Json out = Json::object();
    put_if(out, "shares", cpu.shares);
    put_if(out, "quota", cpu.quota);
    put_if(out, "period", cpu.period);
    put_if(out, "cpus", cpu.cpus);
    put_if(out, "mems", cpu.mems);
    return out;
}

Json device_rule_json(const DeviceRule& rule) {
    Json out = {{"allow", rule.allow}};
    if (rule.type != "a")
        out["type"] = rule.type;
    put_if(out, "major", rule.major);
    put_if(out, "minor", rule.minor);
    out["access"] = rule.access;
    return out;
}

Json block_io_json(const BlockIoResources& block_io) {
    Json out = Json::object();
    put_if(out, "weight", block_io.weight);
    put_if(out, "leafWeight", block_io.leaf_weight);
    put_list(out, "weightDevice", block_io.weight_device, [](const BlockIoDeviceWeight& device) {
        Json entry = {{"major", device.major}, {"minor", device.minor}};
        put_if(entry, "weight", device.weight);
        put_if(entry, "leafWeight", device.leaf_weight);
        return entry;
    });
    auto throttle = [](const BlockIoThrottle& device) {
        return Json{{"major", device.major}, {"minor", device.minor}, {"rate", device.rate}};
    };
    put_list(out, "throttleReadBpsDevice", block_io.throttle_read_bps, throttle);
    put_list(out, "throttleWriteBpsDevice", block_io.throttle_write_bps, throttle);
    put_list(out, "throttleReadIOPSDevice", block_io.throttle_read_iops, throttle);
    put_list(out, "throttleWriteIOPSDevice", block_io.throttle_write_iops, throttle);
    return out;
}

Json resources_json(const Resources& resources) {
    Json out = Json::object();
    put_list(out, "devices", resources.devices, device_rule_json);
    if (resources.memory)
        out["memory"] = memory_json(*resources.memory);
    if (resources.cpu)
        out["cpu"] = cpu_json(*resources.cpu);
    if (resources.pids)
        out["pids"] = {{"limit", resources.pids->limit}};
    if (resources.block_io)
        out["blockIO"] = block_io_json(*resources.block_io);
    put_list(out, "hugepageLimits", resources.hugepage_limits, [](const HugepageLimit& limit) {
        return Json{{"pageSize", limit.page_size}, {"limit", limit.limit}};
    });
    if (resources.network) {
        Json network = Json::object();
        put_if(network, "classID", resources.network->class_id);
        for (const auto& [name, priority] : resources.network->priorities)
            network["priorities"].push_back({{"name", name}, {"priority", priority}});
        out["network"] = network;
    }
    put_if(out, "unified", resources.unified);
    return out;
}

Json seccomp_syscall_json(const SeccompSyscall& syscall) {
    Json out = {{"names", syscall.names}, {"action", syscall.action}};
    put_if(out, "errnoRet", syscall.errno_ret);
    put_list(out, "args", syscall.args, [](const SeccompArg& arg) {
        Json json = {{"index", arg.index}, {"value", arg.value}};
        if (arg.value_two != 0)
            json["valueTwo"] = arg.value_two;
        json["op"] = arg.op;
        return json;
    });
    return out;
}

Json seccomp_json(const Seccomp& seccomp) {
    Json out = {{"defaultAction", seccomp.default_action}};
    put_if(out, "defaultErrnoRet", seccomp.default_errno_ret);
    put_if(out, "architectures", seccomp.architectures);
    put_if(out, "flags", seccomp.flags);
    put_list(out, "syscalls", seccomp.syscalls, seccomp_syscall_json);
    return out;
}

Json linux_json(const Linux& linux_config) {
    Json out = Json::object();
    put_list(out, "uidMappings", linux_config.uid_mappings, id_mapping_json);
    put_list(out, "gidMappings", linux_config.gid_mappings, id_mapping_json);
    put_if(out, "sysctl", linux_config.sysctl);
    if (linux_config.resources)
        out["resources"] = resources_json(*linux_config.resources);
    put_if(out, "cgroupsPath", linux_config.cgroups_path);
    put_list(out, "namespaces", linux_config.namespaces, [](const Namespace& entry) {
        Json json = {{"type", std::string(namespace_type_name(entry.type))}};
        put_if(json, "path", entry.path);
        return json;
    });
    put_list(out, "devices", linux_config.devices, device_json);
    if (linux_config.seccomp)
        out["seccomp"] = seccomp_json(*linux_config.seccomp);
    put_if(out, "rootfsPropagation", linux_config.rootfs_propagation);
    put_if(out, "maskedPaths", linux_config.masked_paths);
    put_if(out, "readonlyPaths", linux_config.readonly_paths);
    put_if(out, "mountLabel", linux_config.mount_label);
    return out;
}

}  // namespace

std::string to_json(const Spec& spec) {
    Json out = {{"ociVersion", spec.oci_version}};
    if (spec.process)
        out["process"] = process_json(*spec.process);
    out["root"] = {{"path", spec.root.path}, {"readonly", spec.root.readonly}};
    put_if(out, "hostname", spec.hostname);
    put_if(out, "domainname", spec.domainname);
    put_list(out, "mounts", spec.mounts, mount_json);
    Json hooks = hooks_json(spec.hooks);
    if (!hooks.empty())
        out["hooks"] = std::move(hooks);
    put_if(out, "annotations", spec.annotations);
    out["linux"] = linux_json(spec.linux);
    // Strings built by code (an environment variable from the command line)
    // may hold bytes that are not UTF-8; `replace` writes U+FFFD for them
    // where the default would throw.
    return out.dump(4, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace twinbox::oci
