// Reading config.json's "linux" object (opencontainers/runtime-spec
// config-linux.md): namespaces, ID mappings, devices, cgroups and their
// resources, seccomp, sysctl, masked and read-only paths.
//
// Names that the kernel or libseccomp define (namespace types, seccomp
// actions, architectures, operators) are checked against the lists the spec
// gives; values are checked against the ranges the kernel accepts, with the
// kernel document that sets each range cited beside it.
#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "container/oci/spec.h"
#include "container/oci/spec_reader.h"

namespace twinbox::oci {
inline namespace spec_reader {

// --- namespaces, ID mappings, devices ---

// config-linux.md "Namespaces": type REQUIRED and one of the eight kinds;
// path, if set, MUST be absolute.
Result<void> read(const Node& node, Namespace& out) {
    TRY(expect_object(node));
    std::string type;
    TRY(read_required(node, "type", type));
    auto parsed = parse_namespace_type(type);
    if (!parsed)
        return node.member("type")->error(
            "unknown namespace \"" + type +
            "\" (one of pid, network, mount, ipc, uts, user, cgroup, time)");
    out.type = *parsed;
    TRY(read_member(node, "path", out.path));
    if (node.member("path") && !is_absolute(out.path))
        return node.member("path")->error("must be an absolute path");
    return ok();
}

// "If a namespaces field contains duplicated namespaces with same type, the
// runtime MUST generate an error."
Result<void> check_unique_namespaces(const Node& node, const std::vector<Namespace>& namespaces) {
    std::set<NamespaceType> seen;
    for (size_t index = 0; index < namespaces.size(); ++index)
        if (!seen.insert(namespaces[index].type).second)
            return node.element(index).member("type")->error(
                "duplicate namespace \"" +
                std::string(namespace_type_name(namespaces[index].type)) + "\"");
    return ok();
}

// config-linux.md "User namespace mappings": three REQUIRED uint32s. A
// zero-sized range maps nothing, and user_namespaces(7) rejects it.
Result<void> read(const Node& node, IdMapping& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "containerID", out.container_id));
    TRY(read_required(node, "hostID", out.host_id));
    TRY(read_required(node, "size", out.size));
    if (out.size == 0)
        return node.member("size")->error("must be at least 1");
    return ok();
}

// config-linux.md "Devices": type is c, b, u (unbuffered char) or p (FIFO);
// major and minor are REQUIRED unless the type is p.
Result<void> read(const Node& node, Device& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "path", out.path));
    if (!is_absolute(out.path))
        return node.member("path")->error("must be an absolute path");
    std::string type;
    TRY(read_required(node, "type", type));
    if (type != "c" && type != "b" && type != "u" && type != "p")
        return node.member("type")->error("must be \"c\", \"b\", \"u\" or \"p\", not \"" + type +
                                          "\"");
    out.type = type[0];
    if (out.type == 'p') {
        TRY(read_member(node, "major", out.major));
        TRY(read_member(node, "minor", out.minor));
    } else {
        TRY(read_required(node, "major", out.major));
        TRY(read_required(node, "minor", out.minor));
    }
    TRY(read_member(node, "fileMode", out.file_mode));
    // The permission bits plus setuid, setgid and sticky (inode(7)); the file
    // type comes from `type`.
    if (out.file_mode && *out.file_mode > 07777)
        return node.member("fileMode")->error("must be a permission mode up to 07777 (4095)");
    TRY(read_member(node, "uid", out.uid));
    TRY(read_member(node, "gid", out.gid));
    return ok();
}

// --- resources (config-linux.md "Control groups") ---

// "Values for memory specify the limit in bytes, or -1 for unlimited memory."
// Zero and other negatives are mistakes (a zero limit would OOM-kill at once).
Result<void> check_memory_value(const Node& object, std::string_view key,
                                const std::optional<int64_t>& value) {
    if (value && *value != -1 && *value <= 0)
        return object.member(key)->error("must be -1 (unlimited) or a positive number of bytes");
    return ok();
}

