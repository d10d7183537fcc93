// Machine's MachineView (machine_view.h): what the control socket reads and
// the pause, resume and stop it asks for.
#include "vmm/machine/machine.h"
#include "vmm/virtio/device.h"

namespace twinbox {

bool Machine::paused() const {
    return m_parts.run->pause_gate().closed();
}

std::vector<std::string> Machine::virtio_kinds() const {
    std::vector<std::string> kinds;
    for (const auto& device : m_parts.virtio.devices) kinds.emplace_back(device->name());
    return kinds;
}

ExitCounters::Snapshot Machine::exit_counts() const {
    return m_parts.counters->snapshot();
}

std::vector<MachineView::VcpuThread> Machine::vcpu_threads() const {
    std::vector<VcpuThread> threads;
    for (const auto& slot : m_parts.vcpus)
        threads.push_back({slot->tid.load(), slot->stat_fd.load()});
    return threads;
}

bool Machine::pause(std::chrono::milliseconds timeout) {
    m_parts.run->pause_gate().close();
    kick_vcpus();
    if (m_parts.run->pause_gate().wait_until_parked(timeout))
        return true;
    m_parts.run->pause_gate().open();
    return false;
}

void Machine::resume() {
    m_parts.run->pause_gate().open();
}

void Machine::stop() {
    request_stop(exit_code::kGuestPoweredOff);
}

}  // namespace twinbox
