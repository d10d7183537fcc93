// The split virtqueue against well-formed and hostile rings (virtio 1.2
// section 2.7). The ring is laid out by RingBuilder, which plays the driver.
#include "vmm/virtio/queue.h"

#include <gtest/gtest.h>

#include "tests/unit/vmm/virtio/ring_builder.h"
#include "vmm/virtio/split_ring.h"

namespace twinbox::virtio {
namespace {

using test::RingBuilder;
using test::RingDescriptor;

class QueueTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto memory = GuestMemory::create(4 << 20);
        ASSERT_TRUE(memory.has_value());
        m_memory.emplace(std::move(memory.value()));
        m_ring.emplace(*m_memory, 8);
    }
    Virtqueue queue(bool event_idx = false, bool indirect = true) {
        auto created = Virtqueue::create(*m_memory, m_ring->config(), event_idx, indirect);
        EXPECT_TRUE(created.has_value()) << created.error().to_string();
        return std::move(created).value();
    }
    // pop() must fail, and the message must contain `words`.
    void expect_broken(Virtqueue& q, const std::string& words) {
        auto popped = q.pop();
        ASSERT_FALSE(popped.has_value()) << "a hostile chain was accepted";
        EXPECT_NE(popped.error().to_string().find(words), std::string::npos)
            << popped.error().to_string();
    }

    std::optional<GuestMemory> m_memory;
    std::optional<RingBuilder> m_ring;
};

TEST_F(QueueTest, EmptyRingPopsNothing) {
    Virtqueue q = queue();
    auto popped = q.pop();
    ASSERT_TRUE(popped.has_value());
    EXPECT_FALSE(popped->has_value());
}

TEST_F(QueueTest, ChainsComeBackValidatedWithReadableBuffersFirst) {
    uint64_t header = m_ring->place(std::vector<uint8_t>{1, 2, 3, 4});
    uint64_t data = m_ring->allocate(100);
    uint16_t head = m_ring->add_chain({{header, 4, false}, {data, 100, true}});
    m_ring->publish();
    Virtqueue q = queue();
    auto popped = q.pop();
    ASSERT_TRUE(popped.has_value() && popped->has_value());
    const DescriptorChain& chain = **popped;
    EXPECT_EQ(chain.head(), head);
    EXPECT_EQ(chain.readable_bytes(), 4u);
    EXPECT_EQ(chain.writable_bytes(), 100u);
    uint8_t bytes[4];
    EXPECT_EQ(chain.read(0, bytes), 4u);
    EXPECT_EQ(bytes[3], 4);
    std::vector<uint8_t> answer(150, 0xee);
    EXPECT_EQ(chain.write(0, answer), 100u);  // clipped to the writable bytes
    EXPECT_EQ(m_ring->read(data + 99, 1)[0], 0xee);
    ASSERT_TRUE(q.add_used(chain.head(), 100).has_value());
    EXPECT_EQ(m_ring->used_index(), 1);
    EXPECT_EQ(m_ring->used_entry(0).id, head);
    EXPECT_EQ(m_ring->used_entry(0).length, 100u);
}

TEST_F(QueueTest, IovecsSpanBuffersAtAnOffset) {
    uint64_t a = m_ring->allocate(10);
    uint64_t b = m_ring->allocate(10);
    m_ring->add_chain({{a, 10, true}, {b, 10, true}});
    m_ring->publish();
    Virtqueue q = queue();
    auto chain = std::move(q.pop().value()).value();
    auto iov = chain.writable_iovecs(5, 10);
    ASSERT_EQ(iov.size(), 2u);
    EXPECT_EQ(iov[0].iov_len, 5u);
    EXPECT_EQ(iov[1].iov_len, 5u);
}

TEST_F(QueueTest, IndirectTablesAreFollowed) {
    uint64_t a = m_ring->allocate(16);
    uint64_t b = m_ring->allocate(32);
    m_ring->add_indirect_chain({{a, 16, false}, {b, 32, true}});
    m_ring->publish();
    Virtqueue q = queue();
    auto chain = std::move(q.pop().value()).value();
    EXPECT_EQ(chain.readable_bytes(), 16u);
    EXPECT_EQ(chain.writable_bytes(), 32u);
}

