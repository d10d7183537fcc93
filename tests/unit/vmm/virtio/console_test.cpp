// virtio-console (vmm/virtio/console.cpp) driven by hand-built rings in fake
// guest memory: output reaches the ByteSink, input waits for the guest's
// buffers, the size is in the configuration space, hostile chains stop it.
#include "vmm/virtio/console.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "tests/unit/vmm/virtio/ring_builder.h"
#include "tests/unit/vmm/virtio/virtio_fakes.h"

namespace twinbox::test {
namespace {

using virtio::ConsoleDevice;

bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return condition();
}

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// Collects output; the device writes from the event loop thread.
class LockedSink : public ByteSink {
public:
    void write(std::span<const uint8_t> bytes) override {
        std::lock_guard lock(m_lock);
        m_text.append(bytes.begin(), bytes.end());
    }
    std::string text() const {
        std::lock_guard lock(m_lock);
        return m_text;
    }

private:
    mutable std::mutex m_lock;
    std::string m_text;
};

class ConsoleDeviceTest : public ::testing::Test {
protected:
    static constexpr uint16_t kQueueSize = 16;

    void SetUp() override {
        device = ConsoleDevice::create(sink, virtio::ConsoleSize{120, 40}).release_value();
        ASSERT_TRUE(loop->start());
    }
    void TearDown() override { device.reset(); }

    Result<void> activate(uint64_t features = virtio::feature::kVersion1) {
        std::vector<virtio::ActiveQueue> queues;
        queues.push_back(
            {TRY(virtio::Virtqueue::create(memory, receive.config(), false)), &receive_notify});
        queues.push_back(
            {TRY(virtio::Virtqueue::create(memory, transmit.config(), false)), &transmit_notify});
        return device->activate({memory, std::move(queues), features, interrupt, *loop});
    }

    // The guest prints `text` in one buffer.
    uint16_t guest_write(std::string_view text) {
        uint64_t address = receive.place(bytes_of(text));  // all data from `receive`
        uint16_t head = transmit.add_chain({{address, static_cast<uint32_t>(text.size()), false}});
        transmit.publish();
        transmit_notify.signal();
        return head;
    }

    // The guest posts a receive buffer of `length` bytes; returns its address.
    uint64_t guest_post_buffer(uint32_t length) {
        uint64_t address = receive.allocate(length);
        receive.add_chain({{address, length, true}});
        receive.publish();
        receive_notify.signal();
        return address;
    }

    std::string received(uint16_t used, uint64_t address) {
        auto bytes = receive.read(address, receive.used_entry(used).length);
        return std::string(bytes.begin(), bytes.end());
    }

