// The sleep control and status registers of a hardware-reduced ACPI machine
// (ACPI 6.5 sections 4.8.3.7 and 4.8.3.8), the FADT's SLEEP_CONTROL_REG and
// SLEEP_STATUS_REG. This is how a guest powers off: Linux reads the SLP_TYP
// value for soft-off from the DSDT's \_S5 package, then writes
// SLP_TYP << 2 | SLP_EN to the control register.
//
// twinbox puts them at two I/O ports (layout::kAcpiSleepControlPort and
// kAcpiSleepStatusPort, one byte each); the device is inserted on the port
// bus at the control port with length 2.
//
// Models: QEMU hw/acpi/generic_event_device.c (its sleep registers),
// Cloud Hypervisor devices/src/acpi.rs.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "vmm/devices/bus.h"

namespace twinbox {

class AcpiSleep : public BusDevice {
public:
    // The register offsets from the device's base port.
    enum class Register : uint64_t {
        control = 0,  // SLEEP_CONTROL_REG, write-only
        status = 1,   // SLEEP_STATUS_REG
    };
    // Sleep control register bits (ACPI 6.5 section 4.8.3.7): bits 2-4
    // SLP_TYPx, bit 5 SLP_EN; the others are reserved.
    static constexpr uint8_t kSleepTypeShift = 2;
    static constexpr uint8_t kSleepTypeMask = 0x7 << kSleepTypeShift;
    static constexpr uint8_t kSleepEnable = 1u << 5;
    // Sleep status register (ACPI 6.5 section 4.8.3.8): bit 7 WAK_STS, set
    // when the machine has woken; the OS clears it by writing a 1.
    static constexpr uint8_t kWakeStatus = 1u << 7;
    // The SLP_TYP value that means soft-off (S5). Any value works as long as
    // the DSDT's \_S5 package says the same; 5 is what QEMU uses.
    static constexpr uint8_t kSoftOffSleepType = 5;
    static constexpr uint64_t kLength = 2;

    explicit AcpiSleep(std::shared_ptr<PowerControl> power) : m_power(std::move(power)) {}

    std::string_view name() const override { return "acpi-sleep"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    uint8_t read_register(uint64_t offset);
    // Returns true when the write asks for soft-off.
    bool write_register(uint64_t offset, uint8_t value);

    std::shared_ptr<PowerControl> m_power;
    std::mutex m_mutex;
    bool m_wake_status = false;
};

}  // namespace twinbox
