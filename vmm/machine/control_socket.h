// ControlServer: serves a running VM's control socket (vmm/control/protocol.h)
// on a small thread of its own, so a slow or broken client can never delay
// the console or the vCPUs.
//
// The thread polls the listening socket, up to kMaxClients connections and an
// eventfd that stop() writes. Requests are handled in arrival order, one line
// at a time; a client that disconnects mid-line is dropped, and one that
// sends a line longer than kMaxControlLine gets an error and is disconnected.
// Replies go out with MSG_DONTWAIT: a client that does not read its replies
// is disconnected rather than blocking the thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/control/protocol.h"

namespace twinbox {

class ControlServer {
public:
    static constexpr size_t kMaxClients = 16;

    // Binds and listens on `socket_path` (replacing a stale socket file).
    static Result<std::unique_ptr<ControlServer>> create(const std::string& socket_path,
                                                         ControlTarget& target);
    ~ControlServer();

    // Starts the thread; call with the signals of the main thread blocked.
    // `thread_setup`, if given, runs first on the thread (the seccomp filter);
    // when it returns false the server does not serve.
    void start(std::function<bool()> thread_setup = {});
    // Stops and joins the thread; closes the socket and removes its file
    // (unless keep_socket_file() was called: a sandboxed VMM may not unlink,
    // and its parent removes the VM's whole registry entry).
    void stop();
    void keep_socket_file() { m_keep_file = true; }

private:
    ControlServer(std::string path, UniqueFd listener, UniqueFd stop_event, ControlTarget& target);
    void serve();

    std::string m_path;
    UniqueFd m_listener;
    UniqueFd m_stop_event;
    ControlTarget& m_target;
    std::thread m_thread;
    bool m_keep_file = false;
};

}  // namespace twinbox