Result<void> read(const Node& node, MemoryResources& out) {
    TRY(expect_object(node));
    struct Value {
        std::string_view key;
        std::optional<int64_t>& value;
    };
    const Value values[] = {{"limit", out.limit},
                            {"reservation", out.reservation},
                            {"swap", out.swap},
                            {"kernel", out.kernel}};
    for (const auto& value : values) {
        TRY(read_member(node, value.key, value.value));
        TRY(check_memory_value(node, value.key, value.value));
    }
    // "swap" is memory+swap (cgroup v1 memory.memsw.limit_in_bytes), which the
    // kernel refuses to set below the memory limit.
    if (out.swap && out.limit && *out.swap != -1 && *out.limit != -1 && *out.swap < *out.limit)
        return node.member("swap")->error("memory+swap limit " + std::to_string(*out.swap) +
                                          " is below the memory limit " +
                                          std::to_string(*out.limit));
    TRY(read_member(node, "swappiness", out.swappiness));
    if (out.swappiness && *out.swappiness > 100)
        return node.member("swappiness")->error("must be from 0 to 100");
    TRY(read_member(node, "disableOOMKiller", out.disable_oom_killer));
    return ok();
}

// A cpuset list, "0-3,7" (cpuset(7) "FORMATS", the List format).
bool is_cpu_list(std::string_view list) {
    if (list.empty())
        return true;
    bool expect_digit = true;
    for (char c : list) {
        bool digit = c >= '0' && c <= '9';
        if (expect_digit && !digit)
            return false;
        expect_digit = !digit;
        if (!digit && c != '-' && c != ',')
            return false;
    }
    return !expect_digit;
}

// CFS bandwidth (Documentation/scheduler/sched-bwc.rst): the period is 1 ms
// to 1 s, the quota at least 1 ms, or -1 for no limit.
Result<void> read(const Node& node, CpuResources& out) {
    TRY(expect_object(node));
    TRY(read_member(node, "shares", out.shares));
    // Docker writes "shares": 0 for "not set" and runc skips it; writing 0
    // would make the kernel clamp it to 2, 1/512 of a default container.
    if (out.shares && *out.shares == 0)
        out.shares.reset();
    TRY(read_member(node, "quota", out.quota));
    if (out.quota && *out.quota != -1 && *out.quota < 1000)
        return node.member("quota")->error("must be -1 (unlimited) or at least 1000 microseconds");
    TRY(read_member(node, "period", out.period));
    if (out.period && (*out.period < 1000 || *out.period > 1000000))
        return node.member("period")->error("must be from 1000 to 1000000 microseconds");
    TRY(read_member(node, "cpus", out.cpus));
    if (!is_cpu_list(out.cpus))
        return node.member("cpus")->error("must be a CPU list like \"0-3,7\"");
    TRY(read_member(node, "mems", out.mems));
    if (!is_cpu_list(out.mems))
        return node.member("mems")->error("must be a node list like \"0-1\"");
    return ok();
}

Result<void> read(const Node& node, PidsResources& out) {
    TRY(expect_object(node));
    TRY(read_member(node, "limit", out.limit));
    return ok();
}

// blkio.weight / io.bfq.weight accept 10 to 1000 (cgroup-v1/blkio-controller.rst).
// 0 means "not set": Docker always writes "weight": 0 and runc skips it.
Result<void> read_weight(const Node& node, std::string_view key, std::optional<uint16_t>& out) {
    TRY(read_member(node, key, out));
    if (out && *out == 0)
        out.reset();
    if (out && (*out < 10 || *out > 1000))
        return node.member(key)->error("must be from 10 to 1000");
    return ok();
}

