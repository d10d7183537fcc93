#include "vmm/devices/i8042.h"

#include <gtest/gtest.h>

#include <memory>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

using test::read_byte;
using test::write_byte;

constexpr uint64_t kData = 0;     // port 0x60
constexpr uint64_t kCommand = 4;  // port 0x64

class I8042Test : public ::testing::Test {
protected:
    std::shared_ptr<test::RecordingPowerControl> power =
        std::make_shared<test::RecordingPowerControl>();
    I8042 controller{power};
};

TEST_F(I8042Test, PulseResetCommandResetsTheMachine) {
    // Linux's reboot=k: wait for input-buffer-full (status bit 1) to clear, then 0xfe.
    EXPECT_EQ(read_byte(controller, kCommand) & 0x02, 0);
    write_byte(controller, kCommand, 0xfe);
    EXPECT_EQ(power->reset_count, 1);
    EXPECT_TRUE(power->power_off_statuses.empty());
}

TEST_F(I8042Test, OtherCommandsDoNotReset) {
    for (int command : {0x20, 0xa7, 0xa8, 0xaa, 0xab, 0xad, 0xae, 0xd0, 0xd3, 0xd4, 0xff}) {
        write_byte(controller, kCommand, static_cast<uint8_t>(command));
        read_byte(controller, kData);
    }
    write_byte(controller, kData, 0xff);  // "reset" to the (absent) keyboard
    EXPECT_EQ(power->reset_count, 0);
}

TEST_F(I8042Test, WritingTheOutputPortResetBitLowResets) {
    write_byte(controller, kCommand, 0xd1);
    write_byte(controller, kData, 0xdf);  // A20 on, CPU running: no reset
    EXPECT_EQ(power->reset_count, 0);
    write_byte(controller, kCommand, 0xd1);
    write_byte(controller, kData, 0xde);
    EXPECT_EQ(power->reset_count, 1);
}

TEST_F(I8042Test, CommandByteReadsBackWhatWasWritten) {
    EXPECT_EQ(read_byte(controller, kCommand) & 0x01, 0);  // output buffer empty
    write_byte(controller, kCommand, 0x60);
    write_byte(controller, kData, 0x47);
    write_byte(controller, kCommand, 0x20);
    EXPECT_EQ(read_byte(controller, kCommand) & 0x01, 0x01);
    EXPECT_EQ(read_byte(controller, kData), 0x47);
    EXPECT_EQ(read_byte(controller, kCommand) & 0x01, 0);
    EXPECT_EQ(read_byte(controller, kData), 0);  // nothing left: reads 0
}

TEST_F(I8042Test, SelfTestsPass) {
    write_byte(controller, kCommand, 0xaa);
    EXPECT_EQ(read_byte(controller, kData), 0x55);
    write_byte(controller, kCommand, 0xab);
    EXPECT_EQ(read_byte(controller, kCommand) & 0x01, 0x01);
    EXPECT_EQ(read_byte(controller, kData), 0x00);
    EXPECT_EQ(read_byte(controller, kCommand) & 0x04, 0x04);  // system flag
}

TEST_F(I8042Test, DataPortReadsZeroWithoutResponse) {
    EXPECT_EQ(read_byte(controller, kData), 0);
    EXPECT_EQ(read_byte(controller, 1), 0xff);  // offsets 1-3 are not the controller
}

}  // namespace
}  // namespace twinbox
