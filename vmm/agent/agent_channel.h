// AgentChannel: the VMM's end of the guest agent's exec channel
// (protocol.h; docs/tools.md, "Agent channel and vm exec").
//
// The guest side is a second virtio-console device (one port, the same
// ConsoleDevice as the workload's console): the guest sees it as /dev/hvc1,
// after the workload's hvc0, because slots are probed in order. The host
// side is a Unix socket, agent.sock in the VM's run directory, next to
// control.sock. The channel relays frames, not bytes, so that it can:
//   - serve one client at a time: a second one gets a 'B' (busy) frame and is
//     closed, and a session never sees half a frame of another one;
//   - tell the agent when its client left (an 'H' frame), so the command of a
//     killed `twinbox vm exec` does not run on;
//   - drop the guest's frames while no client is connected;
//   - check every frame the guest sends: an unknown type or an oversized
//     length breaks the channel for good (logged once; the VM runs on).
//
// Threads: guest output arrives on the virtio event loop (the device's
// ByteSink) and is sent to the client from there, waiting at most
// kSendTimeout for a client that does not read; clients are accepted and read
// on the channel's own thread, which pushes their frames into the device with
// the same back-pressure as the console's keystrokes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/event_fd.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::virtio {
class ConsoleDevice;
}

namespace twinbox::agent {

class AgentChannel {
public:
    static constexpr auto kSendTimeout = std::chrono::seconds(5);
    static constexpr const char* kSocketName = "agent.sock";

    // Makes the device (add device() to the VM's virtio devices); no socket yet.
    static Result<std::unique_ptr<AgentChannel>> create();
    ~AgentChannel();
    AgentChannel(const AgentChannel&) = delete;
    AgentChannel& operator=(const AgentChannel&) = delete;

    std::shared_ptr<virtio::ConsoleDevice> device() const { return m_device; }
    // Binds and listens on `socket_path` (mode 0600, a stale file replaced).
    Result<void> listen(const std::string& socket_path);
    // Starts the thread; `thread_setup` runs on it first (the seccomp filter)
    // and when it returns false the channel does not serve.
    void start(std::function<bool()> thread_setup = {});
    // Stops the thread, closes the client and the socket; removes the socket
    // file unless keep_socket_file() was called (a sandboxed VMM cannot unlink).
    void stop();
    void keep_socket_file() { m_keep_file = true; }
    // Whether the agent has sent its first frame (it is up, hvc1 in raw mode;
    // twinbox-init starts it once hvc0 is set up too). Any thread.
    bool guest_ready() const;

    struct Shared;  // what the device's sink and the thread share (agent_channel.cpp)

private:
    AgentChannel(std::shared_ptr<Shared> shared, std::shared_ptr<virtio::ConsoleDevice> device,
                 UniqueFd stop_event);
    void serve();
    void accept_client();
    bool read_client();  // false: the client left or broke the protocol
    void drop_client();
    void push_to_guest();

    std::shared_ptr<Shared> m_shared;
    std::shared_ptr<virtio::ConsoleDevice> m_device;
    UniqueFd m_stop_event;
    UniqueFd m_listener;
    UniqueFd m_client;  // owned by the thread; Shared has a copy of the number for the sink
    std::string m_path;
    std::thread m_thread;
    bool m_keep_file = false;
};

}  // namespace twinbox::agent
