// The flat binary loader. See flat.h for the conventions it follows.
#include "vmm/boot/flat.h"

#include <fmt/core.h>

#include <algorithm>
#include <string_view>

#include "common/log.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace {

// Protected and long mode without further page tables reach the first 4 GiB.
constexpr uint64_t kIdentityMappedLimit = uint64_t{1} << 32;
// In protected and long mode the vCPU setup writes the GDT, the IDT, the boot
// stack and the page tables between layout::kGdtAddress and the end of the
// four page directories (see layout.h); an image must not lie there.
constexpr uint64_t kBootStructuresStart = layout::kGdtAddress;
constexpr uint64_t kBootStructuresEnd = layout::kPdAddress + 4 * 0x1000;

uint64_t mebibytes_rounded_up(uint64_t bytes) {
    return bytes / layout::kMiB + (bytes % layout::kMiB != 0);
}

std::string_view mode_name(CpuMode mode) {
    switch (mode) {
        case CpuMode::real:
            return "real-mode";
        case CpuMode::protected32:
            return "protected-mode";
        case CpuMode::long64:
            return "long-mode";
    }
    return "flat";
}

// Real mode reaches the first 1 MiB, of which conventional RAM ends where the
// EBDA (holding the MP table) begins.
Result<void> check_real_mode(uint64_t address, uint64_t size) {
    const uint64_t limit = layout::kMpTableAddress;
    if (address > limit || size > limit - address)
        return Error::message(
                   fmt::format(
                       "real-mode flat image of {} bytes at {:#x} does not fit below {:#x}, the end of conventional memory",
                       size, address, limit))
            .with_hint(
                "real mode reaches only the first 639 KiB; use a smaller image or --mode long");
    return ok();
}

Result<void> check_high_mode(const GuestMemory& memory, CpuMode mode, uint64_t address,
                             uint64_t size) {
    const bool fits = address <= kIdentityMappedLimit && size <= kIdentityMappedLimit - address;
    const uint64_t end = fits ? address + size : kIdentityMappedLimit;
    if (!fits)
        return Error::message(
                   fmt::format(
                       "{} flat image of {} bytes at {:#x} does not end below 4 GiB, the identity-mapped range",
                       mode_name(mode), size, address))
            .with_hint("load it lower");
    const auto map = build_e820_map(memory);
    bool in_ram = std::any_of(map.begin(), map.end(), [&](const E820Entry& entry) {
        return entry.type == E820Type::ram && address >= entry.address &&
               end <= entry.address + entry.size;
    });
    if (!in_ram) {
        auto error = Error::message(fmt::format("{} flat image at {:#x}-{:#x} is not in guest RAM",
                                                mode_name(mode), address, end));
        if (address >= layout::kHighMemoryStart && end <= layout::kMmioHoleStart)
            return std::move(error).with_hint(fmt::format(
                "give the guest at least {} MiB with --memory", mebibytes_rounded_up(end)));
        return std::move(error).with_hint("load it at 1 MiB or above, and below 3 GiB");
    }
    if (address < kBootStructuresEnd && kBootStructuresStart < end)
        return Error::message(
                   fmt::format(
                       "{} flat image at {:#x}-{:#x} overlaps the boot GDT, stack and page tables at {:#x}-{:#x}",
                       mode_name(mode), address, end, kBootStructuresStart, kBootStructuresEnd))
            .with_hint("load it at 1 MiB or above");
    return ok();
}

}  // namespace

Result<BootEntry> load_flat(const GuestMemory& memory, std::span<const uint8_t> image, CpuMode mode,
                            std::optional<uint64_t> load_address) {
    if (image.empty())
        return Error::message("flat image is empty").with_hint("pass a raw binary with --flat");
    const uint64_t address =
        load_address.value_or(mode == CpuMode::real ? layout::kFlatRealModeLoadAddress
                                                    : layout::kFlatLongModeLoadAddress);
    if (mode == CpuMode::real)
        TRY(check_real_mode(address, image.size()));
    else
        TRY(check_high_mode(memory, mode, address, image.size()));
    TRY(memory.write(address, image));
    log::info("flat: {} bytes at {:#x}, {} entry", image.size(), address, mode_name(mode));

    BootEntry entry;
    entry.mode = mode;
    entry.instruction_pointer = address;
    // See flat.h: in real mode the stack grows down from the image's first byte.
    entry.stack_pointer = mode == CpuMode::real ? address : layout::kBootStackPointer;
    return entry;
}

}  // namespace twinbox
