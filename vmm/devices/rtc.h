// The MC146818 real-time clock and its CMOS RAM, as wired in every PC.
//
// Spec: Motorola MC146818A "Real-Time Clock Plus RAM (RTC)" datasheet:
// "Address Map", "Time, Calendar and Alarm Data Modes" (the BCD and binary
// formats and the 12/24-hour hours byte), "Register A" to "Register D".
// PC conventions beyond the chip: the index port 0x70 (bit 7 = NMI disable)
// and data port 0x71 from the IBM PC AT Technical Reference "CMOS RAM Address
// Map"; the century byte at 0x32 as named by the ACPI FADT CENTURY field (ACPI
// 6.5 section 5.2.9); the memory-size bytes that SeaBIOS reads (QEMU
// hw/i386/pc.c). Model: kvmtool hw/rtc.c.
//
// What is emulated and what is simplified:
// - The time and date registers always read the host's wall-clock time in
//   UTC, converted at the moment of the read, in BCD or binary and 12- or
//   24-hour format as register B says. Guest writes to them are ignored: a
//   guest cannot move the host's clock and twinbox keeps no offset.
// - Update-in-progress (register A bit 7) is never set: each read samples the
//   clock afresh, so there is no update cycle to wait for. A guest reading the
//   registers one by one across a second boundary sees mixed values; Linux
//   already re-reads until two passes agree.
// - No interrupts (periodic, alarm, update-ended): register C reads 0 and the
//   interrupt-enable bits of register B are stored but have no effect. Linux
//   reads the clock at boot and keeps time with its own clock sources.
// - Register D reads "valid RAM and time" (VRT); the other 114 bytes are
//   plain CMOS RAM that the guest can read and write.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>

#include "vmm/devices/bus.h"

namespace twinbox {

// The CMOS RAM address map: the chip's 14 clock registers, then PC-defined bytes.
enum class RtcRegister : uint8_t {
    seconds = 0x00,
    seconds_alarm = 0x01,
    minutes = 0x02,
    minutes_alarm = 0x03,
    hours = 0x04,  // bit 7 = PM in 12-hour mode
    hours_alarm = 0x05,
    day_of_week = 0x06,  // 1 = Sunday
    day_of_month = 0x07,
    month = 0x08,
    year = 0x09,      // two digits; the century is at 0x32
    status_a = 0x0a,  // UIP (bit 7), divider and rate select
    status_b = 0x0b,  // SET, interrupt enables, DM (bit 2, 1 = binary), 24/12 (bit 1, 1 = 24h)
    status_c = 0x0c,  // interrupt flags, read-only
    status_d = 0x0d,  // VRT (bit 7), read-only
    // PC AT CMOS layout, as SeaBIOS and QEMU use it.
    base_memory_low = 0x15,  // KiB of conventional memory (640)
    base_memory_high = 0x16,
    extended_memory_low = 0x17,  // KiB from 1 MiB up to 64 MiB
    extended_memory_high = 0x18,
    extended_memory_copy_low = 0x30,  // the same, as POST reports it
    extended_memory_copy_high = 0x31,
    century = 0x32,
    memory_above_16m_low = 0x34,  // 64 KiB units from 16 MiB up to the 32-bit hole
    memory_above_16m_high = 0x35,
    memory_above_4g_low = 0x5b,  // 64 KiB units above 4 GiB, three bytes
    memory_above_4g_middle = 0x5c,
    memory_above_4g_high = 0x5d,
};

class Rtc : public BusDevice {
public:
    static constexpr uint16_t kBasePort = 0x70;  // index; data at 0x71
    static constexpr uint64_t kPortCount = 2;
    static constexpr size_t kRamSize = 128;

    // Seconds since the Unix epoch, UTC. Tests inject a fixed time.
    using WallClock = std::function<std::time_t()>;

    // Starts with register A = 0x26 (32.768 kHz time base, 1024 Hz rate, the
    // values a PC BIOS programs) and register B = 0x02 (24-hour, BCD).
    explicit Rtc(WallClock clock = [] { return std::time(nullptr); });

    std::string_view name() const override { return "rtc"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Records guest RAM sizes in the CMOS bytes SeaBIOS and other firmware
    // read: `below_4g` is RAM under the 32-bit MMIO hole, `above_4g` the rest.
    void set_memory_sizes(uint64_t below_4g, uint64_t above_4g);
    // Whether the guest has masked NMIs through bit 7 of the index port.
    bool nmi_disabled() const;

private:
    uint8_t read_data();
    void write_data(uint8_t value);
    // Returns the clock register `index` for the time `now`, in the guest's format.
    uint8_t clock_register(uint8_t index, const std::tm& now) const;
    uint8_t encode(unsigned value) const;
    void set_word(RtcRegister low, uint16_t value);

    mutable std::mutex m_mutex;
    WallClock m_clock;
    std::array<uint8_t, kRamSize> m_ram{};
    uint8_t m_index = 0;
    bool m_nmi_disabled = false;
};

}  // namespace twinbox