TEST_F(QueueTest, IndirectWithoutTheFeatureIsBroken) {
    m_ring->add_indirect_chain({{m_ring->allocate(16), 16, false}});
    m_ring->publish();
    Virtqueue q = queue(false, /*indirect=*/false);
    expect_broken(q, "VIRTIO_F_INDIRECT_DESC");
}

TEST_F(QueueTest, BuffersOutsideGuestRamAreRefused) {
    m_ring->add_chain({{0x7fff'0000'0000, 512, true}});
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "descriptor chain 0 buffer");
}

TEST_F(QueueTest, BuffersThatWrapAroundTheAddressSpaceAreRefused) {
    m_ring->add_chain({{0xffff'ffff'ffff'ff00, 0x1000, false}});
    m_ring->publish();
    Virtqueue q = queue();
    EXPECT_FALSE(q.pop().has_value());
}

TEST_F(QueueTest, BuffersRunningPastTheEndOfRamAreRefused) {
    m_ring->add_chain({{(4 << 20) - 8, 16, true}});
    m_ring->publish();
    Virtqueue q = queue();
    EXPECT_FALSE(q.pop().has_value());
}

TEST_F(QueueTest, LoopsAreCaught) {
    uint64_t data = m_ring->allocate(8);
    m_ring->write_descriptor(0, {data, 8, descriptor::kNext, 1});
    m_ring->write_descriptor(1, {data, 8, descriptor::kNext, 0});
    m_ring->offer(0);
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "loop");
}

TEST_F(QueueTest, SelfLoopInAnIndirectTableIsCaught) {
    uint64_t data = m_ring->allocate(8);
    RingDescriptor table[2] = {{data, 8, descriptor::kNext, 1}, {data, 8, descriptor::kNext, 0}};
    uint64_t table_address = m_ring->place({reinterpret_cast<const uint8_t*>(table), sizeof table});
    m_ring->write_descriptor(0, {table_address, sizeof table, descriptor::kIndirect, 0});
    m_ring->offer(0);
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "loops");
}

TEST_F(QueueTest, NestedIndirectTablesAreRefused) {
    uint64_t data = m_ring->allocate(8);
    RingDescriptor inner[1] = {{data, 8, 0, 0}};
    uint64_t inner_address = m_ring->place({reinterpret_cast<const uint8_t*>(inner), 16});
    RingDescriptor outer[1] = {{inner_address, 16, descriptor::kIndirect, 0}};
    uint64_t outer_address = m_ring->place({reinterpret_cast<const uint8_t*>(outer), 16});
    m_ring->write_descriptor(0, {outer_address, 16, descriptor::kIndirect, 0});
    m_ring->offer(0);
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "nests");
}

TEST_F(QueueTest, IndirectTablesOfBadSizeAreRefused) {
    uint64_t table = m_ring->allocate(64);
    m_ring->write_descriptor(0, {table, 20, descriptor::kIndirect, 0});
    m_ring->offer(0);
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "multiple of 16");
}

TEST_F(QueueTest, NextBeyondTheTableIsRefused) {
    uint64_t data = m_ring->allocate(8);
    m_ring->write_descriptor(0, {data, 8, descriptor::kNext, 200});
    m_ring->offer(0);
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "points at descriptor 200");
}

TEST_F(QueueTest, HeadBeyondTheTableIsRefused) {
    m_ring->offer(9);
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "descriptor 9");
}

TEST_F(QueueTest, ReadableAfterWritableIsRefused) {
    uint64_t data = m_ring->allocate(16);
    m_ring->add_chain({{data, 8, true}, {data + 8, 8, false}});
    m_ring->publish();
    Virtqueue q = queue();
    expect_broken(q, "readable buffer after a device-writable");
}

TEST_F(QueueTest, AnAvailableIndexTooFarAheadIsRefused) {
    m_ring->set_available_index(100);  // 8-entry queue
    Virtqueue q = queue();
    expect_broken(q, "ahead");
}

