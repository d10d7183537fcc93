// Split virtqueue, device side (virtio 1.2 section 2.7). See queue.h.
//
// Ring layout in guest memory (section 2.7, "Virtqueues"):
//
//   descriptor table (16-byte aligned)   available ring (2-byte aligned)   used ring (4-byte
//   aligned) ┌──────────────────────────────┐     ┌─────────────────────┐
//   ┌──────────────────────────┐ │ addr u64 │ len u32 │ flags u16│     │ flags u16 │ idx u16 │ │
//   flags u16 │ idx u16      │ │ next u16                     │     │ ring[size] u16 (heads)│ │
//   ring[size] {id u32,len u32}│ │ ... size entries             │     │ used_event u16      │ │
//   avail_event u16          │ └──────────────────────────────┘     └─────────────────────┘
//   └──────────────────────────┘
//
// The indices are free-running 16-bit counters; slot = idx % size.
#include "vmm/virtio/queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "vmm/virtio/virtio_abi.h"

namespace twinbox::virtio {

namespace {

constexpr uint64_t kDescriptorSize = 16;

uint64_t descriptor_table_bytes(uint16_t size) {
    return kDescriptorSize * size;
}
uint64_t available_ring_bytes(uint16_t size) {
    return 6 + 2ull * size;
}
uint64_t used_ring_bytes(uint16_t size) {
    return 6 + 8ull * size;
}

// Ring fields are shared with vCPUs running the driver: loads of indices use
// acquire ordering (the entries they publish are read after), stores release.
uint16_t load_acquire_u16(const uint8_t* address) {
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(address), __ATOMIC_ACQUIRE);
}
void store_release_u16(uint8_t* address, uint16_t value) {
    __atomic_store_n(reinterpret_cast<uint16_t*>(address), value, __ATOMIC_RELEASE);
}
template <typename T>
T load(const uint8_t* address) {
    T value;
    std::memcpy(&value, address, sizeof value);
    return value;
}
template <typename T>
void store(uint8_t* address, T value) {
    std::memcpy(address, &value, sizeof value);
}

struct Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};

Descriptor decode(const uint8_t* entry) {
    return {load<uint64_t>(entry), load<uint32_t>(entry + 8), load<uint16_t>(entry + 12),
            load<uint16_t>(entry + 14)};
}

// Bytes of `buffers` (selected by `writable`) in [offset, offset + length) as iovecs.
std::vector<iovec> iovecs(std::span<const Buffer> buffers, uint64_t offset, uint64_t length) {
    std::vector<iovec> out;
    for (const Buffer& buffer : buffers) {
        if (length == 0)
            break;
        if (offset >= buffer.host.size()) {
            offset -= buffer.host.size();
            continue;
        }
        uint64_t take = std::min<uint64_t>(buffer.host.size() - offset, length);
        out.push_back({buffer.host.data() + offset, take});
        length -= take;
        offset = 0;
    }
    return out;
}

}  // namespace

size_t DescriptorChain::read(uint64_t offset, std::span<uint8_t> out) const {
    size_t copied = 0;
    for (const iovec& piece : readable_iovecs(offset, out.size())) {
        std::memcpy(out.data() + copied, piece.iov_base, piece.iov_len);
        copied += piece.iov_len;
    }
    return copied;
}

size_t DescriptorChain::write(uint64_t offset, std::span<const uint8_t> data) const {
    size_t copied = 0;
    for (const iovec& piece : writable_iovecs(offset, data.size())) {
        std::memcpy(piece.iov_base, data.data() + copied, piece.iov_len);
        copied += piece.iov_len;
    }
    return copied;
}

std::vector<iovec> DescriptorChain::readable_iovecs(uint64_t offset, uint64_t length) const {
    return iovecs(readable(), offset, length);
}

std::vector<iovec> DescriptorChain::writable_iovecs(uint64_t offset, uint64_t length) const {
    return iovecs(writable(), offset, length);
}

