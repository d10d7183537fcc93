// The instance metadata service's lifecycle: one server per host (per
// network namespace and TWINBOX_ROOT), started when an instance needs it and
// stopped when none does. The instances verbs call these; `twinbox cloud
// imds [--stop]` does the same by hand (docs/cloud.md "Instance metadata").
//
// How instances reach it: 169.254.169.254/32 is added to the bridge of each
// twinbox network that has instances. Containers and VMs on a twinbox
// network route everything off their subnet through the bridge's gateway
// address, so a packet to 169.254.169.254 arrives on the bridge, where the
// host owns that address and delivers it to the server's socket, which is
// bound to 169.254.169.254:80 only. The host itself can connect too, but its
// source address is no instance's, so it gets 404 (imds_service.h).
//
//   <run root>/imds/lock      flock(2): one starter or stopper at a time
//   <run root>/imds/imds.pid  the server's pid ("twinbox cloud imds")
//   <run root>/imds/bridges   the bridges that carry 169.254.169.254
//   <run root>/imds/imds.log  the server's stdout and stderr
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox::cloud {

// Makes sure 169.254.169.254 is on `network`'s bridge ("bridge" or "" is the
// default network, made when missing) and the server runs; starts it as a
// daemon when it does not (a stale pidfile is replaced). Returns once the
// server listens, or with the error it gave.
Result<void> ensure_imds_running(const std::string& network);

// Stops the server and removes the address when no instance is pending,
// running or stopping; otherwise does nothing.
Result<void> stop_imds_if_idle();

// Stops the server (SIGTERM, then SIGKILL after 5 s) and removes the
// address from every bridge it was added to, whatever the instances.
Result<void> stop_imds();

struct ImdsStatus {
    std::optional<pid_t> pid;          // the running server, if any
    std::vector<std::string> bridges;  // where 169.254.169.254 was added
    std::string log_path;
};
Result<ImdsStatus> imds_status();

}  // namespace twinbox::cloud
