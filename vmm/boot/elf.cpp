// Reading the program headers of an x86 ELF executable.
//
// Spec: System V ABI, "ELF: Executable and Linkable Format", chapters 4 and 5.
// The file is untrusted: every offset and size read from it is checked
// against the file's length with subtractions that cannot overflow.
#include "vmm/boot/elf.h"

#include <elf.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace twinbox {
namespace {

Error bad_elf(std::string_view why) {
    return Error::message(fmt::format("kernel is not a usable ELF executable: {}", why))
        .with_hint("the file is damaged or is not an x86 kernel");
}

// True when [offset, offset + length) lies inside a file of `file_size` bytes.
bool inside_file(uint64_t file_size, uint64_t offset, uint64_t length) {
    return offset <= file_size && length <= file_size - offset;
}

// Notes are checked against the file only when someone reads them
// (parse_elf_notes), so a kernel loaded without its notes (multiboot) is not
// refused for a damaged note segment it never uses.
template <typename ProgramHeader>
ElfNoteSegment note_segment(const ProgramHeader& header) {
    // gABI "Note Section": entries are padded to 4 bytes; 64-bit files that
    // follow the letter of the gABI say so with p_align 8 (readelf does the same).
    return ElfNoteSegment{header.p_offset, header.p_filesz, header.p_align == 8 ? 8u : 4u};
}

ElfSegment widen(const Elf32_Phdr& header) {
    return {header.p_offset, header.p_filesz, header.p_paddr, header.p_vaddr, header.p_memsz};
}
ElfSegment widen(const Elf64_Phdr& header) {
    return {header.p_offset, header.p_filesz, header.p_paddr, header.p_vaddr, header.p_memsz};
}

Result<void> check_segment(const ElfSegment& segment, size_t index, uint64_t file_size) {
    if (!inside_file(file_size, segment.file_offset, segment.file_size))
        return bad_elf(fmt::format(
            "segment {} claims file bytes {:#x}+{:#x}, past the end of the {}-byte file", index,
            segment.file_offset, segment.file_size, file_size));
    if (segment.file_size > segment.memory_size)
        return bad_elf(
            fmt::format("segment {} has {:#x} bytes in the file but only {:#x} in memory", index,
                        segment.file_size, segment.memory_size));
    if (segment.physical_address > UINT64_MAX - segment.memory_size ||
        segment.virtual_address > UINT64_MAX - segment.memory_size)
        return bad_elf(fmt::format("segment {} wraps around the end of the address space", index));
    return ok();
}

// Reads the ELF header and the program header table of one ELF class.
template <typename FileHeader, typename ProgramHeader>
Result<ElfImage> parse_class(std::span<const uint8_t> file, bool is_64_bit) {
    if (file.size() < sizeof(FileHeader))
        return bad_elf(fmt::format("only {} bytes, shorter than the ELF header", file.size()));
    FileHeader header;
    std::memcpy(&header, file.data(), sizeof(header));
    if (header.e_type != ET_EXEC)
        return bad_elf(fmt::format("type {} is not ET_EXEC (an executable)", header.e_type));
    if (header.e_machine != EM_386 && header.e_machine != EM_X86_64)
        return bad_elf(fmt::format("machine {} is neither EM_386 nor EM_X86_64", header.e_machine));
    // e_phnum == PN_XNUM means the real count is in section 0; no kernel needs that many segments.
    if (header.e_phnum == 0 || header.e_phnum == PN_XNUM)
        return bad_elf(fmt::format("unsupported program header count {}", header.e_phnum));
    if (header.e_phentsize < sizeof(ProgramHeader))
        return bad_elf(fmt::format("program header size {} is smaller than {}", header.e_phentsize,
                                   sizeof(ProgramHeader)));
    // At most 65534 entries of at most 65535 bytes: the product cannot overflow.
    uint64_t table_size = uint64_t{header.e_phnum} * header.e_phentsize;
    if (!inside_file(file.size(), header.e_phoff, table_size))
        return bad_elf(
            fmt::format("program header table at {:#x}+{:#x} runs past the end of the {}-byte file",
                        header.e_phoff, table_size, file.size()));

    ElfImage image;
    image.is_64_bit = is_64_bit;
    image.machine = header.e_machine;
    image.entry = header.e_entry;
    for (size_t index = 0; index < header.e_phnum; ++index) {
        ProgramHeader program_header;
        std::memcpy(&program_header, file.data() + header.e_phoff + index * header.e_phentsize,
                    sizeof(program_header));
        if (program_header.p_type == PT_NOTE)
            image.notes.push_back(note_segment(program_header));
        if (program_header.p_type != PT_LOAD)
            continue;
        ElfSegment segment = widen(program_header);
        TRY(check_segment(segment, index, file.size()));
        if (segment.memory_size > 0)
            image.segments.push_back(segment);
    }
    if (image.segments.empty())
        return bad_elf("it has no PT_LOAD segment to load");
    return image;
}

uint64_t padded(uint64_t size, uint64_t alignment) {
    // size is at most 2^32 - 1, so the sum cannot overflow.
    return (size + alignment - 1) & ~(alignment - 1);
}

// The notes of one PT_NOTE segment: a sequence of (namesz, descsz, type)
// headers, each followed by the padded name and the padded descriptor.
Result<void> parse_note_segment(std::span<const uint8_t> segment, size_t index, uint64_t alignment,
                                std::vector<ElfNote>& notes) {
    uint64_t offset = 0;
    while (segment.size() - offset >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr header;  // the same three 32-bit words as Elf32_Nhdr
        std::memcpy(&header, segment.data() + offset, sizeof(header));
        offset += sizeof(header);
        const uint64_t name_space = padded(header.n_namesz, alignment);
        const uint64_t descriptor_space = padded(header.n_descsz, alignment);
        if (name_space > segment.size() - offset ||
            header.n_descsz > segment.size() - offset - name_space)
            return bad_elf(fmt::format(
                "a note in note segment {} announces a {}-byte name and a {}-byte descriptor, past the segment's end",
                index, header.n_namesz, header.n_descsz));
        ElfNote note;
        auto name = segment.subspan(offset, header.n_namesz);
        // The name is NUL-terminated and n_namesz counts the NUL.
        size_t name_length = name.empty() || name.back() != 0 ? name.size() : name.size() - 1;
        note.name = {reinterpret_cast<const char*>(name.data()), name_length};
        note.type = header.n_type;
        note.descriptor = segment.subspan(offset + name_space, header.n_descsz);
        notes.push_back(note);
        // The last descriptor's padding may be missing at the segment's end.
        offset = std::min<uint64_t>(segment.size(), offset + name_space + descriptor_space);
    }
    return ok();
}

}  // namespace

