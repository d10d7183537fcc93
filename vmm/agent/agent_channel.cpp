// The VMM's end of the agent channel (see agent_channel.h).
#include "vmm/agent/agent_channel.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/log.h"
#include "common/unix_socket.h"
#include "vmm/agent/protocol.h"
#include "vmm/devices/bus.h"
#include "vmm/virtio/console.h"

namespace twinbox::agent {

namespace {
// Client frames held for the guest before the channel stops reading the client:
// the device's own input buffer takes ConsoleDevice::kInputCapacity more.
constexpr size_t kMaxPending = 2 * (kMaxPayload + kHeaderSize);

// Sends all of `bytes` on a non-blocking socket, waiting for room until `deadline`.
bool send_all(int fd, std::span<const uint8_t> bytes,
              std::chrono::steady_clock::time_point deadline) {
    while (!bytes.empty()) {
        ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent > 0) {
            bytes = bytes.subspan(static_cast<size_t>(sent));
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && errno != EAGAIN)
            return false;
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        pollfd waiter{fd, POLLOUT, 0};
        ::poll(&waiter, 1, 100);
    }
    return true;
}

void send_busy(int fd, std::string_view text) {
    std::vector<uint8_t> frame;
    std::string_view limited = text.substr(0, 1024);
    if (append_frame(frame, FrameType::busy,
                     std::span(reinterpret_cast<const uint8_t*>(limited.data()), limited.size())))
        [[maybe_unused]]
        ssize_t sent = ::send(fd, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

}  // namespace

struct AgentChannel::Shared {
    EventFd wake;  // the sink gave up on a client, or the device has room for input
    std::mutex lock;
    // Guarded by `lock`: the client the sink sends to (-1: none), and the guest's stream.
    int client_fd = -1;
    bool client_stalled = false;
    FrameDecoder from_guest;
    std::string broken;  // why the guest's stream cannot be read any more
    // Used by the channel thread only.
    FrameDecoder from_client;
    std::vector<uint8_t> to_guest;
    bool session_open = false;  // the client sent a request: tell the agent when it leaves
    // Set by the guest's first frame (the agent's empty 'S' when it has put
    // hvc1 in raw mode): bytes sent before would be echoed back by the tty.
    std::atomic<bool> guest_ready{false};

    explicit Shared(EventFd event) : wake(std::move(event)) {}

    // The event loop thread: one more piece of the guest's output.
    void from_guest_bytes(std::span<const uint8_t> bytes) {
        std::lock_guard guard(lock);
        if (!broken.empty())
            return;
        from_guest.feed(bytes);
        for (;;) {
            auto frame = from_guest.next();
            if (!frame)
                return break_stream(frame.error().to_string());
            if (!frame.value())
                return;
            forward(*frame.value());
        }
    }

    void forward(const Frame& frame) {
        switch (frame.type) {
            case FrameType::started:
            case FrameType::stdout_data:
            case FrameType::stderr_data:
            case FrameType::exit:
                break;
            default:
                return break_stream(fmt::format("the guest sent a host frame type '{}'",
                                                static_cast<char>(frame.type)));
        }
        if (!guest_ready.exchange(true))
            wake.signal();  // client frames held until now can go
        if (client_fd < 0 || client_stalled)
            return;  // nobody listens: an earlier session's output
        std::vector<uint8_t> bytes;
        if (!append_frame(bytes, frame.type, frame.payload))
            return;
        if (!send_all(client_fd, bytes, std::chrono::steady_clock::now() + kSendTimeout)) {
            client_stalled = true;  // gone, or not reading: the thread drops it
            wake.signal();
        }
    }

    void break_stream(const std::string& why) {
        broken = why;
        log::error("agent channel: {} - the channel is closed until the VM restarts", why);
        if (client_fd >= 0) {
            send_busy(client_fd, "the guest broke the agent protocol: " + why);
            client_stalled = true;
            wake.signal();
        }
    }
};

namespace {

// The device's output: the guest's frames.
class GuestSink : public ByteSink {
public:
    explicit GuestSink(std::shared_ptr<AgentChannel::Shared> shared)
        : m_shared(std::move(shared)) {}
    void write(std::span<const uint8_t> bytes) override { m_shared->from_guest_bytes(bytes); }

private:
    std::shared_ptr<AgentChannel::Shared> m_shared;
};

}  // namespace

Result<std::unique_ptr<AgentChannel>> AgentChannel::create() {
    auto shared = std::make_shared<Shared>(TRY(EventFd::create()));
    auto device = TRY(virtio::ConsoleDevice::create(std::make_shared<GuestSink>(shared)));
    // The shared state, not the channel, outlives a device the event loop still serves.
    device->set_input_space_callback([shared] { shared->wake.signal(); });
    UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop)
        return Error::from_errno("eventfd", "agent channel");
    return std::unique_ptr<AgentChannel>(
        new AgentChannel(std::move(shared), std::move(device), std::move(stop)));
}

AgentChannel::AgentChannel(std::shared_ptr<Shared> shared,
                           std::shared_ptr<virtio::ConsoleDevice> device, UniqueFd stop_event)
    : m_shared(std::move(shared)),
      m_device(std::move(device)),
      m_stop_event(std::move(stop_event)) {}

AgentChannel::~AgentChannel() {
    stop();
}

Result<void> AgentChannel::listen(const std::string& socket_path) {
    // Whoever connects runs commands as root in the guest: the owner only (0600).
    m_listener = TRY(listen_unix_socket(socket_path, 8));
    m_path = socket_path;
    return ok();
}

void AgentChannel::start(std::function<bool()> thread_setup) {
    if (m_listener && !m_thread.joinable())
        m_thread = std::thread([this, setup = std::move(thread_setup)] {
            if (!setup || setup())
                serve();
        });
}

bool AgentChannel::guest_ready() const {
    return m_shared->guest_ready.load();
}

void AgentChannel::stop() {
    if (m_thread.joinable()) {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t ignored = ::write(m_stop_event.get(), &one, sizeof(one));
        m_thread.join();
    }
    {
        std::lock_guard guard(m_shared->lock);
        m_shared->client_fd = -1;
    }
    m_client.reset();
    if (m_listener) {
        m_listener.reset();
        if (!m_keep_file)
            ::unlink(m_path.c_str());
    }
}

void AgentChannel::serve() {
    for (;;) {
        bool room = m_shared->to_guest.size() < kMaxPending;
        pollfd fds[] = {{m_stop_event.get(), POLLIN, 0},
                        {m_shared->wake.fd(), POLLIN, 0},
                        {m_listener.get(), POLLIN, 0},
                        {m_client && room ? m_client.get() : -1, POLLIN, 0}};
        if (::poll(fds, std::size(fds), -1) < 0) {
            if (errno == EINTR)
                continue;
            log::warn("agent socket {}: poll: {}", m_path, std::strerror(errno));
            return;
        }
        if (fds[0].revents & POLLIN)
            return;
        if (fds[1].revents & POLLIN) {
            m_shared->wake.consume();
            std::lock_guard guard(m_shared->lock);
            if (m_shared->client_stalled)
                m_shared->client_fd = -1;
        }
        if (m_client && m_shared->client_fd < 0)
            drop_client();  // the sink gave up on it
        if ((fds[3].revents & (POLLIN | POLLHUP | POLLERR)) && !read_client())
            drop_client();
        if (fds[2].revents & POLLIN)
            accept_client();
        push_to_guest();
    }
}

void AgentChannel::accept_client() {
    UniqueFd client(::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client)
        return;
    std::lock_guard guard(m_shared->lock);
    if (!m_shared->broken.empty())
        return send_busy(client.get(), "the agent channel is broken: " + m_shared->broken);
    if (m_client)
        return send_busy(client.get(), "another exec is using the agent channel (one at a time)");
    m_shared->client_fd = client.get();
    m_shared->client_stalled = false;
    m_client = std::move(client);
}

bool AgentChannel::read_client() {
    uint8_t buffer[16 * 1024];
    ssize_t got = ::recv(m_client.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (got <= 0)
        return false;
    m_shared->from_client.feed(std::span(buffer, static_cast<size_t>(got)));
    for (;;) {
        auto frame = m_shared->from_client.next();
        if (!frame) {
            send_busy(m_client.get(), frame.error().to_string());
            return false;
        }
        if (!frame.value())
            return true;
        FrameType type = frame.value()->type;
        if (type != FrameType::request && type != FrameType::stdin_data) {
            send_busy(m_client.get(), "a client sends only request and stdin frames");
            return false;
        }
        if (type == FrameType::request)
            m_shared->session_open = true;
        // Re-encoding a checked frame cannot exceed the limit.
        [[maybe_unused]] auto appended =
            append_frame(m_shared->to_guest, type, frame.value()->payload);
    }
}

void AgentChannel::drop_client() {
    {
        std::lock_guard guard(m_shared->lock);
        m_shared->client_fd = -1;
        m_shared->client_stalled = false;
    }
    m_client.reset();
    m_shared->from_client.clear();
    if (std::exchange(m_shared->session_open, false)) [[maybe_unused]]
        auto appended = append_frame(m_shared->to_guest, FrameType::hang_up, {});
}

void AgentChannel::push_to_guest() {
    auto& pending = m_shared->to_guest;
    if (pending.empty() || !m_shared->guest_ready.load())
        return;
    size_t accepted = m_device->push_input(pending);
    pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(accepted));
}

}  // namespace twinbox::agent
