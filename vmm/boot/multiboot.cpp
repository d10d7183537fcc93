// The Multiboot (version 1) kernel loader.
//
// Spec: Multiboot Specification version 0.6.96. The loader works in two
// phases: first it finds and checks everything (the header, the segments or
// the header's load addresses, where the modules go, the boot information),
// then it writes guest RAM. A rejected kernel therefore leaves RAM untouched.
#include "vmm/boot/multiboot.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

#include "common/log.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/elf.h"
#include "vmm/boot/multiboot_info.h"

namespace twinbox {
namespace {

using multiboot::Header;

constexpr uint64_t kPageSize = 4096;
// Section 3.2: the kernel starts in 32-bit protected mode with paging off, so
// everything it is given must lie below 4 GiB.
constexpr uint64_t kProtectedModeLimit = uint64_t{1} << 32;
constexpr std::string_view kBootLoaderName = "twinbox";

uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}
uint64_t mebibytes_rounded_up(uint64_t bytes) {
    return bytes / layout::kMiB + (bytes % layout::kMiB != 0);
}

struct KernelPlan {
    std::vector<SegmentCopy> copies;
    uint64_t entry = 0;
    uint64_t end = 0;  // first byte after the highest byte the kernel occupies
};

struct FoundHeader {
    uint64_t offset;  // in the file
    Header header;    // fields the flags do not announce are zero
};

// Section 3.1.1: the header is 32-bit aligned within the first 8192 bytes.
Result<FoundHeader> find_header(std::span<const uint8_t> kernel) {
    const uint64_t search_end = std::min<uint64_t>(kernel.size(), multiboot::kHeaderSearchLength);
    std::optional<uint64_t> bad_checksum_at;
    for (uint64_t offset = 0; offset + multiboot::kHeaderBaseSize <= search_end;
         offset += multiboot::kHeaderAlignment) {
        FoundHeader found{offset, {}};
        std::memcpy(&found.header, kernel.data() + offset, multiboot::kHeaderBaseSize);
        const Header& header = found.header;
        if (header.magic != multiboot::kHeaderMagic)
            continue;
        if (static_cast<uint32_t>(header.magic + header.flags + header.checksum) != 0) {
            if (!bad_checksum_at)
                bad_checksum_at = offset;
            continue;
        }
        // Only the address fields are read; twinbox ignores the video fields.
        if ((header.flags & multiboot::kHeaderAddressFields) != 0) {
            if (offset + multiboot::kHeaderAddressFieldsEnd > search_end)
                return Error::message(
                           fmt::format(
                               "multiboot header at {:#x} is cut off: its address fields pass the end of the file or of its first 8192 bytes",
                               offset))
                    .with_hint("the image is damaged");
            std::memcpy(&found.header, kernel.data() + offset, multiboot::kHeaderAddressFieldsEnd);
        }
        return found;
    }
    if (bad_checksum_at)
        return Error::message(
                   fmt::format(
                       "multiboot header at {:#x} has a bad checksum (magic + flags + checksum must be 0 modulo 2^32)",
                       *bad_checksum_at))
            .with_hint("the image is damaged, or its checksum was computed wrongly");
    return Error::message(
               "kernel has no multiboot header (magic 0x1BADB002 at a 4-byte boundary in the first 8192 bytes)")
        .with_hint("use --kernel for a Linux bzImage and --flat for a raw binary");
}

// Section 3.1.2: a loader must refuse a kernel that requires (flag bits
// 0-15) a feature the loader does not know.
Result<void> check_required_flags(uint32_t flags) {
    const uint32_t known = multiboot::kHeaderPageAlignModules | multiboot::kHeaderMemoryInfo |
                           multiboot::kHeaderVideoMode;
    const uint32_t unknown = flags & multiboot::kHeaderRequiredMask & ~known;
    if (unknown != 0)
        return Error::message(
                   fmt::format(
                       "multiboot kernel requires features twinbox does not know (header flag bits {:#x})",
                       unknown))
            .with_hint(
                "twinbox supports the required flags 0 (page-aligned modules), 1 (memory information) and 2 (video mode, ignored)");
    if ((flags & multiboot::kHeaderVideoMode) != 0)
        log::warn("multiboot kernel asks for a video mode; twinbox has no display and gives none");
    return ok();
}

// Every loaded range must be RAM in the E820 map the guest sees, reachable
// without paging, and clear of the boot information twinbox writes.
Result<void> check_placement(const std::vector<E820Entry>& map, uint64_t address, uint64_t size,
                             std::string_view what) {
    if (address > kProtectedModeLimit || size > kProtectedModeLimit - address)
        return Error::message(
                   fmt::format("{} at {:#x}+{:#x} is above 4 GiB, out of reach of a 32-bit kernel",
                               what, address, size))
            .with_hint("the image is damaged or not a 32-bit multiboot kernel");
    const uint64_t end = address + size;
    if (!is_e820_ram(map, address, size)) {
        auto error = Error::message(
            fmt::format("{} at {:#x}-{:#x} is not in guest RAM", what, address, end));
        if (address >= layout::kHighMemoryStart && end <= layout::kMmioHoleStart)
            return std::move(error).with_hint(fmt::format(
                "give the guest at least {} MiB with --memory", mebibytes_rounded_up(end)));
        return std::move(error).with_hint("link the kernel at 1 MiB or above, and below 3 GiB");
    }
    const uint64_t info_end = layout::kMultibootInfoAddress + layout::kMultibootInfoMax;
    if (address < info_end && layout::kMultibootInfoAddress < end)
        return Error::message(
                   fmt::format(
                       "{} at {:#x}-{:#x} overlaps the multiboot information at {:#x}-{:#x}", what,
                       address, end, layout::kMultibootInfoAddress, info_end))
            .with_hint("link the kernel at 1 MiB or above");
    return ok();
}

Result<void> check_entry(const GuestMemory& memory, uint64_t entry) {
    if (entry >= kProtectedModeLimit || !memory.contains(entry, 1))
        return Error::message(
                   fmt::format("multiboot kernel entry point {:#x} is not in guest RAM", entry))
            .with_hint("the image is damaged or linked for more memory than the guest has");
    return ok();
}

// A higher-half kernel gives its entry as a virtual address; like GRUB, map it
// to a physical one through the segment that contains it.
uint64_t physical_entry(const ElfImage& elf) {
    for (const ElfSegment& segment : elf.segments) {
        if (elf.entry >= segment.virtual_address &&
            elf.entry - segment.virtual_address < segment.memory_size)
            return segment.physical_address + (elf.entry - segment.virtual_address);
    }
    return elf.entry;
}

// Section 3.1: an ELF kernel needs no address fields; its PT_LOAD segments
// go to their physical addresses (p_paddr), BSS zero-filled.
Result<KernelPlan> plan_elf(const GuestMemory& memory, const std::vector<E820Entry>& map,
                            std::span<const uint8_t> kernel) {
    ElfImage elf = TRY(parse_elf(kernel));
    KernelPlan plan;
    for (size_t index = 0; index < elf.segments.size(); ++index) {
        const ElfSegment& segment = elf.segments[index];
        TRY(check_placement(map, segment.physical_address, segment.memory_size,
                            fmt::format("ELF segment {}", index)));
        plan.copies.push_back({segment.physical_address,
                               kernel.subspan(segment.file_offset, segment.file_size),
                               segment.memory_size - segment.file_size});
        plan.end = std::max(plan.end, segment.physical_address + segment.memory_size);
    }
    plan.entry = physical_entry(elf);
    TRY(check_entry(memory, plan.entry));
    return plan;
}

// Section 3.1.3, flag bit 16 ("a.out kludge"): the header itself says which
// bytes of the file go where. The file is loaded from the offset that puts
// the header at header_addr.
Result<KernelPlan> plan_address_fields(const GuestMemory& memory, const std::vector<E820Entry>& map,
                                       std::span<const uint8_t> kernel, const FoundHeader& found) {
    const Header& header = found.header;
    auto invalid = [](std::string text) {
        return Error::message("multiboot header address fields are invalid: " + text)
            .with_hint("the image is damaged");
    };
    if (header.load_addr > header.header_addr)
        return invalid(fmt::format("load_addr {:#x} is above header_addr {:#x}", header.load_addr,
                                   header.header_addr));
    const uint64_t header_distance = header.header_addr - header.load_addr;
    if (header_distance > found.offset)
        return invalid(fmt::format("load_addr {:#x} would start {:#x} bytes before the file",
                                   header.load_addr, header_distance - found.offset));
    const uint64_t load_offset = found.offset - header_distance;
    uint64_t load_size = kernel.size() - load_offset;
    if (header.load_end_addr != 0) {
        if (header.load_end_addr < header.load_addr)
            return invalid(fmt::format("load_end_addr {:#x} is below load_addr {:#x}",
                                       header.load_end_addr, header.load_addr));
        load_size = header.load_end_addr - header.load_addr;
        if (load_size > kernel.size() - load_offset)
            return invalid(fmt::format(
                "they load {:#x} bytes from file offset {:#x}, past the end of the {}-byte file",
                load_size, load_offset, kernel.size()));
    }
    const uint64_t load_end = header.load_addr + load_size;
    uint64_t bss_end = load_end;
    if (header.bss_end_addr != 0) {
        if (header.bss_end_addr < load_end)
            return invalid(
                fmt::format("bss_end_addr {:#x} is below the end of the loaded bytes {:#x}",
                            header.bss_end_addr, load_end));
        bss_end = header.bss_end_addr;
    }
    TRY(check_placement(map, header.load_addr, bss_end - header.load_addr,
                        "multiboot kernel image"));
    KernelPlan plan;
    plan.copies.push_back(
        {header.load_addr, kernel.subspan(load_offset, load_size), bss_end - load_end});
    plan.entry = header.entry_addr;
    plan.end = bss_end;
    TRY(check_entry(memory, plan.entry));
    return plan;
}

// Modules go one after another, each on a page boundary (header flag bit 0,
// which twinbox honours always), from the first page above the kernel.
Result<std::vector<uint64_t>> place_modules(const GuestMemory& memory,
                                            const std::vector<MultibootModule>& modules,
                                            uint64_t kernel_end) {
    uint64_t next = align_up(std::max(kernel_end, layout::kHighMemoryStart), kPageSize);
    std::vector<uint64_t> addresses;
    uint64_t total = 0;
    for (const MultibootModule& module : modules) {
        addresses.push_back(next);
        next = align_up(next + module.data.size(), kPageSize);
        total += module.data.size();
    }
    if (!modules.empty() && next > memory.low_ram_end())
        return Error::message(
                   fmt::format(
                       "the {} multiboot modules ({} bytes) do not fit above the kernel: they need guest RAM up to {:#x}, but RAM below the MMIO hole ends at {:#x}",
                       modules.size(), total, next, memory.low_ram_end()))
            .with_hint(next <= layout::kMmioHoleStart
                           ? fmt::format("give the guest at least {} MiB with --memory",
                                         mebibytes_rounded_up(next))
                           : std::string("use smaller modules"));
    return addresses;
}

// The boot information area as it will be written at kMultibootInfoAddress:
// the Info structure first, then everything its pointers point to.
class InfoArea {
public:
    InfoArea() : m_bytes(sizeof(multiboot::Info)) {}

