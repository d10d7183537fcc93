// SOCK_SEQPACKET messages between the runtime and the container's first process.
#include "container/sys/sync_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace twinbox::container {

namespace {
constexpr size_t kMaxMessage = 8192;
}

Result<SyncSocket> SyncSocket::create() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return Error::from_errno("socketpair", "container sync socket");
    SyncSocket pair;
    pair.m_parent.reset(fds[0]);
    pair.m_child.reset(fds[1]);
    return pair;
}

Result<void> SyncSocket::send(int fd, const SyncMessage& message) {
    // Layout: kind (1 byte), exit code (4 bytes, host order), text.
    char buffer[kMaxMessage];
    size_t text_size = std::min(message.text.size(), kMaxMessage - 5);
    buffer[0] = static_cast<char>(message.kind);
    int32_t code = message.exit_code;
    std::memcpy(buffer + 1, &code, sizeof(code));
    std::memcpy(buffer + 5, message.text.data(), text_size);
    ssize_t sent;
    do {
        sent = ::send(fd, buffer, 5 + text_size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0)
        return Error::from_errno("send", "container sync socket");
    return ok();
}

Result<SyncMessage> SyncSocket::receive(int fd) {
    char buffer[kMaxMessage];
    ssize_t got;
    do {
        got = ::recv(fd, buffer, sizeof(buffer), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && errno != ECONNRESET)
        return Error::from_errno("recv", "container sync socket");
    SyncMessage message;
    if (got <= 0)
        return message;  // Closed: the peer exited or was killed
    if (got < 5)
        return Error::message("container sync socket: truncated message");
    message.kind = static_cast<SyncMessage::Kind>(buffer[0]);
    int32_t code;
    std::memcpy(&code, buffer + 1, sizeof(code));
    message.exit_code = code;
    message.text.assign(buffer + 5, static_cast<size_t>(got - 5));
    return message;
}

void fail_and_exit(int fd, const Error& error) {
    SyncMessage message{SyncMessage::Kind::Error, error.exit_status(), error.to_string()};
    (void)SyncSocket::send(fd, message);
    ::_exit(error.exit_status());
}

}  // namespace twinbox::container
