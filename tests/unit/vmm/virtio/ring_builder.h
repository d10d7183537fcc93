// RingBuilder: plays the virtio driver in unit tests. It lays out a split
// virtqueue (virtio 1.2 section 2.7) in fake guest memory by hand, exactly as
// a guest kernel would, so device and queue code can be driven with
// well-formed and with hostile rings.
//
// The ring layout comes from vmm/virtio/split_ring.h, the one declaration
// the device's queue.cpp uses too; its static_asserts pin every field to the
// spec's offsets, so sharing it cannot hide a layout bug from these tests.
//
// Typical use:
//
//   RingBuilder ring(memory, 16);               // queue of 16 at kRingBase
//   uint64_t data = ring.allocate(512);         // a guest buffer
//   uint16_t head = ring.add_chain({{header, 16, false}, {data, 512, true}});
//   ring.publish();                             // avail->idx += chains added
//   ... device runs ...
//   ring.used_index(); ring.used_entry(0);      // what the device returned
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <vector>

#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/queue.h"
#include "vmm/virtio/split_ring.h"
#include "vmm/virtio/virtio_abi.h"

namespace twinbox::test {

// Section 2.7.5 and 2.7.8: struct virtq_desc and struct virtq_used_elem.
using RingDescriptor = virtio::SplitDescriptor;
using UsedElement = virtio::SplitUsedElement;

// One buffer of a chain, as the driver describes it.
struct Segment {
    uint64_t guest_address;
    uint32_t length;
    bool writable;
};

class RingBuilder {
public:
    // Where rings go by default: well inside the 2 MiB minimum of guest RAM.
    static constexpr uint64_t kRingBase = 0x10000;
    // Data buffers handed out by allocate() start here.
    static constexpr uint64_t kDataBase = 0x100000;

    // Descriptor table at `base`, the available ring right after it and the
    // used ring after that, 4-byte aligned (the legacy layout of section
    // 2.7.2 without its page alignment).
    RingBuilder(const GuestMemory& memory, uint16_t size, uint64_t base = kRingBase)
        : m_memory(memory), m_size(size) {
        m_config.size = size;
        m_config.ready = true;
        m_config.descriptor_table = base;
        m_config.available_ring = base + Ring::descriptor_table_bytes(size);
        m_config.used_ring =
            align_up(m_config.available_ring + Ring::Available::bytes(size), Ring::kUsedAlignment);
        // A fresh queue: all-zero rings, as the driver leaves them.
        must(m_memory.fill(base, 0, m_config.used_ring + Ring::Used::bytes(size) - base));
    }

    const virtio::QueueConfig& config() const { return m_config; }
    uint16_t size() const { return m_size; }

    // A new zeroed buffer of `length` bytes in guest RAM (8-byte aligned).
    uint64_t allocate(uint64_t length) {
        uint64_t address = m_next_data;
        m_next_data = (m_next_data + length + 7) & ~7ull;
        must(m_memory.fill(address, 0, length));
        return address;
    }
    // allocate() + write.
    uint64_t place(std::span<const uint8_t> bytes) {
        uint64_t address = allocate(bytes.size());
        must(m_memory.write(address, bytes));
        return address;
    }
    template <typename T>
    uint64_t place_object(const T& object) {
        return place({reinterpret_cast<const uint8_t*>(&object), sizeof(T)});
    }

    // Writes a chain into free descriptors (taken in order, wrapping around)
    // and its head into the next available-ring slot. Not visible to the
    // device until publish(). Returns the head descriptor index.
    uint16_t add_chain(std::initializer_list<Segment> segments) {
        return add_chain(std::vector<Segment>(segments));
    }
    uint16_t add_chain(const std::vector<Segment>& segments) {
        uint16_t head = m_next_descriptor;
        for (size_t i = 0; i < segments.size(); ++i) {
            uint16_t index = m_next_descriptor;
            m_next_descriptor = static_cast<uint16_t>((m_next_descriptor + 1) % m_size);
            bool last = i + 1 == segments.size();
            write_descriptor(
                index,
                {segments[i].guest_address, segments[i].length,
                 static_cast<uint16_t>((segments[i].writable ? virtio::descriptor::kWrite : 0) |
                                       (last ? 0 : virtio::descriptor::kNext)),
                 last ? uint16_t{0} : m_next_descriptor});
        }
        offer(head);
        return head;
    }

