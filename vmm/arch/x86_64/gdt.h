// The boot GDT twinbox writes for guests it enters in protected or long mode,
// and the matching KVM segment registers. Descriptor format: Intel SDM vol. 3A,
// section 3.4.5 "Segment Descriptors" (figure 3-8).
//
// Selectors follow the Linux boot protocol (boot.rst, "64-bit boot protocol":
// __BOOT_CS = 0x10, __BOOT_DS = 0x18), with a 32-bit code segment at 0x08 for
// multiboot kernels and a TSS at 0x20 because VMX refuses to enter a guest
// whose TR is unusable.
#pragma once

#include <linux/kvm.h>

#include <array>
#include <cstdint>

#include "common/result.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox::gdt {

inline constexpr uint16_t kCode32Selector = 0x08;
inline constexpr uint16_t kCode64Selector = 0x10;
inline constexpr uint16_t kDataSelector = 0x18;
inline constexpr uint16_t kTssSelector = 0x20;

// Encodes a descriptor from flags (G, D/B, L, AVL: bits 15..12 of `flags`, and
// the access byte in bits 7..0), base and limit (SDM figure 3-8).
constexpr uint64_t descriptor(uint16_t flags, uint32_t base, uint32_t limit) {
    return ((static_cast<uint64_t>(base) & 0xff000000ull) << 32) |
           ((static_cast<uint64_t>(flags) & 0xf0ffull) << 40) |
           ((static_cast<uint64_t>(limit) & 0x000f0000ull) << 32) |
           ((static_cast<uint64_t>(base) & 0x00ffffffull) << 16) |
           (static_cast<uint64_t>(limit) & 0x0000ffffull);
}

// The table itself: null, code32, code64, data, TSS.
std::array<uint64_t, 5> boot_table();

// The kvm_segment KVM expects for a descriptor of the table.
kvm_segment segment_from_descriptor(uint64_t descriptor, uint16_t selector);

Result<void> write_boot_gdt(const GuestMemory& memory);

}  // namespace twinbox::gdt
