// `twinbox vm run --net bridge[=NAME]` when NAME is a twinbox network: the
// glue between the VM's configuration (vmm/) and the network module
// (host/network/vm_attach.h).
#pragma once

#include <vector>

#include "common/result.h"
#include "host/network/vm_attach.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::workload {

// Takes a lease for every card on a twinbox network and, for a Linux kernel,
// adds the first one's ip= to the command line. The leases last as long as
// the returned attachments. `ports` (-p) are published to the first card's
// address.
Result<std::vector<network::VmAttachment>> attach_vm_networks(
    VmConfig& config, const std::vector<network::PortMapping>& ports = {});

}  // namespace twinbox::workload
