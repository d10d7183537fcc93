// The container's specification: an in-memory form of the OCI runtime
// spec's config.json (opencontainers/runtime-spec: config.md,
// config-linux.md). It is the one contract between the front ends and the
// runtime: `twinbox-oci` parses a bundle's config.json into a Spec, and
// `twinbox run` builds a Spec from Docker-style flags (as Docker hands
// containerd a config.json); container/runtime then applies a Spec layer by
// layer, never reading flags or JSON itself.
//
// Field names follow the spec's JSON keys, so `config.json` and this file can
// be read side by side. Optional JSON values are std::optional here: "not
// set" and "set to zero" mean different things to the kernel (a memory
// limit of 0 is not "no limit").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::oci {

// The runtime-spec version twinbox writes into generated configs and state.
// crun 1.8 rejects 1.2.0+, so bundles made for side-by-side runs use 1.0.2.
inline constexpr const char* kOciVersion = "1.0.2";

struct User {
    uid_t uid = 0;
    gid_t gid = 0;
    std::optional<mode_t> umask;
    std::vector<gid_t> additional_gids;  // "additionalGids"
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    uint64_t hard = 0;
    uint64_t soft = 0;
};

// process.capabilities: each set is a list of names like "CAP_CHOWN".
struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
    unsigned height = 0;
    unsigned width = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;  // "consoleSize"
    User user;
    std::vector<std::string> args;  // args[0] is looked up in PATH from env
    std::vector<std::string> env;   // "KEY=VALUE"
    std::string cwd = "/";          // absolute
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;    // "noNewPrivileges"
    std::optional<int> oom_score_adj;  // "oomScoreAdj"
    std::string apparmor_profile;      // accepted, not applied (no AppArmor here)
    std::string selinux_label;         // accepted, not applied
};

struct Root {
    std::string path;  // relative paths are relative to the bundle
    bool readonly = false;
};

struct Mount {
    std::string destination;  // absolute path inside the container
    std::string type;         // "proc", "tmpfs", "bind", "overlay"...; may be empty for binds
    std::string source;
    std::vector<std::string> options;  // "nosuid", "ro", "rbind", "mode=755"...
};

struct Hook {
    std::string path;  // absolute
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;  // seconds
};

// The six hook points (config.md "POSIX-platform Hooks").
struct Hooks {
    std::vector<Hook> prestart;          // deprecated by the spec, still honoured
    std::vector<Hook> create_runtime;    // "createRuntime"
    std::vector<Hook> create_container;  // "createContainer"
    std::vector<Hook> start_container;   // "startContainer"
    std::vector<Hook> poststart;
    std::vector<Hook> poststop;
};

enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

// The spec's names: "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time".
std::string_view namespace_type_name(NamespaceType type);
std::optional<NamespaceType> parse_namespace_type(std::string_view name);
// The clone(2)/unshare(2)/setns(2) flag: CLONE_NEWPID...
int namespace_clone_flag(NamespaceType type);
// The file under /proc/PID/ns/: "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time".
std::string_view namespace_proc_name(NamespaceType type);

struct Namespace {
    NamespaceType type;
    std::string path;  // empty: create a new one; else join the namespace at this path
};

struct IdMapping {
    uint32_t container_id = 0;  // "containerID"
    uint32_t host_id = 0;       // "hostID"
    uint32_t size = 0;
};

struct Device {
    std::string path;  // "/dev/fuse"
    char type = 'c';   // 'c', 'b', 'u' or 'p'
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<mode_t> file_mode;  // "fileMode"
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};

// linux.resources. Units are the spec's: bytes, microseconds, shares.
struct MemoryResources {
    std::optional<int64_t> limit;        // bytes; -1 = unlimited
    std::optional<int64_t> reservation;  // soft limit, bytes
    std::optional<int64_t> swap;         // memory+swap, bytes (as in the spec and v1)
    std::optional<int64_t> kernel;       // ignored (removed from the kernel)
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer;  // "disableOOMKiller"
};

struct CpuResources {
    std::optional<uint64_t> shares;  // v1 cpu.shares; v2 cpu.weight is derived from it
    std::optional<int64_t> quota;    // microseconds per period; -1 = unlimited
    std::optional<uint64_t> period;  // microseconds
    std::string cpus;                // cpuset, "0-1"
    std::string mems;
};