TEST_F(QueueTest, RingsMustBeAlignedAndInsideRam) {
    QueueConfig config = m_ring->config();
    config.descriptor_table += 8;
    EXPECT_FALSE(Virtqueue::create(*m_memory, config, false).has_value());
    config = m_ring->config();
    config.used_ring = (4 << 20) - 16;
    EXPECT_FALSE(Virtqueue::create(*m_memory, config, false).has_value());
    config = m_ring->config();
    config.size = 12;
    EXPECT_FALSE(Virtqueue::create(*m_memory, config, false).has_value());
    config.size = 0;
    EXPECT_FALSE(Virtqueue::create(*m_memory, config, false).has_value());
}

TEST_F(QueueTest, WithoutEventIdxTheNoInterruptFlagIsHonoured) {
    Virtqueue q = queue();
    m_ring->add_chain({{m_ring->allocate(8), 8, true}});
    m_ring->publish();
    auto chain = std::move(q.pop().value()).value();
    ASSERT_TRUE(q.add_used(chain.head(), 0).has_value());
    m_ring->set_available_flags(1);
    EXPECT_FALSE(q.needs_interrupt());
    m_ring->add_chain({{m_ring->allocate(8), 8, true}});
    m_ring->publish();
    chain = std::move(q.pop().value()).value();
    ASSERT_TRUE(q.add_used(chain.head(), 0).has_value());
    m_ring->set_available_flags(0);
    EXPECT_TRUE(q.needs_interrupt());
    EXPECT_FALSE(q.needs_interrupt());  // nothing new since
}

TEST_F(QueueTest, EventIdxInterruptsOnlyWhenUsedEventIsCrossed) {
    Virtqueue q = queue(/*event_idx=*/true);
    for (int i = 0; i < 3; ++i) m_ring->add_chain({{m_ring->allocate(8), 8, true}});
    m_ring->publish();
    m_ring->set_used_event(1);  // the driver wants an interrupt once used idx passes 1
    auto first = std::move(q.pop().value()).value();
    ASSERT_TRUE(q.add_used(first.head(), 0).has_value());  // used idx 1: not past 1 yet
    EXPECT_FALSE(q.needs_interrupt());
    auto second = std::move(q.pop().value()).value();
    ASSERT_TRUE(q.add_used(second.head(), 0).has_value());  // used idx 2: crossed
    EXPECT_TRUE(q.needs_interrupt());
    auto third = std::move(q.pop().value()).value();
    ASSERT_TRUE(q.add_used(third.head(), 0).has_value());
    EXPECT_FALSE(q.needs_interrupt());  // used_event still 1
}

TEST_F(QueueTest, EnableNotificationPublishesAvailEventAndSeesLateArrivals) {
    Virtqueue q = queue(/*event_idx=*/true);
    m_ring->add_chain({{m_ring->allocate(8), 8, true}});
    m_ring->publish();
    ASSERT_TRUE(q.pop().value().has_value());
    EXPECT_FALSE(q.enable_notification());
    EXPECT_EQ(m_ring->available_event(), 1);
    m_ring->add_chain({{m_ring->allocate(8), 8, true}});
    m_ring->publish();
    EXPECT_TRUE(q.enable_notification());
}

TEST_F(QueueTest, IndicesWrapAroundSixteenBits) {
    Virtqueue q = queue();
    uint64_t data = m_ring->allocate(8);
    for (int round = 0; round < 70000 / 8; ++round) {
        for (int i = 0; i < 8; ++i) m_ring->add_chain({{data, 8, true}});
        m_ring->publish();
        for (int i = 0; i < 8; ++i) {
            auto popped = q.pop();
            ASSERT_TRUE(popped.has_value() && popped->has_value());
            ASSERT_TRUE(q.add_used((*popped)->head(), 1).has_value());
        }
        ASSERT_FALSE(q.pop().value().has_value());
    }
}

