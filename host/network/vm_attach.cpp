// VM endpoints (see vm_attach.h).
#include "host/network/vm_attach.h"

#include <fmt/format.h>
#include <unistd.h>

#include "common/log.h"

namespace twinbox::network {

Result<std::optional<VmAttachment>> VmAttachment::attach(std::string_view bridge, int card,
                                                         const std::vector<PortMapping>& ports) {
    auto paths = network_paths();
    bool known = bridge == kDefaultNetwork || ::access(paths.config(bridge).c_str(), F_OK) == 0;
    if (!known)
        return std::optional<VmAttachment>();
    EndpointRequest request;
    request.network = std::string(bridge);
    request.owner = fmt::format("vm-{}-{}", ::getpid(), card);
    request.kind = "vm";
    request.name = fmt::format("vm pid {} eth{}", ::getpid(), card);
    request.ports = ports;
    auto endpoint = TRY(reserve_endpoint(request));
    // From here the attachment owns the lease: a failure below releases it.
    VmAttachment attachment(std::move(endpoint));
    TRY(publish_ports(attachment.m_endpoint.lease));
    return std::optional<VmAttachment>(std::move(attachment));
}

VmAttachment::VmAttachment(VmAttachment&& other) noexcept
    : m_endpoint(std::move(other.m_endpoint)), m_owned(std::exchange(other.m_owned, false)) {}

VmAttachment::~VmAttachment() {
    if (!m_owned)
        return;
    if (auto released = release_endpoint(m_endpoint.lease.owner); !released)
        log::warn("releasing the guest's address: {}", released.error().to_string());
}

}  // namespace twinbox::network