struct PidsResources {
    int64_t limit = 0;  // <= 0 = unlimited
};

// blockIO.weightDevice[] (per-device weights) and the four throttle lists.
struct BlockIoDeviceWeight {
    int64_t major = 0, minor = 0;
    std::optional<uint16_t> weight, leaf_weight;  // 10..1000
};
struct BlockIoThrottle {
    int64_t major = 0, minor = 0;
    uint64_t rate = 0;  // bytes or operations per second
};

struct BlockIoResources {
    std::optional<uint16_t> weight;       // 10..1000
    std::optional<uint16_t> leaf_weight;  // "leafWeight", 10..1000
    std::vector<BlockIoDeviceWeight> weight_device;
    std::vector<BlockIoThrottle> throttle_read_bps, throttle_write_bps;    // "throttle*BpsDevice"
    std::vector<BlockIoThrottle> throttle_read_iops, throttle_write_iops;  // "throttle*IOPSDevice"
};

// hugepageLimits[]: "2MB" pages, limit in bytes.
struct HugepageLimit {
    std::string page_size;
    uint64_t limit = 0;
};

// network: the v1 net_cls class id and net_prio priorities per interface.
struct NetworkResources {
    std::optional<uint32_t> class_id;  // "classID"
    std::vector<std::pair<std::string, uint32_t>> priorities;
};

// linux.resources.devices: the device cgroup allow/deny list.
struct DeviceRule {
    bool allow = false;
    std::string type = "a";  // "a", "c" or "b"
    std::optional<int64_t> major, minor;
    std::string access = "rwm";
};

struct Resources {
    std::optional<MemoryResources> memory;
    std::optional<CpuResources> cpu;
    std::optional<PidsResources> pids;
    std::optional<BlockIoResources> block_io;    // "blockIO"
    std::vector<HugepageLimit> hugepage_limits;  // "hugepageLimits"
    std::optional<NetworkResources> network;
    std::vector<DeviceRule> devices;
    std::map<std::string, std::string> unified;  // raw cgroup v2 files
};

// linux.seccomp (config-linux.md "Seccomp").
struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;  // "valueTwo"
    std::string op;          // "SCMP_CMP_EQ"...
};

struct SeccompSyscall {
    std::vector<std::string> names;
    std::string action;                 // "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"...
    std::optional<unsigned> errno_ret;  // "errnoRet"
    std::vector<SeccompArg> args;
};

struct Seccomp {
    std::string default_action;                 // "defaultAction"
    std::optional<unsigned> default_errno_ret;  // "defaultErrnoRet"
    std::vector<std::string> architectures;     // "SCMP_ARCH_X86_64"
    std::vector<std::string> flags;
    std::vector<SeccompSyscall> syscalls;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings;  // "uidMappings"
    std::vector<IdMapping> gid_mappings;  // "gidMappings"
    std::vector<Device> devices;
    std::string cgroups_path;  // "cgroupsPath"; empty: the runtime picks one from the id
    std::optional<Resources> resources;
    std::optional<Seccomp> seccomp;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths;    // "maskedPaths"
    std::vector<std::string> readonly_paths;  // "readonlyPaths"
    std::string rootfs_propagation;           // "rootfsPropagation"
    std::string mount_label;                  // "mountLabel", accepted, not applied
};

struct Spec {
    std::string oci_version = kOciVersion;  // "ociVersion"
    Root root;
    std::vector<Mount> mounts;
    std::optional<Process> process;  // required by `create`/`run`, optional in the spec
    std::string hostname;
    std::string domainname;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    Linux linux;
};

// Parses and validates config.json text. Errors name the JSON path that is
// wrong ("process.args: must be a non-empty array of strings").
Result<Spec> parse_spec(const std::string& json_text);

// Parses linux.resources alone, as `twinbox-oci update --resources FILE`
// receives it (runc's JSON: the LinuxResources object).
Result<Resources> parse_resources(const std::string& json_text);

// Serialises a Spec back to config.json (what `twinbox-oci spec` writes).
std::string to_json(const Spec& spec);

// The default configuration: what `runc spec` generates, and what `twinbox
// run` starts from before applying its flags. Runs `sh` with a terminal,
// busybox-friendly, all namespaces but user and time, Docker's default
// capabilities, runc's masked and read-only paths, the default mounts.
Spec default_spec();

}  // namespace twinbox::oci
