// QEMU's isa-debug-exit; see debug_exit.h for the exit-status rule.
#include "vmm/devices/debug_exit.h"

#include <algorithm>
#include <utility>

#include "common/log.h"

namespace twinbox {

DebugExit::DebugExit(std::shared_ptr<PowerControl> power) : m_power(std::move(power)) {}

int DebugExit::exit_status(uint64_t value) {
    return static_cast<int>(((value << 1) | 1) & 0xff);
}

void DebugExit::read(uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);  // as QEMU's debug_exit_read()
}

void DebugExit::write(uint64_t, std::span<const uint8_t> data) {
    // Port I/O is little endian: the first byte is the least significant.
    uint64_t value = 0;
    for (size_t index = 0; index < data.size() && index < sizeof(value); ++index)
        value |= static_cast<uint64_t>(data[index]) << (8 * index);
    int status = exit_status(value);
    log::debug("isa-debug-exit: guest wrote {:#x}, exiting with status {}", value, status);
    if (m_power)
        m_power->power_off(status);
}

}  // namespace twinbox
