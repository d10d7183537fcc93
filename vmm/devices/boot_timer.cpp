// Firecracker's boot-timer pseudo-device; see boot_timer.h.
#include "vmm/devices/boot_timer.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <utility>

#include "common/log.h"

namespace twinbox {

BootTimer::BootTimer(std::chrono::steady_clock::time_point start, LogLine log_line, Clock clock)
    : m_start(start), m_log_line(std::move(log_line)), m_clock(std::move(clock)) {}

void BootTimer::read(uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);  // nothing to read
}

void BootTimer::write(uint64_t offset, std::span<const uint8_t> data) {
    // Like Firecracker, only a one-byte write at offset 0 counts, so a stray
    // wider store that happens to contain 123 is not taken for a marker.
    if (offset != static_cast<uint64_t>(BootTimerRegister::marker) || data.size() != 1 ||
        data[0] != kBootCompleteMagic)
        return;
    auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(m_clock() - m_start);
    {
        std::lock_guard lock(m_mutex);
        m_elapsed = elapsed;
    }
    auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    std::string line = fmt::format("guest boot marker: {} ms since twinbox started", milliseconds);
    if (m_log_line)
        m_log_line(line);
    else
        log::info("{}", line);
}

std::optional<std::chrono::nanoseconds> BootTimer::elapsed() const {
    std::lock_guard lock(m_mutex);
    return m_elapsed;
}

}  // namespace twinbox
