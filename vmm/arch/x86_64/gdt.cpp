#include "vmm/arch/x86_64/gdt.h"

#include "vmm/arch/x86_64/layout.h"

namespace twinbox::gdt {

std::array<uint64_t, 5> boot_table() {
    // Flag nibble: 0xc = G (4 KiB granularity) + D/B (32-bit); 0xa = G + L (64-bit code).
    // Access byte: 0x9b = present, code, execute/read, accessed; 0x93 = present, data,
    // read/write, accessed; 0x8b = present, 32/64-bit TSS (busy).
    return {
        0,                               // null descriptor
        descriptor(0xc09b, 0, 0xfffff),  // 0x08: 32-bit flat code
        descriptor(0xa09b, 0, 0xfffff),  // 0x10: 64-bit code
        descriptor(0xc093, 0, 0xfffff),  // 0x18: flat data
        descriptor(0x008b, 0, 0x67),  // 0x20: TSS (104 bytes, never used by the guest's boot code)
    };
}

kvm_segment segment_from_descriptor(uint64_t descriptor, uint16_t selector) {
    kvm_segment segment{};
    segment.base = ((descriptor >> 16) & 0xffffff) | (((descriptor >> 56) & 0xff) << 24);
    uint32_t limit =
        static_cast<uint32_t>((descriptor & 0xffff) | (((descriptor >> 48) & 0xf) << 16));
    segment.g = (descriptor >> 55) & 1;
    // KVM takes the limit in bytes: with 4 KiB granularity it is scaled up.
    segment.limit = segment.g ? (limit << 12) | 0xfff : limit;
    segment.selector = selector;
    segment.type = (descriptor >> 40) & 0xf;
    segment.s = (descriptor >> 44) & 1;
    segment.dpl = (descriptor >> 45) & 3;
    segment.present = (descriptor >> 47) & 1;
    segment.avl = (descriptor >> 52) & 1;
    segment.l = (descriptor >> 53) & 1;
    segment.db = (descriptor >> 54) & 1;
    segment.unusable = segment.present ? 0 : 1;
    return segment;
}

Result<void> write_boot_gdt(const GuestMemory& memory) {
    auto table = boot_table();
    TRY(memory.write(layout::kGdtAddress,
                     {reinterpret_cast<const uint8_t*>(table.data()), sizeof(table)}));
    // An empty IDT: the boot code runs with interrupts off until the kernel loads its own.
    return memory.write_object<uint64_t>(layout::kIdtAddress, 0);
}

}  // namespace twinbox::gdt
