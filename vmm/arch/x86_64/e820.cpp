#include "vmm/arch/x86_64/e820.h"

#include <algorithm>

#include "vmm/arch/x86_64/layout.h"

namespace twinbox {

std::vector<E820Entry> build_e820_map(const GuestMemory& memory) {
    std::vector<E820Entry> map;
    // The MP table sits at the top of conventional memory, in what a PC calls the EBDA.
    map.push_back({0, layout::kMpTableAddress, E820Type::ram});
    map.push_back(
        {layout::kMpTableAddress, layout::kEbdaEnd - layout::kMpTableAddress, E820Type::reserved});
    map.push_back(
        {layout::kAcpiAddress, layout::kAcpiEnd - layout::kAcpiAddress, E820Type::reserved});
    uint64_t low_end = memory.low_ram_end();
    if (low_end > layout::kHighMemoryStart)
        map.push_back(
            {layout::kHighMemoryStart, low_end - layout::kHighMemoryStart, E820Type::ram});
    if (memory.size() > low_end)
        map.push_back({layout::kHighRamStart, memory.size() - low_end, E820Type::ram});
    return map;
}

bool is_e820_ram(const std::vector<E820Entry>& map, uint64_t address, uint64_t size) {
    return std::any_of(map.begin(), map.end(), [&](const E820Entry& entry) {
        return entry.type == E820Type::ram && address >= entry.address &&
               address + size <= entry.address + entry.size;
    });
}

}  // namespace twinbox
