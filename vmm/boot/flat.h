// The flat binary loader: a raw image with no header at all (a boot sector,
// a hand-assembled test guest), copied byte for byte into guest RAM and
// entered at its first byte.
//
// There is no spec to follow; the conventions are the PC's. In real mode the
// image goes where a BIOS puts a boot sector, 0x7c00 (BIOS Boot Specification
// 1.01, section 6.5.1), and must fit in conventional memory. In 32-bit
// protected mode and 64-bit long mode it goes to 1 MiB by default and must lie
// in RAM below 4 GiB, which the boot page tables identity-map.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/result.h"
#include "vmm/arch/x86_64/boot_entry.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

// Copies `image` to `load_address` (default: layout::kFlatRealModeLoadAddress
// in real mode, layout::kFlatLongModeLoadAddress otherwise) and returns an
// entry at its first byte.
//
// The BootEntry holds linear addresses. In real mode the vCPU setup puts
// every segment register, SS included, at the 64 KiB segment that holds the
// entry (selector = (instruction_pointer >> 4) & 0xf000) and IP at the low 16
// bits. The stack starts right below the image (stack_pointer = the load
// address), in that same segment, so SP = stack_pointer & 0xffff reaches it;
// a boot sector at 0x7c00 thus gets SS:SP = 0000:7C00, as a BIOS leaves it.
// Other modes use layout::kBootStackPointer.
Result<BootEntry> load_flat(const GuestMemory& memory, std::span<const uint8_t> image, CpuMode mode,
                            std::optional<uint64_t> load_address);

}  // namespace twinbox