bool is_elf(std::span<const uint8_t> file) {
    return file.size() >= SELFMAG && std::memcmp(file.data(), ELFMAG, SELFMAG) == 0;
}

Result<ElfImage> parse_elf(std::span<const uint8_t> file) {
    if (file.size() < EI_NIDENT || !is_elf(file))
        return bad_elf("no ELF magic, or shorter than e_ident");
    if (file[EI_DATA] != ELFDATA2LSB)
        return bad_elf("it is not little-endian");
    if (file[EI_CLASS] == ELFCLASS32)
        return parse_class<Elf32_Ehdr, Elf32_Phdr>(file, false);
    if (file[EI_CLASS] == ELFCLASS64)
        return parse_class<Elf64_Ehdr, Elf64_Phdr>(file, true);
    return bad_elf(fmt::format("unknown ELF class {}", file[EI_CLASS]));
}

}  // namespace twinbox

namespace twinbox {

Result<std::vector<ElfNote>> parse_elf_notes(std::span<const uint8_t> file, const ElfImage& image) {
    std::vector<ElfNote> notes;
    for (size_t index = 0; index < image.notes.size(); ++index) {
        const ElfNoteSegment& segment = image.notes[index];
        if (!inside_file(file.size(), segment.file_offset, segment.file_size))
            return bad_elf(fmt::format(
                "note segment {} claims file bytes {:#x}+{:#x}, past the end of the {}-byte file",
                index, segment.file_offset, segment.file_size, file.size()));
        TRY(parse_note_segment(file.subspan(segment.file_offset, segment.file_size), index,
                               segment.alignment, notes));
    }
    return notes;
}

Result<void> write_segment_copies(const GuestMemory& memory,
                                  const std::vector<SegmentCopy>& copies) {
    for (const SegmentCopy& copy : copies) {
        // An empty span may have no data pointer at all, and memcpy must not see a null one.
        if (!copy.bytes.empty())
            TRY(memory.write(copy.address, copy.bytes));
        TRY(memory.fill(copy.address + copy.bytes.size(), 0, copy.zero_size));
    }
    return ok();
}

}  // namespace twinbox