    GuestMemory memory = GuestMemory::create(4ull << 20).release_value();
    RingBuilder receive{memory, kQueueSize, RingBuilder::kRingBase};
    RingBuilder transmit{memory, kQueueSize, RingBuilder::kRingBase + 0x4000};
    EventFd receive_notify = EventFd::create().release_value();
    EventFd transmit_notify = EventFd::create().release_value();
    std::unique_ptr<virtio::EventLoop> loop = virtio::EventLoop::create().release_value();
    std::shared_ptr<FakeInterrupt> interrupt = std::make_shared<FakeInterrupt>();
    std::shared_ptr<LockedSink> sink = std::make_shared<LockedSink>();
    std::unique_ptr<ConsoleDevice> device;
};

TEST_F(ConsoleDeviceTest, IsASinglePortConsoleWithTwoQueues) {
    EXPECT_EQ(device->device_id(), virtio::DeviceId::console);
    EXPECT_EQ(device->queue_count(), 2u);
    EXPECT_FALSE(device->device_features() & virtio::console_feature::kMultiport);
    EXPECT_FALSE(device->device_features() & virtio::console_feature::kEmergencyWrite);
    EXPECT_TRUE(device->device_features() & virtio::console_feature::kSize);
}

TEST_F(ConsoleDeviceTest, ConfigSpaceHoldsColumnsAndRows) {
    std::array<uint8_t, 12> config{};
    config.fill(0xff);
    device->read_config(0, config);
    EXPECT_EQ((std::array<uint8_t, 12>{120, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0}), config);
    std::array<uint8_t, 2> rows{};
    device->read_config(2, rows);
    EXPECT_EQ(rows[0], 40);
    std::array<uint8_t, 4> beyond{1, 1, 1, 1};
    device->read_config(100, beyond);
    EXPECT_EQ((std::array<uint8_t, 4>{0, 0, 0, 0}), beyond);
}

TEST_F(ConsoleDeviceTest, WithoutATerminalSizeFSizeIsNotOffered) {
    auto plain = ConsoleDevice::create(sink).release_value();
    EXPECT_EQ(plain->device_features(), 0u);
}

TEST_F(ConsoleDeviceTest, GuestOutputReachesTheSink) {
    ASSERT_TRUE(activate());
    uint16_t head = guest_write("hello from hvc0\n");
    guest_write("second line\n");
    ASSERT_TRUE(eventually([&] { return sink->text() == "hello from hvc0\nsecond line\n"; }))
        << sink->text();
    ASSERT_TRUE(eventually([&] { return transmit.used_index() == 2; }));
    EXPECT_EQ(transmit.used_entry(0).id, head);
    EXPECT_EQ(transmit.used_entry(0).length, 0u);
    EXPECT_TRUE(interrupt->wait_used(1));
}

TEST_F(ConsoleDeviceTest, OutputSpreadOverSeveralBuffersKeepsItsOrder) {
    ASSERT_TRUE(activate());
    uint64_t a = receive.place(bytes_of("ab"));
    uint64_t b = receive.place(bytes_of("cde"));
    uint64_t c = receive.place(bytes_of("f"));
    transmit.add_chain({{a, 2, false}, {b, 3, false}, {c, 1, false}});
    transmit.publish();
    transmit_notify.signal();
    EXPECT_TRUE(eventually([&] { return sink->text() == "abcdef"; })) << sink->text();
}

TEST_F(ConsoleDeviceTest, InputIsBufferedUntilTheGuestPostsBuffers) {
    EXPECT_EQ(device->push_input(bytes_of("typed early\n")), 12u);  // before DRIVER_OK
    ASSERT_TRUE(activate());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(receive.used_index(), 0);
    uint64_t buffer = guest_post_buffer(64);
    ASSERT_TRUE(eventually([&] { return receive.used_index() == 1; }));
    EXPECT_EQ(received(0, buffer), "typed early\n");
    EXPECT_TRUE(interrupt->wait_used(1));
}

TEST_F(ConsoleDeviceTest, InputLargerThanABufferFillsSeveral) {
    ASSERT_TRUE(activate());
    uint64_t first = guest_post_buffer(4);
    uint64_t second = guest_post_buffer(4);
    device->push_input(bytes_of("abcdefg"));
    ASSERT_TRUE(eventually([&] { return receive.used_index() == 2; }));
    EXPECT_EQ(received(0, first), "abcd");
    EXPECT_EQ(received(1, second), "efg");
}

TEST_F(ConsoleDeviceTest, FullInputBufferRefusesBytesAndCallsBackWhenRoomAppears) {
    std::atomic<int> callbacks{0};
    device->set_input_space_callback([&] { ++callbacks; });
    std::vector<uint8_t> lots(ConsoleDevice::kInputCapacity + 10, 'x');
    EXPECT_EQ(device->push_input(lots), ConsoleDevice::kInputCapacity);
    EXPECT_EQ(device->input_space(), 0u);
    ASSERT_TRUE(activate());
    guest_post_buffer(4096);
    ASSERT_TRUE(eventually([&] { return callbacks.load() == 1; }));
    EXPECT_EQ(device->input_space(), 4096u);
}

TEST_F(ConsoleDeviceTest, SetSizeRaisesAConfigChangeWhenTheDriverUsesFSize) {
    ASSERT_TRUE(activate(virtio::feature::kVersion1 | virtio::console_feature::kSize));
    device->set_size({100, 30});
    ASSERT_TRUE(eventually([&] { return interrupt->config_changes() == 1; }));
    std::array<uint8_t, 4> config{};
    device->read_config(0, config);
    EXPECT_EQ((std::array<uint8_t, 4>{100, 0, 30, 0}), config);
}

TEST_F(ConsoleDeviceTest, ReceiveChainWithoutWritableBufferNeedsReset) {
    ASSERT_TRUE(activate());
    uint64_t address = receive.allocate(16);
    receive.add_chain({{address, 16, false}});
    receive.publish();
    device->push_input(bytes_of("x"));
    receive_notify.signal();
    ASSERT_TRUE(interrupt->wait_needs_reset());
    device->push_input(bytes_of("y"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(interrupt->needs_reset(), 1) << "signalled once";
}

TEST_F(ConsoleDeviceTest, LoopingTransmitChainNeedsResetAndPrintsNothing) {
    ASSERT_TRUE(activate());
    uint64_t address = receive.place(bytes_of("never"));
    // Descriptor 0 -> 1 -> 0 -> ...
    transmit.write_descriptor(0, {address, 5, virtio::descriptor::kNext, 1});
    transmit.write_descriptor(1, {address, 5, virtio::descriptor::kNext, 0});
    transmit.offer(0);
    transmit.publish();
    transmit_notify.signal();
    ASSERT_TRUE(interrupt->wait_needs_reset());
    EXPECT_EQ(sink->text(), "");
    EXPECT_EQ(transmit.used_index(), 0);
}

TEST_F(ConsoleDeviceTest, ResetStopsTheDeviceAndKeepsPendingInput) {
    ASSERT_TRUE(activate());
    device->reset();
    device->push_input(bytes_of("after reset"));
    guest_write("ignored");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(sink->text(), "");
    EXPECT_EQ(device->input_space(), ConsoleDevice::kInputCapacity - 11);
}

}  // namespace
}  // namespace twinbox::test
