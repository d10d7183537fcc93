// Builders for the guest images the loader tests feed in: a synthetic
// bzImage, multiboot kernels as ELF32/ELF64 executables or with header
// address fields, and a mutator for the fuzz-like tests. Images are made
// programmatically so the tests carry no binary blobs and every byte that
// matters is visible here.
#pragma once

#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <vector>

#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/linux_boot_params.h"
#include "vmm/boot/multiboot_info.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox::testing {

// A test fixture with 64 MiB of fresh guest RAM, which every loader test loads into.
class GuestMemoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto memory = GuestMemory::create(64 * layout::kMiB);
        ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
        m_memory.emplace(std::move(*memory));
    }
    const GuestMemory& memory() const { return *m_memory; }

private:
    std::optional<GuestMemory> m_memory;
};

template <typename T>
void put(std::vector<uint8_t>& bytes, size_t offset, const T& value) {
    if (bytes.size() < offset + sizeof(T))
        bytes.resize(offset + sizeof(T));
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

template <typename T>
T get(const std::vector<uint8_t>& bytes, size_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

// Copies a field out of a packed guest structure: gtest's macros take their
// arguments by reference, and a reference cannot bind to a packed field.
template <typename T>
T unpacked(T value) {
    return value;
}

// A byte pattern that differs at every offset, so misplaced copies show.
inline std::vector<uint8_t> pattern(size_t size, uint8_t seed) {
    std::vector<uint8_t> bytes(size);
    for (size_t index = 0; index < size; ++index)
        bytes[index] = static_cast<uint8_t>(index * 7 + seed);
    return bytes;
}

struct BzImageOptions {
    uint8_t setup_sectors = 4;
    uint16_t version = 0x020f;  // protocol 2.15, as Linux 6.1
    uint8_t loadflags = linux_boot::kLoadedHigh;
    uint16_t xloadflags = linux_boot::kXlfKernel64;
    uint8_t relocatable = 1;
    uint32_t kernel_alignment = 0x200000;
    uint64_t pref_address = 0x1000000;
    uint32_t init_size = 0x400000;
    uint32_t cmdline_size = 0x7ff;
    uint32_t initrd_addr_max = 0x7fffffff;
    uint32_t payload_size = 0x3000;  // a multiple of 16
};

inline uint64_t bzimage_setup_size(const BzImageOptions& options) {
    uint64_t sectors = options.setup_sectors == 0 ? 4 : options.setup_sectors;
    return (sectors + 1) * 512;
}

// A bzImage with a real setup header and a patterned "kernel" after the setup sectors.
inline std::vector<uint8_t> make_bzimage(const BzImageOptions& options = {}) {
    const uint64_t setup_size = bzimage_setup_size(options);
    std::vector<uint8_t> image(setup_size, 0);
    linux_boot::SetupHeader header{};
    header.setup_sects = options.setup_sectors;
    header.syssize = options.payload_size / 16;
    header.vid_mode = 0xffff;
    header.boot_flag = linux_boot::kBootFlag;
    header.jump = 0x6aeb;  // "jmp short +0x6a": the header ends at 0x202 + 0x6a = 0x26c
    header.header = linux_boot::kHeaderMagic;
    header.version = options.version;
    header.loadflags = options.loadflags;
    header.code32_start = 0x100000;
    header.initrd_addr_max = options.initrd_addr_max;
    header.kernel_alignment = options.kernel_alignment;
    header.relocatable_kernel = options.relocatable;
    header.xloadflags = options.xloadflags;
    header.cmdline_size = options.cmdline_size;
    header.pref_address = options.pref_address;
    header.init_size = options.init_size;
    put(image, linux_boot::kSetupHeaderOffset, header);
    std::vector<uint8_t> payload = pattern(options.payload_size, 0x42);
    image.insert(image.end(), payload.begin(), payload.end());
    return image;
}

struct TestSegment {
    uint64_t physical_address;
    std::vector<uint8_t> data;
    uint64_t memory_size;                          // >= data.size(): the rest is BSS
    std::optional<uint64_t> virtual_address = {};  // defaults to the physical address
};

struct MultibootElfOptions {
    std::vector<TestSegment> segments;
    uint64_t entry = 0;
    bool elf64 = false;
    bool with_header = true;
    uint32_t header_flags = multiboot::kHeaderPageAlignModules | multiboot::kHeaderMemoryInfo;
    std::optional<uint32_t> checksum = {};     // default: the correct one
    std::optional<size_t> header_offset = {};  // default: right after the program headers
    std::vector<uint8_t> notes = {};  // non-empty: a PT_NOTE segment with these bytes, last
};

inline std::vector<uint8_t> multiboot_header(uint32_t flags,
                                             std::optional<uint32_t> checksum = {}) {
    std::vector<uint8_t> bytes;
    put(bytes, 0, multiboot::kHeaderMagic);
    put(bytes, 4, flags);
    put(bytes, 8, checksum.value_or(0u - multiboot::kHeaderMagic - flags));
    return bytes;
}

// An ELF executable (ELF32 for EM_386 like an OSDev bare-bones kernel, or
// ELF64 for EM_X86_64) with one PT_LOAD per segment, a multiboot header, and
// optionally a PT_NOTE segment (the PVH tests' kernels, pvh_images.h).
inline std::vector<uint8_t> make_multiboot_elf(const MultibootElfOptions& options) {
    const size_t file_header_size = options.elf64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    const size_t program_header_size = options.elf64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    const size_t count = options.segments.size() + (options.notes.empty() ? 0 : 1);
    const size_t tables_end = file_header_size + count * program_header_size;
    const size_t header_offset = options.header_offset.value_or((tables_end + 3) & ~size_t{3});
    std::vector<uint8_t> file(tables_end, 0);
    if (options.with_header) {
        std::vector<uint8_t> header = multiboot_header(options.header_flags, options.checksum);
        if (file.size() < header_offset + header.size())
            file.resize(header_offset + header.size());
        std::copy(header.begin(), header.end(), file.begin() + header_offset);
    }
    std::vector<uint64_t> offsets;
    for (const TestSegment& segment : options.segments) {
        file.resize((file.size() + 15) & ~size_t{15});
        offsets.push_back(file.size());
        file.insert(file.end(), segment.data.begin(), segment.data.end());
    }
    if (!options.notes.empty())
        file.resize((file.size() + 15) & ~size_t{15});
    const uint64_t notes_offset = file.size();
    file.insert(file.end(), options.notes.begin(), options.notes.end());
    const unsigned char identity[EI_NIDENT] = {
        ELFMAG0,
        ELFMAG1,
        ELFMAG2,
        ELFMAG3,
        static_cast<unsigned char>(options.elf64 ? ELFCLASS64 : ELFCLASS32),
        ELFDATA2LSB,
        EV_CURRENT};
    auto fill_header = [&](auto header) {
        std::memcpy(header.e_ident, identity, EI_NIDENT);
        header.e_type = ET_EXEC;
        header.e_machine = options.elf64 ? EM_X86_64 : EM_386;
        header.e_version = EV_CURRENT;
        header.e_entry = options.entry;
        header.e_phoff = file_header_size;
        header.e_ehsize = file_header_size;
        header.e_phentsize = program_header_size;
        header.e_phnum = count;
        put(file, 0, header);
    };
    auto fill_program_header = [&](auto header, size_t index) {
        const TestSegment& segment = options.segments[index];
        header.p_type = PT_LOAD;
        header.p_offset = offsets[index];
        header.p_vaddr = segment.virtual_address.value_or(segment.physical_address);
        header.p_paddr = segment.physical_address;
        header.p_filesz = segment.data.size();
        header.p_memsz = segment.memory_size;
        header.p_align = 16;
        put(file, file_header_size + index * program_header_size, header);
    };
    auto fill_note_header = [&](auto header) {
        header.p_type = PT_NOTE;
        header.p_offset = notes_offset;
        header.p_filesz = options.notes.size();
        header.p_memsz = options.notes.size();
        header.p_align = 4;
        put(file, file_header_size + options.segments.size() * program_header_size, header);
    };
    if (options.elf64) {
        fill_header(Elf64_Ehdr{});
        for (size_t index = 0; index < options.segments.size(); ++index)
            fill_program_header(Elf64_Phdr{}, index);
        if (!options.notes.empty())
            fill_note_header(Elf64_Phdr{});
    } else {
        fill_header(Elf32_Ehdr{});
        for (size_t index = 0; index < options.segments.size(); ++index)
            fill_program_header(Elf32_Phdr{}, index);
        if (!options.notes.empty())
            fill_note_header(Elf32_Phdr{});
    }
    return file;
}

// A one-segment ELF32 kernel at 1 MiB with `code_size` bytes of code and `bss_size` of BSS.
inline std::vector<uint8_t> make_simple_multiboot_elf(size_t code_size = 0x1000,
                                                      size_t bss_size = 0x2000) {
    MultibootElfOptions options;
    options.segments.push_back({0x100000, pattern(code_size, 0x11), code_size + bss_size});
    options.entry = 0x100010;
    return make_multiboot_elf(options);
}

// A non-ELF kernel whose multiboot header carries the load addresses (flag
// bit 16): the header is at file offset 0 and is loaded at `load_address`.
inline std::vector<uint8_t> make_address_fields_kernel(uint32_t load_address, size_t code_size,
                                                       uint32_t bss_size) {
    const uint32_t flags = multiboot::kHeaderPageAlignModules | multiboot::kHeaderAddressFields;
    std::vector<uint8_t> file = multiboot_header(flags);
    const uint32_t file_size =
        static_cast<uint32_t>(multiboot::kHeaderAddressFieldsEnd + code_size);
    put(file, 12, load_address);                         // header_addr
    put(file, 16, load_address);                         // load_addr
    put(file, 20, load_address + file_size);             // load_end_addr
    put(file, 24, load_address + file_size + bss_size);  // bss_end_addr
    put(file, 28, load_address + 32);  // entry_addr: the first byte after the header
    std::vector<uint8_t> code = pattern(code_size, 0x5a);
    file.insert(file.end(), code.begin(), code.end());
    return file;
}

// Produces hostile variants of a valid image for the fuzz-like tests: bytes
// overwritten (mostly in the headers, where the parser looks), 32-bit fields
// set to edge values, truncation, and junk appended. The seed is fixed so a
// failure can be replayed.
class Mutator {
public:
    explicit Mutator(uint32_t seed) : m_random(seed) {}

    size_t below(size_t limit) {
        return limit == 0 ? 0 : std::uniform_int_distribution<size_t>(0, limit - 1)(m_random);
    }

    std::vector<uint8_t> mutate(std::vector<uint8_t> bytes, size_t hot_begin, size_t hot_end) {
        const int rounds = 1 + static_cast<int>(below(4));
        for (int round = 0; round < rounds && !bytes.empty(); ++round) {
            size_t hot_limit = std::min(hot_end, bytes.size());
            bool hot = hot_begin < hot_limit && below(4) != 0;
            size_t position = hot ? hot_begin + below(hot_limit - hot_begin) : below(bytes.size());
            switch (below(5)) {
                case 0:
                    bytes[position] = static_cast<uint8_t>(below(256));
                    break;
                case 1:
                    bytes[position] ^= static_cast<uint8_t>(1u << below(8));
                    break;
                case 2: {
                    static constexpr uint32_t kEdges[] = {0,          1,          0x7fffffff,
                                                          0x80000000, 0xffffffff, 0xfffff000,
                                                          0x100000,   0x1000,     0xffff};
                    uint32_t value = kEdges[below(std::size(kEdges))];
                    size_t aligned = position & ~size_t{3};
                    if (aligned + 4 <= bytes.size())
                        std::memcpy(bytes.data() + aligned, &value, 4);
                    break;
                }
                case 3:
                    bytes.resize(below(bytes.size() + 1));
                    break;
                default: {
                    std::vector<uint8_t> junk = random_bytes(below(64));
                    bytes.insert(bytes.end(), junk.begin(), junk.end());
                }
            }
        }
        return bytes;
    }

    std::vector<uint8_t> random_bytes(size_t size) {
        std::vector<uint8_t> bytes(size);
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(below(256));
        return bytes;
    }

private:
    std::mt19937 m_random;
};

}  // namespace twinbox::testing
