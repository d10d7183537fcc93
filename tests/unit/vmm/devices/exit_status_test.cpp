// twinbox's exit-status port (vmm/devices/exit_status.h).
#include "vmm/devices/exit_status.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

class ExitStatusPortTest : public ::testing::Test {
protected:
    std::shared_ptr<test::RecordingPowerControl> power =
        std::make_shared<test::RecordingPowerControl>();
    ExitStatusPort device{power};
};

TEST_F(ExitStatusPortTest, ReadsItsSignatureSoTheAgentCanFindIt) {
    uint8_t byte = 0;
    device.read(0, std::span<uint8_t>(&byte, 1));
    EXPECT_EQ(byte, 'T');
    uint8_t word[2] = {0, 0};
    device.read(0, word);  // only a one-byte read carries the signature
    EXPECT_EQ(word[0], 0xff);
    EXPECT_TRUE(power->power_off_statuses.empty());
}

TEST_F(ExitStatusPortTest, AByteWriteEndsTheVmWithExactlyThatStatus) {
    for (int status : {0, 3, 42, 125, 255}) {
        auto fresh_power = std::make_shared<test::RecordingPowerControl>();
        ExitStatusPort port{fresh_power};
        test::write_byte(port, 0, static_cast<uint8_t>(status));
        EXPECT_EQ(fresh_power->power_off_statuses, (std::vector<int>{status}));
        EXPECT_EQ(port.reported(), status);
    }
}

TEST_F(ExitStatusPortTest, OnlyTheFirstReportCounts) {
    test::write_byte(device, 0, 7);
    test::write_byte(device, 0, 9);
    EXPECT_EQ(power->power_off_statuses, (std::vector<int>{7}));
    EXPECT_EQ(device.reported(), 7);
}

TEST_F(ExitStatusPortTest, WideOrMisplacedWritesAreIgnored) {
    const uint8_t word[2] = {1, 0};
    device.write(0, word);
    test::write_byte(device, 1, 5);
    EXPECT_TRUE(power->power_off_statuses.empty());
    EXPECT_FALSE(device.reported());
}

}  // namespace
}  // namespace twinbox
