#include "vmm/devices/rtc.h"

#include <gtest/gtest.h>

#include <ctime>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

using test::read_byte;
using test::write_byte;

constexpr uint64_t kIndexPort = 0;  // port 0x70
constexpr uint64_t kDataPort = 1;   // port 0x71

std::time_t utc(int year, int month, int day, int hour, int minute, int second) {
    std::tm broken_down{};
    broken_down.tm_year = year - 1900;
    broken_down.tm_mon = month - 1;
    broken_down.tm_mday = day;
    broken_down.tm_hour = hour;
    broken_down.tm_min = minute;
    broken_down.tm_sec = second;
    return timegm(&broken_down);
}

uint8_t read_cmos(Rtc& rtc, uint8_t index) {
    write_byte(rtc, kIndexPort, index);
    return read_byte(rtc, kDataPort);
}

void write_cmos(Rtc& rtc, uint8_t index, uint8_t value) {
    write_byte(rtc, kIndexPort, index);
    write_byte(rtc, kDataPort, value);
}

class RtcTest : public ::testing::Test {
protected:
    // Saturday 9 March 2024, 23:45:07 UTC.
    std::time_t now = utc(2024, 3, 9, 23, 45, 7);
    Rtc rtc{[this] { return now; }};
};

TEST_F(RtcTest, DefaultsToBcdAnd24Hours) {
    EXPECT_EQ(read_cmos(rtc, 0x0b), 0x02);
    EXPECT_EQ(read_cmos(rtc, 0x00), 0x07);
    EXPECT_EQ(read_cmos(rtc, 0x02), 0x45);
    EXPECT_EQ(read_cmos(rtc, 0x04), 0x23);
    EXPECT_EQ(read_cmos(rtc, 0x06), 0x07);  // Saturday; Sunday is 1
    EXPECT_EQ(read_cmos(rtc, 0x07), 0x09);
    EXPECT_EQ(read_cmos(rtc, 0x08), 0x03);
    EXPECT_EQ(read_cmos(rtc, 0x09), 0x24);
    EXPECT_EQ(read_cmos(rtc, 0x32), 0x20);
}

TEST_F(RtcTest, BinaryModeWhenGuestSetsDataMode) {
    write_cmos(rtc, 0x0b, 0x06);  // DM = binary, 24-hour
    EXPECT_EQ(read_cmos(rtc, 0x00), 7);
    EXPECT_EQ(read_cmos(rtc, 0x02), 45);
    EXPECT_EQ(read_cmos(rtc, 0x04), 23);
    EXPECT_EQ(read_cmos(rtc, 0x09), 24);
    EXPECT_EQ(read_cmos(rtc, 0x32), 20);
    EXPECT_EQ(read_cmos(rtc, 0x0b), 0x06);
}

TEST_F(RtcTest, TwelveHourModeSetsPmFlag) {
    write_cmos(rtc, 0x0b, 0x00);                   // BCD, 12-hour
    EXPECT_EQ(read_cmos(rtc, 0x04), 0x80 | 0x11);  // 11 PM
    write_cmos(rtc, 0x0b, 0x04);                   // binary, 12-hour
    EXPECT_EQ(read_cmos(rtc, 0x04), 0x80 | 11);
    now = utc(2024, 3, 10, 0, 30, 0);  // half past midnight is 12 AM
    EXPECT_EQ(read_cmos(rtc, 0x04), 12);
}

TEST_F(RtcTest, FollowsTheClock) {
    now = utc(1999, 12, 31, 23, 59, 59);
    EXPECT_EQ(read_cmos(rtc, 0x09), 0x99);
    EXPECT_EQ(read_cmos(rtc, 0x32), 0x19);
    now += 1;
    EXPECT_EQ(read_cmos(rtc, 0x00), 0x00);
    EXPECT_EQ(read_cmos(rtc, 0x09), 0x00);
    EXPECT_EQ(read_cmos(rtc, 0x32), 0x20);
    EXPECT_EQ(read_cmos(rtc, 0x08), 0x01);
}

TEST_F(RtcTest, StatusRegistersSayTheClockIsValidAndIdle) {
    EXPECT_EQ(read_cmos(rtc, 0x0a), 0x26);
    write_cmos(rtc, 0x0a, 0xa6);
    EXPECT_EQ(read_cmos(rtc, 0x0a) & 0x80, 0);  // UIP never set
    EXPECT_EQ(read_cmos(rtc, 0x0c), 0x00);
    EXPECT_EQ(read_cmos(rtc, 0x0d), 0x80);
    write_cmos(rtc, 0x0d, 0x00);
    EXPECT_EQ(read_cmos(rtc, 0x0d), 0x80);
}

TEST_F(RtcTest, TimeWritesAreIgnoredButRamIsWritable) {
    write_cmos(rtc, 0x00, 0x30);
    EXPECT_EQ(read_cmos(rtc, 0x00), 0x07);
    write_cmos(rtc, 0x01, 0x30);  // the seconds alarm is plain storage
    EXPECT_EQ(read_cmos(rtc, 0x01), 0x30);
    write_cmos(rtc, 0x7f, 0xab);
    EXPECT_EQ(read_cmos(rtc, 0x7f), 0xab);
}

TEST_F(RtcTest, IndexBitSevenMasksNmiAndIsNotPartOfTheIndex) {
    write_cmos(rtc, 0x40, 0x5a);
    EXPECT_FALSE(rtc.nmi_disabled());
    write_byte(rtc, kIndexPort, 0x80 | 0x40);
    EXPECT_TRUE(rtc.nmi_disabled());
    EXPECT_EQ(read_byte(rtc, kDataPort), 0x5a);
}

TEST_F(RtcTest, StoresMemorySizesLikeSeaBios) {
    constexpr uint64_t kMiB = 1024 * 1024;
    rtc.set_memory_sizes(3072 * kMiB, 1024 * kMiB);
    EXPECT_EQ(read_cmos(rtc, 0x15) | read_cmos(rtc, 0x16) << 8, 640);
    EXPECT_EQ(read_cmos(rtc, 0x17) | read_cmos(rtc, 0x18) << 8, 0xffff);  // saturated
    EXPECT_EQ(read_cmos(rtc, 0x30) | read_cmos(rtc, 0x31) << 8, 0xffff);
    // (3072 - 16) MiB in 64 KiB units.
    EXPECT_EQ(read_cmos(rtc, 0x34) | read_cmos(rtc, 0x35) << 8, (3072 - 16) * 16);
    EXPECT_EQ(read_cmos(rtc, 0x5b) | read_cmos(rtc, 0x5c) << 8 | read_cmos(rtc, 0x5d) << 16,
              1024 * 16);
    rtc.set_memory_sizes(32 * kMiB, 0);
    EXPECT_EQ(read_cmos(rtc, 0x17) | read_cmos(rtc, 0x18) << 8, 31 * 1024);
    EXPECT_EQ(read_cmos(rtc, 0x34) | read_cmos(rtc, 0x35) << 8, 16 * 16);
}

}  // namespace
}  // namespace twinbox
