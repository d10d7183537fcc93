// The PVH loader.
//
// Spec: Xen docs/misc/pvh.pandoc and xen/include/public/arch-x86/hvm/start_info.h;
// the guest side is Linux arch/x86/platform/pvh/. Like the other loaders it
// works in two phases: find and check everything (the ELF headers, the note,
// where the segments, the initrd and the start info go), then write guest RAM.
#include "vmm/boot/pvh.h"

#include <elf.h>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/pvh_start_info.h"

namespace twinbox {
namespace {

constexpr uint64_t kPageSize = 4096;
// pvh.pandoc: the kernel starts in 32-bit protected mode with paging off, so
// everything it is handed (and its own segments) must lie below 4 GiB.
constexpr uint64_t kProtectedModeLimit = uint64_t{1} << 32;
// Linux copies at most COMMAND_LINE_SIZE bytes, NUL included, from
// cmdline_paddr (arch/x86/include/asm/setup.h: 2048 on x86).
constexpr uint64_t kLinuxCommandLineSize = 2048;
// Where the pieces of the start-info area go inside [kPvhStartInfoAddress, +kPvhStartInfoMax).
constexpr uint64_t kModlistAddress = layout::kPvhStartInfoAddress + 0x40;
constexpr uint64_t kMemmapAddress = kModlistAddress + sizeof(pvh::ModlistEntry);
constexpr uint64_t kStartInfoEnd = layout::kPvhStartInfoAddress + layout::kPvhStartInfoMax;
static_assert(sizeof(pvh::StartInfo) <= kModlistAddress - layout::kPvhStartInfoAddress);

constexpr std::string_view kVmlinuxHint =
    "pass an x86-64 vmlinux built with CONFIG_PVH=y (guest/kernel/extract-vmlinux.py takes it out of a bzImage), or boot the bzImage with --boot linux";

uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}
uint64_t align_down(uint64_t value, uint64_t alignment) {
    return value & ~(alignment - 1);
}
uint64_t mebibytes_rounded_up(uint64_t bytes) {
    return bytes / layout::kMiB + (bytes % layout::kMiB != 0);
}

// The low-memory structures twinbox itself writes before a PVH kernel runs;
// no segment may land on them.
struct BootArea {
    uint64_t address;
    uint64_t size;
    std::string_view what;
};
constexpr std::array<BootArea, 3> kBootAreas{{
    {layout::kGdtAddress, layout::kIdtAddress + 8 - layout::kGdtAddress, "the boot GDT and IDT"},
    {layout::kPvhStartInfoAddress, layout::kPvhStartInfoMax, "the PVH start info"},
    {layout::kCommandLineAddress, layout::kCommandLineMax, "the kernel command line"},
}};

struct KernelPlan {
    std::vector<SegmentCopy> copies;
    uint32_t entry = 0;
    uint64_t end = 0;  // first byte after the highest segment
};

Result<void> check_segment_placement(const std::vector<E820Entry>& map, const ElfSegment& segment,
                                     size_t index) {
    const uint64_t address = segment.physical_address;
    const uint64_t size = segment.memory_size;
    if (address >= kProtectedModeLimit || size > kProtectedModeLimit - address)
        return Error::message(
                   fmt::format(
                       "ELF segment {} at physical {:#x}+{:#x} is above 4 GiB, out of reach of the 32-bit PVH entry",
                       index, address, size))
            .with_hint("the image is damaged or not a vmlinux");
    const uint64_t end = address + size;
    if (!is_e820_ram(map, address, size)) {
        auto error = Error::message(fmt::format(
            "ELF segment {} at physical {:#x}-{:#x} is not in guest RAM", index, address, end));
        if (address >= layout::kHighMemoryStart && end <= layout::kMmioHoleStart)
            return std::move(error).with_hint(fmt::format(
                "give the guest at least {} MiB with --memory", mebibytes_rounded_up(end)));
        return std::move(error).with_hint("the image is damaged or linked below 1 MiB");
    }
    for (const BootArea& area : kBootAreas) {
        if (address < area.address + area.size && area.address < end)
            return Error::message(
                       fmt::format(
                           "ELF segment {} at physical {:#x}-{:#x} overlaps {} at {:#x}-{:#x}",
                           index, address, end, area.what, area.address, area.address + area.size))
                .with_hint("the image is damaged or linked below 1 MiB");
    }
    return ok();
}

Result<KernelPlan> plan_kernel(std::span<const uint8_t> kernel, const std::vector<E820Entry>& map) {
    if (!is_elf(kernel))
        return Error::message("PVH boot needs an ELF vmlinux, and this kernel has no ELF magic")
            .with_hint(kVmlinuxHint);
    ElfImage elf = TRY(parse_elf(kernel));
    if (!elf.is_64_bit || elf.machine != EM_X86_64)
        return Error::message("PVH kernel is a 32-bit ELF file; twinbox boots x86-64 vmlinux files")
            .with_hint(kVmlinuxHint);
    auto entry = TRY(find_pvh_entry(kernel, elf));
    if (!entry)
        return Error::message(
                   "ELF kernel has no Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY in a PT_NOTE segment)")
            .with_hint(kVmlinuxHint);
    KernelPlan plan;
    plan.entry = *entry;
    bool entry_loaded = false;
    for (size_t index = 0; index < elf.segments.size(); ++index) {
        const ElfSegment& segment = elf.segments[index];
        TRY(check_segment_placement(map, segment, index));
        plan.copies.push_back({segment.physical_address,
                               kernel.subspan(segment.file_offset, segment.file_size),
                               segment.memory_size - segment.file_size});
        plan.end = std::max(plan.end, segment.physical_address + segment.memory_size);
        entry_loaded = entry_loaded || (plan.entry >= segment.physical_address &&
                                        plan.entry - segment.physical_address < segment.file_size);
    }
    if (!entry_loaded)
        return Error::message(
                   fmt::format("PVH entry point {:#x} is not inside any loaded ELF segment",
                               plan.entry))
            .with_hint("the image is damaged");
    return plan;
}

Result<void> check_command_line(const std::string& command_line) {
    if (command_line.find('\0') != std::string::npos)
        return Error::message("kernel command line contains a NUL byte")
            .with_hint("remove it from --cmdline");
    if (command_line.size() > kLinuxCommandLineSize - 1)
        return Error::message(fmt::format("kernel command line is {} bytes, but at most {} fit",
                                          command_line.size(), kLinuxCommandLineSize - 1))
            .with_hint("shorten --cmdline");
    return ok();
}

// Like the bzImage loader: the initrd goes as high as RAM below the MMIO hole
// allows, page-aligned, above the kernel. Linux's PVH code takes module 0's
// address and size as ramdisk_image and ramdisk_size (enlighten.c).
Result<uint64_t> place_initrd(const GuestMemory& memory, uint64_t kernel_end,
                              std::span<const uint8_t> initrd) {
    if (initrd.empty())
        return uint64_t{0};
    const uint64_t limit = memory.low_ram_end();
    const uint64_t lowest = align_up(kernel_end, kPageSize);
    if (initrd.size() <= limit && align_down(limit - initrd.size(), kPageSize) >= lowest)
        return align_down(limit - initrd.size(), kPageSize);
    const uint64_t needed_end = lowest + align_up(initrd.size(), kPageSize);
    auto error = Error::message(fmt::format(
        "initrd of {:.1f} MiB does not fit between the kernel's end at {:#x} and the end of low RAM at {:#x}",
        static_cast<double>(initrd.size()) / layout::kMiB, lowest, limit));
    if (needed_end > layout::kMmioHoleStart)
        return std::move(error).with_hint("use a smaller initrd");
    return std::move(error).with_hint(fmt::format("give the guest at least {} MiB with --memory",
                                                  mebibytes_rounded_up(needed_end)));
}

// The start-info area: hvm_start_info, one module entry, then the memory map.
Result<std::vector<uint8_t>> build_start_info(const std::vector<E820Entry>& map,
                                              uint64_t initrd_address, uint64_t initrd_size,
                                              uint64_t acpi_rsdp) {
    const uint64_t memmap_size = map.size() * sizeof(pvh::MemmapEntry);
    if (memmap_size > kStartInfoEnd - kMemmapAddress)
        return Error::message(fmt::format(
            "the guest memory map has {} entries, more than the PVH start-info area holds",
            map.size()));
    std::vector<uint8_t> area(kMemmapAddress - layout::kPvhStartInfoAddress + memmap_size, 0);
    pvh::StartInfo info{};
    info.magic = pvh::kStartMagic;
    info.version = pvh::kStartInfoVersion;
    info.cmdline_paddr = layout::kCommandLineAddress;
    info.rsdp_paddr = acpi_rsdp;
    info.memmap_paddr = kMemmapAddress;
    info.memmap_entries = static_cast<uint32_t>(map.size());
    if (initrd_size != 0) {
        info.nr_modules = 1;
        info.modlist_paddr = kModlistAddress;
        pvh::ModlistEntry module{initrd_address, initrd_size, 0, 0};
        std::memcpy(area.data() + (kModlistAddress - layout::kPvhStartInfoAddress), &module,
                    sizeof(module));
    }
    std::memcpy(area.data(), &info, sizeof(info));
    for (size_t index = 0; index < map.size(); ++index) {
        pvh::MemmapEntry entry{map[index].address, map[index].size,
                               static_cast<uint32_t>(map[index].type), 0};
        std::memcpy(
            area.data() + (kMemmapAddress - layout::kPvhStartInfoAddress) + index * sizeof(entry),
            &entry, sizeof(entry));
    }
    return area;
}

// XEN_ELFNOTE_PHYS32_ENTRY's descriptor is the entry address; Linux emits it
// with _ASM_PTR (8 bytes on x86-64), other kernels with 4 bytes.
Result<uint32_t> note_entry(std::span<const uint8_t> descriptor) {
    if (descriptor.size() < 4)
        return Error::message(
                   fmt::format(
                       "the Xen PVH entry note has a {}-byte descriptor, too short for an address",
                       descriptor.size()))
            .with_hint("the image is damaged");
    uint64_t address = 0;
    std::memcpy(&address, descriptor.data(), std::min<size_t>(descriptor.size(), 8));
    if (address >= kProtectedModeLimit)
        return Error::message(
                   fmt::format(
                       "the Xen PVH entry note gives entry {:#x}, above the 4 GiB a 32-bit entry can reach",
                       address))
            .with_hint("the image is damaged");
    return static_cast<uint32_t>(address);
}

}  // namespace

