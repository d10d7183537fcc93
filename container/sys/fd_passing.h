// Passing an open file descriptor to another process over an AF_UNIX
// socket (unix(7) "SCM_RIGHTS"): the receiver gets its own descriptor for
// the same open file. This is how a container's pty master reaches the
// terminal owner (containerd's shim via --console-socket, or `twinbox run -it`).
#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::container {

// Sends `fd` with `name` as the message body (runc sends the pty's name).
Result<void> send_fd(int socket, int fd, const std::string& name);
Result<UniqueFd> receive_fd(int socket);
// Connects to the AF_UNIX stream socket at `path` (the OCI --console-socket).
Result<UniqueFd> connect_unix(const std::string& path);

}  // namespace twinbox::container
