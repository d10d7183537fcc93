// Reading the program headers of an x86 ELF executable, for loaders that copy
// an ELF kernel's segments into guest RAM (multiboot and PVH), and the notes
// of its PT_NOTE segments (where a PVH kernel announces its entry point).
//
// Spec: System V ABI, "ELF: Executable and Linkable Format", chapter 4 (ELF
// header, e_ident) and chapter 5 ("Program Header", PT_LOAD). The structure
// definitions come from glibc's <elf.h>; this file only adds the checks a
// loader needs before it trusts a file that may be damaged or hostile.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

// One PT_LOAD program header, widened to 64 bits whatever the ELF class.
struct ElfSegment {
    uint64_t file_offset;
    uint64_t file_size;
    uint64_t physical_address;
    uint64_t virtual_address;
    uint64_t memory_size;  // >= file_size; the rest is zero-filled (BSS)
};

// One PT_NOTE program header: where its notes are in the file.
struct ElfNoteSegment {
    uint64_t file_offset;
    uint64_t file_size;
    uint64_t alignment;  // 4 or 8: the padding after each name and descriptor
};

// One note (gABI chapter 5, "Note Section"): the owner's name without its
// terminating NUL, the owner-defined type, and the descriptor bytes.
struct ElfNote {
    std::string_view name;
    uint32_t type = 0;
    std::span<const uint8_t> descriptor;
};

struct ElfImage {
    bool is_64_bit = false;             // ELFCLASS64 container (else ELFCLASS32)
    uint16_t machine = 0;               // EM_386 or EM_X86_64
    uint64_t entry = 0;                 // e_entry, a virtual address
    std::vector<ElfSegment> segments;   // the PT_LOAD segments with memory_size > 0, in file order
    std::vector<ElfNoteSegment> notes;  // the PT_NOTE segments, unchecked until parse_elf_notes
};

// True when `file` starts with the ELF magic "\x7fELF".
bool is_elf(std::span<const uint8_t> file);

// Parses a little-endian x86 ELF executable (32- or 64-bit container). Checks
// that the program header table and every PT_LOAD segment's file bytes lie
// inside `file`, that no segment is larger in the file than in memory, and that
// no segment's address range wraps past 2^64. Where the segments may go in
// guest RAM is the caller's question.
Result<ElfImage> parse_elf(std::span<const uint8_t> file);

// The notes of every PT_NOTE segment of `image`, which parse_elf read from
// `file`. Each note's header, name and descriptor must lie inside its
// segment; the returned views point into `file`.
Result<std::vector<ElfNote>> parse_elf_notes(std::span<const uint8_t> file, const ElfImage& image);

// A piece of a kernel file a loader copies to guest address `address`,
// followed by `zero_size` zero bytes (a segment's BSS). Multiboot and PVH
// plan these first and write them only once everything is checked.
struct SegmentCopy {
    uint64_t address;
    std::span<const uint8_t> bytes;
    uint64_t zero_size;
};

Result<void> write_segment_copies(const GuestMemory& memory,
                                  const std::vector<SegmentCopy>& copies);

}  // namespace twinbox
