#include "vmm/control/client.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common/unique_fd.h"
#include "common/unix_socket.h"

namespace twinbox {

namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on fd until the deadline; false on timeout.
Result<bool> wait_for(int fd, short events, Clock::time_point deadline, const std::string& what) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        pollfd descriptor{fd, events, 0};
        int ready = ::poll(&descriptor, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return Error::from_errno("poll", what);
        return ready > 0;
    }
}

Result<UniqueFd> connect_socket(const std::string& path, Clock::time_point deadline) {
    sockaddr_un address = TRY(unix_address(path));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd)
        return Error::from_errno("socket", path);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0)
        return fd;
    if (errno == ENOENT || errno == ECONNREFUSED)
        return Error::message(
            fmt::format("the VM's control socket {} is gone: the VM has ended", path));
    if (errno != EINPROGRESS && errno != EAGAIN)
        return Error::from_errno("connect", path);
    if (!TRY(wait_for(fd.get(), POLLOUT, deadline, path)))
        return Error::message(fmt::format("connecting to {} timed out", path));
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0)
        return Error::from_errno("connect", path, error);
    return fd;
}

}  // namespace

Result<nlohmann::json> control_request(const std::string& socket_path, const std::string& command,
                                       std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    UniqueFd fd = TRY(connect_socket(socket_path, deadline));
    std::string request = nlohmann::json{{"cmd", command}}.dump() + "\n";
    size_t sent = 0;
    while (sent < request.size()) {
        ssize_t wrote =
            ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (wrote < 0 && errno == EAGAIN) {
            if (!TRY(wait_for(fd.get(), POLLOUT, deadline, socket_path)))
                return Error::message(fmt::format("sending to {} timed out", socket_path));
            continue;
        }
        if (wrote < 0 && errno != EINTR)
            return Error::from_errno("send", socket_path);
        if (wrote > 0)
            sent += static_cast<size_t>(wrote);
    }
    std::string reply;
    for (;;) {
        auto newline = reply.find('\n');
        if (newline != std::string::npos) {
            reply.resize(newline);
            break;
        }
        if (!TRY(wait_for(fd.get(), POLLIN, deadline, socket_path)))
            return Error::message(fmt::format("the VM did not answer '{}' on {} within {} ms",
                                              command, socket_path, timeout.count()));
        char buffer[4096];
        ssize_t got = ::recv(fd.get(), buffer, sizeof(buffer), 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0)
            return Error::from_errno("recv", socket_path);
        if (got == 0)
            return Error::message(
                fmt::format("the VM closed its control socket {} without answering: it has ended",
                            socket_path));
        reply.append(buffer, static_cast<size_t>(got));
        if (reply.size() > (16u << 20))
            return Error::message(fmt::format("the reply on {} is too long", socket_path));
    }
    nlohmann::json object = nlohmann::json::parse(reply, nullptr, false);
    if (object.is_discarded() || !object.is_object())
        return Error::message(
            fmt::format("the VM's reply on {} is not a JSON object", socket_path));
    if (auto error = object.find("error"); error != object.end())
        return Error::message(error->is_string() ? error->get<std::string>() : error->dump());
    return object;
}

}  // namespace twinbox
