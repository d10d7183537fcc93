#include "vmm/devices/acpi_sleep.h"

#include <gtest/gtest.h>

#include "tests/unit/vmm/devices/fakes.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace {

using test::read_byte;
using test::RecordingPowerControl;
using test::write_byte;

constexpr uint64_t kControl = static_cast<uint64_t>(AcpiSleep::Register::control);
constexpr uint64_t kStatus = static_cast<uint64_t>(AcpiSleep::Register::status);

// What Linux writes for S5 (acpi_hw_extended_sleep): SLP_TYP from \_S5, shifted, plus SLP_EN.
constexpr uint8_t kSoftOff = (AcpiSleep::kSoftOffSleepType << 2) | (1u << 5);

TEST(AcpiSleep, SoftOffPowersTheMachineOff) {
    auto power = std::make_shared<RecordingPowerControl>();
    AcpiSleep sleep(power);
    write_byte(sleep, kControl, kSoftOff);
    ASSERT_EQ(power->power_off_statuses.size(), 1u);
    EXPECT_EQ(power->power_off_statuses[0], 0);
    EXPECT_EQ(power->reset_count, 0);
}

TEST(AcpiSleep, NothingHappensWithoutSleepEnable) {
    auto power = std::make_shared<RecordingPowerControl>();
    AcpiSleep sleep(power);
    write_byte(sleep, kControl, AcpiSleep::kSoftOffSleepType << 2);
    write_byte(sleep, kStatus, kSoftOff);  // the status register never powers off
    EXPECT_TRUE(power->power_off_statuses.empty());
}

TEST(AcpiSleep, UnsupportedSleepStatesWakeAtOnce) {
    auto power = std::make_shared<RecordingPowerControl>();
    AcpiSleep sleep(power);
    EXPECT_EQ(read_byte(sleep, kStatus), 0);
    write_byte(sleep, kStatus, AcpiSleep::kWakeStatus);               // Linux clears WAK_STS first
    write_byte(sleep, kControl, (3 << 2) | AcpiSleep::kSleepEnable);  // "S3"
    EXPECT_TRUE(power->power_off_statuses.empty());
    EXPECT_EQ(read_byte(sleep, kStatus), AcpiSleep::kWakeStatus);  // so Linux's poll ends
    write_byte(sleep, kStatus, 0x00);                              // writing 0 leaves it set
    EXPECT_EQ(read_byte(sleep, kStatus), AcpiSleep::kWakeStatus);
    write_byte(sleep, kStatus, AcpiSleep::kWakeStatus);  // write 1 to clear
    EXPECT_EQ(read_byte(sleep, kStatus), 0);
}

TEST(AcpiSleep, ControlRegisterReadsAsZero) {
    auto power = std::make_shared<RecordingPowerControl>();
    AcpiSleep sleep(power);
    write_byte(sleep, kControl, AcpiSleep::kSoftOffSleepType << 2);
    EXPECT_EQ(read_byte(sleep, kControl), 0);
}

TEST(AcpiSleep, WorksThroughThePortBusAtTheLayoutPorts) {
    static_assert(layout::kAcpiSleepStatusPort == layout::kAcpiSleepControlPort + kStatus);
    auto power = std::make_shared<RecordingPowerControl>();
    Bus bus;
    ASSERT_TRUE(bus.insert(std::make_shared<AcpiSleep>(power), layout::kAcpiSleepControlPort,
                           AcpiSleep::kLength)
                    .has_value());
    uint8_t status = 0xff;
    EXPECT_TRUE(bus.read(layout::kAcpiSleepStatusPort, {&status, 1}));
    EXPECT_EQ(status, 0);
    const uint8_t value = kSoftOff;
    EXPECT_TRUE(bus.write(layout::kAcpiSleepControlPort, {&value, 1}));
    EXPECT_EQ(power->power_off_statuses.size(), 1u);
}

}  // namespace
}  // namespace twinbox
