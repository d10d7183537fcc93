// The Generic Event Device (GED) of a hardware-reduced ACPI machine: how the
// VMM tells the guest about a platform event such as a power-button press.
//
// Spec: ACPI 6.5 section 5.6.9 "Interrupt-signaled ACPI events": a device
// with _HID "ACPI0013" lists its interrupts in _CRS; when one fires, the OS
// runs the device's _EVT method (5.6.9.1 "_EVT (Event Method)") with the
// interrupt number. Hardware-reduced machines (section 4.1) have no fixed
// power button and no GPE blocks, so this is where a power button lives.
//
// The device itself is one byte-wide I/O port, the event selector. The DSDT
// (arch/x86_64/acpi/dsdt.cpp) maps it as an OperationRegion, and _EVT reads
// it: each set bit is a pending event, and for kPowerButton _EVT does
// Notify (\_SB.PWRB, 0x80), which Linux's ACPI button driver turns into a
// KEY_POWER input event (ACPI 6.5 section 4.8.3.1.1, "Control Method Power
// Button"). Reading the selector clears it and lowers the interrupt line:
// the line is level-triggered and stays high while an event is pending, so
// a press that lands while the guest is busy is not lost.
//
// Models: Cloud Hypervisor devices/src/acpi.rs (AcpiGedDevice), QEMU
// hw/acpi/generic_event_device.c. Neither's register layout is copied:
// twinbox has one 8-bit selector and one event.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "vmm/devices/bus.h"

namespace twinbox {

class GenericEventDevice : public BusDevice {
public:
    // The register offsets from the device's base port.
    enum class Register : uint64_t {
        event_selector = 0,  // read: pending events (then cleared); writes are ignored
    };
    // Event selector bits; the DSDT's _EVT tests the same values.
    static constexpr uint8_t kPowerButton = 1u << 0;
    static constexpr uint64_t kLength = 1;

    explicit GenericEventDevice(std::shared_ptr<InterruptLine> interrupt)
        : m_interrupt(std::move(interrupt)) {}

    std::string_view name() const override { return "acpi-ged"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Presses the power button (any thread): sets the event and raises the line.
    void press_power_button();
    // Events raised and not yet read by the guest.
    uint8_t pending() const;

private:
    std::shared_ptr<InterruptLine> m_interrupt;
    mutable std::mutex m_mutex;
    uint8_t m_pending = 0;
};

}  // namespace twinbox
