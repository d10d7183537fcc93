// `twinbox vm run --net bridge[=NAME]` on a twinbox network: the VM's tap
// joins the network's bridge, and the guest gets an address lease, passed on
// the kernel command line as ip=ADDRESS::GATEWAY:NETMASK::eth0:off (the
// default initramfs applies it after loading virtio_net), so the guest needs
// no DHCP client. The lease follows the VMM process and is released when the
// attachment is destroyed (the VM ended) or, after a SIGKILL, by the next
// twinbox command (endpoint.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/network/endpoint.h"

namespace twinbox::network {

class VmAttachment {
public:
    // `bridge` is what --net bridge=NAME gave ("twinbox0" for plain --net
    // bridge). Returns nullopt when it is not a twinbox network (a Linux
    // bridge of the user's: attach only, no lease).
    // `ports` (-p of `twinbox run --isolation vm`) are published to the
    // guest's address: DNAT rules as for a container, deleted with the lease.
    static Result<std::optional<VmAttachment>> attach(std::string_view bridge, int card,
                                                      const std::vector<PortMapping>& ports = {});
    VmAttachment(VmAttachment&& other) noexcept;
    VmAttachment& operator=(VmAttachment&&) = delete;
    ~VmAttachment();

    const std::string& bridge() const { return m_endpoint.network.bridge; }
    const Endpoint& endpoint() const { return m_endpoint; }
    std::string kernel_argument() const { return kernel_ip_argument(m_endpoint); }

private:
    explicit VmAttachment(Endpoint endpoint) : m_endpoint(std::move(endpoint)) {}
    Endpoint m_endpoint;
    bool m_owned = true;
};

}  // namespace twinbox::network
