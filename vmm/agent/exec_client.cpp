// The host client of the agent channel (see exec_client.h, protocol.h).
#include "vmm/agent/exec_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common/unique_fd.h"
#include "common/unix_socket.h"
#include "vmm/agent/agent_channel.h"
#include "vmm/agent/protocol.h"

namespace twinbox {

namespace {

using agent::Frame;
using agent::FrameType;

Result<UniqueFd> connect_agent(const std::filesystem::path& socket_path) {
    std::string path = socket_path.string();
    sockaddr_un address = TRY(unix_address(path));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd)
        return Error::from_errno("socket", "agent socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) {
        if (errno == ENOENT)
            return Error::message(
                       fmt::format("{} does not exist: the VM has no guest agent channel", path))
                .with_hint("only VMs started by 'twinbox run --isolation vm' run the guest agent");
        return Error::from_errno("connect", path);
    }
    return fd;
}

bool write_all(int fd, std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        bytes = bytes.subspan(static_cast<size_t>(written));
    }
    return true;
}

// One exec: the socket, what is still to be sent on it, and where the session stands.
class Session {
public:
    Session(UniqueFd socket, const VmExecRequest& request, uint64_t nonce)
        : m_socket(std::move(socket)), m_request(request), m_nonce(agent::nonce_text(nonce)) {}

    Result<int> run(std::vector<uint8_t> request_frame) {
        m_outgoing = std::move(request_frame);
        m_stdin_open = m_request.stdin_fd >= 0;
        if (!m_stdin_open)
            TRY(agent::append_frame(m_outgoing, FrameType::stdin_data, {}));
        for (;;) {
            bool read_stdin = m_stdin_open && m_outgoing.size() < agent::kMaxPayload;
            pollfd fds[] = {{m_socket.get(),
                             static_cast<short>(POLLIN | (m_outgoing.empty() ? 0 : POLLOUT)), 0},
                            {read_stdin ? m_request.stdin_fd : -1, POLLIN, 0}};
            if (::poll(fds, std::size(fds), -1) < 0) {
                if (errno == EINTR)
                    continue;
                return Error::from_errno("poll", "agent socket");
            }
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
                TRY(read_stdin_once());
            if (fds[0].revents & POLLOUT)
                TRY(send_some());
            if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (auto status = TRY(receive()))
                    return *status;
            }
        }
    }

private:
    Result<void> read_stdin_once() {
        uint8_t buffer[16 * 1024];
        ssize_t got = ::read(m_request.stdin_fd, buffer, sizeof(buffer));
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            return ok();
        if (got <= 0) {
            m_stdin_open = false;  // end of input (or an error): the command sees EOF
            return agent::append_frame(m_outgoing, FrameType::stdin_data, {});
        }
        return agent::append_frame(m_outgoing, FrameType::stdin_data,
                                   std::span(buffer, static_cast<size_t>(got)));
    }

    Result<void> send_some() {
        ssize_t sent = ::send(m_socket.get(), m_outgoing.data(), m_outgoing.size(),
                              MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && (errno == EAGAIN || errno == EINTR))
            return ok();
        if (sent < 0) {
            // The VMM closed the connection: what it said first (a 'B' frame,
            // "another exec is using the channel") is still there to be read.
            m_outgoing.clear();
            m_stdin_open = false;
            return ok();
        }
        m_outgoing.erase(m_outgoing.begin(), m_outgoing.begin() + sent);
        return ok();
    }

    // The exit status once the 'X' frame arrived.
    Result<std::optional<int>> receive() {
        uint8_t buffer[16 * 1024];
        ssize_t got = ::recv(m_socket.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            return std::optional<int>();
        if (got <= 0)
            return Error::message("the agent channel closed before the command ended")
                .with_hint("did the VM stop? ('twinbox vm ls')");
        m_decoder.feed(std::span(buffer, static_cast<size_t>(got)));
        for (;;) {
            auto frame = TRY(m_decoder.next().with_context("the VM's agent channel"));
            if (!frame)
                return std::optional<int>();
            if (auto status = TRY(handle(*frame)))
                return status;
        }
    }

    Result<std::optional<int>> handle(const Frame& frame) {
        if (frame.type == FrameType::busy)
            return Error::message(std::string(frame.payload.begin(), frame.payload.end()));
        if (!m_started) {
            // Frames before our 'S' are the tail of an earlier session whose client left.
            m_started = frame.type == FrameType::started &&
                        std::string(frame.payload.begin(), frame.payload.end()) == m_nonce;
            return std::optional<int>();
        }
        switch (frame.type) {
            case FrameType::stdout_data:
                write_all(m_request.stdout_fd, frame.payload);
                return std::optional<int>();
            case FrameType::stderr_data:
                write_all(m_request.stderr_fd, frame.payload);
                return std::optional<int>();
            case FrameType::exit:
                return std::optional<int>(TRY(agent::parse_exit_payload(frame.payload)));
            default:
                return Error::message(fmt::format("the VM's agent sent an unexpected '{}' frame",
                                                  static_cast<char>(frame.type)));
        }
    }

    UniqueFd m_socket;
    const VmExecRequest& m_request;
    std::string m_nonce;
    std::vector<uint8_t> m_outgoing;
    agent::FrameDecoder m_decoder;
    bool m_stdin_open = false;
    bool m_started = false;
};

}  // namespace

Result<int> exec_in_vm(const std::filesystem::path& vm_run_dir, const VmExecRequest& request) {
    uint64_t nonce = 0;
    if (::getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
        return Error::from_errno("getrandom", "exec session nonce");
    agent::ExecRequestFields fields{request.argv,    request.env, request.user,
                                    request.workdir, request.tty, nonce};
    std::vector<uint8_t> frame;
    TRY(agent::append_frame(frame, FrameType::request, TRY(agent::encode_request(fields))));
    UniqueFd socket = TRY(connect_agent(vm_run_dir / agent::AgentChannel::kSocketName));
    return Session(std::move(socket), request, nonce).run(std::move(frame));
}

}  // namespace twinbox
