// Looking inside a running container from the host, for `twinbox inspect`
// and `twinbox demo` (docs/tools.md). Everything here reads /proc
// and the cgroup file system, exactly what a student could `cat` by hand:
//
//   namespaces   readlink /proc/PID/ns/TYPE  ->  "net:[4026532301]"
//                A namespace *is* that inode: two processes whose links show
//                the same number share it. Comparing with /proc/1/ns/TYPE
//                (the host's init) shows which ones the container has of its own.
//   mounts       /proc/PID/mountinfo (proc(5)): the container's mount table
//                with paths as the container sees them.
//   processes    /proc/PID/task/TID/children, walked from the container's init:
//                host PIDs, and NSpid from /proc/PID/status gives the PID
//                each process has inside the container.
//   cgroup       the container's cgroup (container/cgroups) with its limits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox::container {

struct NamespaceView {
    std::string type;         // "net", "pid", ...
    uint64_t inode = 0;       // the container's namespace
    uint64_t host_inode = 0;  // the same type for the host's init (PID 1)
    bool shared_with_host() const { return inode == host_inode; }
};

struct MountView {
    std::string mount_point;  // as the container sees it
    std::string fs_type;
    std::string source;
    std::string options;  // per-mount options (ro, nosuid, ...)
};

struct ProcessView {
    pid_t host_pid = 0;
    pid_t container_pid = 0;  // the innermost NSpid; 0 when unknown
    pid_t parent_host_pid = 0;
    int depth = 0;        // 0 for the container's init, 1 for its children, ...
    std::string command;  // /proc/PID/cmdline, arguments joined by spaces
};

// The namespace types Linux shows under /proc/PID/ns, in a fixed order.
const std::vector<std::string>& namespace_types();

// Parses the target of a /proc/PID/ns link, "net:[4026531840]" -> 4026531840.
Result<uint64_t> parse_namespace_link(const std::string& link);

// Namespaces of `pid` next to those of `host_pid` (0: this process, on the host).
// Types the kernel lacks (time before 5.6) are left out.
Result<std::vector<NamespaceView>> read_namespaces(pid_t pid, pid_t host_pid = 0);

// Parses mountinfo text (proc(5), "/proc/[pid]/mountinfo"); octal escapes
// such as \040 in paths are decoded.
Result<std::vector<MountView>> parse_mountinfo(const std::string& text);
Result<std::vector<MountView>> read_mounts(pid_t pid);

// `pid` and its descendants, depth first, as the host sees them.
Result<std::vector<ProcessView>> read_process_tree(pid_t pid);

}  // namespace twinbox::container
