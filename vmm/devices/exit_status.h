// twinbox's exit-status port: how the guest agent of `twinbox run
// --isolation vm` (guest/agent/twinbox-init.c) hands the workload's exit
// status to the VMM, so that `twinbox run` exits with it in both isolations.
//
// QEMU's isa-debug-exit (debug_exit.h) cannot carry an arbitrary status: it
// exits with (v << 1) | 1, always odd. This device is twinbox's own, one I/O
// port next to the ACPI sleep registers (layout::kExitStatusPort, 0x604):
//
//   read   returns 'T' (0x54), so a guest can tell it is there (a port with no
//          device reads 0xff) and fall back to an ACPI power-off elsewhere
//   write  one byte S: the VM ends and `twinbox vm run` exits with status S
//
// Wider or other-offset accesses are ignored: the guest is not trusted to be
// well behaved, only to be unable to do more than end its own VM.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "vmm/devices/bus.h"

namespace twinbox {

class ExitStatusPort : public BusDevice {
public:
    static constexpr uint8_t kSignature = 'T';

    explicit ExitStatusPort(std::shared_ptr<PowerControl> power) : m_power(std::move(power)) {}

    std::string_view name() const override { return "exit-status"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // The status the guest reported, if it did (a VM that powered off or
    // crashed without reporting has none: `twinbox run` then fails with 125).
    std::optional<int> reported() const {
        int value = m_reported.load();
        return value < 0 ? std::nullopt : std::optional<int>(value);
    }

private:
    std::shared_ptr<PowerControl> m_power;
    std::atomic<int> m_reported{-1};
};

}  // namespace twinbox
