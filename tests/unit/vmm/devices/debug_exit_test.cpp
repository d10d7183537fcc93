#include "vmm/devices/debug_exit.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

class DebugExitTest : public ::testing::Test {
protected:
    std::shared_ptr<test::RecordingPowerControl> power =
        std::make_shared<test::RecordingPowerControl>();
    DebugExit device{power};
};

TEST_F(DebugExitTest, WriteExitsWithQemuStatus) {
    const uint8_t value[4] = {0x10, 0, 0, 0};  // outl(0x10, 0xf4), the usual "success"
    device.write(0, value);
    EXPECT_EQ(power->power_off_statuses, (std::vector<int>{0x21}));
    EXPECT_EQ(power->reset_count, 0);
}

TEST_F(DebugExitTest, ByteWriteAtAnyOffsetExits) {
    test::write_byte(device, 3, 0);
    EXPECT_EQ(power->power_off_statuses, (std::vector<int>{1}));
}

TEST_F(DebugExitTest, StatusKeepsTheLowEightBitsLikeAProcessExit) {
    EXPECT_EQ(DebugExit::exit_status(0x11), 35);
    EXPECT_EQ(DebugExit::exit_status(0x7f), 255);
    EXPECT_EQ(DebugExit::exit_status(0x80), 1);
    EXPECT_EQ(DebugExit::exit_status(0xffffffff), 255);
}

TEST_F(DebugExitTest, ReadsReturnZeroAndDoNotExit) {
    uint8_t word[4] = {0xff, 0xff, 0xff, 0xff};
    device.read(0, word);
    EXPECT_EQ(word[0] | word[1] | word[2] | word[3], 0);
    EXPECT_TRUE(power->power_off_statuses.empty());
}

}  // namespace
}  // namespace twinbox
