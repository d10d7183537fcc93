// The structures of the Xen PVH boot ABI that a loader shares with the guest.
//
// Spec: Xen xen/include/public/arch-x86/hvm/start_info.h (struct
// hvm_start_info, hvm_modlist_entry, hvm_memmap_table_entry) and
// docs/misc/pvh.pandoc ("x86/HVM direct boot ABI"); Linux reads them in
// arch/x86/platform/pvh/enlighten.c (init_pvh_bootparams) and finds the entry
// point through the ELF note emitted in arch/x86/platform/pvh/head.S. Every
// address in them is guest-physical; the layouts are fixed by the header and
// pinned here with static_assert.
#pragma once

#include <cstdint>

namespace twinbox::pvh {

// ELF note owner and type that carry the 32-bit physical entry point
// (xen/include/public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY).
inline constexpr const char* kNoteName = "Xen";
inline constexpr uint32_t kNotePhys32Entry = 18;

// start_info.h: XEN_HVM_START_MAGIC_VALUE, and version 1, the first with a memory map.
inline constexpr uint32_t kStartMagic = 0x336ec578;
inline constexpr uint32_t kStartInfoVersion = 1;

// start_info.h, "struct hvm_start_info" (version 1 layout, offsets in the comments).
struct StartInfo {
    uint32_t magic;           // 0x00  kStartMagic
    uint32_t version;         // 0x04  kStartInfoVersion
    uint32_t flags;           // 0x08  SIF_xxx flags; none apply outside Xen
    uint32_t nr_modules;      // 0x0c  entries in the module list
    uint64_t modlist_paddr;   // 0x10  the module list (hvm_modlist_entry[nr_modules])
    uint64_t cmdline_paddr;   // 0x18  NUL-terminated kernel command line
    uint64_t rsdp_paddr;      // 0x20  ACPI RSDP, or 0 (the guest searches for it)
    uint64_t memmap_paddr;    // 0x28  memory map (hvm_memmap_table_entry[memmap_entries])
    uint32_t memmap_entries;  // 0x30
    uint32_t reserved;        // 0x34  must be zero
};
static_assert(sizeof(StartInfo) == 0x38);

// start_info.h, "struct hvm_modlist_entry". Linux takes module 0 as its initrd.
struct ModlistEntry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;  // 0: no module command line
    uint64_t reserved;
};
static_assert(sizeof(ModlistEntry) == 32);

// start_info.h, "struct hvm_memmap_table_entry"; the types are the E820 ones
// (XEN_HVM_MEMMAP_TYPE_RAM = 1, _RESERVED = 2, _ACPI = 3, ...).
struct MemmapEntry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};
static_assert(sizeof(MemmapEntry) == 24);

}  // namespace twinbox::pvh
