// The MC146818 RTC and CMOS RAM; see rtc.h for what is modelled.
#include "vmm/devices/rtc.h"

#include <algorithm>
#include <utility>

namespace twinbox {

namespace {

// The index port keeps the register number in bits 0-6; bit 7 masks NMIs.
constexpr uint8_t kIndexMask = 0x7f;
constexpr uint8_t kNmiDisable = 0x80;

// Register A ("Register A"): bit 7 UIP is read-only.
constexpr uint8_t kStatusAUpdateInProgress = 0x80;
constexpr uint8_t kStatusADefault = 0x26;  // DV = 010 (32.768 kHz), RS = 0110 (1024 Hz)
// Register B ("Register B").
constexpr uint8_t kStatusBBinary = 0x04;  // DM: 1 = binary, 0 = BCD
constexpr uint8_t kStatusB24Hour = 0x02;  // 24/12: 1 = 24-hour mode
constexpr uint8_t kStatusBDefault = kStatusB24Hour;
// Register D ("Register D"): Valid RAM and Time, the battery is good.
constexpr uint8_t kStatusDValid = 0x80;
// The hours byte in 12-hour mode ("Time, Calendar and Alarm Data Modes").
constexpr uint8_t kHoursPm = 0x80;

uint8_t to_bcd(unsigned value) {
    return static_cast<uint8_t>(((value / 10) << 4) | (value % 10));
}

constexpr uint8_t index_of(RtcRegister reg) {
    return static_cast<uint8_t>(reg);
}

}  // namespace

Rtc::Rtc(WallClock clock) : m_clock(std::move(clock)) {
    m_ram[index_of(RtcRegister::status_a)] = kStatusADefault;
    m_ram[index_of(RtcRegister::status_b)] = kStatusBDefault;
}

void Rtc::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(m_mutex);
    for (size_t index = 0; index < data.size(); ++index) {
        // Port 0x70 is write-only on a PC: reading it sees an undriven bus.
        data[index] = offset + index == 1 ? read_data() : 0xff;
    }
}

void Rtc::write(uint64_t offset, std::span<const uint8_t> data) {
    std::lock_guard lock(m_mutex);
    for (size_t index = 0; index < data.size(); ++index) {
        if (offset + index == 0) {
            m_index = data[index] & kIndexMask;
            m_nmi_disabled = data[index] & kNmiDisable;
        } else if (offset + index == 1) {
            write_data(data[index]);
        }
    }
}

void Rtc::set_memory_sizes(uint64_t below_4g, uint64_t above_4g) {
    std::lock_guard lock(m_mutex);
    constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kChunk = 64 * kKiB;
    // Each 16-bit field saturates at 0xffff, as in QEMU's pc_cmos_init().
    auto clamp16 = [](uint64_t value) {
        return static_cast<uint16_t>(std::min<uint64_t>(value, 0xffff));
    };
    set_word(RtcRegister::base_memory_low, clamp16(std::min<uint64_t>(below_4g / kKiB, 640)));
    uint64_t extended = below_4g > kMiB ? (below_4g - kMiB) / kKiB : 0;
    set_word(RtcRegister::extended_memory_low, clamp16(extended));
    set_word(RtcRegister::extended_memory_copy_low, clamp16(extended));
    uint64_t above_16m = below_4g > 16 * kMiB ? (below_4g - 16 * kMiB) / kChunk : 0;
    set_word(RtcRegister::memory_above_16m_low, clamp16(above_16m));
    uint64_t high_chunks = std::min<uint64_t>(above_4g / kChunk, 0xffffff);
    m_ram[index_of(RtcRegister::memory_above_4g_low)] = static_cast<uint8_t>(high_chunks);
    m_ram[index_of(RtcRegister::memory_above_4g_middle)] = static_cast<uint8_t>(high_chunks >> 8);
    m_ram[index_of(RtcRegister::memory_above_4g_high)] = static_cast<uint8_t>(high_chunks >> 16);
}

bool Rtc::nmi_disabled() const {
    std::lock_guard lock(m_mutex);
    return m_nmi_disabled;
}

uint8_t Rtc::read_data() {
    switch (static_cast<RtcRegister>(m_index)) {
        case RtcRegister::seconds:
        case RtcRegister::minutes:
        case RtcRegister::hours:
        case RtcRegister::day_of_week:
        case RtcRegister::day_of_month:
        case RtcRegister::month:
        case RtcRegister::year:
        case RtcRegister::century: {
            std::time_t seconds = m_clock();
            std::tm now{};
            gmtime_r(&seconds, &now);
            return clock_register(m_index, now);
        }
        case RtcRegister::status_a:
            return m_ram[m_index] & ~kStatusAUpdateInProgress;
        case RtcRegister::status_c:
            return 0;  // no interrupt flags: the clock raises no interrupts
        case RtcRegister::status_d:
            return kStatusDValid;
        default:
            return m_ram[m_index];
    }
}

void Rtc::write_data(uint8_t value) {
    switch (static_cast<RtcRegister>(m_index)) {
        case RtcRegister::seconds:
        case RtcRegister::minutes:
        case RtcRegister::hours:
        case RtcRegister::day_of_week:
        case RtcRegister::day_of_month:
        case RtcRegister::month:
        case RtcRegister::year:
        case RtcRegister::century:
            return;  // the time is always the host's (see rtc.h)
        case RtcRegister::status_c:
        case RtcRegister::status_d:
            return;  // read-only ("Register C", "Register D")
        case RtcRegister::status_a:
            m_ram[m_index] = value & ~kStatusAUpdateInProgress;
            return;
        default:
            m_ram[m_index] = value;  // register B, alarms and plain CMOS RAM
            return;
    }
}

uint8_t Rtc::clock_register(uint8_t index, const std::tm& now) const {
    switch (static_cast<RtcRegister>(index)) {
        case RtcRegister::seconds:
            return encode(static_cast<unsigned>(now.tm_sec));
        case RtcRegister::minutes:
            return encode(static_cast<unsigned>(now.tm_min));
        case RtcRegister::hours: {
            auto hour = static_cast<unsigned>(now.tm_hour);
            if (m_ram[index_of(RtcRegister::status_b)] & kStatusB24Hour)
                return encode(hour);
            // 12-hour mode: 12, 1, ..., 11 with the PM flag in bit 7, in either format.
            unsigned twelve_hour = hour % 12 == 0 ? 12 : hour % 12;
            return static_cast<uint8_t>(encode(twelve_hour) | (hour >= 12 ? kHoursPm : 0));
        }
        case RtcRegister::day_of_week:
            return encode(static_cast<unsigned>(now.tm_wday) + 1);
        case RtcRegister::day_of_month:
            return encode(static_cast<unsigned>(now.tm_mday));
        case RtcRegister::month:
            return encode(static_cast<unsigned>(now.tm_mon) + 1);
        case RtcRegister::year:
            return encode(static_cast<unsigned>(now.tm_year + 1900) % 100);
        case RtcRegister::century:
            return encode(static_cast<unsigned>(now.tm_year + 1900) / 100);
        default:
            return 0;
    }
}

uint8_t Rtc::encode(unsigned value) const {
    if (m_ram[index_of(RtcRegister::status_b)] & kStatusBBinary)
        return static_cast<uint8_t>(value);
    return to_bcd(value);
}

void Rtc::set_word(RtcRegister low, uint16_t value) {
    m_ram[index_of(low)] = static_cast<uint8_t>(value);
    m_ram[index_of(low) + 1] = static_cast<uint8_t>(value >> 8);
}

}  // namespace twinbox
