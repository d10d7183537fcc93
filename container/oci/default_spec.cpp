// default_spec: the configuration `runc spec` writes (runc 1.1,
// libcontainer/specconv/example.go), with two deliberate differences:
//   - the capabilities are Docker's default fourteen (moby
//     oci/caps/defaults.go) in the bounding, effective and permitted sets,
//     where runc's example grants only AUDIT_WRITE, KILL and NET_BIND_SERVICE,
//     so `twinbox run` behaves like `docker run`;
//   - a cgroup namespace is created too (runc 1.2 does the same), so the
//     container sees its own cgroup as the root of /sys/fs/cgroup.
// tests/unit/container/oci/data/runc-spec.json is a real `runc spec` output to
// compare against.
#include "common/default_path.h"
#include "container/oci/spec.h"

namespace twinbox::oci {

namespace {

// Docker's default capability set (moby oci/caps/defaults.go): enough to
// install packages and run daemons as root in a container (change file
// owners, bind low ports, switch users), without the ones that reach past the
// container (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE...).
std::vector<std::string> docker_default_capabilities() {
    return {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE",
    };
}

Process default_process() {
    Process process;
    process.terminal = true;
    process.args = {"sh"};
    process.env = {kDefaultPathEnv, "TERM=xterm"};
    process.cwd = "/";
    Capabilities capabilities;
    capabilities.bounding = docker_default_capabilities();
    capabilities.effective = capabilities.bounding;
    capabilities.permitted = capabilities.bounding;
    process.capabilities = std::move(capabilities);
    // A soft and hard limit of 1024 open files, as runc and Docker's own
    // default ulimits.
    process.rlimits = {{.type = "RLIMIT_NOFILE", .hard = 1024, .soft = 1024}};
    process.no_new_privileges = true;
    return process;
}

// The file systems config-linux.md "Default Filesystems" asks for, with
// runc's options: /dev is a small tmpfs that the runtime fills with the
// default devices, /sys and the cgroup tree are read-only.
std::vector<Mount> default_mounts() {
    return {
        {"/proc", "proc", "proc", {}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
        {"/dev/pts",
         "devpts",
         "devpts",
         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
        {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
        {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
        {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
    };
}

Linux default_linux() {
    Linux linux_config;
    for (auto type : {NamespaceType::Pid, NamespaceType::Network, NamespaceType::Ipc,
                      NamespaceType::Uts, NamespaceType::Mount, NamespaceType::Cgroup})
        linux_config.namespaces.push_back({type, ""});
    // Deny every device in the device cgroup; the runtime then allows the
    // default devices (config-linux.md "Default Devices") itself.
    Resources resources;
    resources.devices = {{.allow = false, .type = "a", .major = {}, .minor = {}, .access = "rwm"}};
    linux_config.resources = std::move(resources);
    // Files in /proc and /sys that leak host information or let a container
    // act on the host: masked with /dev/null (files) or an empty read-only
    // tmpfs (directories)...
    linux_config.masked_paths = {
        "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/sys/firmware",       "/proc/scsi",
    };
    // ...and kernel tunables that stay visible but read-only.
    linux_config.readonly_paths = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    };
    return linux_config;
}

}  // namespace

Spec default_spec() {
    Spec spec;
    spec.oci_version = kOciVersion;
    spec.root = {.path = "rootfs", .readonly = true};
    spec.mounts = default_mounts();
    spec.process = default_process();
    spec.hostname = "twinbox";
    spec.linux = default_linux();
    return spec;
}

}  // namespace twinbox::oci
