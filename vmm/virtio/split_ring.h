// The split virtqueue's three areas in guest memory, declared once.
//
// Spec: "Virtual I/O Device (VIRTIO) Version 1.2", section 2.7 "Split
// Virtqueues". The driver allocates the areas; the device (queue.cpp) reads
// the descriptor table and the available ring and writes the used ring. The
// unit tests' RingBuilder plays the driver with the same declarations, and the
// static_asserts below pin them to the spec's byte layout, so neither side can
// drift from it:
//
//   descriptor table (16-aligned)  available ring (2-aligned)  used ring (4-aligned)
//   +-------------------------+    +----------------------+    +--------------------------+
//   | addr u64 | len u32      |    | flags u16 | idx u16  |    | flags u16 | idx u16      |
//   | flags u16 | next u16    |    | ring[size] u16 heads |    | ring[size] {id u32,      |
//   | ... size entries        |    | used_event u16       |    |             len u32}     |
//   +-------------------------+    +----------------------+    | avail_event u16          |
//                                                              +--------------------------+
//
// The two rings end in arrays whose length is the queue size, which C++
// cannot declare; SplitRing computes where their entries and trailing event
// fields lie. All fields are little endian (section 2.7, "le16", "le32",
// "le64"); twinbox runs only on x86_64 hosts, whose byte order that is.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace twinbox::virtio {

static_assert(std::endian::native == std::endian::little,
              "the virtio 1.x rings are little endian; a big-endian host would need byte swaps");

// Section 2.7.5: struct virtq_desc, one buffer (or, with INDIRECT, a table of them).
struct SplitDescriptor {
    uint64_t address;  // le64 addr: guest physical
    uint32_t length;   // le32 len
    uint16_t flags;    // le16 flags: descriptor::kNext, kWrite, kIndirect (virtio_abi.h)
    uint16_t next;     // le16 next: the following descriptor when flags has kNext
};
static_assert(sizeof(SplitDescriptor) == 16);
static_assert(offsetof(SplitDescriptor, address) == 0);
static_assert(offsetof(SplitDescriptor, length) == 8);
static_assert(offsetof(SplitDescriptor, flags) == 12);
static_assert(offsetof(SplitDescriptor, next) == 14);

// Sections 2.7.6 and 2.7.8: struct virtq_avail and struct virtq_used both
// open with these two fields. In the available ring le16 ring[size] and
// le16 used_event follow them; in the used ring struct virtq_used_elem
// ring[size] and le16 avail_event.
struct SplitRingHeader {
    uint16_t flags;  // VIRTQ_AVAIL_F_NO_INTERRUPT / VIRTQ_USED_F_NO_NOTIFY (section 2.7.7)
    uint16_t index;  // le16 idx: where the next entry goes (free running)
};
static_assert(sizeof(SplitRingHeader) == 4);
static_assert(offsetof(SplitRingHeader, flags) == 0);
static_assert(offsetof(SplitRingHeader, index) == 2);
using SplitAvailableHeader = SplitRingHeader;  // written by the driver
using SplitUsedHeader = SplitRingHeader;       // written by the device

// Section 2.7.8: struct virtq_used_elem, one finished chain.
struct SplitUsedElement {
    uint32_t id;      // le32 id: the head of the chain
    uint32_t length;  // le32 len: bytes the device wrote into the chain
};
static_assert(sizeof(SplitUsedElement) == 8);
static_assert(offsetof(SplitUsedElement, id) == 0);
static_assert(offsetof(SplitUsedElement, length) == 4);

// Flag bits of the two ring headers (section 2.7.7).
inline constexpr uint16_t kAvailableNoInterrupt = 1;  // VIRTQ_AVAIL_F_NO_INTERRUPT
inline constexpr uint16_t kUsedNoNotify = 1;          // VIRTQ_USED_F_NO_NOTIFY

// Byte offsets and sizes of a split ring of `size` entries, relative to the
// start of each area (section 2.7, "Queue Part" table, and 2.7.6, 2.7.8).
struct SplitRing {
    // Section 2.7: Descriptor Table 16, Available Ring 2, Used Ring 4.
    static constexpr uint64_t kDescriptorAlignment = 16;
    static constexpr uint64_t kAvailableAlignment = 2;
    static constexpr uint64_t kUsedAlignment = 4;

    static constexpr uint64_t descriptor_table_bytes(uint16_t size) {
        return sizeof(SplitDescriptor) * uint64_t{size};
    }
    static constexpr uint64_t descriptor_offset(uint16_t index) {
        return sizeof(SplitDescriptor) * uint64_t{index};
    }

    // Both rings are the 4-byte header, `size` entries, then a le16 event
    // field (used_event in the available ring, avail_event in the used ring):
    // available ring 6 + 2 * size bytes, used ring 6 + 8 * size.
    template <typename Entry>
    struct Area {
        static constexpr uint64_t entry_offset(uint16_t slot) {
            return sizeof(SplitRingHeader) + sizeof(Entry) * uint64_t{slot};
        }
        static constexpr uint64_t event_offset(uint16_t size) { return entry_offset(size); }
        static constexpr uint64_t bytes(uint16_t size) {
            return event_offset(size) + sizeof(uint16_t);
        }
    };
    using Available = Area<uint16_t>;  // entries: le16 heads of chains
    using Used = Area<SplitUsedElement>;
};

// The sizes the spec states in section 2.7 (for the largest queue, 32768).
static_assert(SplitRing::descriptor_table_bytes(32768) == 16ull * 32768);
static_assert(SplitRing::Available::bytes(32768) == 6 + 2ull * 32768);
static_assert(SplitRing::Used::bytes(32768) == 6 + 8ull * 32768);

}  // namespace twinbox::virtio
