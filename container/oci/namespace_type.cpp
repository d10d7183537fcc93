// Namespace kinds: their names in config.json, in /proc/PID/ns and as clone flags
// (namespaces(7); OCI runtime spec config-linux.md "Namespaces").
#include <sched.h>

#include "container/oci/spec.h"

namespace twinbox::oci {

namespace {

struct NamespaceInfo {
    NamespaceType type;
    std::string_view spec_name;
    std::string_view proc_name;
    int clone_flag;
};

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

constexpr NamespaceInfo kNamespaces[] = {
    {NamespaceType::Pid, "pid", "pid", CLONE_NEWPID},
    {NamespaceType::Network, "network", "net", CLONE_NEWNET},
    {NamespaceType::Mount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceType::Ipc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceType::Uts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceType::User, "user", "user", CLONE_NEWUSER},
    {NamespaceType::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::Time, "time", "time", CLONE_NEWTIME},
};

const NamespaceInfo& info(NamespaceType type) {
    for (const auto& entry : kNamespaces)
        if (entry.type == type)
            return entry;
    return kNamespaces[0];  // unreachable: every enumerator is in the table
}

}  // namespace

std::string_view namespace_type_name(NamespaceType type) {
    return info(type).spec_name;
}
std::string_view namespace_proc_name(NamespaceType type) {
    return info(type).proc_name;
}
int namespace_clone_flag(NamespaceType type) {
    return info(type).clone_flag;
}

std::optional<NamespaceType> parse_namespace_type(std::string_view name) {
    for (const auto& entry : kNamespaces)
        if (entry.spec_name == name)
            return entry.type;
    return std::nullopt;
}

}  // namespace twinbox::oci