Result<void> read(const Node& node, BlockIoDeviceWeight& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "major", out.major));
    TRY(read_required(node, "minor", out.minor));
    TRY(read_weight(node, "weight", out.weight));
    TRY(read_weight(node, "leafWeight", out.leaf_weight));
    return ok();
}

Result<void> read(const Node& node, BlockIoThrottle& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "major", out.major));
    TRY(read_required(node, "minor", out.minor));
    TRY(read_required(node, "rate", out.rate));
    return ok();
}

Result<void> read(const Node& node, BlockIoResources& out) {
    TRY(expect_object(node));
    TRY(read_weight(node, "weight", out.weight));
    TRY(read_weight(node, "leafWeight", out.leaf_weight));
    TRY(read_member(node, "weightDevice", out.weight_device));
    TRY(read_member(node, "throttleReadBpsDevice", out.throttle_read_bps));
    TRY(read_member(node, "throttleWriteBpsDevice", out.throttle_write_bps));
    TRY(read_member(node, "throttleReadIOPSDevice", out.throttle_read_iops));
    TRY(read_member(node, "throttleWriteIOPSDevice", out.throttle_write_iops));
    return ok();
}

// config-linux.md "Huge page limits": pageSize like "2MB" (the kernel's
// hugetlb.<size>.* file names), limit in bytes.
Result<void> read(const Node& node, HugepageLimit& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "pageSize", out.page_size));
    bool valid = out.page_size.size() > 2 &&
                 out.page_size.find_first_not_of("0123456789") == out.page_size.size() - 2;
    std::string unit = valid ? out.page_size.substr(out.page_size.size() - 2) : "";
    if (unit != "KB" && unit != "MB" && unit != "GB")
        return node.member("pageSize")->error("must be a size like \"2MB\" or \"1GB\"");
    TRY(read_required(node, "limit", out.limit));
    return ok();
}

// config-linux.md "Network": classID and priorities [{name, priority}].
Result<void> read(const Node& node, NetworkResources& out) {
    TRY(expect_object(node));
    TRY(read_member(node, "classID", out.class_id));
    if (auto priorities = node.member("priorities")) {
        TRY(expect_array(*priorities));
        for (size_t index = 0; index < priorities->json().size(); ++index) {
            Node entry = priorities->element(index);
            TRY(expect_object(entry));
            std::pair<std::string, uint32_t> priority;
            TRY(read_required(entry, "name", priority.first));
            TRY(read_required(entry, "priority", priority.second));
            out.priorities.push_back(std::move(priority));
        }
    }
    return ok();
}

// config-linux.md "Allowed Device list": allow REQUIRED; type a, c or b;
// access a combination of r, w and m.
Result<void> read(const Node& node, DeviceRule& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "allow", out.allow));
    TRY(read_member(node, "type", out.type));
    if (out.type != "a" && out.type != "c" && out.type != "b")
        return node.member("type")->error("must be \"a\", \"c\" or \"b\", not \"" + out.type +
                                          "\"");
    TRY(read_member(node, "major", out.major));
    TRY(read_member(node, "minor", out.minor));
    TRY(read_member(node, "access", out.access));
    bool valid = !out.access.empty() && out.access.size() <= 3 &&
                 out.access.find_first_not_of("rwm") == std::string::npos;
    if (!valid)
        return node.member("access")->error("must be a combination of \"r\", \"w\" and \"m\"");
    return ok();
}

Result<void> read(const Node& node, Resources& out) {
    TRY(expect_object(node));
    TRY(read_member(node, "memory", out.memory));
    TRY(read_member(node, "cpu", out.cpu));
    TRY(read_member(node, "pids", out.pids));
    TRY(read_member(node, "blockIO", out.block_io));
    TRY(read_member(node, "hugepageLimits", out.hugepage_limits));
    TRY(read_member(node, "network", out.network));
    TRY(read_member(node, "devices", out.devices));
    TRY(read_member(node, "unified", out.unified));
    return ok();
}

