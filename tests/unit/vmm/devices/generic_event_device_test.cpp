// The ACPI Generic Event Device's event selector (ACPI 6.5 section 5.6.9).
#include "vmm/devices/generic_event_device.h"

#include <gtest/gtest.h>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

using test::FakeInterruptLine;
using test::read_byte;
using test::write_byte;

constexpr uint64_t kSelector = static_cast<uint64_t>(GenericEventDevice::Register::event_selector);

TEST(GenericEventDeviceTest, NothingIsPendingAtFirst) {
    auto line = std::make_shared<FakeInterruptLine>();
    GenericEventDevice ged(line);
    EXPECT_EQ(read_byte(ged, kSelector), 0);
    EXPECT_TRUE(line->levels.empty()) << "a read with nothing pending leaves the line alone";
}

TEST(GenericEventDeviceTest, APowerButtonPressRaisesTheLineUntilTheGuestReadsTheSelector) {
    auto line = std::make_shared<FakeInterruptLine>();
    GenericEventDevice ged(line);
    ged.press_power_button();
    EXPECT_TRUE(line->level);
    EXPECT_EQ(ged.pending(), GenericEventDevice::kPowerButton);
    // _EVT reads the selector: the event is reported once, and the line falls.
    EXPECT_EQ(read_byte(ged, kSelector), GenericEventDevice::kPowerButton);
    EXPECT_FALSE(line->level);
    EXPECT_EQ(read_byte(ged, kSelector), 0);
}

TEST(GenericEventDeviceTest, TwoPressesBeforeAReadAreOneEvent) {
    auto line = std::make_shared<FakeInterruptLine>();
    GenericEventDevice ged(line);
    ged.press_power_button();
    ged.press_power_button();
    EXPECT_EQ(read_byte(ged, kSelector), GenericEventDevice::kPowerButton);
    EXPECT_EQ(read_byte(ged, kSelector), 0);
}

TEST(GenericEventDeviceTest, WritesAndOtherOffsetsChangeNothing) {
    auto line = std::make_shared<FakeInterruptLine>();
    GenericEventDevice ged(line);
    ged.press_power_button();
    write_byte(ged, kSelector, 0xff);
    EXPECT_EQ(read_byte(ged, kSelector + 1), 0);
    EXPECT_EQ(ged.pending(), GenericEventDevice::kPowerButton) << "only a read clears it";
    EXPECT_TRUE(line->level);
}

}  // namespace
}  // namespace twinbox
