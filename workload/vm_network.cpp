// Leases for VM network cards on twinbox networks (see vm_network.h).
#include "workload/vm_network.h"

namespace twinbox::workload {

Result<std::vector<network::VmAttachment>> attach_vm_networks(
    VmConfig& config, const std::vector<network::PortMapping>& ports) {
    std::vector<network::VmAttachment> attachments;
    for (size_t card = 0; card < config.nets.size(); ++card) {
        NetConfig& net = config.nets[card];
        if (net.bridge.empty())
            continue;
        bool first = attachments.empty();
        auto attached =
            TRY(network::VmAttachment::attach(net.bridge, static_cast<int>(card),
                                              first ? ports : std::vector<network::PortMapping>{}));
        if (!attached)
            continue;  // a Linux bridge of the user's
        net.bridge = attached->bridge();
        // Linux configures one card from ip=; the guest's first card is eth0.
        if (attachments.empty() && card == 0 && !config.kernel.empty())
            config.command_line += " " + attached->kernel_argument();
        attachments.push_back(std::move(*attached));
    }
    return attachments;
}

}  // namespace twinbox::workload