// --- seccomp (config-linux.md "Seccomp"; names as in libseccomp's seccomp.h) ---

constexpr std::string_view kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};
constexpr std::string_view kSeccompArchitectures[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};
constexpr std::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};
constexpr std::string_view kSeccompOperators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

template <size_t N>
Result<void> check_known(const Node& node, const std::string& name,
                         const std::string_view (&known)[N], std::string_view what) {
    if (std::find(std::begin(known), std::end(known), name) == std::end(known))
        return node.error("unknown " + std::string(what) + " \"" + name + "\"");
    return ok();
}

// "Some actions like SCMP_ACT_ERRNO and SCMP_ACT_TRACE allow to specify the
// errno code to return. When the action doesn't support an errno, the runtime
// MUST print and error and fail."
Result<void> check_errno_allowed(const Node& object, std::string_view key,
                                 const std::string& action) {
    if (object.member(key) && action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE")
        return object.member(key)->error(
            "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not " + action);
    return ok();
}

Result<void> read(const Node& node, SeccompArg& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "index", out.index));
    // A system call has at most six arguments (syscall(2)).
    if (out.index > 5)
        return node.member("index")->error("must be from 0 to 5");
    TRY(read_required(node, "value", out.value));
    TRY(read_member(node, "valueTwo", out.value_two));
    TRY(read_required(node, "op", out.op));
    return check_known(*node.member("op"), out.op, kSeccompOperators, "seccomp operator");
}

Result<void> read(const Node& node, SeccompSyscall& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "names", out.names));
    if (out.names.empty())
        return node.member("names")->error("must name at least one system call");
    // Names are not checked against a table: profiles list calls newer than
    // this libseccomp knows, and runtimes skip those (as runc and crun do).
    TRY(read_required(node, "action", out.action));
    TRY(check_known(*node.member("action"), out.action, kSeccompActions, "seccomp action"));
    TRY(read_member(node, "errnoRet", out.errno_ret));
    TRY(check_errno_allowed(node, "errnoRet", out.action));
    TRY(read_member(node, "args", out.args));
    return ok();
}

Result<void> read(const Node& node, Seccomp& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "defaultAction", out.default_action));
    TRY(check_known(*node.member("defaultAction"), out.default_action, kSeccompActions,
                    "seccomp action"));
    TRY(read_member(node, "defaultErrnoRet", out.default_errno_ret));
    TRY(check_errno_allowed(node, "defaultErrnoRet", out.default_action));
    TRY(read_member(node, "architectures", out.architectures));
    for (size_t index = 0; index < out.architectures.size(); ++index)
        TRY(check_known(node.member("architectures")->element(index), out.architectures[index],
                        kSeccompArchitectures, "seccomp architecture"));
    TRY(read_member(node, "flags", out.flags));
    for (size_t index = 0; index < out.flags.size(); ++index)
        TRY(check_known(node.member("flags")->element(index), out.flags[index], kSeccompFlags,
                        "seccomp flag"));
    TRY(read_member(node, "syscalls", out.syscalls));
    return ok();
}

// --- paths and the linux object ---

Result<void> read_absolute_paths(const Node& object, std::string_view key,
                                 std::vector<std::string>& out) {
    TRY(read_member(object, key, out));
    for (size_t index = 0; index < out.size(); ++index)
        if (!is_absolute(out[index]))
            return object.member(key)->element(index).error("must be an absolute path");
    return ok();
}

