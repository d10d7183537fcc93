#include "common/unix_socket.h"

#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace twinbox {

Result<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path))
        return Error::message(fmt::format("socket path {} is too long", path));
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

Result<UniqueFd> listen_unix_socket(const std::string& path, int backlog) {
    sockaddr_un address = TRY(unix_address(path));
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener)
        return Error::from_errno("socket", path);
    ::unlink(path.c_str());
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
        return Error::from_errno("bind", path);
    ::chmod(path.c_str(), 0600);
    if (::listen(listener.get(), backlog) < 0)
        return Error::from_errno("listen", path);
    return listener;
}

}  // namespace twinbox
