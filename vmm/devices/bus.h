// The device side of the VMM: a device is a BusDevice, placed on the port-I/O
// bus or the MMIO bus at a base address. Devices never touch KVM; they get
// their interrupt line and their outputs as the small interfaces below, so
// unit tests drive them with fakes.
//
// Model: Cloud Hypervisor vm-device/src/bus.rs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox {

class BusDevice {
public:
    virtual ~BusDevice() = default;
    virtual std::string_view name() const = 0;
    // `offset` is relative to the device's base; `data.size()` is the access width (1, 2, 4 or 8).
    // A read fills `data`. Devices do their own locking: vCPU threads call them concurrently.
    virtual void read(uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

// An interrupt input of the interrupt controller (a GSI). Devices set the
// line's level; for edge-triggered ISA lines a rise from low to high is the edge.
class InterruptLine {
public:
    virtual ~InterruptLine() = default;
    virtual void set_level(bool high) = 0;
    void pulse() {
        set_level(true);
        set_level(false);
    }
};

// Where a device sends bytes (the UART's transmitter, for example).
class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(std::span<const uint8_t> bytes) = 0;
};

// How a device asks the VMM to stop or reset the machine (debug-exit, i8042 reset, ACPI sleep).
class PowerControl {
public:
    virtual ~PowerControl() = default;
    // The guest asked to power off; twinbox exits with `status`.
    virtual void power_off(int status) = 0;
    // The guest asked for a reset (reboot). twinbox ends the VM, as Firecracker does.
    virtual void reset() = 0;
};

// An address space (port I/O or MMIO) with devices in non-overlapping ranges.
class Bus {
public:
    Result<void> insert(std::shared_ptr<BusDevice> device, uint64_t base, uint64_t length);

    // Returns false when no device claims `address`; the caller decides what
    // an unclaimed access means (reads of nothing return all ones on x86).
    bool read(uint64_t address, std::span<uint8_t> data) const;
    bool write(uint64_t address, std::span<const uint8_t> data) const;
    // The name of the device at `address`, or "unclaimed" (for the exit tracer).
    std::string_view device_name(uint64_t address) const;

    // The devices in address order (for `twinbox vm inspect` and the exit counters).
    struct Entry {
        uint64_t base;
        uint64_t length;
        std::string_view name;
    };
    std::vector<Entry> entries() const;

private:
    struct Range {
        uint64_t length;
        std::shared_ptr<BusDevice> device;
    };
    // Finds the device whose range holds [address, address + size).
    const std::pair<const uint64_t, Range>* find(uint64_t address, uint64_t size) const;

    std::map<uint64_t, Range> m_ranges;  // keyed by base address
};

}  // namespace twinbox