// config-linux.md "Cgroups Path": absolute paths are relative to the
// cgroup mount point; relative ones are placed under the runtime's own
// parent (/twinbox, as runc places them under its parent). Systemd's
// "slice:prefix:name" form needs --systemd-cgroup, which twinbox does not
// support. The root cgroup (and anything that would resolve to it or above
// it) holds the whole host: killing "the container's processes" there would
// kill every process on the machine.
Result<void> check_cgroups_path(const Node& node, const std::string& path) {
    if (path.find(':') != std::string::npos)
        return node.error("must be a path like \"/twinbox/ID\" or \"ID\"")
            .with_hint("systemd \"slice:prefix:name\" paths are not supported");
    if (has_dot_dot(path))
        return node.error("must not contain \"..\"");
    if (path.find_first_not_of('/') == std::string::npos)
        return node.error("must not be the root cgroup (it holds every process of the host)")
            .with_hint("give the container its own cgroup, e.g. \"/twinbox/ID\"");
    for (size_t start = 0; start < path.size();) {
        size_t slash = path.find('/', start);
        std::string_view part(path.data() + start,
                              (slash == std::string::npos ? path.size() : slash) - start);
        if (part == ".")
            return node.error("must not contain \".\" components");
        if (slash == std::string::npos)
            break;
        start = slash + 1;
    }
    return ok();
}

// --- sysctl (config-linux.md "Sysctl") ---

// True if `path` names the namespace this process (the runtime, in the
// host's namespaces) is in: joining it is no isolation at all.
bool is_own_namespace(const std::string& path, std::string_view proc_name) {
    struct stat joined {
    }, own{};
    std::string self = "/proc/self/ns/" + std::string(proc_name);
    return ::stat(path.c_str(), &joined) == 0 && ::stat(self.c_str(), &own) == 0 &&
           joined.st_dev == own.st_dev && joined.st_ino == own.st_ino;
}

// The namespace a sysctl belongs to, or nullopt if it is global to the host.
// The lists are the kernel's: ipc_sysctls.c and mq_sysctl.c (IPC),
// utsname_sysctl.c (UTS), everything under net/ (network); runc accepts the
// same (libcontainer/configs/validate/validator.go, sysctl()).
std::optional<NamespaceType> sysctl_namespace(std::string_view key) {
    constexpr std::string_view kIpc[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    };
    if (std::find(std::begin(kIpc), std::end(kIpc), key) != std::end(kIpc) ||
        key.starts_with("fs.mqueue."))
        return NamespaceType::Ipc;
    if (key == "kernel.hostname" || key == "kernel.domainname")
        return NamespaceType::Uts;
    if (key.starts_with("net."))
        return NamespaceType::Network;
    return std::nullopt;
}