Result<std::optional<uint32_t>> find_pvh_entry(std::span<const uint8_t> file,
                                               const ElfImage& image) {
    std::vector<ElfNote> notes = TRY(parse_elf_notes(file, image));
    for (const ElfNote& note : notes) {
        if (note.name == pvh::kNoteName && note.type == pvh::kNotePhys32Entry)
            return std::optional<uint32_t>{TRY(note_entry(note.descriptor))};
    }
    return std::optional<uint32_t>{};
}

bool has_pvh_entry(std::span<const uint8_t> kernel) {
    if (!is_elf(kernel))
        return false;
    auto image = parse_elf(kernel);
    if (!image)
        return false;
    auto entry = find_pvh_entry(kernel, *image);
    return entry.has_value() && entry->has_value();
}

Result<BootEntry> load_pvh(const GuestMemory& memory, const LinuxBootConfig& config) {
    const std::vector<E820Entry> map = build_e820_map(memory);
    KernelPlan plan = TRY(plan_kernel(config.kernel, map));
    TRY(check_command_line(config.command_line));
    uint64_t initrd_address = TRY(place_initrd(memory, plan.end, config.initrd));
    std::vector<uint8_t> start_info =
        TRY(build_start_info(map, initrd_address, config.initrd.size(), config.acpi_rsdp));

    TRY(write_segment_copies(memory, plan.copies));
    auto command_line =
        TRY(memory.slice(layout::kCommandLineAddress, config.command_line.size() + 1));
    std::memcpy(command_line.data(), config.command_line.data(), config.command_line.size());
    command_line[config.command_line.size()] = 0;
    if (!config.initrd.empty())
        TRY(memory.write(initrd_address, config.initrd));
    TRY(memory.write(layout::kPvhStartInfoAddress, start_info));

    log::info(
        "boot protocol: PVH (entry {:#x} from the Xen ELF note, {} segments up to {:#x}, "
        "initrd at {:#x} ({} bytes))",
        plan.entry, plan.copies.size(), plan.end, initrd_address, config.initrd.size());
    // pvh.pandoc, "Boot protocol": 32-bit protected mode, paging off, flat
    // 4 GiB CS/DS/ES/SS, a TSS in TR, CR4 = 0, EFLAGS.IF clear, EBX = the
    // start info. CpuMode::protected32 (cpu_state.cpp) sets exactly that.
    // ESP is unspecified; Linux loads its own stack first thing (head.S).
    BootEntry entry;
    entry.mode = CpuMode::protected32;
    entry.instruction_pointer = plan.entry;
    entry.stack_pointer = layout::kBootStackPointer;
    entry.rbx = layout::kPvhStartInfoAddress;
    return entry;
}

}  // namespace twinbox
