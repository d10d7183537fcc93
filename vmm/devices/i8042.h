// The i8042 keyboard controller, just enough of it for a guest to reboot the
// machine and for Linux's i8042 driver to probe it without hanging.
//
// Spec: IBM Personal Computer AT Technical Reference (1984), "Keyboard
// Controller": "Status Register", "Commands (I/O Address Hex 64)", "Output
// Port"; the controller command byte bits as in Linux
// drivers/input/serio/i8042.h. Model: Firecracker src/vmm/src/devices/legacy/i8042.rs.
//
// Placement: one device at port 0x60 with length 5, handling offset 0 (port
// 0x60, data) and offset 4 (port 0x64, status/command), as Firecracker does.
// Port 0x61 (offset 1, the PC's "system control port B") falls inside the
// range but is handled by KVM's in-kernel PIT, so it never reaches us; the
// unused offsets 1-3 read 0xff and ignore writes.
//
// What is emulated: the status register, the controller command byte
// (commands 0x20/0x60), the output port (0xd0/0xd1), the self-tests (0xaa,
// 0xab) so Linux's probe succeeds, and the reset pulse (0xfe, and any 0xf0-0xff
// pulse command whose bit 0 is clear, and an output-port write that clears the
// reset bit), which calls PowerControl::reset(). There is no keyboard or
// mouse behind it: bytes for them are swallowed and nothing answers, so Linux
// decides no keyboard is attached. Responses are polled through the status
// register (OBF); the controller never raises IRQ 1 or IRQ 12.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include "vmm/devices/bus.h"

namespace twinbox {

// The two ports, by offset from port 0x60.
enum class I8042Register : uint8_t {
    data = 0,            // port 0x60: read the output buffer; write a command's data byte
    status_command = 4,  // port 0x64: read the status register; write a controller command
};

class I8042 : public BusDevice {
public:
    static constexpr uint16_t kBasePort = 0x60;
    static constexpr uint64_t kPortCount = 5;

    explicit I8042(std::shared_ptr<PowerControl> power);

    std::string_view name() const override { return "i8042"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    uint8_t read_status() const;
    uint8_t read_data();
    void write_command(uint8_t command);
    void write_data(uint8_t value);
    void write_output_port(uint8_t value);

    mutable std::mutex m_mutex;
    std::shared_ptr<PowerControl> m_power;
    // The controller command byte; 0x45 = keyboard interrupt enabled, system
    // flag set (POST passed), scancode translation on: what a PC BIOS leaves.
    uint8_t m_command_byte = 0x45;
    // The output port; bit 0 high keeps the CPU out of reset, bit 1 opens the A20 gate.
    uint8_t m_output_port = 0x03;
    std::optional<uint8_t> m_output_buffer;  // a response waiting for the guest (OBF)
    uint8_t m_data_command = 0;              // the command expecting a data byte on port 0x60, or 0
    bool m_last_write_was_command = false;   // status bit 3
};

}  // namespace twinbox
