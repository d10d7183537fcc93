// The Linux bzImage loader (64-bit boot protocol).
//
// Spec: Linux Documentation/arch/x86/boot.rst. The steps follow the order the
// document describes for a boot loader: read and check the setup header,
// choose where the protected-mode kernel goes, place the command line and the
// initrd, then fill the zero page from the header. Everything is checked
// before the first byte is written, so a rejected image leaves guest RAM as
// it was.
#include "vmm/boot/bzimage.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "common/log.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/boot/linux_boot_params.h"

namespace twinbox {
namespace {

using linux_boot::BootParams;
using linux_boot::SetupHeader;

constexpr uint64_t kPageSize = 4096;
constexpr std::string_view kBzImageHint = "pass a Linux bzImage such as /boot/vmlinuz-*";

// Both helpers need a power-of-two alignment; align_up's caller makes sure
// `value` is far enough below 2^64 that the sum cannot overflow.
uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}
uint64_t align_down(uint64_t value, uint64_t alignment) {
    return value & ~(alignment - 1);
}
bool is_power_of_two(uint64_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}
uint64_t mebibytes_rounded_up(uint64_t bytes) {
    return bytes / layout::kMiB + (bytes % layout::kMiB != 0);
}
// For error messages about hostile headers: a sum that stops at 2^64 - 1 instead of wrapping.
uint64_t saturating_add(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

Error not_a_bzimage(std::string_view why) {
    return Error::message(fmt::format("kernel image is not a bzImage ({})", why))
        .with_hint(kBzImageHint);
}

// The facts about a bzImage that the rest of the loader needs, once checked.
struct KernelImage {
    SetupHeader header;
    // How many header bytes the image really has: boot.rst says the header
    // ends at 0x202 plus the byte at 0x201 (the jump instruction's offset).
    size_t header_length;
    // The protected-mode kernel: syssize 16-byte paragraphs after the setup sectors.
    std::span<const uint8_t> protected_mode;
};

Result<KernelImage> parse_kernel(std::span<const uint8_t> kernel) {
    if (kernel.size() < linux_boot::kSetupHeaderOffset + sizeof(SetupHeader))
        return not_a_bzimage(
            fmt::format("only {} bytes, too small to hold a setup header", kernel.size()));
    KernelImage image{};
    std::memcpy(&image.header, kernel.data() + linux_boot::kSetupHeaderOffset, sizeof(SetupHeader));
    const SetupHeader& header = image.header;
    if (header.boot_flag != linux_boot::kBootFlag)
        return not_a_bzimage("no 0xAA55 boot flag at 0x1fe");
    if (header.header != linux_boot::kHeaderMagic)
        return not_a_bzimage("no HdrS magic at 0x202");
    if (header.version < linux_boot::kProtocol2_12)
        return Error::message(
                   fmt::format(
                       "kernel uses boot protocol {}.{}, but the 64-bit entry point needs 2.12",
                       header.version >> 8, header.version & 0xff))
            .with_hint("use a Linux 3.8 or newer x86-64 kernel");
    if ((header.loadflags & linux_boot::kLoadedHigh) == 0)
        return not_a_bzimage("LOADED_HIGH is clear: an old zImage, which must load below 1 MiB")
            .with_hint("build the kernel with `make bzImage`");
    if ((header.xloadflags & linux_boot::kXlfKernel64) == 0)
        return Error::message(
                   "kernel has no 64-bit entry point (XLF_KERNEL_64 is clear in xloadflags)")
            .with_hint("use an x86-64 kernel; 32-bit kernels are not supported");

    uint64_t setup_sectors =
        header.setup_sects == 0 ? linux_boot::kDefaultSetupSectors : header.setup_sects;
    // The setup code is setup_sects sectors after the boot sector itself.
    uint64_t setup_size = (setup_sectors + 1) * linux_boot::kSectorSize;
    uint64_t kernel_size = uint64_t{header.syssize} * 16;
    if (kernel_size == 0)
        return not_a_bzimage("syssize is 0, so the header announces no kernel code");
    // Signed kernels carry a signature after the announced size, so the
    // file may be longer than setup + syssize, but never shorter.
    if (kernel.size() < setup_size || kernel.size() - setup_size < kernel_size)
        return Error::message(
                   fmt::format(
                       "kernel image is truncated: its header announces {} bytes of setup code and {} bytes of kernel, but the file has {} bytes",
                       setup_size, kernel_size, kernel.size()))
            .with_hint("the file is damaged; copy it again from /boot or rebuild it");
    size_t header_end = 0x202 + kernel[0x201];
    image.header_length =
        std::min(header_end, linux_boot::kSetupHeaderOffset + sizeof(SetupHeader)) -
        linux_boot::kSetupHeaderOffset;
    image.protected_mode = kernel.subspan(setup_size, kernel_size);
    return image;
}

// Where the protected-mode kernel goes, and the first byte after everything
// the kernel uses while it decompresses itself.
struct KernelPlacement {
    uint64_t load_address;
    uint64_t end;
};

Error kernel_needs_memory(uint64_t needed_end, uint64_t low_ram_end) {
    return Error::message(
               fmt::format(
                   "the kernel needs guest RAM up to {:#x} to load and decompress itself, but RAM below the MMIO hole ends at {:#x}",
                   needed_end, low_ram_end))
        .with_hint(fmt::format("give the guest at least {} MiB with --memory",
                               mebibytes_rounded_up(needed_end)));
}

Result<KernelPlacement> place_kernel(const GuestMemory& memory, const KernelImage& image) {
    const SetupHeader& header = image.header;
    const uint64_t low_end = memory.low_ram_end();
    const uint64_t image_size = image.protected_mode.size();
    const bool relocatable = header.relocatable_kernel != 0;
    const uint64_t alignment = header.kernel_alignment;
    if (relocatable && !is_power_of_two(alignment))
        return not_a_bzimage(
            fmt::format("kernel_alignment {:#x} is not a power of two", alignment));

    // boot.rst, pref_address: "A relocating bootloader should attempt to
    // load at this address if possible."
    const uint64_t preferred =
        header.pref_address == 0 ? layout::kHighMemoryStart : header.pref_address;
    uint64_t load = layout::kHighMemoryStart;
    if (preferred >= layout::kHighMemoryStart && preferred <= low_end &&
        image_size <= low_end - preferred && (!relocatable || preferred % alignment == 0))
        load = preferred;
    if (image_size > low_end - load)
        return kernel_needs_memory(load + image_size, low_end);

    // boot.rst, init_size: the kernel runs from its "runtime start address",
    // computed by this algorithm, and needs init_size bytes from there.
    uint64_t runtime_start = preferred;
    if (relocatable) {
        runtime_start = std::max(load, preferred);
        if (runtime_start > low_end)
            return kernel_needs_memory(runtime_start, low_end);
        runtime_start = align_up(runtime_start, alignment);
    }
    if (runtime_start > low_end || header.init_size > low_end - runtime_start)
        return kernel_needs_memory(saturating_add(runtime_start, header.init_size), low_end);
    return KernelPlacement{load, std::max(load + image_size, runtime_start + header.init_size)};
}

Result<void> check_command_line(const SetupHeader& header, const std::string& command_line) {
    if (command_line.find('\0') != std::string::npos)
        return Error::message("kernel command line contains a NUL byte")
            .with_hint("remove it from --cmdline");
    // boot.rst, cmdline_size: the longest command line, not counting the terminating NUL.
    uint64_t longest = std::min<uint64_t>(header.cmdline_size, layout::kCommandLineMax - 1);
    if (command_line.size() > longest)
        return Error::message(fmt::format("kernel command line is {} bytes, but at most {} fit",
                                          command_line.size(), longest))
            .with_hint("shorten --cmdline");
    return ok();
}

struct InitrdPlacement {
    uint64_t address = 0;
    uint64_t size = 0;
};

// boot.rst, "LOADING THE REST OF THE KERNEL": the initrd goes as high as
// possible, but its last byte must not pass initrd_addr_max. twinbox also keeps
// it below the MMIO hole and above everything the kernel uses while it starts.
Result<InitrdPlacement> place_initrd(const GuestMemory& memory, const SetupHeader& header,
                                     uint64_t kernel_end, std::span<const uint8_t> initrd) {
    if (initrd.empty())
        return InitrdPlacement{};
    const uint64_t kernel_limit = uint64_t{header.initrd_addr_max} + 1;
    const uint64_t limit = std::min(kernel_limit, memory.low_ram_end());
    const uint64_t lowest = align_up(kernel_end, kPageSize);
    if (initrd.size() <= limit && align_down(limit - initrd.size(), kPageSize) >= lowest)
        return InitrdPlacement{align_down(limit - initrd.size(), kPageSize), initrd.size()};

    uint64_t needed_end = lowest + align_up(initrd.size(), kPageSize);
    auto error = Error::message(fmt::format(
        "initrd of {:.1f} MiB does not fit between the kernel's end at {:#x} and {:#x}, the highest address the kernel and guest RAM allow",
        static_cast<double>(initrd.size()) / layout::kMiB, lowest, limit));
    if (needed_end > kernel_limit || needed_end > layout::kMmioHoleStart)
        return std::move(error).with_hint("use a smaller initrd");
    return std::move(error).with_hint(fmt::format("give the guest at least {} MiB with --memory",
                                                  mebibytes_rounded_up(needed_end)));
}

Result<BootParams> build_zero_page(const GuestMemory& memory, std::span<const uint8_t> kernel,
                                   const KernelImage& image, const KernelPlacement& placement,
                                   const InitrdPlacement& initrd, uint64_t acpi_rsdp) {
    BootParams params{};
    // boot.rst: the loader copies the setup header from the image, then fills in its own fields.
    std::memcpy(reinterpret_cast<uint8_t*>(&params) + linux_boot::kSetupHeaderOffset,
                kernel.data() + linux_boot::kSetupHeaderOffset, image.header_length);
    SetupHeader& header = params.hdr;
    header.type_of_loader = linux_boot::kUndefinedLoader;
    header.loadflags |= linux_boot::kCanUseHeap;
    header.heap_end_ptr = linux_boot::kHeapEndPointer;
    // Only the 32-bit protocol jumps to code32_start, but it names the load address for anyone who
    // reads it.
    header.code32_start = static_cast<uint32_t>(placement.load_address);
    header.cmd_line_ptr = static_cast<uint32_t>(layout::kCommandLineAddress);
    params.ext_cmd_line_ptr = static_cast<uint32_t>(layout::kCommandLineAddress >> 32);
    header.ramdisk_image = static_cast<uint32_t>(initrd.address);
    params.ext_ramdisk_image = static_cast<uint32_t>(initrd.address >> 32);
    header.ramdisk_size = static_cast<uint32_t>(initrd.size);
    params.ext_ramdisk_size = static_cast<uint32_t>(initrd.size >> 32);

    std::vector<E820Entry> map = build_e820_map(memory);
    if (map.size() > linux_boot::kE820MaxEntries)
        return Error::message(
            fmt::format("the guest memory map has {} entries, more than the {} the zero page holds",
                        map.size(), linux_boot::kE820MaxEntries));
    for (size_t index = 0; index < map.size(); ++index)
        params.e820_table[index] = {map[index].address, map[index].size,
                                    static_cast<uint32_t>(map[index].type)};
    params.e820_entries = static_cast<uint8_t>(map.size());

    // boot.rst: acpi_rsdp_addr is only read from protocol 2.14 on; older
    // kernels search 0xe0000-0xfffff for the RSDP themselves.
    if (acpi_rsdp != 0 && image.header.version >= linux_boot::kProtocol2_14)
        params.acpi_rsdp_addr = acpi_rsdp;
    return params;
}

}  // namespace

Result<BootEntry> load_bzimage(const GuestMemory& memory, const LinuxBootConfig& config) {
    KernelImage image = TRY(parse_kernel(config.kernel));
    KernelPlacement placement = TRY(place_kernel(memory, image));
    TRY(check_command_line(image.header, config.command_line));
    InitrdPlacement initrd = TRY(place_initrd(memory, image.header, placement.end, config.initrd));
    BootParams params =
        TRY(build_zero_page(memory, config.kernel, image, placement, initrd, config.acpi_rsdp));

    TRY(memory.write(placement.load_address, image.protected_mode));
    auto command_line =
        TRY(memory.slice(layout::kCommandLineAddress, config.command_line.size() + 1));
    std::memcpy(command_line.data(), config.command_line.data(), config.command_line.size());
    command_line[config.command_line.size()] = 0;
    if (!config.initrd.empty())
        TRY(memory.write(initrd.address, config.initrd));
    TRY(memory.write_object(layout::kZeroPageAddress, params));

    log::info("bzImage: protocol {}.{}, kernel at {:#x} ({} bytes), initrd at {:#x} ({} bytes)",
              image.header.version >> 8, image.header.version & 0xff, placement.load_address,
              image.protected_mode.size(), initrd.address, initrd.size);
    BootEntry entry;
    entry.mode = CpuMode::long64;
    entry.instruction_pointer = placement.load_address + linux_boot::kEntry64Offset;
    entry.stack_pointer = layout::kBootStackPointer;
    entry.rsi = layout::kZeroPageAddress;
    return entry;
}

}  // namespace twinbox
