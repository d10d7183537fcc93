#include "vmm/arch/x86_64/cpu_state.h"

#include <gtest/gtest.h>

#include "vmm/arch/x86_64/gdt.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/arch/x86_64/page_tables.h"

namespace twinbox {
namespace {

TEST(Gdt, DescriptorsDecodeToFlatSegments) {
    auto table = gdt::boot_table();
    auto code64 = gdt::segment_from_descriptor(table[2], gdt::kCode64Selector);
    EXPECT_EQ(code64.l, 1);
    EXPECT_EQ(code64.db, 0);
    EXPECT_EQ(code64.limit, 0xffffffffu);
    EXPECT_EQ(code64.type, 0xb);
    EXPECT_EQ(code64.present, 1);
    auto code32 = gdt::segment_from_descriptor(table[1], gdt::kCode32Selector);
    EXPECT_EQ(code32.l, 0);
    EXPECT_EQ(code32.db, 1);
    auto data = gdt::segment_from_descriptor(table[3], gdt::kDataSelector);
    EXPECT_EQ(data.type, 0x3);
    EXPECT_EQ(data.base, 0u);
    auto tss = gdt::segment_from_descriptor(table[4], gdt::kTssSelector);
    EXPECT_EQ(tss.limit, 0x67u);
    EXPECT_EQ(tss.s, 0);
}

TEST(CpuState, LongModeEntry) {
    BootEntry entry{CpuMode::long64,         0x100200, layout::kBootStackPointer, 0, 0,
                    layout::kZeroPageAddress};
    auto sregs = boot_sregs(kvm_sregs{}, entry, layout::kPml4Address);
    EXPECT_EQ(sregs.cr3, layout::kPml4Address);
    EXPECT_TRUE(sregs.cr0 & (1ull << 31));
    EXPECT_TRUE(sregs.cr4 & (1ull << 5));
    EXPECT_EQ(sregs.efer & 0x500, 0x500u);
    EXPECT_EQ(sregs.cs.selector, 0x10);
    EXPECT_EQ(sregs.ds.selector, 0x18);
    auto regs = boot_regs(entry);
    EXPECT_EQ(regs.rip, 0x100200u);
    EXPECT_EQ(regs.rsi, layout::kZeroPageAddress);
    EXPECT_EQ(regs.rflags, 2u);
}

TEST(CpuState, ProtectedModeEntryForMultiboot) {
    BootEntry entry{CpuMode::protected32, 0x100000, 0, 0x2badb002, 0x10000, 0};
    auto sregs = boot_sregs(kvm_sregs{}, entry, 0);
    EXPECT_EQ(sregs.cr0 & 0x80000001u, 1u);  // PE on, paging off (Multiboot 0.6.96 section 3.2)
    EXPECT_EQ(sregs.efer, 0u);
    EXPECT_EQ(sregs.cs.db, 1);
    auto regs = boot_regs(entry);
    EXPECT_EQ(regs.rax, 0x2badb002u);
    EXPECT_EQ(regs.rbx, 0x10000u);
}

TEST(CpuState, RealModeEntryUsesSegmentAndOffset) {
    BootEntry entry{CpuMode::real, 0x7c00, 0x7000, 0, 0, 0};
    kvm_sregs initial{};
    initial.cr0 = 0x60000010;  // the reset value
    auto sregs = boot_sregs(initial, entry, 0);
    EXPECT_EQ(sregs.cs.selector, 0);
    EXPECT_EQ(sregs.cs.base, 0u);
    EXPECT_EQ(sregs.cr0 & 1, 0u);
    EXPECT_EQ(boot_regs(entry).rip, 0x7c00u);

    BootEntry high{CpuMode::real, 0x12345, 0x7000, 0, 0, 0};
    auto high_sregs = boot_sregs(initial, high, 0);
    EXPECT_EQ(high_sregs.cs.base + boot_regs(high).rip, 0x12345u);
}

TEST(PageTables, IdentityMapsTheFirstFourGiB) {
    auto memory = GuestMemory::create(16 * layout::kMiB);
    ASSERT_TRUE(memory.has_value());
    auto cr3 = write_identity_page_tables(*memory);
    ASSERT_TRUE(cr3.has_value());
    // Walk the tables for a few addresses as the MMU would (SDM vol. 3A, figure 4-9).
    for (uint64_t address : {0x0ull, 0x100000ull, 0x7fe00000ull, 0xfee00000ull}) {
        uint64_t pml4e = *memory->read_object<uint64_t>(*cr3 + ((address >> 39) & 511) * 8);
        uint64_t pdpte =
            *memory->read_object<uint64_t>((pml4e & ~0xfffull) + ((address >> 30) & 511) * 8);
        uint64_t pde =
            *memory->read_object<uint64_t>((pdpte & ~0xfffull) + ((address >> 21) & 511) * 8);
        EXPECT_TRUE(pde & (1 << 7));
        EXPECT_EQ((pde & ~0x1fffffull) | (address & 0x1fffff), address);
    }
}

}  // namespace
}  // namespace twinbox