Result<Virtqueue> Virtqueue::create(const GuestMemory& memory, const QueueConfig& config,
                                    bool event_idx, bool indirect) {
    uint16_t size = config.size;
    if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0)
        return Error::message(
            fmt::format("queue size {} is not a power of two in 1..{}", size, kMaxQueueSize));
    // Section 2.7: alignment of the descriptor table, available and used rings.
    if (config.descriptor_table % 16 != 0 || config.available_ring % 2 != 0 ||
        config.used_ring % 4 != 0)
        return Error::message(
            fmt::format("queue areas {:#x}/{:#x}/{:#x} are not aligned to 16/2/4 bytes",
                        config.descriptor_table, config.available_ring, config.used_ring));
    auto area = [&](const char* what, uint64_t address, uint64_t bytes) -> Result<uint8_t*> {
        auto span = memory.slice(address, bytes);
        if (!span)
            return span.release_error().with_context(fmt::format("queue {} area", what));
        return span.value().data();
    };
    uint8_t* descriptors =
        TRY(area("descriptor", config.descriptor_table, descriptor_table_bytes(size)));
    uint8_t* available = TRY(area("driver", config.available_ring, available_ring_bytes(size)));
    uint8_t* used = TRY(area("device", config.used_ring, used_ring_bytes(size)));
    return Virtqueue(memory, config, event_idx, indirect, descriptors, available, used);
}

Virtqueue::Virtqueue(const GuestMemory& memory, const QueueConfig& config, bool event_idx,
                     bool indirect, uint8_t* descriptors, uint8_t* available, uint8_t* used)
    : m_memory(&memory),
      m_size(config.size),
      m_event_idx(event_idx),
      m_indirect(indirect),
      m_descriptors(descriptors),
      m_available(available),
      m_used(used) {
    // A queue starts where the used ring says it is (zero after the driver set it up).
    m_next_used = load_acquire_u16(m_used + 2);
    m_signalled_used = m_next_used;
}

Result<std::optional<DescriptorChain>> Virtqueue::pop() {
    uint16_t available_idx = load_acquire_u16(m_available + 2);
    uint16_t pending = static_cast<uint16_t>(available_idx - m_next_available);
    if (pending == 0)
        return std::optional<DescriptorChain>{};
    if (pending > m_size)
        return Error::message(fmt::format(
            "available index {} is {} entries ahead of the device, more than the queue size {}",
            available_idx, pending, m_size));
    uint16_t head = load<uint16_t>(m_available + 4 + 2ull * (m_next_available % m_size));
    ++m_next_available;
    DescriptorChain chain;
    chain.m_head = head;
    TRY(walk(head, chain));
    return std::optional<DescriptorChain>(std::move(chain));
}

Result<void> Virtqueue::append(DescriptorChain& chain, uint64_t address, uint32_t length,
                               bool writable) const {
    if (!writable && chain.m_buffers.size() > chain.m_readable_count)
        return Error::message(fmt::format(
            "descriptor chain {} has a device-readable buffer after a device-writable one",
            chain.m_head));
    if (length == 0)
        return {};  // an empty buffer carries nothing; skip it
    auto host = m_memory->slice(address, length);
    if (!host)
        return host.release_error().with_context(
            fmt::format("descriptor chain {} buffer", chain.m_head));
    chain.m_buffers.push_back({address, host.value(), writable});
    if (writable) {
        chain.m_writable_bytes += length;
    } else {
        chain.m_readable_bytes += length;
        ++chain.m_readable_count;
    }
    return {};
}

