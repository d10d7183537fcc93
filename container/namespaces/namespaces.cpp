// Creating, joining and mapping namespaces.
#include "container/namespaces/namespaces.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "common/file.h"

namespace twinbox::container {

uint64_t new_namespace_flags(const std::vector<oci::Namespace>& namespaces) {
    uint64_t flags = 0;
    for (const auto& ns : namespaces)
        if (ns.path.empty())
            flags |= static_cast<uint64_t>(oci::namespace_clone_flag(ns.type));
    return flags;
}

bool wants_new_namespace(const std::vector<oci::Namespace>& namespaces, oci::NamespaceType type) {
    for (const auto& ns : namespaces)
        if (ns.type == type && ns.path.empty())
            return true;
    return false;
}

Result<void> check_namespaces(const oci::Linux& linux) {
    std::set<oci::NamespaceType> seen;
    bool user = false;
    for (const auto& ns : linux.namespaces) {
        if (!seen.insert(ns.type).second)
            return Error::message(fmt::format("linux.namespaces: {} is listed twice",
                                              oci::namespace_type_name(ns.type)));
        if (!ns.path.empty() && ::access(ns.path.c_str(), F_OK) != 0)
            return Error::from_errno("access",
                                     fmt::format("linux.namespaces: {} path {}",
                                                 oci::namespace_type_name(ns.type), ns.path));
        user = user || (ns.type == oci::NamespaceType::User && ns.path.empty());
    }
    if (user && (linux.uid_mappings.empty() || linux.gid_mappings.empty()))
        return Error::message("a new user namespace needs linux.uidMappings and linux.gidMappings");
    return ok();
}

Result<void> join_namespace_paths(const std::vector<oci::Namespace>& namespaces) {
    for (const auto& ns : namespaces) {
        // setns(2) on a pid namespace moves only our future children: the
        // runtime joins it before the clone (create.cpp), as exec does.
        if (ns.path.empty() || ns.type == oci::NamespaceType::Pid)
            continue;
        int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return Error::from_errno("open", ns.path);
        int joined = ::setns(fd, oci::namespace_clone_flag(ns.type));
        int saved = errno;
        ::close(fd);
        if (joined < 0)
            return Error::from_errno("setns", ns.path, saved);
    }
    return ok();
}

namespace {

std::string mapping_text(const std::vector<oci::IdMapping>& mappings) {
    // One line per range: "ID-inside ID-outside length" (user_namespaces(7)).
    std::string text;
    for (const auto& mapping : mappings)
        text += fmt::format("{} {} {}\n", mapping.container_id, mapping.host_id, mapping.size);
    return text;
}

}  // namespace

Result<void> write_id_mappings(pid_t pid, const std::vector<oci::IdMapping>& uid_mappings,
                               const std::vector<oci::IdMapping>& gid_mappings) {
    std::string uid = mapping_text(uid_mappings), gid = mapping_text(gid_mappings);
    TRY(write_whole_file(fmt::format("/proc/{}/uid_map", pid), uid.data(), uid.size()));
    // Since Linux 3.19 an unprivileged writer must deny setgroups first;
    // root may skip it, but denying is harmless when gid_map is written by root.
    TRY(write_whole_file(fmt::format("/proc/{}/gid_map", pid), gid.data(), gid.size()));
    return ok();
}

Result<std::vector<NamespaceFd>> open_process_namespaces(pid_t pid) {
    using oci::NamespaceType;
    // setns order: the user namespace first (it grants the rights to join
    // the others), the mount namespace last (joining it changes our root,
    // and with it how later /proc paths resolve).
    constexpr NamespaceType kOrder[] = {
        NamespaceType::User, NamespaceType::Ipc,    NamespaceType::Uts,  NamespaceType::Network,
        NamespaceType::Pid,  NamespaceType::Cgroup, NamespaceType::Time, NamespaceType::Mount};
    std::vector<NamespaceFd> result;
    for (NamespaceType type : kOrder) {
        std::string name(oci::namespace_proc_name(type));
        struct stat theirs {
        }, ours{};
        std::string path = fmt::format("/proc/{}/ns/{}", pid, name);
        if (::stat(path.c_str(), &theirs) < 0)
            continue;  // this kernel lacks the namespace kind
        if (::stat(("/proc/self/ns/" + name).c_str(), &ours) == 0 && ours.st_ino == theirs.st_ino)
            continue;  // the container shares ours (e.g. --network host)
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return Error::from_errno("open", path);
        result.push_back({type, UniqueFd(fd)});
    }
    return result;
}

}  // namespace twinbox::container
