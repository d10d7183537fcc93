// libFuzzer target: descriptor-chain parsing of a split virtqueue
// (vmm/virtio/queue.cpp, virtio 1.2 section 2.7), the first code to touch
// what a hostile guest writes into its rings.
//
// Input layout (every byte string is a valid input):
//
//   byte 0      queue size: 1 << (byte % 10), so 1..512
//   byte 1      bit 0: VIRTIO_F_EVENT_IDX, bit 1: VIRTIO_F_INDIRECT_DESC, bit 2: use a raw
//               (possibly misaligned) ring address from bytes 2..7 instead of the scaled one
//   bytes 2..7  descriptor table, available ring, used ring: u16 each, scaled by 16, 2 and 4
//   bytes 8..   copied to guest-physical address 0 (at most kImageBytes): the rings, the
//               indirect tables and the buffers, all as the fuzzer likes
//
// The oracle: every buffer a popped chain hands out lies inside a guest RAM
// region's host mapping and at the host address its guest address maps to;
// readable buffers come before writable ones; the byte counts add up; the
// iovec and copy helpers never go past the chain. Any violation aborts.
//
// Build and run (clang, not in ALL): make fuzz-virtqueue, then
//   BUILD/tests/fuzz/virtqueue_fuzz -max_total_time=300 tests/fuzz/corpus/virtqueue
// The ctest virtqueue_fuzz_corpus replays the kept corpus through this same
// entry point with a plain main() (replay_main.cpp), so CI runs it without libFuzzer.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/queue.h"
#include "vmm/virtio/virtio_abi.h"

namespace {

using namespace twinbox;

constexpr uint64_t kMemoryBytes = 2ull << 20;  // the minimum guest RAM
constexpr size_t kImageBytes = 256 * 1024;
constexpr int kMaxPops = 64;

void check(bool condition) {
    if (!condition)
        std::abort();
}

GuestMemory& memory() {
    static GuestMemory instance = GuestMemory::create(kMemoryBytes).release_value();
    return instance;
}

// The buffer must be exactly where its guest address says, inside one region.
void check_buffer(const GuestMemory& ram, const virtio::Buffer& buffer) {
    check(!buffer.host.empty());
    bool found = false;
    for (const MemoryRegion& region : ram.regions()) {
        if (buffer.guest_address < region.guest_address)
            continue;
        uint64_t offset = buffer.guest_address - region.guest_address;
        if (offset >= region.size || buffer.host.size() > region.size - offset)
            continue;
        check(buffer.host.data() == region.host + offset);
        found = true;
    }
    check(found);
}

void check_chain(const GuestMemory& ram, const virtio::DescriptorChain& chain, uint16_t size,
                 const uint8_t* data, size_t length) {
    uint64_t readable = 0, writable = 0;
    bool seen_writable = false;
    for (const virtio::Buffer& buffer : chain.buffers()) {
        check_buffer(ram, buffer);
        check(!(seen_writable && !buffer.writable));  // readable ones first
        seen_writable |= buffer.writable;
        (buffer.writable ? writable : readable) += buffer.host.size();
    }
    check(chain.head() < size);
    check(readable == chain.readable_bytes() && writable == chain.writable_bytes());
    check(chain.readable().size() + chain.writable().size() == chain.buffers().size());
    check(chain.buffers().size() <= size_t{size} + virtio::kMaxQueueSize);

    // The helpers clamp to the chain whatever offset and length they get.
    uint64_t offset = length > 0 ? data[0] * 37ull : 0;
    uint64_t want = length > 1 ? data[1] * 513ull : 0;
    uint64_t total = 0;
    for (const iovec& piece : chain.readable_iovecs(offset, want)) total += piece.iov_len;
    check(total == (offset >= readable ? 0 : std::min(want, readable - offset)));
    total = 0;
    for (const iovec& piece : chain.writable_iovecs(offset, want)) total += piece.iov_len;
    check(total == (offset >= writable ? 0 : std::min(want, writable - offset)));
    std::vector<uint8_t> scratch(std::min<uint64_t>(want, 1 << 16));
    check(chain.read(offset, scratch) ==
          (offset >= readable ? 0 : std::min<uint64_t>(scratch.size(), readable - offset)));
    check(chain.write(offset, scratch) ==
          (offset >= writable ? 0 : std::min<uint64_t>(scratch.size(), writable - offset)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 8)
        return 0;
    GuestMemory& ram = memory();
    const MemoryRegion& low = ram.regions().front();
    std::memset(low.host, 0, low.size);
    size_t image = std::min(size - 8, kImageBytes);
    std::memcpy(low.host, data + 8, image);

    virtio::QueueConfig config;
    config.size = static_cast<uint16_t>(1u << (data[0] % 10));
    config.ready = true;
    auto field = [&](int index) {
        return static_cast<uint64_t>(data[2 + 2 * index] | data[3 + 2 * index] << 8);
    };
    bool raw = data[1] & 4;
    config.descriptor_table = raw ? field(0) : field(0) * 16;
    config.available_ring = raw ? field(1) : field(1) * 2;
    config.used_ring = raw ? field(2) : field(2) * 4;
    auto queue = virtio::Virtqueue::create(ram, config, data[1] & 1, data[1] & 2);
    if (!queue)
        return 0;

    const uint8_t* cursor = data + 8;
    size_t left = size - 8;
    for (int pop = 0; pop < kMaxPops; ++pop) {
        auto popped = queue->pop();
        if (!popped)
            break;  // a broken chain: the device would stop here
        if (!popped->has_value()) {
            if (!queue->enable_notification())
                break;
            continue;
        }
        const virtio::DescriptorChain& chain = **popped;
        check_chain(ram, chain, config.size, cursor, left);
        uint32_t written = left > 2 ? cursor[2] * 1000u : 0;
        check(static_cast<bool>(queue->add_used(chain.head(), written)));
        (void)queue->needs_interrupt();
        if (left > 3) {
            cursor += 3;
            left -= 3;
        }
    }
    return 0;
}