// A key becomes a path under /proc/sys: only dotted names made of the
// characters sysctl names use, so that nothing ("/", "..", an empty
// component) can point the write outside /proc/sys.
bool is_sysctl_name(std::string_view key) {
    if (key.empty() || key.front() == '.' || key.back() == '.' ||
        key.find("..") != std::string_view::npos)
        return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

// Only sysctls of a namespace the container has of its own may be set:
// any other is the host's (vm.swappiness, kernel.core_pattern - the latter
// names a program the host kernel runs as root on every crash).
Result<void> check_sysctls(const Node& node, const Linux& linux) {
    for (const auto& [key, value] : linux.sysctl) {
        std::string where = fmt::format("{}[\"{}\"]", node.path(), key);
        if (!is_sysctl_name(key))
            return Error::message(fmt::format(
                "{}: not a sysctl name (dotted words like \"net.ipv4.ip_forward\", without \"/\" or \"..\")",
                where));
        auto type = sysctl_namespace(key);
        if (!type)
            return Error::message(
                       fmt::format(
                           "{}: not namespaced - it would change the host for every process",
                           where))
                .with_hint(
                    "only IPC (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), network (net.*) and UTS (kernel.hostname, kernel.domainname) sysctls can be set");
        auto entry = std::find_if(linux.namespaces.begin(), linux.namespaces.end(),
                                  [&](const Namespace& ns) { return ns.type == *type; });
        std::string kind(namespace_type_name(*type));
        if (entry == linux.namespaces.end())
            return Error::message(
                fmt::format("{}: needs a \"{}\" entry in linux.namespaces (else it is the host's)",
                            where, kind));
        if (!entry->path.empty() && is_own_namespace(entry->path, namespace_proc_name(*type)))
            return Error::message(fmt::format("{}: the {} namespace at {} is the host's own", where,
                                              kind, entry->path));
    }
    return ok();
}

// config-linux.md "Rootfs Mount Propagation" lists shared, slave, private and
// unbindable; runc and crun also take the recursive "r" forms.
Result<void> check_propagation(const Node& node, const std::string& value) {
    constexpr std::string_view kModes[] = {"shared",  "slave",  "private",  "unbindable",
                                           "rshared", "rslave", "rprivate", "runbindable"};
    if (std::find(std::begin(kModes), std::end(kModes), value) == std::end(kModes))
        return node.error("must be shared, slave, private or unbindable, not \"" + value + "\"");
    return ok();
}

Result<void> read(const Node& node, Linux& out) {
    TRY(expect_object(node));
    TRY(read_member(node, "namespaces", out.namespaces));
    if (auto namespaces = node.member("namespaces"))
        TRY(check_unique_namespaces(*namespaces, out.namespaces));
    TRY(read_member(node, "uidMappings", out.uid_mappings));
    TRY(read_member(node, "gidMappings", out.gid_mappings));
    TRY(read_member(node, "devices", out.devices));
    TRY(read_member(node, "cgroupsPath", out.cgroups_path));
    if (auto path = node.member("cgroupsPath"))
        TRY(check_cgroups_path(*path, out.cgroups_path));
    TRY(read_member(node, "resources", out.resources));
    TRY(read_member(node, "seccomp", out.seccomp));
    TRY(read_member(node, "sysctl", out.sysctl));
    if (auto sysctl = node.member("sysctl"))
        TRY(check_sysctls(*sysctl, out));
    TRY(read_absolute_paths(node, "maskedPaths", out.masked_paths));
    TRY(read_absolute_paths(node, "readonlyPaths", out.readonly_paths));
    TRY(read_member(node, "rootfsPropagation", out.rootfs_propagation));
    if (auto propagation = node.member("rootfsPropagation"))
        TRY(check_propagation(*propagation, out.rootfs_propagation));
    TRY(read_member(node, "mountLabel", out.mount_label));
    return ok();
}

}  // namespace spec_reader
}  // namespace twinbox::oci

namespace twinbox::oci {

namespace {

// `docker update` sends every number, 0 for "leave as is" (moby's
// toContainerdResources), and runc's update skips zeros: so do we, rather
// than reject a 0 reservation or reset pids.max.
void drop_unset_zeros(spec_reader::Json& document) {
    struct Zero {
        const char* object;
        const char* key;
    };
    constexpr Zero kZeros[] = {
        {"memory", "limit"},       {"memory", "reservation"}, {"memory", "swap"},
        {"memory", "kernel"},      {"memory", "kernelTCP"},   {"cpu", "shares"},
        {"cpu", "quota"},          {"cpu", "period"},         {"cpu", "realtimeRuntime"},
        {"cpu", "realtimePeriod"}, {"pids", "limit"},         {"blockIO", "weight"},
    };
    if (!document.is_object())
        return;
    for (const auto& zero : kZeros) {
        auto object = document.find(zero.object);
        if (object == document.end() || !object->is_object())
            continue;
        auto value = object->find(zero.key);
        if (value != object->end() && value->is_number() && *value == 0)
            object->erase(value);
    }
    if (document.contains("pids") && document["pids"].is_object() && document["pids"].empty())
        document.erase("pids");
}

}  // namespace

Result<Resources> parse_resources(const std::string& json_text) {
    spec_reader::Json document = TRY(json_reader::parse(json_text).with_context("resources"));
    drop_unset_zeros(document);
    Resources resources;
    TRY(spec_reader::read(spec_reader::Node(document, "resources"), resources));
    return resources;
}

}  // namespace twinbox::oci
