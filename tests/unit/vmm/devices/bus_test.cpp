#include "vmm/devices/bus.h"

#include <gtest/gtest.h>

#include <vector>

namespace twinbox {
namespace {

class RecordingDevice : public BusDevice {
public:
    std::string_view name() const override { return "recorder"; }
    void read(uint64_t offset, std::span<uint8_t> data) override {
        for (auto& byte : data) byte = static_cast<uint8_t>(offset);
    }
    void write(uint64_t offset, std::span<const uint8_t> data) override {
        writes.push_back({offset, data.size()});
    }
    std::vector<std::pair<uint64_t, size_t>> writes;
};

TEST(Bus, RoutesAccessesRelativeToTheBase) {
    Bus bus;
    auto device = std::make_shared<RecordingDevice>();
    ASSERT_TRUE(bus.insert(device, 0x3f8, 8).has_value());
    uint8_t value = 0;
    EXPECT_TRUE(bus.read(0x3fd, {&value, 1}));
    EXPECT_EQ(value, 5);
    const uint8_t data[2] = {1, 2};
    EXPECT_TRUE(bus.write(0x3f8, data));
    ASSERT_EQ(device->writes.size(), 1u);
    EXPECT_EQ(device->writes[0].first, 0u);
}

TEST(Bus, UnclaimedAndStraddlingAccessesAreNotDelivered) {
    Bus bus;
    auto device = std::make_shared<RecordingDevice>();
    ASSERT_TRUE(bus.insert(device, 0x100, 4).has_value());
    uint8_t word[4];
    EXPECT_FALSE(bus.read(0xff, {word, 1}));
    EXPECT_FALSE(bus.read(0x104, {word, 1}));
    EXPECT_FALSE(bus.read(0x102, {word, 4}));  // runs past the end of the device
}

TEST(Bus, RejectsOverlaps) {
    Bus bus;
    ASSERT_TRUE(bus.insert(std::make_shared<RecordingDevice>(), 0x100, 0x10).has_value());
    EXPECT_FALSE(bus.insert(std::make_shared<RecordingDevice>(), 0x108, 0x10).has_value());
    EXPECT_FALSE(bus.insert(std::make_shared<RecordingDevice>(), 0xf8, 0x10).has_value());
    EXPECT_TRUE(bus.insert(std::make_shared<RecordingDevice>(), 0x110, 0x10).has_value());
    EXPECT_FALSE(bus.insert(std::make_shared<RecordingDevice>(), 0x200, 0).has_value());
}

}  // namespace
}  // namespace twinbox