// Section 2.7.5.3: an indirect descriptor points at a table of descriptors
// that chain among themselves (next indexes the table). No nesting.
Result<void> Virtqueue::walk_indirect(uint64_t table, uint32_t length, DescriptorChain& chain,
                                      size_t& budget) const {
    if (!m_indirect)
        return Error::message(fmt::format(
            "descriptor chain {} uses an indirect table, but VIRTIO_F_INDIRECT_DESC was not "
            "negotiated",
            chain.m_head));
    if (length == 0 || length % kDescriptorSize != 0 || length / kDescriptorSize > kMaxQueueSize)
        return Error::message(fmt::format(
            "descriptor chain {} has an indirect table of {} bytes (not a multiple of 16 in "
            "16..{})",
            chain.m_head, length, kDescriptorSize * kMaxQueueSize));
    auto entries = m_memory->slice(table, length);
    if (!entries)
        return entries.release_error().with_context(
            fmt::format("descriptor chain {} indirect table", chain.m_head));
    uint32_t count = length / kDescriptorSize;
    uint32_t index = 0;
    for (uint32_t walked = 0;; ++walked) {
        if (walked >= count || budget == 0)
            return Error::message(
                fmt::format("descriptor chain {} loops in its indirect table", chain.m_head));
        --budget;
        Descriptor descriptor = decode(entries.value().data() + kDescriptorSize * index);
        if (descriptor.flags & descriptor::kIndirect)
            return Error::message(fmt::format(
                "descriptor chain {} nests an indirect table in another", chain.m_head));
        TRY(append(chain, descriptor.address, descriptor.length,
                   descriptor.flags & descriptor::kWrite));
        if (!(descriptor.flags & descriptor::kNext))
            return {};
        if (descriptor.next >= count)
            return Error::message(
                fmt::format("descriptor chain {} indirect entry points at {} of {} entries",
                            chain.m_head, descriptor.next, count));
        index = descriptor.next;
    }
}

Result<void> Virtqueue::walk(uint16_t head, DescriptorChain& chain) const {
    if (head >= m_size)
        return Error::message(
            fmt::format("available ring names descriptor {} of a {}-entry queue", head, m_size));
    // Every descriptor visited costs one unit: a chain longer than the queue
    // (plus the largest indirect table) must contain a loop.
    size_t budget = static_cast<size_t>(m_size) + kMaxQueueSize;
    uint16_t index = head;
    for (uint32_t walked = 0;; ++walked) {
        if (walked >= m_size)
            return Error::message(
                fmt::format("descriptor chain {} is longer than the queue (a loop?)", head));
        --budget;
        Descriptor descriptor = decode(m_descriptors + kDescriptorSize * index);
        if (descriptor.flags & descriptor::kIndirect) {
            if (descriptor.flags & descriptor::kNext)
                return Error::message(fmt::format(
                    "descriptor chain {} sets both INDIRECT and NEXT on one descriptor", head));
            return walk_indirect(descriptor.address, descriptor.length, chain, budget);
        }
        TRY(append(chain, descriptor.address, descriptor.length,
                   descriptor.flags & descriptor::kWrite));
        if (!(descriptor.flags & descriptor::kNext))
            return {};
        if (descriptor.next >= m_size)
            return Error::message(fmt::format("descriptor chain {} points at descriptor {} of {}",
                                              head, descriptor.next, m_size));
        index = descriptor.next;
    }
}

Result<void> Virtqueue::add_used(uint16_t head, uint32_t written) {
    if (head >= m_size)
        return Error::message(fmt::format("used head {} outside a {}-entry queue", head, m_size));
    uint8_t* entry = m_used + 4 + 8ull * (m_next_used % m_size);
    store<uint32_t>(entry, head);
    store<uint32_t>(entry + 4, written);
    ++m_next_used;
    // The entry must be visible before the index that publishes it (section 2.7.8.2).
    store_release_u16(m_used + 2, m_next_used);
    return {};
}

bool Virtqueue::needs_interrupt() {
    // The driver's used_event / flags are read after our used-index store is visible.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t previous = m_signalled_used;
    uint16_t now = m_next_used;
    m_signalled_used = now;
    if (previous == now)
        return false;
    if (!m_event_idx)
        return (load_acquire_u16(m_available) & 1) == 0;  // VIRTQ_AVAIL_F_NO_INTERRUPT
    // Section 2.7.10: interrupt when used_event lies in (previous, now], with wrap-around
    // (vring_need_event() in Linux).
    uint16_t used_event = load_acquire_u16(m_available + 4 + 2ull * m_size);
    return static_cast<uint16_t>(now - used_event - 1) < static_cast<uint16_t>(now - previous);
}

bool Virtqueue::enable_notification() {
    if (m_event_idx)
        store_release_u16(m_used + 4 + 8ull * m_size, m_next_available);  // avail_event
    else
        store_release_u16(m_used, 0);  // clear VIRTQ_USED_F_NO_NOTIFY
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load_acquire_u16(m_available + 2) != m_next_available;
}

}  // namespace twinbox::virtio
