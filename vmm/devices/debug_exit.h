// QEMU's isa-debug-exit device: a port a test guest writes to end the VM with
// a status of its choosing.
//
// Spec: QEMU hw/misc/debugexit.c (there is no hardware datasheet; the QEMU
// source is the definition). A write of value v at any offset makes QEMU call
// exit((v << 1) | 1); reads return 0. QEMU's own defaults are iobase 0x501,
// iosize 2; twinbox places it where bare-metal tutorials and test kernels
// expect it, `-device isa-debug-exit,iobase=0xf4,iosize=0x04`.
//
// The exit status: QEMU shifts the value left and sets bit 0 so that a guest
// can never make QEMU look successful (status 0), and the operating system
// keeps only the low 8 bits of an exit status. twinbox passes exactly that
// final 8-bit number, ((v << 1) | 1) & 0xff, to PowerControl::power_off(),
// so `twinbox vm run` exits with the same status QEMU would: v = 0x10 gives 33,
// v = 0x11 gives 35, and v = 0x80 gives 1, just as under QEMU.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "vmm/devices/bus.h"

namespace twinbox {

// One write-only register covering the whole range.
enum class DebugExitRegister : uint8_t {
    exit_code = 0,  // write v (1, 2 or 4 bytes, little endian): exit with (v << 1) | 1
};

class DebugExit : public BusDevice {
public:
    static constexpr uint16_t kBasePort = 0xf4;
    static constexpr uint64_t kPortCount = 4;

    explicit DebugExit(std::shared_ptr<PowerControl> power);

    // The process exit status a write of `value` produces (see the file comment).
    static int exit_status(uint64_t value);

    std::string_view name() const override { return "isa-debug-exit"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    // Stateless apart from the power controller, which is set once: no lock needed.
    std::shared_ptr<PowerControl> m_power;
};

}  // namespace twinbox
