// The loopback interface of a new network namespace (netdevice(7)).
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "common/unique_fd.h"
#include "container/namespaces/namespaces.h"

namespace twinbox::container {

Result<void> bring_up_loopback() {
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return Error::from_errno("socket", "loopback");
    struct ifreq request {};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(fd.get(), SIOCGIFFLAGS, &request) < 0)
        return Error::from_errno("ioctl(SIOCGIFFLAGS)", "lo");
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(fd.get(), SIOCSIFFLAGS, &request) < 0)
        return Error::from_errno("ioctl(SIOCSIFFLAGS)", "bringing lo up");
    return ok();
}

}  // namespace twinbox::container
