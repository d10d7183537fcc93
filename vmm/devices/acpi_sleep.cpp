// ACPI 6.5 sections 4.8.3.7 (Sleep Control Register) and 4.8.3.8 (Sleep Status Register).
#include "vmm/devices/acpi_sleep.h"

#include "common/log.h"

namespace twinbox {

void AcpiSleep::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(m_mutex);
    // Each byte of a wider access is the register at that offset, so a 16-bit
    // read at the base returns both registers.
    for (size_t i = 0; i < data.size(); ++i) data[i] = read_register(offset + i);
}

void AcpiSleep::write(uint64_t offset, std::span<const uint8_t> data) {
    bool power_off = false;
    {
        std::lock_guard lock(m_mutex);
        for (size_t i = 0; i < data.size(); ++i) power_off |= write_register(offset + i, data[i]);
    }
    // Outside the lock: power_off() stops the VM, which may wait for the vCPUs.
    if (power_off)
        m_power->power_off(0);
}

uint8_t AcpiSleep::read_register(uint64_t offset) {
    // SLP_EN always reads as zero and SLP_TYP is write-only in practice, so the
    // control register reads as 0; the status register has only WAK_STS.
    if (offset == static_cast<uint64_t>(Register::status))
        return m_wake_status ? kWakeStatus : 0;
    return 0;
}

bool AcpiSleep::write_register(uint64_t offset, uint8_t value) {
    if (offset == static_cast<uint64_t>(Register::status)) {
        // WAK_STS is write-1-to-clear; Linux clears it before every sleep.
        if (value & kWakeStatus)
            m_wake_status = false;
        return false;
    }
    if (offset != static_cast<uint64_t>(Register::control) || !(value & kSleepEnable))
        return false;
    uint8_t sleep_type = (value & kSleepTypeMask) >> kSleepTypeShift;
    if (sleep_type == kSoftOffSleepType)
        return true;
    // The DSDT offers no other sleep state, so a guest asking for one is
    // confused. Wake it at once: after writing SLP_EN, Linux polls for WAK_STS
    // and would spin forever otherwise.
    log::warn("acpi-sleep: the guest asked for unsupported sleep type {}; waking it at once",
              sleep_type);
    m_wake_status = true;
    return false;
}

}  // namespace twinbox
