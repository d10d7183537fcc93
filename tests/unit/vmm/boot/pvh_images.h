// Builders for PVH kernels: a 64-bit ELF executable with PT_LOAD segments and
// a PT_NOTE segment holding Xen notes, made byte by byte like a vmlinux
// (Linux emits XEN_ELFNOTE_PHYS32_ENTRY with an 8-byte descriptor).
#pragma once

#include <elf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/unit/vmm/boot/boot_images.h"
#include "vmm/boot/pvh_start_info.h"

namespace twinbox::testing {

struct TestNote {
    std::string name;
    uint32_t type;
    std::vector<uint8_t> descriptor;
};

inline TestNote pvh_entry_note(uint64_t entry, size_t descriptor_size = 8) {
    std::vector<uint8_t> descriptor(descriptor_size, 0);
    std::memcpy(descriptor.data(), &entry, std::min<size_t>(descriptor_size, 8));
    return {pvh::kNoteName, pvh::kNotePhys32Entry, descriptor};
}

// Notes as they sit in a PT_NOTE segment: header, NUL-terminated name and
// descriptor, each padded to 4 bytes.
inline std::vector<uint8_t> note_bytes(const std::vector<TestNote>& notes) {
    std::vector<uint8_t> bytes;
    for (const TestNote& note : notes) {
        Elf64_Nhdr header{static_cast<uint32_t>(note.name.size() + 1),
                          static_cast<uint32_t>(note.descriptor.size()), note.type};
        put(bytes, bytes.size(), header);
        bytes.insert(bytes.end(), note.name.begin(), note.name.end());
        bytes.push_back(0);
        bytes.resize((bytes.size() + 3) & ~size_t{3});
        bytes.insert(bytes.end(), note.descriptor.begin(), note.descriptor.end());
        bytes.resize((bytes.size() + 3) & ~size_t{3});
    }
    return bytes;
}

struct PvhElfOptions {
    std::vector<TestSegment> segments;
    std::vector<TestNote> notes;
    bool elf64 = true;
};

// A vmlinux-shaped kernel: PT_LOAD segments and a PT_NOTE segment with the
// notes, no multiboot header.
inline std::vector<uint8_t> make_pvh_elf(const PvhElfOptions& options) {
    MultibootElfOptions elf;
    elf.segments = options.segments;
    elf.entry = 0xffffffff81000000u;  // e_entry: a virtual address PVH never uses
    elf.elf64 = options.elf64;
    elf.with_header = false;
    elf.notes = note_bytes(options.notes);
    return make_multiboot_elf(elf);
}

// A vmlinux-like kernel: text at 16 MiB with the entry inside, data with BSS after it.
inline PvhElfOptions simple_pvh_options() {
    PvhElfOptions options;
    options.segments.push_back({0x1000000, pattern(0x2000, 1), 0x2000, 0xffffffff81000000u});
    options.segments.push_back({0x1200000, pattern(0x800, 2), 0x3000, 0xffffffff81200000u});
    options.notes.push_back({"Xen", 6, {'l', 'i', 'n', 'u', 'x', 0}});  // XEN_ELFNOTE_GUEST_OS
    options.notes.push_back(pvh_entry_note(0x1000850));
    options.notes.push_back({"GNU", NT_GNU_BUILD_ID, pattern(20, 3)});
    return options;
}

}  // namespace twinbox::testing