    // Appends `bytes` at the next 4-byte boundary and returns their guest address.
    uint32_t append(std::span<const uint8_t> bytes) {
        m_bytes.resize(align_up(m_bytes.size(), 4));
        uint64_t address = layout::kMultibootInfoAddress + m_bytes.size();
        m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
        return static_cast<uint32_t>(address);
    }
    template <typename T>
    uint32_t append_array(const std::vector<T>& items) {
        return append({reinterpret_cast<const uint8_t*>(items.data()), items.size() * sizeof(T)});
    }
    uint32_t append_string(std::string_view text) {
        uint32_t address = append({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
        m_bytes.push_back(0);
        return address;
    }
    void set_info(const multiboot::Info& info) { std::memcpy(m_bytes.data(), &info, sizeof(info)); }
    std::vector<uint8_t> release() { return std::move(m_bytes); }
    size_t size() const { return m_bytes.size(); }

private:
    std::vector<uint8_t> m_bytes;
};

// "path arguments", or just one of them when the other is empty: the way
// QEMU builds multiboot command lines.
Result<std::string> command_line(const std::string& path, const std::string& arguments) {
    std::string line = path.empty() ? arguments : arguments.empty() ? path : path + " " + arguments;
    if (line.find('\0') != std::string::npos)
        return Error::message(
                   fmt::format("multiboot command line \"{}\" contains a NUL byte", line.c_str()))
            .with_hint("remove it from the arguments");
    return line;
}

Result<std::vector<uint8_t>> build_info(const GuestMemory& memory,
                                        const std::vector<E820Entry>& map,
                                        const MultibootConfig& config,
                                        const std::vector<uint64_t>& addresses) {
    InfoArea area;
    multiboot::Info info{};
    info.flags = multiboot::kInfoMemory | multiboot::kInfoCommandLine | multiboot::kInfoModules |
                 multiboot::kInfoMemoryMap | multiboot::kInfoBootLoaderName;
    // Conventional memory ends where the MP table (a PC's EBDA) starts: 639 KiB.
    info.mem_lower = static_cast<uint32_t>(layout::kMpTableAddress / layout::kKiB);
    info.mem_upper =
        static_cast<uint32_t>((memory.low_ram_end() - layout::kHighMemoryStart) / layout::kKiB);
    info.cmdline = area.append_string(TRY(command_line(config.kernel_path, config.arguments)));
    info.boot_loader_name = area.append_string(kBootLoaderName);

    std::vector<multiboot::MemoryMapEntry> memory_map;
    for (const E820Entry& entry : map)
        memory_map.push_back({multiboot::kMemoryMapEntrySize, entry.address, entry.size,
                              static_cast<uint32_t>(entry.type)});
    info.mmap_addr = area.append_array(memory_map);
    info.mmap_length = static_cast<uint32_t>(memory_map.size() * sizeof(multiboot::MemoryMapEntry));

    std::vector<multiboot::ModuleEntry> modules;
    for (size_t index = 0; index < config.modules.size(); ++index) {
        const MultibootModule& module = config.modules[index];
        uint32_t string = area.append_string(TRY(command_line(module.path, module.arguments)));
        modules.push_back({static_cast<uint32_t>(addresses[index]),
                           static_cast<uint32_t>(addresses[index] + module.data.size()), string,
                           0});
    }
    info.mods_count = static_cast<uint32_t>(modules.size());
    info.mods_addr = area.append_array(modules);
    area.set_info(info);

    if (area.size() > layout::kMultibootInfoMax)
        return Error::message(
                   fmt::format(
                       "the multiboot information (command lines, memory map, {} modules) needs {} bytes, more than the {} reserved for it",
                       modules.size(), area.size(), layout::kMultibootInfoMax))
            .with_hint("shorten the kernel and module command lines or use fewer modules");
    return area.release();
}

}  // namespace

Result<BootEntry> load_multiboot(const GuestMemory& memory, const MultibootConfig& config) {
    FoundHeader found = TRY(find_header(config.kernel));
    TRY(check_required_flags(found.header.flags));
    const std::vector<E820Entry> map = build_e820_map(memory);
    KernelPlan plan;
    // Section 3.1.3: the address fields, when present, take precedence over
    // the ELF headers (as in GRUB).
    if ((found.header.flags & multiboot::kHeaderAddressFields) != 0)
        plan = TRY(plan_address_fields(memory, map, config.kernel, found));
    else if (is_elf(config.kernel))
        plan = TRY(plan_elf(memory, map, config.kernel));
    else
        return Error::message(
                   "multiboot kernel is not ELF and its header has no address fields (flag bit 16)")
            .with_hint("link the kernel as an ELF executable");
    std::vector<uint64_t> module_addresses = TRY(place_modules(memory, config.modules, plan.end));
    std::vector<uint8_t> info = TRY(build_info(memory, map, config, module_addresses));

    TRY(write_segment_copies(memory, plan.copies));
    for (size_t index = 0; index < config.modules.size(); ++index) {
        if (!config.modules[index].data.empty())
            TRY(memory.write(module_addresses[index], config.modules[index].data));
    }
    TRY(memory.write(layout::kMultibootInfoAddress, info));

    log::info(
        "multiboot: header at file offset {:#x}, entry {:#x}, kernel ends at {:#x}, {} modules",
        found.offset, plan.entry, plan.end, config.modules.size());
    BootEntry entry;
    entry.mode = CpuMode::protected32;
    entry.instruction_pointer = plan.entry;
    // Section 3.2 leaves ESP undefined: the kernel must set up its own stack.
    // twinbox still points it at the free low memory just below the boot
    // information, where a stray push grows away from the information.
    entry.stack_pointer = layout::kMultibootInfoAddress;
    entry.rax = multiboot::kBootloaderMagic;
    entry.rbx = layout::kMultibootInfoAddress;
    return entry;
}

}  // namespace twinbox
