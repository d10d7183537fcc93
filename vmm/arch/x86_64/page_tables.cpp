#include "vmm/arch/x86_64/page_tables.h"

#include "vmm/arch/x86_64/layout.h"

namespace twinbox {

namespace {
// Page-table entry bits (SDM vol. 3A, table 4-19 and friends).
constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kPageSize = 1ull << 7;  // in a PDE: this entry maps a 2 MiB page
constexpr uint64_t kEntries = 512;
constexpr uint64_t kPageTableSize = 4096;
}  // namespace

Result<uint64_t> write_identity_page_tables(const GuestMemory& memory) {
    TRY(memory.fill(layout::kPml4Address, 0, kPageTableSize));
    TRY(memory.fill(layout::kPdptAddress, 0, kPageTableSize));
    TRY(memory.write_object<uint64_t>(layout::kPml4Address,
                                      layout::kPdptAddress | kPresent | kWritable));
    for (uint64_t directory = 0; directory < 4; ++directory) {
        uint64_t directory_address = layout::kPdAddress + directory * kPageTableSize;
        TRY(memory.write_object<uint64_t>(layout::kPdptAddress + directory * 8,
                                          directory_address | kPresent | kWritable));
        for (uint64_t entry = 0; entry < kEntries; ++entry) {
            uint64_t physical = (directory * kEntries + entry) * 2 * layout::kMiB;
            TRY(memory.write_object<uint64_t>(directory_address + entry * 8,
                                              physical | kPresent | kWritable | kPageSize));
        }
    }
    return layout::kPml4Address;
}

}  // namespace twinbox
