// Machine: the finished parts put together (machine_builder.cpp builds them),
// its teardown, and what devices and the control socket ask of it.
#include "vmm/machine/machine.h"

#include "common/log.h"
#include "vmm/agent/agent_channel.h"
#include "vmm/control/exit_counters.h"
#include "vmm/control/registry.h"
#include "vmm/devices/exit_status.h"
#include "vmm/devices/generic_event_device.h"
#include "vmm/devices/serial.h"
#include "vmm/machine/control_socket.h"
#include "vmm/machine/machine_control.h"
#include "vmm/trace/exit_trace.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/event_loop.h"
#include "vmm/virtio/mmio_transport.h"

namespace twinbox {

Machine::Machine(const VmConfig& config, Parts parts)
    : m_config(config), m_parts(std::move(parts)) {}

Machine::~Machine() {
    // The threads go first: they use every part. The parts then go in reverse
    // order of construction (machine.h).
    request_stop(exit_code::kTwinboxError);
    kick_vcpus();
    for (auto& slot : m_parts.vcpus)
        if (slot->thread.joinable())
            slot->thread.join();
    close_control_socket();
}

std::optional<int> Machine::workload_status() const {
    return m_parts.devices->exit_status_port->reported();
}

Result<void> Machine::press_power_button() {
    if (m_config.kernel.empty())
        return Error::message(
                   "the guest is not a Linux kernel, so it has no ACPI power button to press")
            .with_hint("use stop to end it");
    m_parts.devices->generic_event_device->press_power_button();
    return ok();
}

void Machine::power_off(int status) {
    m_parts.run->power_off(status);
}

void Machine::reset() {
    m_parts.run->reset();
}

}  // namespace twinbox
