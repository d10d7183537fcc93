// A split virtqueue (virtio 1.2 section 2.7), device side.
//
// The driver (guest) owns three areas in guest RAM: the descriptor table
// (buffers), the available ring (chains it offers) and the used ring (chains
// the device has finished). A device pops chains from the available ring,
// reads and writes their buffers, and pushes them to the used ring.
//
// The guest is hostile. pop() validates a whole chain before the device sees
// it: every buffer lies inside guest RAM (no overflow), indirect tables are
// well formed, no loops, no chain longer than the queue, and device-readable
// buffers all come before device-writable ones. Buffers are handed out as host
// spans already checked against guest RAM, so a device can build iovecs for
// readv/writev/io_uring from them directly and never does address arithmetic.
//
// A Virtqueue is not thread safe: one thread (the device's event loop) uses it.
//
// Model: Firecracker src/vmm/src/devices/virtio/queue.rs, Cloud Hypervisor
// virtio-queue; the ring layout is declared once in split_ring.h, the
// EVENT_IDX rules are the spec's (2.7.7-2.7.10).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox::virtio {

// One buffer of a chain: guest RAM the device may read (driver → device) or
// write (device → driver).
struct Buffer {
    uint64_t guest_address;
    std::span<uint8_t> host;  // already bounds-checked against guest RAM
    bool writable;
};

// A validated descriptor chain, as popped from the available ring.
class DescriptorChain {
public:
    uint16_t head() const { return m_head; }
    const std::vector<Buffer>& buffers() const { return m_buffers; }
    // Readable buffers come first (validated), then writable ones.
    std::span<const Buffer> readable() const { return {m_buffers.data(), m_readable_count}; }
    std::span<const Buffer> writable() const {
        return {m_buffers.data() + m_readable_count, m_buffers.size() - m_readable_count};
    }
    uint64_t readable_bytes() const { return m_readable_bytes; }
    uint64_t writable_bytes() const { return m_writable_bytes; }

    // Copies up to out.size() bytes from the readable buffers, starting `offset` bytes in.
    // Returns how many bytes were copied.
    size_t read(uint64_t offset, std::span<uint8_t> out) const;
    // Copies into the writable buffers starting `offset` bytes in; returns bytes written.
    size_t write(uint64_t offset, std::span<const uint8_t> data) const;
    // iovecs over [offset, offset + length) of the readable (or writable) bytes.
    std::vector<iovec> readable_iovecs(uint64_t offset, uint64_t length) const;
    std::vector<iovec> writable_iovecs(uint64_t offset, uint64_t length) const;

private:
    friend class Virtqueue;
    uint16_t m_head = 0;
    std::vector<Buffer> m_buffers;
    size_t m_readable_count = 0;
    uint64_t m_readable_bytes = 0;
    uint64_t m_writable_bytes = 0;
};

// What the driver programs through the transport before DRIVER_OK.
struct QueueConfig {
    uint16_t size = 0;  // power of two, <= max size
    bool ready = false;
    uint64_t descriptor_table = 0;
    uint64_t available_ring = 0;  // "driver area"
    uint64_t used_ring = 0;       // "device area"
};

class Virtqueue {
public:
    // Checks that the three areas are aligned and inside guest RAM for this size.
    // `event_idx` and `indirect` say whether the driver acknowledged VIRTIO_F_EVENT_IDX
    // and VIRTIO_F_INDIRECT_DESC; an indirect descriptor without the latter is a broken chain.
    static Result<Virtqueue> create(const GuestMemory& memory, const QueueConfig& config,
                                    bool event_idx, bool indirect = true);

    uint16_t size() const { return m_size; }

    // The next available chain, validated; std::nullopt when the ring is empty.
    // An error means the driver broke the spec (a hostile or buggy guest): the
    // device must stop using the queue and set DEVICE_NEEDS_RESET.
    Result<std::optional<DescriptorChain>> pop();

    // Returns a chain to the driver with `written` bytes written into its writable buffers.
    Result<void> add_used(uint16_t head, uint32_t written);

    // Whether the driver wants an interrupt for what was added since the last
    // call (EVENT_IDX used_event, or VIRTQ_AVAIL_F_NO_INTERRUPT without it).
    bool needs_interrupt();

    // After draining: asks the driver to notify again (EVENT_IDX avail_event),
    // then returns true when more chains arrived meanwhile (pop again).
    bool enable_notification();

private:
    Virtqueue(const GuestMemory& memory, const QueueConfig& config, bool event_idx, bool indirect,
              uint8_t* descriptors, uint8_t* available, uint8_t* used);
    Result<void> walk(uint16_t head, DescriptorChain& chain) const;
    Result<void> walk_indirect(uint64_t table, uint32_t length, DescriptorChain& chain,
                               size_t& budget) const;
    Result<void> append(DescriptorChain& chain, uint64_t address, uint32_t length,
                        bool writable) const;

    const GuestMemory* m_memory;
    uint16_t m_size;
    bool m_event_idx;
    bool m_indirect;
    // Host views of the three areas, checked to lie in guest RAM when the queue was created.
    uint8_t* m_descriptors;
    uint8_t* m_available;
    uint8_t* m_used;
    uint16_t m_next_available = 0;  // next avail->ring slot to read
    uint16_t m_next_used = 0;       // next used->ring slot to write
    uint16_t m_signalled_used = 0;  // used idx when needs_interrupt() last said yes or no
};

}  // namespace twinbox::virtio
