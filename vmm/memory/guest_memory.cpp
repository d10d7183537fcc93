#include "vmm/memory/guest_memory.h"

#include <fmt/core.h>

#include <algorithm>

#include "vmm/arch/x86_64/layout.h"

namespace twinbox {

Result<GuestMemory> GuestMemory::create(uint64_t size) {
    if (size < layout::kMinimumMemory)
        return Error::message(fmt::format("guest memory of {} bytes is too small", size))
            .with_hint("give at least 2 MiB with --memory");
    GuestMemory memory;
    memory.m_size = size;
    uint64_t low = std::min(size, layout::kMmioHoleStart);
    struct Piece {
        uint64_t guest_address, size;
    };
    std::vector<Piece> pieces{{0, low}};
    if (size > low) pieces.push_back({layout::kHighRamStart, size - low});
    for (const Piece& piece : pieces) {
        auto mapping = TRY(Mapping::anonymous(piece.size, "guest RAM"));
        // Transparent huge pages cut the number of EPT/NPT misses for large guests.
        ::madvise(mapping.data(), mapping.size(), MADV_HUGEPAGE);
        memory.m_regions.push_back({piece.guest_address, piece.size, mapping.data()});
        memory.m_mappings.push_back(std::move(mapping));
    }
    return memory;
}

const MemoryRegion* GuestMemory::find(uint64_t gpa, uint64_t length) const {
    for (const MemoryRegion& region : m_regions) {
        if (gpa < region.guest_address) continue;
        uint64_t offset = gpa - region.guest_address;
        // Written so that no addition can overflow: offset <= size and length <= size - offset.
        if (offset <= region.size && length <= region.size - offset) return &region;
    }
    return nullptr;
}

bool GuestMemory::contains(uint64_t gpa, uint64_t length) const { return find(gpa, length) != nullptr; }

Result<std::span<uint8_t>> GuestMemory::slice(uint64_t gpa, uint64_t length) const {
    const MemoryRegion* region = find(gpa, length);
    if (region == nullptr)
        return Error::message(fmt::format("guest range {:#x}+{:#x} is not inside guest RAM", gpa, length));
    return std::span<uint8_t>(region->host + (gpa - region->guest_address), length);
}

Result<void> GuestMemory::read(uint64_t gpa, std::span<uint8_t> out) const {
    auto source = TRY(slice(gpa, out.size()));
    if (!out.empty()) std::memcpy(out.data(), source.data(), out.size());
    return ok();
}

Result<void> GuestMemory::write(uint64_t gpa, std::span<const uint8_t> data) const {
    auto target = TRY(slice(gpa, data.size()));
    if (!data.empty()) std::memcpy(target.data(), data.data(), data.size());
    return ok();
}

Result<void> GuestMemory::fill(uint64_t gpa, uint8_t value, uint64_t length) const {
    auto target = TRY(slice(gpa, length));
    std::memset(target.data(), value, length);
    return ok();
}

uint64_t GuestMemory::low_ram_end() const { return std::min(m_size, layout::kMmioHoleStart); }

}  // namespace twinbox
