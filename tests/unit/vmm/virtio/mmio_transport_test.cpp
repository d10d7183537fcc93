// The virtio-mmio transport's register protocol (virtio 1.2 section 4.2),
// driven as Linux's virtio_mmio driver drives it, with a recording device.
#include "vmm/virtio/mmio_transport.h"

#include <gtest/gtest.h>

#include <cstring>

namespace twinbox::virtio {
namespace {

// Records what the transport asks of it; two queues, a 8-byte config space.
class RecordingDevice : public VirtioDevice {
public:
    DeviceId device_id() const override { return DeviceId::entropy; }
    std::string_view name() const override { return "recording"; }
    uint64_t device_features() const override { return 1ull << 5; }
    size_t queue_count() const override { return 2; }
    uint16_t queue_max_size() const override { return 64; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override {
        for (size_t i = 0; i < data.size(); ++i)
            data[i] = offset + i < 8 ? static_cast<uint8_t>(0xa0 + offset + i) : 0;
    }
    Result<void> activate(ActivateContext context) override {
        ++activations;
        acked = context.acked_features;
        queue_sizes.clear();
        for (auto& queue : context.queues) queue_sizes.push_back(queue.queue.size());
        interrupt = context.interrupt;
        return ok();
    }
    void reset() override { ++resets; }

    int activations = 0;
    int resets = 0;
    uint64_t acked = 0;
    std::vector<uint16_t> queue_sizes;
    std::shared_ptr<Interrupt> interrupt;
};

class MmioTransportTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto memory = GuestMemory::create(4 << 20);
        ASSERT_TRUE(memory.has_value());
        m_memory.emplace(std::move(memory.value()));
        auto loop = EventLoop::create();
        ASSERT_TRUE(loop.has_value());
        m_loop = std::move(loop.value());
        m_device = std::make_shared<RecordingDevice>();
        auto transport =
            MmioTransport::create(m_device, *m_memory, *m_loop, [this] { ++m_raised; });
        ASSERT_TRUE(transport.has_value());
        m_transport = transport.value();
    }

    uint32_t read(uint64_t offset) {
        uint32_t value = 0;
        m_transport->read(offset, {reinterpret_cast<uint8_t*>(&value), 4});
        return value;
    }
    void write(uint64_t offset, uint32_t value) {
        m_transport->write(offset, {reinterpret_cast<const uint8_t*>(&value), 4});
    }
    uint64_t device_features() {
        write(mmio::kDeviceFeaturesSel, 0);
        uint64_t low = read(mmio::kDeviceFeatures);
        write(mmio::kDeviceFeaturesSel, 1);
        return low | static_cast<uint64_t>(read(mmio::kDeviceFeatures)) << 32;
    }
    void write_driver_features(uint64_t features) {
        write(mmio::kDriverFeaturesSel, 0);
        write(mmio::kDriverFeatures, static_cast<uint32_t>(features));
        write(mmio::kDriverFeaturesSel, 1);
        write(mmio::kDriverFeatures, static_cast<uint32_t>(features >> 32));
    }
    void set_up_queue(uint32_t index, uint32_t size, uint64_t base) {
        write(mmio::kQueueSel, index);
        write(mmio::kQueueNum, size);
        write(mmio::kQueueDescLow, static_cast<uint32_t>(base));
        write(mmio::kQueueDescHigh, static_cast<uint32_t>(base >> 32));
        write(mmio::kQueueDriverLow, static_cast<uint32_t>(base + 0x1000));
        write(mmio::kQueueDriverHigh, 0);
        write(mmio::kQueueDeviceLow, static_cast<uint32_t>(base + 0x2000));
        write(mmio::kQueueDeviceHigh, 0);
        write(mmio::kQueueReady, 1);
    }
    // Section 3.1.1 up to FEATURES_OK; returns the status read back.
    uint32_t negotiate(uint64_t features) {
        write(mmio::kStatus, status::kAcknowledge);
        write(mmio::kStatus, status::kAcknowledge | status::kDriver);
        write_driver_features(features);
        write(mmio::kStatus, status::kAcknowledge | status::kDriver | status::kFeaturesOk);
        return read(mmio::kStatus);
    }

