// Firecracker's boot-timer pseudo-device: the guest writes a magic byte when
// it has finished booting, and the VMM logs how long that took since it
// started. Benchmarks use the marker to measure boot time from the inside.
//
// Spec: Firecracker src/vmm/src/devices/pseudo/boot_timer.rs and its guest
// side, resources/tests/init.c (no hardware or written spec exists): a
// one-byte write of 123 at offset 0 of the device's MMIO page signals "boot
// complete"; every other access does nothing. twinbox keeps Firecracker's
// x86 address (layout::kBootTimerAddress, one page) so guests built for
// Firecracker's boot timer work unchanged.
//
// Each marker is logged and its time since start-up is kept; a later marker
// replaces an earlier one, so a guest may signal several milestones and
// elapsed() reports the last.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "vmm/devices/bus.h"

namespace twinbox {

// One write-only byte register.
enum class BootTimerRegister : uint8_t {
    marker = 0,  // write kBootCompleteMagic (a single byte) to record the boot time
};

class BootTimer : public BusDevice {
public:
    // MAGIC_VALUE_SIGNAL_GUEST_BOOT_COMPLETE in Firecracker's boot_timer.rs.
    static constexpr uint8_t kBootCompleteMagic = 123;

    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    // A callable taking std::string_view or const std::string& both fit.
    using LogLine = std::function<void(const std::string&)>;

    // `start` is when twinbox started (the reference point of the marker).
    // `log_line` receives "guest boot marker: N ms since twinbox started";
    // without one the line goes to log::info. `clock` is injectable for tests.
    explicit BootTimer(
        std::chrono::steady_clock::time_point start, LogLine log_line = {},
        Clock clock = [] { return std::chrono::steady_clock::now(); });

    std::string_view name() const override { return "boot-timer"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Time from start-up to the last marker, or nothing before the first.
    std::optional<std::chrono::nanoseconds> elapsed() const;

private:
    const std::chrono::steady_clock::time_point m_start;
    const LogLine m_log_line;
    const Clock m_clock;
    mutable std::mutex m_mutex;
    std::optional<std::chrono::nanoseconds> m_elapsed;
};

}  // namespace twinbox
