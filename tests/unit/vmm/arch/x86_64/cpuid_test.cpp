#include "vmm/arch/x86_64/cpuid.h"

#include <gtest/gtest.h>

namespace twinbox {
namespace {

kvm_cpuid_entry2 leaf(uint32_t function, uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx,
                      uint32_t edx, bool indexed = false) {
    kvm_cpuid_entry2 entry{};
    entry.function = function;
    entry.index = index;
    entry.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
    entry.eax = eax;
    entry.ebx = ebx;
    entry.ecx = ecx;
    entry.edx = edx;
    return entry;
}

std::vector<kvm_cpuid_entry2> sample_table() {
    return {
        leaf(1, 0, 0x000806f8, 0x00000800, 0, 0),
        leaf(0xb, 0, 0, 0, 0, 0, true),
        leaf(0xb, 1, 0, 0, 0, 0, true),
        // XCR0 = x87 | SSE | AVX | (bit 9, PKRU, but with no subleaf: must be dropped)
        leaf(0xd, 0, 0x207, 0x340, 0x988, 0, true),
        leaf(0xd, 1, 0xf, 0x999, 0x1, 0, true),
        leaf(0xd, 2, 0x100, 0x240, 0, 0, true),
        leaf(0x80000008, 0, 0x3030, 0, 0, 0),
    };
}

TEST(Cpuid, EachVcpuGetsItsOwnApicId) {
    for (uint32_t index = 0; index < 4; ++index) {
        auto table = build_vcpu_cpuid(sample_table(), {index, 4, false});
        auto* basic = find_cpuid(table, 1);
        ASSERT_NE(basic, nullptr);
        EXPECT_EQ(basic->ebx >> 24, index);
        EXPECT_EQ((basic->ebx >> 16) & 0xff, 4u);
        EXPECT_TRUE(basic->edx & (1u << 28));  // HTT: more than one logical processor
        EXPECT_TRUE(basic->ecx & (1u << 31));  // running under a hypervisor
        EXPECT_EQ(find_cpuid(table, 0xb, 0)->edx, index);
        EXPECT_EQ(find_cpuid(table, 0xb, 1)->edx, index);
    }
}

TEST(Cpuid, TopologyLeafCountsTheCores) {
    auto table = build_vcpu_cpuid(sample_table(), {2, 3, false});
    auto* core = find_cpuid(table, 0xb, 1);
    EXPECT_EQ(core->ebx, 3u);
    EXPECT_EQ(core->eax, 2u);  // two APIC-ID bits count three cores
    EXPECT_EQ((core->ecx >> 8) & 0xff, 2u);
    auto* smt = find_cpuid(table, 0xb, 0);
    EXPECT_EQ(smt->ebx, 1u);
    EXPECT_EQ((find_cpuid(table, 0x80000008)->ecx) & 0xff, 2u);
}

TEST(Cpuid, XsaveLeafIsMadeConsistent) {
    auto table = build_vcpu_cpuid(sample_table(), {0, 1, false});
    auto* xsave = find_cpuid(table, 0xd, 0);
    EXPECT_EQ(xsave->eax, 0x7u);    // PKRU dropped: it had no size subleaf
    EXPECT_EQ(xsave->ecx, 0x340u);  // AVX ends at 0x240 + 0x100
    EXPECT_EQ(xsave->ebx, 0x340u);
    auto* compacted = find_cpuid(table, 0xd, 1);
    EXPECT_EQ(compacted->eax & ((1u << 1) | (1u << 3)), 0u);
}

TEST(Cpuid, SingleVcpuHasNoHtt) {
    auto table = build_vcpu_cpuid(sample_table(), {0, 1, true});
    auto* basic = find_cpuid(table, 1);
    EXPECT_FALSE(basic->edx & (1u << 28));
    EXPECT_TRUE(basic->ecx & (1u << 24));  // TSC deadline passed through when KVM has it
}

}  // namespace
}  // namespace twinbox
