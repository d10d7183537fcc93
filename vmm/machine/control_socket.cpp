#include "vmm/machine/control_socket.h"

#include <fmt/core.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/log.h"
#include "common/unix_socket.h"

namespace twinbox {

namespace {

struct Client {
    UniqueFd fd;
    std::string pending;  // bytes after the last complete line
};

// Handles every complete line in the client's buffer; false: drop the client.
bool serve_lines(Client& client, ControlTarget& target) {
    for (;;) {
        auto newline = client.pending.find('\n');
        if (newline == std::string::npos) {
            if (client.pending.size() <= kMaxControlLine)
                return true;
            std::string reply = control_error_line(fmt::format(
                "request longer than {} bytes without a newline; closing", kMaxControlLine));
            [[maybe_unused]] ssize_t ignored =
                ::send(client.fd.get(), reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            return false;
        }
        std::string reply =
            handle_control_line(std::string_view(client.pending).substr(0, newline), target);
        client.pending.erase(0, newline + 1);
        ssize_t sent =
            ::send(client.fd.get(), reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent != static_cast<ssize_t>(reply.size()))
            return false;  // gone, or not reading its replies
    }
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::create(const std::string& socket_path,
                                                             ControlTarget& target) {
    // Only the owner (root, normally) may pause or stop the VM: mode 0600.
    UniqueFd listener = TRY(listen_unix_socket(socket_path, 32));
    UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop)
        return Error::from_errno("eventfd", "control socket");
    return std::unique_ptr<ControlServer>(
        new ControlServer(socket_path, std::move(listener), std::move(stop), target));
}

ControlServer::ControlServer(std::string path, UniqueFd listener, UniqueFd stop_event,
                             ControlTarget& target)
    : m_path(std::move(path)),
      m_listener(std::move(listener)),
      m_stop_event(std::move(stop_event)),
      m_target(target) {}

ControlServer::~ControlServer() {
    stop();
}

void ControlServer::start(std::function<bool()> thread_setup) {
    if (!m_thread.joinable())
        m_thread = std::thread([this, setup = std::move(thread_setup)] {
            if (!setup || setup())
                serve();
        });
}

void ControlServer::stop() {
    if (m_thread.joinable()) {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t ignored = ::write(m_stop_event.get(), &one, sizeof(one));
        m_thread.join();
    }
    if (m_listener) {
        m_listener.reset();
        if (!m_keep_file)
            ::unlink(m_path.c_str());
    }
}

void ControlServer::serve() {
    std::vector<Client> clients;
    for (;;) {
        std::vector<pollfd> fds;
        fds.push_back({m_stop_event.get(), POLLIN, 0});
        fds.push_back({clients.size() < kMaxClients ? m_listener.get() : -1, POLLIN, 0});
        for (const auto& client : clients) fds.push_back({client.fd.get(), POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            log::warn("control socket {}: poll: {}", m_path, std::strerror(errno));
            return;
        }
        if (fds[0].revents & POLLIN)
            return;
        // Clients first (their indices match fds), then new connections.
        std::vector<bool> keep(clients.size(), true);
        for (size_t index = 0; index < clients.size(); ++index) {
            if (!(fds[index + 2].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[4096];
            ssize_t got = ::recv(clients[index].fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (got <= 0) {
                keep[index] = false;  // closed (perhaps mid-line): nothing to answer
                continue;
            }
            clients[index].pending.append(buffer, static_cast<size_t>(got));
            keep[index] = serve_lines(clients[index], m_target);
        }
        std::vector<Client> still;
        for (size_t index = 0; index < clients.size(); ++index)
            if (keep[index])
                still.push_back(std::move(clients[index]));
        clients = std::move(still);
        // Take every waiting connection (up to the limit), so the backlog drains.
        while ((fds[1].revents & POLLIN) && clients.size() < kMaxClients) {
            int fd = ::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0)
                break;
            clients.push_back({UniqueFd(fd), {}});
        }
    }
}

}  // namespace twinbox
