// Unix stream sockets by path: the VM control socket and the agent channel
// (vmm/machine/control_socket.h, vmm/agent/agent_channel.h) and their clients.
#pragma once

#include <sys/un.h>

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox {

// The address of `path`; a path that does not fit sun_path (108 bytes) is an error.
Result<sockaddr_un> unix_address(const std::string& path);

// A non-blocking listening socket bound at `path`, a stale file there replaced,
// mode 0600: whoever connects controls the VM, so the owner only.
Result<UniqueFd> listen_unix_socket(const std::string& path, int backlog);

}  // namespace twinbox
