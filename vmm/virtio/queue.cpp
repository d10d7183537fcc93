// Split virtqueue, device side (virtio 1.2 section 2.7). See queue.h.
//
// The ring layout (the three areas, their fields and alignment) is declared
// once in split_ring.h. The indices are free-running 16-bit counters; the
// slot of index i is i % size.
#include "vmm/virtio/queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "vmm/virtio/split_ring.h"
#include "vmm/virtio/virtio_abi.h"

namespace twinbox::virtio {

namespace {

constexpr uint64_t kDescriptorSize = sizeof(SplitDescriptor);

// Offsets of the ring headers' fields (sections 2.7.6 and 2.7.8).
constexpr uint64_t kAvailableFlags = offsetof(SplitAvailableHeader, flags);
constexpr uint64_t kAvailableIndex = offsetof(SplitAvailableHeader, index);
constexpr uint64_t kUsedFlags = offsetof(SplitUsedHeader, flags);
constexpr uint64_t kUsedIndex = offsetof(SplitUsedHeader, index);

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

// Copies the entry out of guest memory first: the guest may change it while
// we look, and every field must be checked and used from the one copy.
SplitDescriptor decode(const uint8_t* entry) {
    return load<SplitDescriptor>(entry);
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
    if (config.descriptor_table % SplitRing::kDescriptorAlignment != 0 ||
        config.available_ring % SplitRing::kAvailableAlignment != 0 ||
        config.used_ring % SplitRing::kUsedAlignment != 0)
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
        TRY(area("descriptor", config.descriptor_table, SplitRing::descriptor_table_bytes(size)));
    uint8_t* available =
        TRY(area("driver", config.available_ring, SplitRing::Available::bytes(size)));
    uint8_t* used = TRY(area("device", config.used_ring, SplitRing::Used::bytes(size)));
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
    m_next_used = load_acquire_u16(m_used + kUsedIndex);
    m_signalled_used = m_next_used;
}

Result<std::optional<DescriptorChain>> Virtqueue::pop() {
    uint16_t available_idx = load_acquire_u16(m_available + kAvailableIndex);
    uint16_t pending = static_cast<uint16_t>(available_idx - m_next_available);
    if (pending == 0)
        return std::optional<DescriptorChain>{};
    if (pending > m_size)
        return Error::message(fmt::format(
            "available index {} is {} entries ahead of the device, more than the queue size {}",
            available_idx, pending, m_size));
    uint16_t head =
        load<uint16_t>(m_available + SplitRing::Available::entry_offset(m_next_available % m_size));
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
            "descriptor chain {} uses an indirect table, but VIRTIO_F_INDIRECT_DESC was not negotiated",
            chain.m_head));
    if (length == 0 || length % kDescriptorSize != 0 || length / kDescriptorSize > kMaxQueueSize)
        return Error::message(fmt::format(
            "descriptor chain {} has an indirect table of {} bytes (not a multiple of 16 in 16..{})",
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
        SplitDescriptor descriptor = decode(entries.value().data() + kDescriptorSize * index);
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
        SplitDescriptor descriptor = decode(m_descriptors + SplitRing::descriptor_offset(index));
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
    store(m_used + SplitRing::Used::entry_offset(m_next_used % m_size),
          SplitUsedElement{head, written});
    ++m_next_used;
    // The entry must be visible before the index that publishes it (section 2.7.8.2).
    store_release_u16(m_used + kUsedIndex, m_next_used);
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
        return (load_acquire_u16(m_available + kAvailableFlags) & kAvailableNoInterrupt) == 0;
    // Section 2.7.10: interrupt when used_event lies in (previous, now], with wrap-around
    // (vring_need_event() in Linux).
    uint16_t used_event =
        load_acquire_u16(m_available + SplitRing::Available::event_offset(m_size));
    return static_cast<uint16_t>(now - used_event - 1) < static_cast<uint16_t>(now - previous);
}

bool Virtqueue::enable_notification() {
    if (m_event_idx)
        store_release_u16(m_used + SplitRing::Used::event_offset(m_size), m_next_available);
    else
        store_release_u16(m_used + kUsedFlags, 0);  // clear VIRTQ_USED_F_NO_NOTIFY
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load_acquire_u16(m_available + kAvailableIndex) != m_next_available;
}

}  // namespace twinbox::virtio
