// Namespaces (namespaces(7)): what a process can see of the system.
//
//   flag            isolates                              the container sees
//   CLONE_NEWPID    process ids                            itself as PID 1
//   CLONE_NEWNS     the mount table                        its own root and mounts
//   CLONE_NEWUTS    host and domain name                   its own hostname
//   CLONE_NEWIPC    System V IPC, POSIX message queues     its own queues, shm
//   CLONE_NEWNET    network devices, addresses, ports      only its loopback
//   CLONE_NEWCGROUP the cgroup tree's root                 its cgroup as "/"
//   CLONE_NEWUSER   user and group ids                     root mapped to a host user
//   CLONE_NEWTIME   CLOCK_MONOTONIC/BOOTTIME offsets       its own uptime
//
// New namespaces are created by clone3(2) as the first process is born
// (sys/clone.h); an existing one, named by a path such as
// /proc/1234/ns/net or /var/run/netns/blue, is joined with setns(2).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "container/oci/spec.h"

namespace twinbox::container {

// The clone flags of the namespaces to create (those without a path).
uint64_t new_namespace_flags(const std::vector<oci::Namespace>& namespaces);
bool wants_new_namespace(const std::vector<oci::Namespace>& namespaces, oci::NamespaceType type);

// Checks what twinbox can do: no duplicates, no joining a PID namespace by path
// (that needs the runtime itself to move first), user namespaces with mappings.
Result<void> check_namespaces(const oci::Linux& linux);

// In the child: setns(2) into each namespace that has a path.
Result<void> join_namespace_paths(const std::vector<oci::Namespace>& namespaces);

// In the parent, for a child in a new user namespace: /proc/PID/uid_map,
// "deny" to /proc/PID/setgroups, then /proc/PID/gid_map (user_namespaces(7)).
Result<void> write_id_mappings(pid_t pid, const std::vector<oci::IdMapping>& uid_mappings,
                               const std::vector<oci::IdMapping>& gid_mappings);

// In a new network namespace only "lo" exists, and it is down: bring it up
// (ioctl(SIOCSIFFLAGS), netdevice(7)) so 127.0.0.1 works.
Result<void> bring_up_loopback();

// For exec: the namespaces of a running process that differ from ours,
// opened as /proc/PID/ns/<name> (user first, mount last: the order setns needs).
struct NamespaceFd {
    oci::NamespaceType type;
    UniqueFd fd;
};
Result<std::vector<NamespaceFd>> open_process_namespaces(pid_t pid);

}  // namespace twinbox::container
