// virtio-rng (virtio 1.2 section 5.4) through a hand-built ring.
#include "vmm/virtio/rng.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/vmm/virtio/virtio_fakes.h"

namespace twinbox::virtio {
namespace {

using test::DeviceHarness;

bool all_zero(const std::vector<uint8_t>& bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

TEST(RngTest, IdentityAndNoConfiguration) {
    auto device = RngDevice::create();
    EXPECT_EQ(device->device_id(), DeviceId::entropy);
    EXPECT_EQ(device->queue_count(), 1u);
    EXPECT_EQ(device->device_features(), 0u);
    uint8_t config[4] = {1, 2, 3, 4};
    device->read_config(0, config);
    EXPECT_EQ(config[0] | config[1] | config[2] | config[3], 0);
}

TEST(RngTest, FillsWritableBuffersWithRandomBytes) {
    DeviceHarness harness;
    auto device = RngDevice::create();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t first = harness.ring.allocate(64);
    uint64_t second = harness.ring.allocate(64);
    uint64_t third = harness.ring.allocate(100);
    harness.ring.add_chain({{first, 64, true}, {second, 64, true}});
    harness.ring.add_chain({{third, 100, true}});
    ASSERT_TRUE(harness.kick_and_wait(2));
    EXPECT_EQ(harness.ring.used_entry(0).length, 128u);
    EXPECT_EQ(harness.ring.used_entry(1).length, 100u);
    auto a = harness.ring.read(first, 64);
    auto b = harness.ring.read(second, 64);
    EXPECT_FALSE(all_zero(a));
    EXPECT_FALSE(all_zero(b));
    EXPECT_NE(a, b);
    EXPECT_GE(harness.interrupt->used(), 1);
}

TEST(RngTest, RequestsAreCapped) {
    DeviceHarness harness;
    auto device = RngDevice::create();
    ASSERT_TRUE(harness.activate(*device));
    constexpr uint32_t kLarge = 100 * 1024;
    uint64_t buffer = harness.ring.allocate(kLarge);
    harness.ring.add_chain({{buffer, kLarge, true}});
    ASSERT_TRUE(harness.kick_and_wait(1));
    EXPECT_EQ(harness.ring.used_entry(0).length, RngDevice::kMaxBytesPerRequest);
    // Beyond the cap the buffer is untouched.
    EXPECT_TRUE(all_zero(harness.ring.read(buffer + RngDevice::kMaxBytesPerRequest,
                                           kLarge - RngDevice::kMaxBytesPerRequest)));
}

TEST(RngTest, ReadableBuffersAreNeverWritten) {
    DeviceHarness harness;
    auto device = RngDevice::create();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t readable = harness.ring.allocate(32);
    uint64_t writable = harness.ring.allocate(32);
    harness.ring.add_chain({{readable, 32, false}, {writable, 32, true}});
    ASSERT_TRUE(harness.kick_and_wait(1));
    EXPECT_EQ(harness.ring.used_entry(0).length, 32u);
    EXPECT_TRUE(all_zero(harness.ring.read(readable, 32)));
}

TEST(RngTest, HostileChainAsksForResetOnce) {
    DeviceHarness harness;
    auto device = RngDevice::create();
    ASSERT_TRUE(harness.activate(*device));
    // A buffer that runs off the end of guest RAM.
    harness.ring.add_chain({{DeviceHarness::kMemorySize - 16, 64, true}});
    harness.ring.publish();
    harness.notify.signal();
    ASSERT_TRUE(harness.interrupt->wait_needs_reset());
    uint64_t good = harness.ring.allocate(16);
    harness.ring.add_chain({{good, 16, true}});
    EXPECT_FALSE(harness.kick_and_wait(1, std::chrono::milliseconds(200)));
    EXPECT_EQ(harness.interrupt->needs_reset(), 1);
    EXPECT_TRUE(all_zero(harness.ring.read(good, 16)));
}

}  // namespace
}  // namespace twinbox::virtio
