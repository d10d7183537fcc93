// The parent/child handshake of container creation.
//
// A SOCK_SEQPACKET socket pair (unix(7)) keeps message boundaries, so each
// send is one message and the reader never has to re-assemble a stream.
// Messages are short: one kind byte, then a payload.
//
//   parent                              child (in the new namespaces)
//     | clone3 ------------------------>  |
//     |  cgroup, uid/gid maps             |  waits for "go"
//     | ---------------- go ------------> |
//     |                                   |  mounts, pivot_root, hostname...
//     | <------- ready  |  error -------- |  (an error ends the child: _exit)
//
// A child that fails calls fail_and_exit(): it sends its error as text with
// the exit status the user should see (125, 126, 127) and then _exit()s,
// never unwinding into the parent's code (crun's
// send_error_to_sync_socket_and_die). If the child dies without a word (the
// OOM killer under a tiny memory limit), the parent reads end-of-file.
#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::container {

struct SyncMessage {
    enum class Kind : char { Go = 'G', Ready = 'R', Error = 'E', Closed = 0 };
    Kind kind = Kind::Closed;
    int exit_code = 0;  // for Error: the status the front end should exit with
    std::string text;   // for Error: the one-line message; for Go: an optional payload
};

class SyncSocket {
public:
    // Makes the pair: parent() and child() ends. Both are close-on-exec.
    static Result<SyncSocket> create();

    UniqueFd& parent_end() { return m_parent; }
    UniqueFd& child_end() { return m_child; }

    static Result<void> send(int fd, const SyncMessage& message);
    // Blocks for the next message; Kind::Closed when the peer closed or died.
    static Result<SyncMessage> receive(int fd);

private:
    UniqueFd m_parent;
    UniqueFd m_child;
};

// In a child: sends `error` with its exit_status() (e.g. 127 for "not
// found") and _exit()s with that status. Only async-signal-safe-enough calls
// after fork.
[[noreturn]] void fail_and_exit(int fd, const Error& error);

}  // namespace twinbox::container
