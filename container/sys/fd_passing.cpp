// SCM_RIGHTS with sendmsg(2)/recvmsg(2) (cmsg(3) shows the buffer layout).
#include "container/sys/fd_passing.h"

#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace twinbox::container {

Result<void> send_fd(int socket, int fd, const std::string& name) {
    struct iovec body {
        const_cast<char*>(name.data()), name.size()
    };
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr message {};
    message.msg_iov = &body;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
    if (::sendmsg(socket, &message, MSG_NOSIGNAL) < 0)
        return Error::from_errno("sendmsg(SCM_RIGHTS)", "passing the console");
    return ok();
}

Result<UniqueFd> receive_fd(int socket) {
    char name[256];
    struct iovec body {
        name, sizeof(name)
    };
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr message {};
    message.msg_iov = &body;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t got;
    do {
        got = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return Error::from_errno("recvmsg", "receiving the console");
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (got == 0 || !header || header->cmsg_type != SCM_RIGHTS)
        return Error::message("the container sent no console descriptor");
    int fd;
    std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
    return UniqueFd(fd);
}

Result<UniqueFd> connect_unix(const std::string& path) {
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path))
        return Error::message(fmt::format("socket path {} is too long", path));
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return Error::from_errno("socket", path);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
        return Error::from_errno("connect", path)
            .with_hint("is --console-socket a listening AF_UNIX socket?");
    return fd;
}

}  // namespace twinbox::container