    std::optional<GuestMemory> m_memory;
    std::unique_ptr<EventLoop> m_loop;
    std::shared_ptr<RecordingDevice> m_device;
    std::shared_ptr<MmioTransport> m_transport;
    int m_raised = 0;
};

TEST_F(MmioTransportTest, IdentifiesAsAModernVirtioMmioDevice) {
    EXPECT_EQ(read(mmio::kMagicValue), 0x74726976u);
    EXPECT_EQ(read(mmio::kVersion), 2u);
    EXPECT_EQ(read(mmio::kDeviceId), static_cast<uint32_t>(DeviceId::entropy));
    write(mmio::kQueueSel, 1);
    EXPECT_EQ(read(mmio::kQueueNumMax), 64u);
    write(mmio::kQueueSel, 2);  // no such queue
    EXPECT_EQ(read(mmio::kQueueNumMax), 0u);
}

TEST_F(MmioTransportTest, OffersTheDeviceFeaturesPlusVersion1EventIdxAndIndirect) {
    uint64_t features = device_features();
    EXPECT_EQ(features, (1ull << 5) | feature::kVersion1 | feature::kRingEventIdx |
                            feature::kRingIndirectDesc);
}

TEST_F(MmioTransportTest, RefusesFeaturesItDidNotOfferAndLegacyDrivers) {
    EXPECT_EQ(negotiate(feature::kVersion1 | (1ull << 7)) & status::kFeaturesOk, 0u);
    write(mmio::kStatus, 0);
    EXPECT_EQ(negotiate(1ull << 5) & status::kFeaturesOk, 0u);  // no VERSION_1
    write(mmio::kStatus, 0);
    EXPECT_NE(negotiate(feature::kVersion1 | (1ull << 5)) & status::kFeaturesOk, 0u);
}

TEST_F(MmioTransportTest, DriverOkActivatesTheDeviceWithItsReadyQueues) {
    ASSERT_NE(negotiate(feature::kVersion1 | feature::kRingEventIdx) & status::kFeaturesOk, 0u);
    set_up_queue(0, 16, 0x10000);
    set_up_queue(1, 64, 0x20000);
    write(mmio::kStatus,
          status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
    EXPECT_EQ(m_device->activations, 1);
    EXPECT_EQ(m_device->acked, feature::kVersion1 | feature::kRingEventIdx);
    EXPECT_EQ(m_device->queue_sizes, (std::vector<uint16_t>{16, 64}));
    EXPECT_EQ(read(mmio::kStatus) & status::kDeviceNeedsReset, 0u);
}

TEST_F(MmioTransportTest, QueuesOutsideGuestRamMakeTheDeviceNeedAReset) {
    negotiate(feature::kVersion1);
    set_up_queue(0, 16, 0xfff0'0000);  // far beyond the 4 MiB of RAM
    write(mmio::kStatus,
          status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
    EXPECT_EQ(m_device->activations, 0);
    EXPECT_NE(read(mmio::kStatus) & status::kDeviceNeedsReset, 0u);
    EXPECT_NE(read(mmio::kInterruptStatus) & interrupt::kConfigChange, 0u);
    EXPECT_GT(m_raised, 0);
}

TEST_F(MmioTransportTest, OversizedOrNonPowerOfTwoQueuesAreRefused) {
    negotiate(feature::kVersion1);
    set_up_queue(0, 128, 0x10000);  // max is 64
    write(mmio::kStatus,
          status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
    EXPECT_EQ(m_device->activations, 0);
    write(mmio::kStatus, 0);
    negotiate(feature::kVersion1);
    set_up_queue(0, 24, 0x10000);
    write(mmio::kStatus,
          status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
    EXPECT_EQ(m_device->activations, 0);
    EXPECT_NE(read(mmio::kStatus) & status::kDeviceNeedsReset, 0u);
}

TEST_F(MmioTransportTest, InterruptsAreReportedAndAcknowledged) {
    negotiate(feature::kVersion1);
    set_up_queue(0, 16, 0x10000);
    write(mmio::kStatus,
          status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
    ASSERT_TRUE(m_device->interrupt);
    m_device->interrupt->signal_used_queue();
    EXPECT_EQ(m_raised, 1);
    EXPECT_EQ(read(mmio::kInterruptStatus), interrupt::kUsedBuffer);
    write(mmio::kInterruptAck, interrupt::kUsedBuffer);
    EXPECT_EQ(read(mmio::kInterruptStatus), 0u);
    uint32_t generation = read(mmio::kConfigGeneration);
    m_device->interrupt->signal_config_change();
    EXPECT_NE(read(mmio::kConfigGeneration), generation);
}

TEST_F(MmioTransportTest, QueueNotifySignalsTheQueueEventfdWithoutIoeventfd) {
    auto notifiers = m_transport->queue_notifiers();
    ASSERT_EQ(notifiers.size(), 2u);
    write(mmio::kQueueNotify, 1);
    EXPECT_EQ(notifiers[1]->consume(), 1u);
    EXPECT_EQ(notifiers[0]->consume(), 0u);
    write(mmio::kQueueNotify, 7);  // no such queue: ignored
}

TEST_F(MmioTransportTest, WritingStatusZeroResetsTheDevice) {
    negotiate(feature::kVersion1);
    set_up_queue(0, 16, 0x10000);
    write(mmio::kStatus,
          status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
    write(mmio::kStatus, 0);
    EXPECT_EQ(m_device->resets, 1);
    EXPECT_EQ(read(mmio::kStatus), 0u);
    write(mmio::kQueueSel, 0);
    EXPECT_EQ(read(mmio::kQueueReady), 0u);
}

TEST_F(MmioTransportTest, QueueRegistersAreFrozenAfterDriverOk) {
    negotiate(feature::kVersion1);
    set_up_queue(0, 16, 0x10000);
    write(mmio::kStatus,
          status::kAcknowledge | status::kDriver | status::kFeaturesOk | status::kDriverOk);
    write(mmio::kQueueSel, 1);
    write(mmio::kQueueNum, 8);
    write(mmio::kQueueReady, 1);
    EXPECT_EQ(read(mmio::kQueueReady), 0u);
    EXPECT_EQ(m_device->activations, 1);
}

TEST_F(MmioTransportTest, ConfigSpaceTakesAnyWidthAndRegistersOnly32Bits) {
    uint8_t byte = 0;
    m_transport->read(mmio::kConfig + 3, {&byte, 1});
    EXPECT_EQ(byte, 0xa3);
    uint16_t half = 0;
    m_transport->read(mmio::kConfig + 6, {reinterpret_cast<uint8_t*>(&half), 2});
    EXPECT_EQ(half, 0xa7a6);
    uint8_t magic_byte = 0xff;
    m_transport->read(mmio::kMagicValue, {&magic_byte, 1});
    EXPECT_EQ(magic_byte, 0);  // a 1-byte register read is not allowed: reads as zero
}

}  // namespace
}  // namespace twinbox::virtio
