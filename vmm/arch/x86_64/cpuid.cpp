#include "vmm/arch/x86_64/cpuid.h"

#include <algorithm>
#include <bit>

namespace twinbox {

namespace {

// Leaf 1 (Intel SDM vol. 2A, table 3-10/3-11).
constexpr uint32_t kLeaf1EcxTscDeadline = 1u << 24;
constexpr uint32_t kLeaf1EcxHypervisor = 1u << 31;  // "reserved for use by hypervisors"
constexpr uint32_t kLeaf1EdxHtt = 1u << 28;         // EBX[23:16] holds a logical processor count

// Leaf 0xB / 0x1F level types (SDM vol. 2A, table 3-8, "Extended Topology Enumeration").
constexpr uint32_t kLevelTypeInvalid = 0;
constexpr uint32_t kLevelTypeSmt = 1;
constexpr uint32_t kLevelTypeCore = 2;

// The smallest number of APIC-ID bits that can count `count` things.
uint32_t bits_for(uint32_t count) {
    return count <= 1 ? 0 : std::bit_width(count - 1);
}

void set_topology_leaf(kvm_cpuid_entry2& entry, const CpuidOptions& options) {
    uint32_t level = entry.index;
    uint32_t apic_id = options.vcpu_index;
    // One thread per core, `vcpu_count` cores per package.
    if (level == 0) {
        entry.eax = 0;  // no bits of the APIC ID go to the thread level
        entry.ebx = 1;
        entry.ecx = (kLevelTypeSmt << 8) | level;
    } else if (level == 1) {
        entry.eax = bits_for(options.vcpu_count);
        entry.ebx = options.vcpu_count;
        entry.ecx = (kLevelTypeCore << 8) | level;
    } else {
        entry.eax = 0;
        entry.ebx = 0;
        entry.ecx = (kLevelTypeInvalid << 8) | level;
    }
    entry.edx = apic_id;  // x2APIC ID of this logical processor
}

// Leaf 0xD (SDM vol. 1, section 13.2 "Enumeration of CPU support for XSAVE"):
// subleaf 0 lists the XCR0 features and the XSAVE area size they need; subleaf
// i >= 2 gives component i's size and offset. A guest checks that these agree,
// and Linux prints "XSAVE consistency problem" when they do not, which happens
// when a nested host passes on features without their subleaves. So: keep only
// components that have a subleaf with a size, and recompute the sizes from them.
void fix_xsave_leaf(std::vector<kvm_cpuid_entry2>& entries) {
    kvm_cpuid_entry2* main = find_cpuid(entries, 0xd, 0);
    if (main == nullptr)
        return;
    uint64_t features = (static_cast<uint64_t>(main->edx) << 32) | main->eax;
    uint32_t size = 512 + 64;  // legacy FXSAVE region plus the XSAVE header
    for (uint32_t component = 2; component < 64; ++component) {
        if ((features & (1ull << component)) == 0)
            continue;
        kvm_cpuid_entry2* sub = find_cpuid(entries, 0xd, component);
        if (sub == nullptr || sub->eax == 0) {
            features &= ~(1ull << component);
            continue;
        }
        size = std::max(size, sub->ebx + sub->eax);
    }
    main->eax = static_cast<uint32_t>(features);
    main->edx = static_cast<uint32_t>(features >> 32);
    main->ebx = size;  // KVM recomputes this one from the guest's XCR0 at run time
    main->ecx = size;  // the maximum for all features above
    // Subleaf 1: the compacted format (XSAVEC, bit 1) and supervisor states (XSAVES, bit 3) add
    // another size to keep consistent; Linux runs well with the standard format, so hide them.
    if (kvm_cpuid_entry2* sub1 = find_cpuid(entries, 0xd, 1)) {
        sub1->eax &= ~((1u << 1) | (1u << 3));
        sub1->ebx = 0;
        sub1->ecx = 0;
        sub1->edx = 0;
    }
}

}  // namespace

kvm_cpuid_entry2* find_cpuid(std::vector<kvm_cpuid_entry2>& entries, uint32_t function,
                             uint32_t index) {
    for (auto& entry : entries) {
        bool indexed = (entry.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) != 0;
        if (entry.function == function && (!indexed || entry.index == index))
            return &entry;
    }
    return nullptr;
}

std::vector<kvm_cpuid_entry2> build_vcpu_cpuid(std::vector<kvm_cpuid_entry2> entries,
                                               const CpuidOptions& options) {
    uint32_t apic_id = options.vcpu_index;
    for (auto& entry : entries) {
        switch (entry.function) {
            case 1:
                // EBX[31:24] initial APIC ID, EBX[23:16] logical processors per package.
                entry.ebx = (entry.ebx & 0x0000ffff) | (apic_id << 24) |
                            ((options.vcpu_count & 0xff) << 16);
                entry.ecx |= kLeaf1EcxHypervisor;
                if (options.tsc_deadline_timer)
                    entry.ecx |= kLeaf1EcxTscDeadline;
                if (options.vcpu_count > 1)
                    entry.edx |= kLeaf1EdxHtt;
                break;
            case 4:
                // Deterministic cache parameters: EAX[31:26] = cores per package - 1;
                // EAX[25:14] = threads sharing the cache - 1 (one thread per core).
                entry.eax = (entry.eax & 0x3fff) | ((options.vcpu_count - 1) << 26);
                break;
            case 0xb:
            case 0x1f:
                set_topology_leaf(entry, options);
                break;
            case 0x80000008:
                // AMD APM vol. 3 E.4.7: ECX[7:0] NC = cores - 1, ECX[15:12] ApicIdSize.
                entry.ecx = (entry.ecx & ~0xf0ffu) | (bits_for(options.vcpu_count) << 12) |
                            ((options.vcpu_count - 1) & 0xff);
                break;
            case 0x8000001e:
                // AMD extended APIC ID; one thread per compute unit.
                entry.eax = apic_id;
                entry.ebx = (entry.ebx & ~0xffffu) | (apic_id & 0xff);
                entry.ecx = 0;
                break;
            default:
                break;
        }
    }
    fix_xsave_leaf(entries);
    return entries;
}

}  // namespace twinbox