// The ring written byte by byte at the offsets the spec's text gives
// (section 2.7.5 virtq_desc: addr 0, len 8, flags 12, next 14; 2.7.6
// virtq_avail: flags 0, idx 2, ring 4, used_event after ring; 2.7.8
// virtq_used: flags 0, idx 2, ring of {id, len} at 4, avail_event after it),
// not through split_ring.h, so a wrong shared declaration cannot pass.
TEST_F(QueueTest, DecodesTheRingAtTheSpecsByteOffsets) {
    constexpr uint16_t kSize = 4;
    constexpr uint64_t kTable = 0x20000;
    constexpr uint64_t kAvailable = kTable + 16 * kSize;  // 0x20040
    constexpr uint64_t kUsed = 0x20100;
    constexpr uint64_t kData = 0x30000;
    GuestMemory& memory = *m_memory;
    ASSERT_TRUE(memory.fill(kTable, 0, 0x200));
    auto put16 = [&](uint64_t address, uint16_t value) {
        ASSERT_TRUE(memory.write_object<uint16_t>(address, value));
    };
    // Descriptor 2: 32 readable bytes at kData, NEXT -> descriptor 3: 8 writable bytes.
    ASSERT_TRUE(memory.write_object<uint64_t>(kTable + 16 * 2 + 0, kData));
    ASSERT_TRUE(memory.write_object<uint32_t>(kTable + 16 * 2 + 8, 32));
    put16(kTable + 16 * 2 + 12, descriptor::kNext);
    put16(kTable + 16 * 2 + 14, 3);
    ASSERT_TRUE(memory.write_object<uint64_t>(kTable + 16 * 3 + 0, kData + 0x100));
    ASSERT_TRUE(memory.write_object<uint32_t>(kTable + 16 * 3 + 8, 8));
    put16(kTable + 16 * 3 + 12, descriptor::kWrite);
    // avail->ring[0] = 2, avail->idx = 1, used_event (after ring[4]) = 0.
    put16(kAvailable + 4 + 2 * 0, 2);
    put16(kAvailable + 2, 1);
    put16(kAvailable + 4 + 2 * kSize, 0);

    QueueConfig config{kSize, true, kTable, kAvailable, kUsed};
    auto created = Virtqueue::create(memory, config, /*event_idx=*/true);
    ASSERT_TRUE(created.has_value()) << created.error().to_string();
    Virtqueue q = std::move(created).value();
    auto popped = q.pop();
    ASSERT_TRUE(popped.has_value() && popped->has_value());
    const DescriptorChain& chain = **popped;
    EXPECT_EQ(chain.head(), 2);
    ASSERT_EQ(chain.buffers().size(), 2u);
    EXPECT_EQ(chain.buffers()[0].guest_address, kData);
    EXPECT_EQ(chain.readable_bytes(), 32u);
    EXPECT_EQ(chain.buffers()[1].guest_address, kData + 0x100);
    EXPECT_EQ(chain.writable_bytes(), 8u);

    ASSERT_TRUE(q.add_used(2, 5));
    EXPECT_TRUE(q.needs_interrupt()) << "used_event 0 is crossed by used idx 0 -> 1";
    EXPECT_FALSE(q.enable_notification());
    auto get16 = [&](uint64_t address) { return memory.read_object<uint16_t>(address).value(); };
    auto get32 = [&](uint64_t address) { return memory.read_object<uint32_t>(address).value(); };
    EXPECT_EQ(get16(kUsed + 2), 1) << "used->idx";
    EXPECT_EQ(get32(kUsed + 4 + 8 * 0 + 0), 2u) << "used->ring[0].id";
    EXPECT_EQ(get32(kUsed + 4 + 8 * 0 + 4), 5u) << "used->ring[0].len";
    EXPECT_EQ(get16(kUsed + 4 + 8 * kSize), 1) << "avail_event after used->ring[4]";
}

// The shared layout agrees with the sizes section 2.7 states for a queue.
TEST(SplitRingTest, AreaSizesAreTheSpecs) {
    for (uint16_t size : {1, 2, 256, 32768}) {
        EXPECT_EQ(SplitRing::descriptor_table_bytes(size), 16ull * size);
        EXPECT_EQ(SplitRing::Available::bytes(size), 6ull + 2ull * size);
        EXPECT_EQ(SplitRing::Used::bytes(size), 6ull + 8ull * size);
        EXPECT_EQ(SplitRing::Available::event_offset(size), 4ull + 2ull * size);
        EXPECT_EQ(SplitRing::Used::event_offset(size), 4ull + 8ull * size);
    }
}

}  // namespace
}  // namespace twinbox::virtio