    // A chain of one INDIRECT descriptor pointing at a table (section
    // 2.7.5.3) written into newly allocated guest memory.
    uint16_t add_indirect_chain(const std::vector<Segment>& segments) {
        std::vector<RingDescriptor> table;
        for (size_t i = 0; i < segments.size(); ++i) {
            bool last = i + 1 == segments.size();
            table.push_back(
                {segments[i].guest_address, segments[i].length,
                 static_cast<uint16_t>((segments[i].writable ? virtio::descriptor::kWrite : 0) |
                                       (last ? 0 : virtio::descriptor::kNext)),
                 static_cast<uint16_t>(last ? 0 : i + 1)});
        }
        uint64_t table_address = place({reinterpret_cast<const uint8_t*>(table.data()),
                                        table.size() * sizeof(RingDescriptor)});
        uint16_t head = m_next_descriptor;
        m_next_descriptor = static_cast<uint16_t>((m_next_descriptor + 1) % m_size);
        write_descriptor(
            head, {table_address, static_cast<uint32_t>(table.size() * sizeof(RingDescriptor)),
                   virtio::descriptor::kIndirect, 0});
        offer(head);
        return head;
    }

    // Raw access, for hostile rings.
    void write_descriptor(uint16_t index, const RingDescriptor& descriptor) {
        must(m_memory.write_object(m_config.descriptor_table + Ring::descriptor_offset(index),
                                   descriptor));
    }
    RingDescriptor read_descriptor(uint16_t index) const {
        return value(m_memory.read_object<RingDescriptor>(m_config.descriptor_table +
                                                          Ring::descriptor_offset(index)));
    }
    // Puts `head` in the next available-ring slot (unpublished).
    void offer(uint16_t head) {
        must(m_memory.write_object<uint16_t>(
            m_config.available_ring + Ring::Available::entry_offset(m_pending_available % m_size),
            head));
        ++m_pending_available;
    }
    // Makes every offered chain visible: avail->idx = offered count.
    void publish() { set_available_index(m_pending_available); }
    void set_available_index(uint16_t index) {
        __atomic_thread_fence(__ATOMIC_RELEASE);
        must(m_memory.write_object<uint16_t>(m_config.available_ring + kAvailableIndex, index));
    }
    uint16_t available_index() const {
        return value(m_memory.read_object<uint16_t>(m_config.available_ring + kAvailableIndex));
    }
    // avail->flags (bit 0: VIRTQ_AVAIL_F_NO_INTERRUPT).
    void set_available_flags(uint16_t flags) {
        must(m_memory.write_object<uint16_t>(m_config.available_ring + kAvailableFlags, flags));
    }
    // used_event, the last field of the available ring (EVENT_IDX, section 2.7.10).
    void set_used_event(uint16_t index) {
        must(m_memory.write_object<uint16_t>(
            m_config.available_ring + Ring::Available::event_offset(m_size), index));
    }

    // The device's side.
    uint16_t used_index() const {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        return value(m_memory.read_object<uint16_t>(m_config.used_ring + kUsedIndex));
    }
    uint16_t used_flags() const {
        return value(m_memory.read_object<uint16_t>(m_config.used_ring + kUsedFlags));
    }
    // Used ring entry number `n` (free-running; the slot is n % size).
    UsedElement used_entry(uint16_t n) const {
        return value(m_memory.read_object<UsedElement>(m_config.used_ring +
                                                       Ring::Used::entry_offset(n % m_size)));
    }
    // avail_event, the last field of the used ring (EVENT_IDX).
    uint16_t available_event() const {
        return value(
            m_memory.read_object<uint16_t>(m_config.used_ring + Ring::Used::event_offset(m_size)));
    }

    std::vector<uint8_t> read(uint64_t address, uint64_t length) const {
        std::vector<uint8_t> bytes(length);
        must(m_memory.read(address, bytes));
        return bytes;
    }

private:
    using Ring = virtio::SplitRing;
    static constexpr uint64_t kAvailableFlags = offsetof(virtio::SplitAvailableHeader, flags);
    static constexpr uint64_t kAvailableIndex = offsetof(virtio::SplitAvailableHeader, index);
    static constexpr uint64_t kUsedFlags = offsetof(virtio::SplitUsedHeader, flags);
    static constexpr uint64_t kUsedIndex = offsetof(virtio::SplitUsedHeader, index);
    static constexpr uint64_t align_up(uint64_t value, uint64_t alignment) {
        return (value + alignment - 1) & ~(alignment - 1);
    }

    // A test that lays out a ring outside guest RAM is itself wrong: fail it.
    static void must(const Result<void>& result) {
        if (!result)
            ADD_FAILURE() << "RingBuilder: " << result.error().to_string();
    }
    template <typename T>
    static T value(Result<T> result) {
        if (!result) {
            ADD_FAILURE() << "RingBuilder: " << result.error().to_string();
            return T{};
        }
        return std::move(result).value();
    }

    const GuestMemory& m_memory;
    uint16_t m_size;
    virtio::QueueConfig m_config;
    uint16_t m_next_descriptor = 0;
    uint16_t m_pending_available = 0;
    uint64_t m_next_data = kDataBase;
};

}  // namespace twinbox::test
