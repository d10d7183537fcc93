// The PVH loader: boots an uncompressed ELF kernel (Linux's vmlinux built with
// CONFIG_PVH=y) at the 32-bit entry point its Xen ELF note announces.
//
// Spec: Xen docs/misc/pvh.pandoc ("x86/HVM direct boot ABI") and
// xen/include/public/arch-x86/hvm/start_info.h; Linux implements the guest
// side in arch/x86/platform/pvh/head.S (pvh_start_xen) and enlighten.c. The
// loader copies the PT_LOAD segments to their physical addresses, writes the
// command line, the initrd (module 0 of the module list) and the
// hvm_start_info with its memory map, and starts the vCPU in 32-bit
// protected mode with paging off and EBX pointing at hvm_start_info. Unlike
// the bzImage path, nothing is decompressed and no setup code runs: the
// guest's first instruction is the kernel's own startup code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/result.h"
#include "vmm/arch/x86_64/boot_entry.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/elf.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

// The physical entry point of XEN_ELFNOTE_PHYS32_ENTRY among `image`'s notes,
// or nullopt when the kernel has none. A malformed note (short descriptor, an
// entry at or above 4 GiB) is an error.
Result<std::optional<uint32_t>> find_pvh_entry(std::span<const uint8_t> file,
                                               const ElfImage& image);

// True when `kernel` is an ELF file that carries the PVH entry note: what
// `--kernel` looks for to choose PVH over the bzImage protocol. A damaged ELF
// file answers false here and gets its error from load_pvh.
bool has_pvh_entry(std::span<const uint8_t> kernel);

// Loads `config.kernel` (a 64-bit ELF vmlinux with the PVH note) into
// `memory` and returns the 32-bit protected-mode entry state. Checks every
// segment against the file and guest RAM before the first byte is written, so
// a rejected kernel leaves RAM as it was.
Result<BootEntry> load_pvh(const GuestMemory& memory, const LinuxBootConfig& config);

}  // namespace twinbox
