// Reading the program headers of an x86 ELF executable.
//
// Spec: System V ABI, "ELF: Executable and Linkable Format", chapters 4 and 5.
// The file is untrusted: every offset and size read from it is checked
// against the file's length with subtractions that cannot overflow.
#include "vmm/boot/elf.h"

#include <elf.h>
#include <fmt/core.h>

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
