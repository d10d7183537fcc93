// From two "stats" replies of a VM's control socket to rates, the way
// kvm_stat turns counters into a live view: exits per second by reason and
// by device, and the share of a CPU the vCPU threads used (100% = one host
// CPU busy all the time, so 2 busy vCPUs show 200%, as in top(1)).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace twinbox {

struct VmRates {
    double seconds = 0;  // VM uptime between the two samples
    double exits_per_second = 0;
    std::vector<std::pair<std::string, double>> by_reason;  // highest first
    std::vector<std::pair<std::string, double>> by_device;  // "serial@0x3f8", highest first
    double vcpu_percent = 0;
};

// `before` and `after` are stats replies of the same VM, `after` taken later.
// Counters that went backwards (a different VM under the same name) count as 0.
VmRates compute_vm_rates(const nlohmann::json& before, const nlohmann::json& after);

// "serial@0x3f8" for a by_device entry of a stats reply.
std::string device_key(const nlohmann::json& entry);

}  // namespace twinbox
