// ACPI 6.5 section 5.6.9, the Generic Event Device. See generic_event_device.h.
#include "vmm/devices/generic_event_device.h"

#include <algorithm>

namespace twinbox {

void GenericEventDevice::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);
    if (data.empty() || offset != static_cast<uint64_t>(Register::event_selector))
        return;
    std::lock_guard lock(m_mutex);
    data[0] = m_pending;
    if (m_pending != 0) {
        // Read-to-clear, so an event is handled once; the line falls with it.
        m_pending = 0;
        m_interrupt->set_level(false);
    }
}

void GenericEventDevice::write(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {
    // The selector is read-only: the DSDT's Field never writes it.
}

void GenericEventDevice::press_power_button() {
    std::lock_guard lock(m_mutex);
    m_pending |= kPowerButton;
    m_interrupt->set_level(true);
}

uint8_t GenericEventDevice::pending() const {
    std::lock_guard lock(m_mutex);
    return m_pending;
}

}  // namespace twinbox
